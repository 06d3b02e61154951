package main

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
)

// The kill -9 tests run the real binary with --checkpoint over input that
// arrives while it runs, kill it with SIGKILL at random moments, start it
// again, and compare what the sinks hold at the end with what a run that
// was never killed writes, and with the answer computed here.

const (
	ckptFiles   = 30  // input files
	ckptRows    = 400 // rows per file
	ckptKeys    = 7
	ckptStepMS  = 25 // event time between rows
	ckptWindowS = 10
)

// ckptInput is file i of the input: rows with increasing event times, and
// after the last file a row far in the future that closes every window.
func ckptInput(i int) []byte {
	var b bytes.Buffer
	if i == ckptFiles {
		b.WriteString(`{"k":"end","v":0,"ts":4000000000000}` + "\n")
		return b.Bytes()
	}
	for r := 0; r < ckptRows; r++ {
		n := i*ckptRows + r
		fmt.Fprintf(&b, `{"k":"k%d","v":%d,"ts":%d}`+"\n", n%ckptKeys, n, int64(n)*ckptStepMS)
		if r == 100 {
			b.WriteString("{not json\n") // rejected and counted, on every run
		}
	}
	return b.Bytes()
}

// ckptWant is every window's row, as the sinks should hold them:
// "window_start k n s".
func ckptWant() []string {
	type cell struct{ n, s int64 }
	m := map[string]*cell{}
	for n := 0; n < ckptFiles*ckptRows; n++ {
		ts := int64(n) * ckptStepMS
		start := ts / (ckptWindowS * 1000) * ckptWindowS * 1000
		key := fmt.Sprintf("%s k%d", time.UnixMilli(start).UTC().Format(time.RFC3339), n%ckptKeys)
		if m[key] == nil {
			m[key] = &cell{}
		}
		m[key].n++
		m[key].s += int64(n)
	}
	var out []string
	for k, c := range m {
		out = append(out, fmt.Sprintf("%s %d %d", k, c.n, c.s))
	}
	sort.Strings(out)
	return out
}

// ckptRun is one test run: an input directory fed file by file, a file
// sink directory and a SQLite database.
type ckptRun struct {
	t                      *testing.T
	in, out, db, ckpt, log string
	next                   int // next input file to add
	// from is the FROM of the query, feed hands input i over; the
	// defaults read files moved into the directory in.
	from string
	feed func(i int)
	// sink is a Kafka cluster the query also writes to, transactionally,
	// topic out-<name>.
	sink, name string
	flags      []string // more flags for the binary
}

func newCkptRun(t *testing.T) *ckptRun {
	dir := t.TempDir()
	r := &ckptRun{t: t, in: filepath.Join(dir, "in"), out: filepath.Join(dir, "out"),
		db: filepath.Join(dir, "w.db"), ckpt: filepath.Join(dir, "ckpt"), log: filepath.Join(dir, "stderr")}
	os.MkdirAll(r.in, 0o755)
	r.from = fmt.Sprintf("file('%s', format => 'jsonl')", r.in)
	r.feed = func(i int) {
		name := fmt.Sprintf("f%03d.jsonl", i)
		tmp := filepath.Join(r.in, "."+name)
		if err := os.WriteFile(tmp, ckptInput(i), 0o644); err != nil {
			r.t.Fatal(err)
		}
		if err := os.Rename(tmp, filepath.Join(r.in, name)); err != nil {
			r.t.Fatal(err)
		}
	}
	return r
}

// add moves the next n input files into the directory, as a producer
// should: written under a hidden name, then renamed.
func (r *ckptRun) add(n int) {
	for ; n > 0 && r.next <= ckptFiles; n-- {
		r.feed(r.next)
		r.next++
	}
}

