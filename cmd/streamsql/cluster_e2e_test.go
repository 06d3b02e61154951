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
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
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
		fs.EachRecord(func(rec *kgo.Record) { o.add(t, rec.Value) })
	}
}

// add records one result row, a JSON object.
func (o *outputReader) add(t *testing.T, value []byte) {
	var row struct {
		Sensor string    `json:"sensor"`
		Window time.Time `json:"window_start"`
		N      int       `json:"n"`
		Total  int       `json:"total"`
		Hi     int       `json:"hi"`
	}
	if err := json.Unmarshal(value, &row); err != nil {
		t.Errorf("output record %s: %v", value, err)
		return
	}
	k := row.Sensor + " " + row.Window.UTC().Format(time.RFC3339)
	o.mu.Lock()
	o.seen[k] = append(o.seen[k], fmt.Sprintf("n=%d total=%d hi=%d", row.N, row.Total, row.Hi))
	o.n++
	o.mu.Unlock()
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
	log *logBuffer
}

// logBuffer is a member's output, read while the member writes it.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func startMember(t *testing.T, addr, name string) *member {
	t.Helper()
	return startMemberBatch(t, addr, name, "200ms")
}

func startMemberBatch(t *testing.T, addr, name, batch string) *member {
	t.Helper()
	m := &member{log: &logBuffer{}}
	m.cmd = exec.Command(binary, "--cluster", name, "--batch", batch, "-e", fmt.Sprintf(clusterQuery, addr))
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

// clusterRun is one cluster test: a kfake broker with a 6-partition
// input topic, rows written at the pace of their event time, the members
// of the query, and a reader of the output topic.
type clusterRun struct {
	t     *testing.T
	kfake *kfake.Cluster
	addr  string
	rows  []reading
	want  map[string]string
	out   *outputReader
	prod  *kgo.Client
	done  chan error
	close func()
}

func newClusterRun(t *testing.T, n int) *clusterRun { return newClusterRunParts(t, n, 6) }

func newClusterRunParts(t *testing.T, n int, parts int32) *clusterRun {
	return newClusterRunBacklog(t, n, parts, 0)
}

// newClusterRunBacklog is newClusterRunParts whose first backlog rows are
// written before it returns, their event times ending now: they wait in
// the input topic for the members.
func newClusterRunBacklog(t *testing.T, n int, parts int32, backlog int) *clusterRun {
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(parts, "in"))
	if err != nil {
		t.Fatal(err)
	}
	addr := c.ListenAddrs()[0]
	prod, err := kgo.NewClient(kgo.SeedBrokers(addr))
	if err != nil {
		t.Fatal(err)
	}
	// Rows are written at the pace of their event time (200 a second), as
	// a live producer would: a pause longer than the lateness would make
	// the watermark follow the clock, as it does for a lone query.
	const every = 5 * time.Millisecond
	rows := clusterRows(1, n, time.Now().UTC().Add(-time.Duration(backlog)*every), every)
	r := &clusterRun{t: t, kfake: c, addr: addr, rows: rows, want: expectWindows(rows), prod: prod,
		out: &outputReader{seen: map[string][]string{}}, done: make(chan error, 1)}
	ctx, cancel := context.WithCancel(context.Background())
	go r.out.run(ctx, t, addr)
	r.close = func() {
		cancel()
		prod.Close()
		c.Close()
	}
	t.Cleanup(r.close)
	for i := 0; i < backlog; i += 1000 {
		if err := produceBatch(prod, rows[i:min(i+1000, backlog)]); err != nil {
			t.Fatal(err)
		}
	}
	return r
}

// produce writes the rows in the background, 10 every 50 ms.
func (r *clusterRun) produce() { r.produceFrom(0) }

// produceFrom writes the rows from the i0th on in the background, 10 every
// 50 ms.
func (r *clusterRun) produceFrom(i0 int) {
	go func() {
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for i := i0; i < len(r.rows); i += 10 {
			<-tick.C
			if err := produceBatch(r.prod, r.rows[i:min(i+10, len(r.rows))]); err != nil {
				r.done <- err
				return
			}
		}
		r.done <- nil
	}()
}

