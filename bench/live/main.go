// Command live measures streamsql running live, on the wall clock, through
// its embedding API: the workloads of bench/run.sh that a bounded --once
// run cannot show.
//
//	live throughput [-trial 6s] [-batch 1s]
//	    (c) the highest rate a generate() source can feed a windowed
//	    GROUP BY while every batch keeps up: a trial at rate R passes when,
//	    after two warm-up batches, every batch received at least 97% of R's
//	    rows and closed within its interval (scheduling delay + processing
//	    time < batch). The rate doubles from 250 k rows/s until a trial
//	    fails, then bisects.
//	live latency [-rate 100000] [-batch 100ms] [-seconds 10]
//	    (d) the time from a row's arrival to the emission that includes it:
//	    rows are written as CSV lines to a real TCP socket on 127.0.0.1 at
//	    the rate, in 1 ms slices, each slice's write time noted; the query
//	    reports per batch the lowest and highest sequence number it saw, so
//	    every row's latency is the emission's receipt time minus its write
//	    time. Prints p50, p99 and the maximum over the rows after the first
//	    second.
//
// Each prints one line of tab-separated results for bench/run.sh (see
// the end of each function) and a human summary on stderr.
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"slices"
	"strconv"
	"time"

	"github.com/streamsql/streamsql"
	"github.com/streamsql/streamsql/types"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: live throughput|latency [flags]")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "throughput":
		err = throughput(os.Args[2:])
	case "latency":
		err = latency(os.Args[2:])
	default:
		err = fmt.Errorf("unknown mode %q (throughput or latency)", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "live:", err)
		os.Exit(1)
	}
}

func throughput(args []string) error {
	fs := flag.NewFlagSet("throughput", flag.ExitOnError)
	trial := fs.Duration("trial", 6*time.Second, "length of one trial")
	batch := fs.Duration("batch", time.Second, "batch interval")
	fs.Parse(args)

	keeps := func(rate float64) (bool, string, error) {
		return runTrial(rate, *trial, *batch)
	}
	lo, hi := 0.0, 250e3
	for {
		ok, why, err := keeps(hi)
		if err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "  %8.0f rows/s: %s\n", hi, why)
		if !ok {
			break
		}
		lo, hi = hi, hi*2
		if hi > 1e9 {
			break
		}
	}
	for range 4 {
		mid := (lo + hi) / 2
		ok, why, err := keeps(mid)
		if err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "  %8.0f rows/s: %s\n", mid, why)
		if ok {
			lo = mid
		} else {
			hi = mid
		}
	}
	fmt.Fprintf(os.Stderr, "sustained: %.0f rows/s (a trial at %.0f rows/s fell behind)\n", lo, hi)
	// rows per second sustained, the first rate that failed
	fmt.Printf("%.0f\t%.0f\n", lo, hi)
	return nil
}

// throughputQuery is workload (c): a windowed GROUP BY over generated
// sensor readings.
const throughputQuery = "SELECT sensor, COUNT(*), AVG(temp), MAX(temp) FROM generate(kind => 'sensors', rate => %.0f) GROUP BY sensor WINDOW 10s"

func runTrial(rate float64, trial, batch time.Duration) (bool, string, error) {
	eng := streamsql.New(streamsql.Config{BatchInterval: batch, Log: io.Discard})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	q, err := eng.Query(ctx, fmt.Sprintf(throughputQuery, rate))
	if err != nil {
		return false, "", err
	}
	defer func() {
		q.Stop()
		for range q.Results() {
		}
	}()
	want := int64(rate * batch.Seconds() * 0.97)
	batches := int(trial / batch)
	n := 0
	var worst time.Duration
	var fewest int64 = -1
	for r := range q.Results() {
		n++
		if n <= 2 { // warm-up: the first batch is partial
			continue
		}
		took := r.Stats.SchedulingDelay + r.Stats.ProcessingTime
		worst = max(worst, took)
		if fewest < 0 || r.Stats.RowsIn < fewest {
			fewest = r.Stats.RowsIn
		}
		if took >= batch {
			return false, fmt.Sprintf("batch %d closed %v after its time (delay %v + processing %v)", n, took, r.Stats.SchedulingDelay, r.Stats.ProcessingTime), nil
		}
		if r.Stats.RowsIn < want {
			return false, fmt.Sprintf("batch %d got %d rows, want >= %d", n, r.Stats.RowsIn, want), nil
		}
		if n >= batches {
			break
		}
	}
	return true, fmt.Sprintf("keeps up (fewest rows in a batch %d, slowest close %v)", fewest, worst.Round(time.Microsecond)), nil
}