func (r *ckptRun) start() *exec.Cmd {
	script := fmt.Sprintf(`
		CREATE STREAM s AS SELECT k, v, ts FROM %s;
		INSERT INTO file('%s') SELECT window_start, k, COUNT(*) AS n, SUM(v) AS s FROM s
			GROUP BY k WINDOW %ds EVENT TIME ts LATENESS 30s;
		INSERT INTO sqlite('%s', table => 'w') SELECT window_start, window_end, k, COUNT(*) AS n, SUM(v) AS s FROM s
			GROUP BY k WINDOW %ds EVENT TIME ts LATENESS 30s;
		INSERT INTO kafka('%s', topic => 'out-%s', transactional_id => 'w-%s') SELECT window_start, k, COUNT(*) AS n, SUM(v) AS s FROM s
			GROUP BY k WINDOW %ds EVENT TIME ts LATENESS 30s;
		INSERT INTO file('%s') SELECT k, COUNT(*) AS n, SUM(v) AS s FROM s GROUP BY k WINDOW 100ms;
		INSERT INTO sqlite('%s', table => 'totals') SELECT k, COUNT(*) AS n, SUM(v) AS s FROM s GROUP BY k;`,
		r.from, r.out, ckptWindowS, r.db, ckptWindowS, r.sink, r.name, r.name, ckptWindowS, r.out+"-pt", r.db)
	log, err := os.OpenFile(r.log, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		r.t.Fatal(err)
	}
	defer log.Close()
	args := append([]string{"--batch", "20ms", "--checkpoint", r.ckpt}, r.flags...)
	cmd := exec.Command(binary, append(args, "-e", script)...)
	cmd.Stderr = log
	if err := cmd.Start(); err != nil {
		r.t.Fatal(err)
	}
	return cmd
}

// fileRows is every row of every file the file sink wrote, as
// "window_start k n s", sorted; a row written twice appears twice.
func (r *ckptRun) fileRows() []string {
	files, _ := filepath.Glob(filepath.Join(r.out, "part-*.jsonl"))
	var out []string
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			r.t.Fatal(err)
		}
		sc := bufio.NewScanner(bytes.NewReader(b))
		for sc.Scan() {
			var row struct {
				Start string `json:"window_start"`
				K     string `json:"k"`
				N, S  int64
			}
			if err := json.Unmarshal(sc.Bytes(), &row); err != nil {
				r.t.Fatalf("%s: %q: %v", f, sc.Text(), err)
			}
			ts, err := time.Parse(time.RFC3339Nano, row.Start)
			if err != nil {
				r.t.Fatalf("%s: window_start %q: %v", f, row.Start, err)
			}
			out = append(out, fmt.Sprintf("%s %s %d %d", ts.UTC().Format(time.RFC3339), row.K, row.N, row.S))
		}
	}
	sort.Strings(out)
	return out
}

// topicRows is what a read_committed consumer finds in the output topic,
// as "window_start k n s", sorted, once it holds at least want rows (or
// after a minute).
func (r *ckptRun) topicRows(want int) []string {
	cl, err := kgo.NewClient(kgo.SeedBrokers(r.sink), kgo.ConsumeTopics("out-"+r.name),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		r.t.Fatal(err)
	}
	defer cl.Close()
	var out []string
	deadline := time.Now().Add(time.Minute)
	for len(out) < want && time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		fetches := cl.PollFetches(ctx)
		cancel()
		for _, rec := range fetches.Records() {
			var row struct {
				Start string `json:"window_start"`
				K     string `json:"k"`
				N, S  int64
			}
			if err := json.Unmarshal(rec.Value, &row); err != nil {
				r.t.Fatalf("topic record %q: %v", rec.Value, err)
			}
			ts, err := time.Parse(time.RFC3339Nano, row.Start)
			if err != nil {
				r.t.Fatalf("window_start %q: %v", row.Start, err)
			}
			out = append(out, fmt.Sprintf("%s %s %d %d", ts.UTC().Format(time.RFC3339), row.K, row.N, row.S))
		}
	}
	// A little longer, to see rows beyond want (written twice).
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	for _, rec := range cl.PollFetches(ctx).Records() {
		out = append(out, string(rec.Value))
	}
	cancel()
	sort.Strings(out)
	return out
}