// finish waits for the rows to be written and for every window to come
// out, then checks the output.
func (r *clusterRun) finish() {
	t := r.t
	if err := <-r.done; err != nil {
		t.Fatal(err)
	}
	o := r.out
	deadline := time.Now().Add(120 * time.Second)
	for {
		o.mu.Lock()
		n := 0
		for k := range r.want {
			if len(o.seen[k]) > 0 {
				n++
			}
		}
		o.mu.Unlock()
		if n == len(r.want) || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	checkWindows(t, o, r.want)
}

// TestClusterKillMember runs one windowed GROUP BY on three members of
// the real binary over a topic of 6 partitions while rows are produced;
// one member is killed with SIGKILL mid-stream and a new one started. The
// output must hold every window exactly once with the values computed
// directly from the rows, and a lone query over the same topic must give
// the same windows.
func TestClusterKillMember(t *testing.T) {
	if testing.Short() {
		t.Skip("starts several processes for half a minute")
	}
	r := newClusterRun(t, 4000)
	members := []*member{startMember(t, r.addr, "q1"), startMember(t, r.addr, "q1"), startMember(t, r.addr, "q1")}
	r.produce()
	// Kill a member at a random moment once windows are coming out: it
	// holds partitions of both stages, and maybe an open transaction.
	seed := time.Now().UnixNano()
	rng := rand.New(rand.NewSource(seed))
	after := 1 + rng.Intn(60)
	delay := time.Duration(rng.Intn(1000)) * time.Millisecond
	t.Logf("killing a member %v after the %dth window (seed %d)", delay, after, seed)
	r.out.wait(t, "the first windows", 60*time.Second, func() bool { return r.out.n >= after })
	time.Sleep(delay) // the moment of the kill is the test's input, not a synchronisation
	members[1].kill(t)
	startMember(t, r.addr, "q1")
	r.finish()

	// The same query on one instance, bounded to what the topic holds. It
	// reads the partitions unevenly (a fetch of one, then of another), and
	// keeps a watermark per partition as the cluster does, so no row is
	// late here either.
	lone := exec.Command(binary, "--once", "--output", "jsonl", "-e",
		fmt.Sprintf("SELECT sensor, window_start, COUNT(*) AS n, SUM(v) AS total, MAX(v) AS hi FROM kafka('%s', topic => 'in', format => 'jsonl') GROUP BY sensor WINDOW 2s EVENT TIME ts LATENESS 1s", r.addr))
	got, err := lone.Output()
	if err != nil {
		t.Fatalf("lone query: %v", err)
	}
	single := &outputReader{seen: map[string][]string{}}
	for _, line := range strings.Split(strings.TrimSpace(string(got)), "\n") {
		single.add(t, []byte(line))
	}
	checkWindows(t, single, r.want)
}

// TestClusterRebalance starts one member, adds two while rows flow, then
// stops one (SIGTERM: it leaves its groups) and adds another: partitions
// move at every step, and the output still holds every window once.
func TestClusterRebalance(t *testing.T) {
	if testing.Short() {
		t.Skip("starts several processes for half a minute")
	}
	r := newClusterRun(t, 4000)
	first := startMember(t, r.addr, "q2")
	r.produce()
	r.out.wait(t, "the first windows", 60*time.Second, func() bool { return r.out.n >= 10 })
	second := startMember(t, r.addr, "q2")
	startMember(t, r.addr, "q2")
	r.out.wait(t, "more windows", 60*time.Second, func() bool { return r.out.n >= 40 })
	first.cmd.Process.Signal(syscall.SIGTERM)
	if err := first.cmd.Wait(); err != nil {
		t.Errorf("a member stopped with SIGTERM: %v\n%s", err, first.log)
	}
	startMember(t, r.addr, "q2")
	r.out.wait(t, "more windows", 60*time.Second, func() bool { return r.out.n >= 70 })
	second.cmd.Process.Signal(syscall.SIGTERM)
	second.cmd.Wait()
	r.finish()
}

// TestClusterExplainAndErrors: under --cluster, EXPLAIN shows the two
// stages (nothing connects to Kafka), and queries that cannot be split
// are refused with the reason.
func TestClusterExplainAndErrors(t *testing.T) {
	run := func(sql string) (string, int) {
		cmd := exec.Command(binary, "--cluster", "q1", "-e", sql)
		out, _ := cmd.CombinedOutput()
		return string(out), cmd.ProcessState.ExitCode()
	}
	const from = "FROM kafka('127.0.0.1:9', topic => 'in', format => 'jsonl')"
	out, code := run("EXPLAIN INSERT INTO kafka('127.0.0.1:9', topic => 'out') SELECT sensor, COUNT(*) AS n " + from +
		" WHERE temp > 0 GROUP BY sensor WINDOW 10s EVENT TIME ts LATENESS 2s HAVING COUNT(*) > 1")
	want := `Sink kafka('127.0.0.1:9', topic => 'out')
Cluster query q1: two stages, every member runs both
Stage 2 (per partition of q1-repartition, state in q1-changelog)
  Result [sensor, n]
  Project sensor, COUNT(*) AS n
  Filter HAVING COUNT(*) > 1
  Merge partials by [sensor], tumbling 10s, event time ts, lateness 2s; a window closes when every input partition's watermark has passed its end
Stage 1 (per input partition)
  Partial aggregates per (pane of 10s, key) each batch -> q1-repartition, partitioned by [sensor], with the partition's watermark
  Filter WHERE temp > 0
  Source kafka('127.0.0.1:9') topic=in offset=earliest format=jsonl live columns=[sensor, temp, ts]
`
	if code != 0 || out != want {
		t.Errorf("EXPLAIN: exit %d\n%s\nwant\n%s", code, out, want)
	}
	for _, c := range []struct{ sql, err string }{
		{"INSERT INTO kafka('127.0.0.1:9', topic => 'out') SELECT sensor, COUNT(*) " + from + " GROUP BY sensor",
			"streamsql: query cannot run in a cluster: an aggregate without WINDOW is an updating result, and a cluster's output topic only takes windows that close (WINDOW 10s [SLIDE 5s]) yet\n"},
		{"SELECT sensor, COUNT(*) " + from + " GROUP BY sensor WINDOW 10s",
			"streamsql: cluster: a cluster query writes to a Kafka topic (INSERT INTO kafka('brokers', topic => 'out') SELECT ...)\n"},
		{"INSERT INTO kafka('127.0.0.1:9', topic => 'out') SELECT sensor " + from,
			"streamsql: query cannot run in a cluster: it needs GROUP BY with a WINDOW (a query without aggregates needs no second stage)\n"},
		{"INSERT INTO kafka('127.0.0.1:9', topic => 'out') SELECT sensor, COUNT(*) " + from + " GROUP BY sensor WINDOW SESSION 10s",
			"streamsql: query cannot run in a cluster: only tumbling and sliding windows (WINDOW 10s [SLIDE 5s]) run in a cluster, not session gap 10s\n"},
	} {
		out, code := run(c.sql)
		if code != 1 || out != c.err {
			t.Errorf("%s:\nexit %d, %q\nwant exit 1, %q", c.sql, code, out, c.err)
		}
	}
}

// TestClusterProcessingTime runs a processing-time window on two members:
// which window a row lands in depends on when it is read, so the check is
// that every row is counted exactly once across windows, per sensor, and
// no window comes out twice.
func TestClusterProcessingTime(t *testing.T) {
	if testing.Short() {
		t.Skip("starts several processes")
	}
	r := newClusterRun(t, 2000)
	query := fmt.Sprintf("INSERT INTO kafka('%[1]s', topic => 'out') SELECT sensor, window_start, COUNT(*) AS n, SUM(v) AS total, MAX(v) AS hi "+
		"FROM kafka('%[1]s', topic => 'in', format => 'jsonl') GROUP BY sensor WINDOW 1s", r.addr)
	for range 2 {
		m := &member{log: &logBuffer{}}
		m.cmd = exec.Command(binary, "--cluster", "q3", "--batch", "200ms", "-e", query)
		m.cmd.Stdout, m.cmd.Stderr = m.log, m.log
		if err := m.cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			m.cmd.Process.Kill()
			m.cmd.Wait()
			if t.Failed() {
				t.Logf("member log:\n%s", m.log)
			}
		})
	}
	r.produce()
	if err := <-r.done; err != nil {
		t.Fatal(err)
	}
	perSensor := map[string]int{}
	for _, row := range r.rows {
		perSensor[row.sensor]++
	}
	counted := func() map[string]int {
		got := map[string]int{}
		for k, vs := range r.out.seen {
			for _, v := range vs {
				var n, total, hi int
				fmt.Sscanf(v, "n=%d total=%d hi=%d", &n, &total, &hi)
				got[strings.Fields(k)[0]] += n
			}
		}
		return got
	}
	r.out.wait(t, "every row counted", 60*time.Second, func() bool {
		total := 0
		for _, n := range counted() {
			total += n
		}
		return total >= len(r.rows)
	})
	r.out.mu.Lock()
	defer r.out.mu.Unlock()
	for k, vs := range r.out.seen {
		if len(vs) > 1 {
			t.Errorf("window %s written %d times: %v", k, len(vs), vs)
		}
	}
	if got := counted(); fmt.Sprint(got) != fmt.Sprint(perSensor) {
		t.Errorf("rows counted per sensor %v, want %v", got, perSensor)
	}
}