// latencyQuery is workload (d): a per-batch GROUP BY that also says which
// rows each emission holds. It aggregates each batch on its own (a WINDOW
// of the batch interval), so an emission's MIN(seq) and MAX(seq) are the
// rows it includes; without a window the aggregate would be a table kept
// over all input.
const latencyQuery = "SELECT sensor, COUNT(*), MIN(seq), MAX(seq) FROM socket('%s', format => 'csv', header => false, schema => 'seq BIGINT, sensor TEXT, temp DOUBLE') GROUP BY sensor WINDOW %s"

func latency(args []string) error {
	fs := flag.NewFlagSet("latency", flag.ExitOnError)
	rate := fs.Int("rate", 100000, "rows per second")
	batch := fs.Duration("batch", 100*time.Millisecond, "batch interval")
	seconds := fs.Int("seconds", 10, "how long to write rows")
	fs.Parse(args)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	defer ln.Close()
	eng := streamsql.New(streamsql.Config{BatchInterval: *batch, Log: io.Discard})
	q, err := eng.Query(context.Background(), fmt.Sprintf(latencyQuery, ln.Addr(), *batch))
	if err != nil {
		return err
	}
	conn, err := ln.Accept()
	if err != nil {
		return err
	}

	// Rows are written in 1 ms slices; sent[i] is when slice i went out.
	perSlice := max(*rate/1000, 1)
	nSlices := *seconds * 1000
	sent := make([]time.Time, nSlices)
	total := int64(nSlices * perSlice)
	writeErr := make(chan error, 1)
	go func() {
		w := bufio.NewWriterSize(conn, 64<<10)
		start := time.Now()
		var line []byte
		for s := range nSlices {
			if d := time.Until(start.Add(time.Duration(s) * time.Millisecond)); d > 0 {
				time.Sleep(d)
			}
			for i := range perSlice {
				seq := int64(s*perSlice + i)
				line = strconv.AppendInt(line[:0], seq, 10)
				line = append(line, ",sensor-"...)
				line = strconv.AppendInt(line, seq%100, 10)
				line = append(line, ",21.5\n"...)
				w.Write(line)
			}
			sent[s] = time.Now()
			if err := w.Flush(); err != nil {
				writeErr <- err
				return
			}
		}
		writeErr <- nil
	}()

	var lat []time.Duration
	seen := int64(0)
	for r := range q.Results() {
		got := time.Now()
		lo, hi := int64(-1), int64(-1)
		for _, row := range r.Rows {
			a, b := row[2], row[3]
			if a.Kind() != types.KindInt || b.Kind() != types.KindInt {
				continue
			}
			if lo < 0 || a.AsInt() < lo {
				lo = a.AsInt()
			}
			hi = max(hi, b.AsInt())
		}
		if lo < 0 {
			continue
		}
		for seq := lo; seq <= hi; seq++ {
			s := int(seq) / perSlice
			if s >= 1000 { // after the first second
				lat = append(lat, got.Sub(sent[s]))
			}
		}
		seen += hi - lo + 1
		if seen >= total {
			break
		}
	}
	conn.Close()
	q.Stop()
	for range q.Results() {
	}
	if err := <-writeErr; err != nil {
		return err
	}
	if len(lat) == 0 {
		return fmt.Errorf("no rows came back")
	}
	slices.Sort(lat)
	p := func(f float64) time.Duration { return lat[int(f*float64(len(lat)-1))] }
	fmt.Fprintf(os.Stderr, "latency at %d rows/s, batch %v, %d rows measured (of %d written): p50 %v, p99 %v, max %v\n",
		*rate, *batch, len(lat), total, p(0.5).Round(time.Microsecond), p(0.99).Round(time.Microsecond), lat[len(lat)-1].Round(time.Microsecond))
	// p50, p99 and max in milliseconds, rows measured
	fmt.Printf("%.2f\t%.2f\t%.2f\t%d\n", ms(p(0.5)), ms(p(0.99)), ms(lat[len(lat)-1]), len(lat))
	return nil
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