// ptTotals adds up, per key, the processing-time windows the file sink
// wrote to out-pt: "k n s", sorted. Which window a row fell into depends
// on timing (and on the kills), the totals do not.
func (r *ckptRun) ptTotals() []string {
	files, _ := filepath.Glob(filepath.Join(r.out+"-pt", "part-*.jsonl"))
	type tot struct{ n, s int64 }
	m := map[string]*tot{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			r.t.Fatal(err)
		}
		sc := bufio.NewScanner(bytes.NewReader(b))
		for sc.Scan() {
			var row struct {
				K    string `json:"k"`
				N, S int64
			}
			if err := json.Unmarshal(sc.Bytes(), &row); err != nil {
				r.t.Fatalf("%s: %q: %v", f, sc.Text(), err)
			}
			if m[row.K] == nil {
				m[row.K] = &tot{}
			}
			m[row.K].n += row.N
			m[row.K].s += row.S
		}
	}
	var out []string
	for k, t := range m {
		out = append(out, fmt.Sprintf("%s %d %d", k, t.n, t.s))
	}
	sort.Strings(out)
	return out
}

// ptDone reports whether the processing-time totals reached want's
// counts (or went past them: check tells).
func (r *ckptRun) ptDone(want []string) bool {
	var n, wn int64
	for _, l := range r.ptTotals() {
		var k string
		var c, s int64
		fmt.Sscan(l, &k, &c, &s)
		n += c
	}
	for _, l := range want {
		var k string
		var c, s int64
		fmt.Sscan(l, &k, &c, &s)
		wn += c
	}
	return n >= wn
}

// ckptTotals is what ptTotals should come to: every row once.
func ckptTotals() []string {
	n, s := map[string]int64{"end": 1}, map[string]int64{"end": 0}
	for i := 0; i < ckptFiles*ckptRows; i++ {
		k := fmt.Sprintf("k%d", i%ckptKeys)
		n[k]++
		s[k] += int64(i)
	}
	var out []string
	for k := range n {
		out = append(out, fmt.Sprintf("%s %d %d", k, n[k], s[k]))
	}
	sort.Strings(out)
	return out
}

// tableRows is the SQLite table, as "window_start k n s", sorted.
func (r *ckptRun) tableRows() []string {
	if _, err := os.Stat(r.db); err != nil {
		return nil
	}
	conn, err := sql.Open("sqlite", r.db+"?_pragma=busy_timeout(10000)")
	if err != nil {
		r.t.Fatal(err)
	}
	defer conn.Close()
	rows, err := conn.Query("SELECT window_start, window_end, k, n, s FROM w")
	if err != nil {
		if strings.Contains(err.Error(), "no such table") {
			return nil
		}
		r.t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var start, end, k string
		var n, s int64
		if err := rows.Scan(&start, &end, &k, &n, &s); err != nil {
			r.t.Fatal(err)
		}
		ts, err := time.Parse(time.RFC3339Nano, start)
		if err != nil {
			r.t.Fatalf("window_start %q: %v", start, err)
		}
		out = append(out, fmt.Sprintf("%s %s %d %d", ts.UTC().Format(time.RFC3339), k, n, s))
	}
	sort.Strings(out)
	return out
}

// totalsRows is the SQLite table an updating aggregate (no WINDOW) keeps
// up to date, as "k n s", sorted.
func (r *ckptRun) totalsRows() []string {
	if _, err := os.Stat(r.db); err != nil {
		return nil
	}
	conn, err := sql.Open("sqlite", r.db+"?_pragma=busy_timeout(10000)")
	if err != nil {
		r.t.Fatal(err)
	}
	defer conn.Close()
	rows, err := conn.Query("SELECT k, n, s FROM totals")
	if err != nil {
		if strings.Contains(err.Error(), "no such table") {
			return nil
		}
		r.t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var k string
		var n, s int64
		if err := rows.Scan(&k, &n, &s); err != nil {
			r.t.Fatal(err)
		}
		out = append(out, fmt.Sprintf("%s %d %d", k, n, s))
	}
	sort.Strings(out)
	return out
}

