package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
)

// clusterQuery is the query the cluster tests run on several members.
const clusterQuery = "INSERT INTO kafka('%[1]s', topic => 'out') SELECT sensor, window_start, COUNT(*) AS n, SUM(v) AS total, MAX(v) AS hi " +
	"FROM kafka('%[1]s', topic => 'in', format => 'jsonl') GROUP BY sensor WINDOW 2s EVENT TIME ts LATENESS 1s"

// reading is one input row.
type reading struct {
	sensor string
	ts     time.Time
	v      int
}

// clusterRows makes n readings of 12 sensors, every of apart in event
// time, up to 300 ms out of order (within the lateness, so no row is late
// under a lone query's watermark or under the cluster's per-partition ones).
func clusterRows(seed int64, n int, t0 time.Time, every time.Duration) []reading {
	rng := rand.New(rand.NewSource(seed))
	rows := make([]reading, n)
	for i := range rows {
		ts := t0.Add(time.Duration(i) * every)
		if rng.Intn(5) == 0 {
			ts = ts.Add(-time.Duration(rng.Intn(300)) * time.Millisecond)
		}
		rows[i] = reading{fmt.Sprintf("s-%02d", rng.Intn(12)), ts, rng.Intn(1000)}
	}
	return rows
}

// expectWindows computes the query's answer directly: one line per
// (sensor, 2 s window), as the members write them.
func expectWindows(rows []reading) map[string]string {
	type acc struct{ n, total, hi int }
	m := map[string]*acc{}
	for _, r := range rows {
		ws := r.ts.Truncate(2 * time.Second).UTC().Format(time.RFC3339)
		k := r.sensor + " " + ws
		a := m[k]
		if a == nil {
			a = &acc{hi: r.v}
			m[k] = a
		}
		a.n++
		a.total += r.v
		a.hi = max(a.hi, r.v)
	}
	out := map[string]string{}
	for k, a := range m {
		out[k] = fmt.Sprintf("n=%d total=%d hi=%d", a.n, a.total, a.hi)
	}
	return out
}

func produceBatch(cl *kgo.Client, rows []reading) error {
	var recs []*kgo.Record
	for _, r := range rows {
		v := fmt.Sprintf(`{"sensor":%q,"ts":%q,"v":%d}`, r.sensor, r.ts.UTC().Format(time.RFC3339Nano), r.v)
		recs = append(recs, &kgo.Record{Topic: "in", Key: []byte(r.sensor), Value: []byte(v)})
	}
	return cl.ProduceSync(context.Background(), recs...).FirstErr()
}

// outputReader collects the committed records of the output topic.
type outputReader struct {
	mu   sync.Mutex
	seen map[string][]string // "sensor window" -> values, in arrival order
	n    int
}

func (o *outputReader) run(ctx context.Context, t *testing.T, addr string) {
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.ConsumeTopics("out"),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Error(err)
		return
	}
	defer cl.Close()
	for ctx.Err() == nil {
		fs := cl.PollFetches(ctx)
		fs.EachRecord(func(rec *kgo.Record) {
			var row struct {
				Sensor string    `json:"sensor"`
				Window time.Time `json:"window_start"`
				N      int       `json:"n"`
				Total  int       `json:"total"`
				Hi     int       `json:"hi"`
			}
			if err := json.Unmarshal(rec.Value, &row); err != nil {
				t.Errorf("output record %s: %v", rec.Value, err)
				return
			}
			k := row.Sensor + " " + row.Window.UTC().Format(time.RFC3339)
			o.mu.Lock()
			o.seen[k] = append(o.seen[k], fmt.Sprintf("n=%d total=%d hi=%d", row.N, row.Total, row.Hi))
			o.n++
			o.mu.Unlock()
		})
	}
}

