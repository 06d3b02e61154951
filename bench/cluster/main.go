// Command cluster measures a cluster query's throughput: it starts a
// Kafka-protocol broker in process (franz-go's kfake), writes rows of
// sensor readings to an input topic, starts members of the streamsql
// binary with --cluster, and times how long they take to emit every
// window.
//
//	cluster -bin /path/to/streamsql [-rows 400000] [-partitions 8] [-members 1]
//
// It prints rows, members, seconds and rows per second. The broker runs on
// the same machine and cores as the members, so the figure is a floor for
// what one member does against a real cluster.
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
)

func main() {
	bin := flag.String("bin", "streamsql", "the streamsql binary")
	rows := flag.Int("rows", 400000, "input rows")
	parts := flag.Int("partitions", 8, "input partitions")
	members := flag.Int("members", 1, "members to start")
	sensors := flag.Int("sensors", 1000, "distinct keys")
	flag.Parse()
	if err := run(*bin, *rows, *parts, *members, *sensors); err != nil {
		fmt.Fprintln(os.Stderr, "cluster:", err)
		os.Exit(1)
	}
}

func run(bin string, rows, parts, members, sensors int) error {
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(int32(parts), "in"))
	if err != nil {
		return err
	}
	defer c.Close()
	addr := c.ListenAddrs()[0]
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr))
	if err != nil {
		return err
	}
	defer cl.Close()

	// 10 s windows over 100 s of event time; the windows to expect.
	t0 := time.Now().Add(-time.Hour).Truncate(10 * time.Second)
	step := 100 * time.Second / time.Duration(rows)
	var recs []*kgo.Record
	for i := 0; i < rows; i++ {
		s := fmt.Sprintf("s-%04d", i%sensors)
		ts := t0.Add(time.Duration(i) * step)
		recs = append(recs, &kgo.Record{Topic: "in", Key: []byte(s),
			Value: fmt.Appendf(nil, `{"sensor":%q,"temp":%d.5,"ts":%q}`, s, i%40, ts.UTC().Format(time.RFC3339Nano))})
		if len(recs) == 10000 {
			if err := cl.ProduceSync(context.Background(), recs...).FirstErr(); err != nil {
				return err
			}
			recs = recs[:0]
		}
	}
	if err := cl.ProduceSync(context.Background(), recs...).FirstErr(); err != nil {
		return err
	}
	windows := int64(10 * min(sensors, rows)) // every sensor in each of the 10 windows

	query := fmt.Sprintf("INSERT INTO kafka('%[1]s', topic => 'out') SELECT sensor, window_start, COUNT(*) AS n, AVG(temp) AS avg_temp, MAX(temp) AS max_temp "+
		"FROM kafka('%[1]s', topic => 'in', format => 'jsonl') GROUP BY sensor WINDOW 10s EVENT TIME ts LATENESS 1s", addr)
	start := time.Now()
	var logs []*bytes.Buffer
	for i := 0; i < members; i++ {
		var log bytes.Buffer
		cmd := exec.Command(bin, "--cluster", "bench", "--batch", "1s", "-e", query)
		cmd.Stdout, cmd.Stderr = &log, &log
		if err := cmd.Start(); err != nil {
			return err
		}
		logs = append(logs, &log)
		defer func() { cmd.Process.Kill(); cmd.Wait() }()
	}
	out, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.ConsumeTopics("out"),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		return err
	}
	defer out.Close()
	var got atomic.Int64
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	for got.Load() < windows {
		fs := out.PollFetches(ctx)
		if ctx.Err() != nil {
			for _, l := range logs {
				fmt.Fprint(os.Stderr, l.String())
			}
			return fmt.Errorf("%d of %d windows after 10 minutes", got.Load(), windows)
		}
		got.Add(int64(fs.NumRecords()))
	}
	secs := time.Since(start).Seconds()
	if os.Getenv("CLUSTER_BENCH_LOGS") != "" {
		for _, l := range logs {
			fmt.Fprint(os.Stderr, l.String())
		}
	}
	fmt.Printf("rows %d partitions %d members %d keys %d: %.1f s, %.0f rows/s (from start-up to the last window; the last windows close %s after the last row)\n",
		rows, parts, members, sensors, secs, float64(rows)/secs, "about 3 s")
	return nil
}