// finish runs the query (again) until both sinks hold as many rows as
// every window has, then kills it.
func (r *ckptRun) finish(want int) {
	r.t.Helper()
	cmd := r.start()
	exited := make(chan struct{})
	go func() {
		cmd.Wait()
		close(exited)
	}()
	defer func() {
		cmd.Process.Kill()
		<-exited
	}()
	deadline := time.Now().Add(90 * time.Second)
	totals := ckptTotals()
	for len(r.fileRows()) < want || len(r.tableRows()) < want || !r.ptDone(totals) || !reflect.DeepEqual(r.totalsRows(), totals) {
		select {
		case <-exited:
			log, _ := os.ReadFile(r.log)
			r.t.Fatalf("streamsql exited; stderr:\n%s", log)
		default:
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(r.log)
			r.t.Fatalf("sinks hold %d and %d rows, want %d; the totals table holds\n%s\nwant\n%s\nstderr:\n%s",
				len(r.fileRows()), len(r.tableRows()), want, strings.Join(r.totalsRows(), "\n"), strings.Join(totals, "\n"), log)
		}
		time.Sleep(20 * time.Millisecond)
	}
	// The Kafka sink commits on its own goroutine: wait for it too, or
	// the kill would leave its last transaction open.
	if got := len(r.topicRows(want)); got < want {
		r.t.Fatalf("the topic holds %d rows, want %d", got, want)
	}
}