// wait waits until cond holds for what has been read, or fails the test.
func (o *outputReader) wait(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		o.mu.Lock()
		ok := cond()
		o.mu.Unlock()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s; %d records read", what, o.n)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// member is a streamsql process in a cluster query.
type member struct {
	cmd *exec.Cmd
	log *bytes.Buffer
}

func startMember(t *testing.T, addr, name string) *member {
	t.Helper()
	m := &member{log: &bytes.Buffer{}}
	m.cmd = exec.Command(binary, "--cluster", name, "--batch", "200ms", "-e", fmt.Sprintf(clusterQuery, addr))
	m.cmd.Stdout, m.cmd.Stderr = m.log, m.log
	m.cmd.Env = append(os.Environ(), "STREAMSQL_CLUSTER_DEBUG="+os.Getenv("STREAMSQL_CLUSTER_DEBUG"))
	if err := m.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if m.cmd.ProcessState == nil {
			m.cmd.Process.Kill()
			m.cmd.Wait()
		}
		if t.Failed() {
			t.Logf("member %d log:\n%s", m.cmd.Process.Pid, m.log)
		}
	})
	return m
}

func (m *member) kill(t *testing.T) {
	m.cmd.Process.Signal(syscall.SIGKILL)
	m.cmd.Wait()
}

// checkWindows compares what the members wrote with the answer: every
// window once, with its exact values.
func checkWindows(t *testing.T, o *outputReader, want map[string]string) {
	t.Helper()
	o.mu.Lock()
	defer o.mu.Unlock()
	var bad []string
	for k, w := range want {
		got := o.seen[k]
		switch {
		case len(got) == 0:
			bad = append(bad, fmt.Sprintf("%s: missing (want %s)", k, w))
		case len(got) > 1:
			bad = append(bad, fmt.Sprintf("%s: written %d times %v (want once %s)", k, len(got), got, w))
		case got[0] != w:
			bad = append(bad, fmt.Sprintf("%s: %s, want %s", k, got[0], w))
		}
	}
	for k, got := range o.seen {
		if _, ok := want[k]; !ok {
			bad = append(bad, fmt.Sprintf("%s: unexpected %v", k, got))
		}
	}
	sort.Strings(bad)
	if len(bad) > 0 {
		t.Fatalf("%d of %d windows wrong:\n%s", len(bad), len(want), strings.Join(bad[:min(len(bad), 20)], "\n"))
	}
}

// TestClusterKillMember runs one windowed GROUP BY on three members of
// the real binary over a topic of 6 partitions while rows are produced;
// one member is killed with SIGKILL mid-stream and a new one started. The
// output must hold every window exactly once with the values computed
// directly from the rows, as a lone query over the same rows has them.
func TestClusterKillMember(t *testing.T) {
	if testing.Short() {
		t.Skip("starts several processes for a minute")
	}
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(6, "in"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	addr := c.ListenAddrs()[0]
	prod, err := kgo.NewClient(kgo.SeedBrokers(addr))
	if err != nil {
		t.Fatal(err)
	}
	defer prod.Close()

	// Rows are written at the pace of their event time (200 a second), as
	// a live producer would: a pause longer than the lateness would make
	// the watermark follow the clock, as it does for a lone query.
	const every = 5 * time.Millisecond
	rows := clusterRows(1, 4000, time.Now().UTC(), every)
	want := expectWindows(rows)

	out := &outputReader{seen: map[string][]string{}}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go out.run(ctx, t, addr)

	members := []*member{startMember(t, addr, "q1"), startMember(t, addr, "q1"), startMember(t, addr, "q1")}
	produced := make(chan error, 1)
	go func() {
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for i := 0; i < len(rows); i += 10 {
			<-tick.C
			if err := produceBatch(prod, rows[i:min(i+10, len(rows))]); err != nil {
				produced <- err
				return
			}
		}
		produced <- nil
	}()
	// Kill a member once windows are coming out: it holds partitions of
	// both stages, and maybe an open transaction.
	out.wait(t, "the first windows", 60*time.Second, func() bool { return out.n >= 20 })
	members[1].kill(t)
	members = append(members, startMember(t, addr, "q1"))
	if err := <-produced; err != nil {
		t.Fatal(err)
	}

	complete := func() bool {
		n := 0
		for k := range want {
			if len(out.seen[k]) > 0 {
				n++
			}
		}
		return n == len(want)
	}
	deadline := time.Now().Add(120 * time.Second)
	for {
		out.mu.Lock()
		done := complete()
		out.mu.Unlock()
		if done || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	checkWindows(t, out, want)
	_ = members
}