// TestClusterSpares runs three members over a topic of two partitions: one
// member owns nothing of a stage and waits. Two members are killed one
// after the other; the spare takes over and the output is still exact.
func TestClusterSpares(t *testing.T) {
	if testing.Short() {
		t.Skip("starts several processes")
	}
	r := newClusterRunParts(t, 3000, 2)
	ms := []*member{startMember(t, r.addr, "q4"), startMember(t, r.addr, "q4"), startMember(t, r.addr, "q4")}
	r.produce()
	r.out.wait(t, "the first windows", 60*time.Second, func() bool { return r.out.n >= 10 })
	ms[0].kill(t)
	r.out.wait(t, "more windows", 60*time.Second, func() bool { return r.out.n >= 40 })
	ms[1].kill(t)
	r.finish()
}

// TestClusterSlowCommits runs three members with 500 ms batches against a
// broker whose EndTxn takes 600 ms: every batch's transaction outlasts the
// batch interval. Batches must stretch, not starve: each one reads what
// is waiting before it commits. 10 000 rows wait in the input topic when
// the members start and 4000 more follow; a member is SIGKILLed once
// windows come out. Every window must come out once, with exact values.
func TestClusterSlowCommits(t *testing.T) {
	if testing.Short() {
		t.Skip("starts several processes for a minute")
	}
	r := newClusterRunBacklog(t, 14000, 6, 10000)
	var endTxns atomic.Int64
	r.kfake.ControlKey(kmsg.EndTxn.Int16(), func(kmsg.Request) (kmsg.Response, error, bool) {
		r.kfake.KeepControl()
		endTxns.Add(1)
		// Sleeping here would stop the whole broker; SleepControl
		// holds only this request (its connection) back.
		r.kfake.SleepControl(func() { time.Sleep(600 * time.Millisecond) })
		return nil, nil, false
	})
	members := []*member{
		startMemberBatch(t, r.addr, "q5", "500ms"),
		startMemberBatch(t, r.addr, "q5", "500ms"),
		startMemberBatch(t, r.addr, "q5", "500ms"),
	}
	r.produceFrom(10000)
	seed := time.Now().UnixNano()
	rng := rand.New(rand.NewSource(seed))
	after := 1 + rng.Intn(100)
	t.Logf("killing a member after the %dth window (seed %d)", after, seed)
	r.out.wait(t, "the first windows", 60*time.Second, func() bool { return r.out.n >= after })
	members[0].kill(t)
	r.finish()
	if endTxns.Load() == 0 {
		t.Error("no EndTxn was delayed")
	}
	for _, m := range members[1:] {
		said := false
		for _, line := range strings.Split(m.log.String(), "\n") {
			if strings.Contains(line, "overran") {
				t.Logf("member %d: %s", m.cmd.Process.Pid, line)
				said = true
			}
		}
		if !said {
			t.Errorf("member %d does not say that its batches overran:\n%s", m.cmd.Process.Pid, m.log)
		}
	}
}