func (r *ckptRun) check(want []string) {
	r.t.Helper()
	if got := r.fileRows(); !reflect.DeepEqual(got, want) {
		r.t.Errorf("file sink: %d rows, want %d\n%s", len(got), len(want), diffRows(got, want))
	}
	if got := r.tableRows(); !reflect.DeepEqual(got, want) {
		r.t.Errorf("sqlite sink: %d rows, want %d\n%s", len(got), len(want), diffRows(got, want))
	}
	if got, want := r.ptTotals(), ckptTotals(); !reflect.DeepEqual(got, want) {
		r.t.Errorf("processing-time windows add up to\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if got, want := r.totalsRows(), ckptTotals(); !reflect.DeepEqual(got, want) {
		r.t.Errorf("the updating totals table holds\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if got := r.topicRows(len(want)); !reflect.DeepEqual(got, want) {
		r.t.Errorf("kafka sink: %d rows, want %d\n%s", len(got), len(want), diffRows(got, want))
	}
}

// checkpoints is the content of every checkpoint file, by name.
func (r *ckptRun) checkpoints() map[string]string {
	files, _ := filepath.Glob(filepath.Join(r.ckpt, "*.ckpt"))
	m := map[string]string{}
	for _, f := range files {
		if b, err := os.ReadFile(f); err == nil {
			m[f] = string(b)
		}
	}
	return m
}

// awaitCheckpoint waits until a checkpoint file differs from before: the
// running binary wrote one. Files are replaced by rename, so a read
// sees one whole version or the other.
func (r *ckptRun) awaitCheckpoint(before map[string]string) {
	r.t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		for f, b := range r.checkpoints() {
			if before[f] != b {
				return
			}
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(r.log)
			r.t.Fatalf("no checkpoint written by this run; stderr:\n%s", log)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func diffRows(got, want []string) string {
	count := map[string]int{}
	for _, g := range got {
		count[g]++
	}
	for _, w := range want {
		count[w]--
	}
	var b strings.Builder
	n := 0
	for k, c := range count {
		if c != 0 && n < 10 {
			fmt.Fprintf(&b, "  %+d %s\n", c, k)
			n++
		}
	}
	return b.String()
}

func TestCheckpointKillLoopFiles(t *testing.T) {
	if testing.Short() {
		t.Skip("kills the binary in a loop")
	}
	sink := kafkaSinkCluster(t)
	ref, run := newCkptRun(t), newCkptRun(t)
	ref.sink, ref.name, run.sink, run.name = sink, "ref", sink, "killed"
	killLoop(t, ref, run)
}

// TestCheckpointKillLoopEvery3 checkpoints every third batch: results
// wait for their checkpoint, so a kill between two loses nothing and a
// restart repeats nothing either.
func TestCheckpointKillLoopEvery3(t *testing.T) {
	if testing.Short() {
		t.Skip("kills the binary in a loop")
	}
	sink := kafkaSinkCluster(t)
	ref, run := newCkptRun(t), newCkptRun(t)
	ref.sink, ref.name, run.sink, run.name = sink, "ref", sink, "killed"
	ref.flags = []string{"--checkpoint-every", "3"}
	run.flags = ref.flags
	killLoop(t, ref, run)
}

// kafkaSinkCluster is a kfake cluster for the queries' Kafka sink.
func kafkaSinkCluster(t *testing.T) string {
	c, err := kfake.NewCluster(kfake.NumBrokers(1))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return strings.Join(c.ListenAddrs(), ",")
}

// TestCheckpointKillLoopKafka is the same over a Kafka topic (kfake, in
// this process; one partition, so the order rows arrive in, and with it
// the watermark, is the same in every run).
func TestCheckpointKillLoopKafka(t *testing.T) {
	if testing.Short() {
		t.Skip("kills the binary in a loop")
	}
	sink := kafkaSinkCluster(t)
	topic := func(name string) *ckptRun {
		c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, name))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(c.Close)
		addr := strings.Join(c.ListenAddrs(), ",")
		cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.DefaultProduceTopic(name))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(cl.Close)
		r := newCkptRun(t)
		r.sink, r.name = sink, name
		r.from = fmt.Sprintf("kafka('%s', topic => '%s', group => 'g', format => 'jsonl')", addr, name)
		r.feed = func(i int) {
			var recs []*kgo.Record
			for _, line := range bytes.SplitAfter(ckptInput(i), []byte("\n")) {
				if len(line) > 0 {
					recs = append(recs, &kgo.Record{Value: line})
				}
			}
			if err := cl.ProduceSync(context.Background(), recs...).FirstErr(); err != nil {
				t.Fatal(err)
			}
		}
		return r
	}
	killLoop(t, topic("ref"), topic("killed"))
}

// killLoop feeds ref all input and runs it once to the end, then feeds run
// the same input bit by bit while killing it with SIGKILL at random
// moments, and compares the sinks of both with the computed answer.
func killLoop(t *testing.T, ref, run *ckptRun) {
	want := ckptWant()

	// The reference: the same input, never killed.
	ref.add(ckptFiles + 1)
	ref.finish(len(want))
	ref.check(want)

	// Killed with SIGKILL at random moments while input arrives, and
	// restarted, until the input is used up.
	seed := uint64(time.Now().UnixNano())
	rng := rand.New(rand.NewPCG(seed, 8))
	t.Logf("kill delays from seed %d", seed)
	kills := 0
	for run.next <= ckptFiles {
		before := run.checkpoints()
		cmd := run.start()
		run.add(1 + rng.IntN(3))
		// Kill only after this run wrote a checkpoint, so some restart
		// resumes from one however slow the machine is; a random time
		// after that is when the kill lands (the test's input).
		run.awaitCheckpoint(before)
		time.Sleep(time.Duration(rng.IntN(300)) * time.Millisecond)
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		cmd.Wait()
		kills++
	}
	run.finish(len(want))
	t.Logf("%d kills", kills)
	run.check(want)
	if !reflect.DeepEqual(run.fileRows(), ref.fileRows()) || !reflect.DeepEqual(run.tableRows(), ref.tableRows()) ||
		!reflect.DeepEqual(run.topicRows(len(want)), ref.topicRows(len(want))) {
		t.Errorf("the killed run's sinks differ from the uninterrupted run's")
	}
	log, _ := os.ReadFile(run.log)
	if !strings.Contains(string(log), "resumed from checkpoint") {
		t.Errorf("no run resumed from a checkpoint; stderr:\n%s", log)
	}
	// Each start removes what a kill left half written; only the last
	// kill's may remain.
	if stale, _ := filepath.Glob(filepath.Join(run.ckpt, ".*.tmp")); len(stale) > 1 {
		t.Errorf("temporary checkpoint files left behind: %v", stale)
	}
}
