package cluster

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/streamsql/streamsql/clock"
)

// TestStagesInVirtualTime runs one member, both stages, against an
// in-process broker on a fake clock: batches end when the test moves the
// clock, never by waiting. One commit is held while the clock moves on by
// 2.5 intervals, so it outlasts its interval: the stage's next batch
// stretches to the grid point after the commit (no batch is skipped nor
// shortened to nothing), the log says so, and the windows come out exact.
func TestStagesInVirtualTime(t *testing.T) {
	kc, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(2, "in"))
	if err != nil {
		t.Fatal(err)
	}
	defer kc.Close()
	addr := kc.ListenAddrs()[0]

	// Event times 0s..24s over two partitions and keys a, b.
	var recs []*kgo.Record
	want := map[string][2]int{} // window start/key -> count, sum
	for i := 0; i < 50; i++ {
		ts := time.Duration(i) * 500 * time.Millisecond
		k := []string{"a", "b"}[i%2]
		v := i % 7
		recs = append(recs, &kgo.Record{Topic: "in", Partition: int32(i % 2),
			Value: []byte(fmt.Sprintf(`{"k":%q,"v":%d,"ts":%d}`, k, v, ts.Milliseconds()))})
		w := fmt.Sprintf("%02d %s", int(ts/(10*time.Second))*10, k)
		c := want[w]
		want[w] = [2]int{c[0] + 1, c[1] + v}
	}
	prod, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		t.Fatal(err)
	}
	if err := prod.ProduceSync(context.Background(), recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
	prod.Close()

	sql := fmt.Sprintf(`SELECT window_start, k, COUNT(*) AS n, SUM(v) AS s FROM kafka('%s', topic => 'in', format => 'jsonl', schema => 'k TEXT, v BIGINT, ts BIGINT')
		GROUP BY k WINDOW 10s EVENT TIME ts`, addr)
	split, columns := testSplit(t, sql)

	// The third EndTxn (a stage's commit) is held until the test has
	// moved the clock on past the next batch's end.
	var endTxns int
	held, release := make(chan struct{}), make(chan struct{})
	kc.ControlKey(kmsg.EndTxn.Int16(), func(kmsg.Request) (kmsg.Response, error, bool) {
		kc.KeepControl()
		if endTxns++; endTxns == 3 {
			kc.SleepControl(func() {
				close(held)
				<-release
			})
		}
		return nil, nil, false
	})

	t0 := time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC)
	fake := clock.NewFake(t0)
	type done struct {
		stage     int
		end, next time.Time
	}
	batches := make(chan done, 1000)
	var logMu sync.Mutex
	var log strings.Builder
	started := make(chan struct{}) // Run has read the clock: it logs its member line after
	var once sync.Once
	cfg := Config{Name: "vt", Split: split, OutputBrokers: []string{addr}, OutputTopic: "out",
		Columns: columns, KeyColumns: []int{0, 1}, Batch: time.Second, SessionTimeout: 6 * time.Second, Clock: fake,
		BatchDone: func(stage int, end, next time.Time, committed bool) {
			if committed {
				batches <- done{stage, end, next}
			}
		},
		Logf: func(format string, args ...any) {
			logMu.Lock()
			fmt.Fprintf(&log, format+"\n", args...)
			logMu.Unlock()
			if strings.HasPrefix(format, "cluster %s: member %s;") {
				once.Do(func() { close(started) })
			}
		}}
	logText := func() string {
		logMu.Lock()
		defer logMu.Unlock()
		return log.String()
	}
	ctx, cancel := context.WithCancel(context.Background())
	runDone := make(chan error, 1)
	go func() { runDone <- Run(ctx, cfg) }()
	defer func() {
		cancel()
		if err := <-runDone; err != nil {
			t.Errorf("Run: %v", err)
		}
	}()

	// Each step moves the clock to the earliest end of the stages' open
	// batches, then waits until every stage whose batch has ended closed
	// it and waits for the clock again. Both start with [t0, t0+1s).
	next := [3]time.Time{1: t0.Add(time.Second), 2: t0.Add(time.Second)}
	var ends [3][]time.Time
	step := func() {
		now := next[1]
		if next[2].Before(now) {
			now = next[2]
		}
		fake.Set(now)
		guard := time.After(30 * time.Second)
		for !next[1].After(fake.Now()) || !next[2].After(fake.Now()) {
			select {
			case b := <-batches:
				next[b.stage] = b.next
				ends[b.stage] = append(ends[b.stage], b.end)
			case <-held:
				// A commit is held while the clock moves 2.5 intervals
				// on: it outlasts its interval.
				held = nil
				fake.Advance(2500 * time.Millisecond)
				close(release)
			case err := <-runDone:
				t.Fatalf("Run ended: %v\n%s", err, logText())
			case <-guard:
				t.Fatalf("the stages did not close their batches by %s (next: stage 1 %s, stage 2 %s)\n%s",
					fake.Now().Format("15:04:05.0"), next[1].Format("15:04:05.0"), next[2].Format("15:04:05.0"), logText())
			}
		}
	}
	select {
	case <-started:
	case err := <-runDone:
		t.Fatalf("Run ended: %v\n%s", err, logText())
	case <-time.After(30 * time.Second):
		t.Fatal("the member did not start")
	}
	out := readOutput(t, addr)
	got := map[string][2]int{}
	for i := 0; i < 60 && len(got) < len(want); i++ {
		step()
		for _, r := range out.take() {
			got[r.key] = r.val
		}
	}
	// The reader of the output may lag the commits on a busy machine:
	// wait for the rest of what was committed.
	guard := time.After(30 * time.Second)
	for len(got) < len(want) {
		select {
		case <-out.more:
			for _, r := range out.take() {
				got[r.key] = r.val
			}
		case <-guard:
			t.Fatalf("%d of %d windows read from the output", len(got), len(want))
		}
	}
	if held != nil {
		t.Fatal("no commit was held")
	}
	var g, w []string
	for k, v := range got {
		g = append(g, fmt.Sprintf("%s n=%d s=%d", k, v[0], v[1]))
	}
	for k, v := range want {
		w = append(w, fmt.Sprintf("%s n=%d s=%d", k, v[0], v[1]))
	}
	sort.Strings(g)
	sort.Strings(w)
	if strings.Join(g, "; ") != strings.Join(w, "; ") {
		t.Errorf("windows\n got  %s\n want %s", strings.Join(g, "; "), strings.Join(w, "; "))
	}
	// Batches end on the grid, one interval apart, but after the held
	// commit: the next batch ends at the grid point after the commit, 3
	// intervals on. No batch is shorter than the interval.
	stretched := 0
	for s := 1; s <= 2; s++ {
		for i := 1; i < len(ends[s]); i++ {
			d := ends[s][i].Sub(ends[s][i-1])
			if d%time.Second != 0 || d < time.Second || d > 3*time.Second {
				t.Errorf("stage %d: batches ending %s then %s", s, ends[s][i-1].Format("15:04:05"), ends[s][i].Format("15:04:05"))
			}
			if d == 3*time.Second {
				stretched++
			}
		}
	}
	if stretched == 0 {
		t.Errorf("no batch stretched over the held commit: stage 1 %v, stage 2 %v", ends[1], ends[2])
	}
	if l := logText(); !strings.Contains(l, "overran") {
		t.Errorf("the log does not say a batch overran:\n%s", l)
	}
}

type outRow struct {
	key string
	val [2]int
}

// outReader reads the output topic's committed records in the
// background.
type outReader struct {
	mu   sync.Mutex
	rows []outRow
	more chan struct{} // signalled when rows are added
}

func (o *outReader) take() []outRow {
	o.mu.Lock()
	defer o.mu.Unlock()
	r := o.rows
	o.rows = nil
	return r
}

func readOutput(t *testing.T, addr string) *outReader {
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.ConsumeTopics("out"), kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	o := &outReader{more: make(chan struct{}, 1)}
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		for ctx.Err() == nil {
			cl.PollFetches(ctx).EachRecord(func(r *kgo.Record) {
				var start, k string
				var n, s int
				// {"window_start":"...","k":"a","n":3,"s":9}
				if _, err := fmt.Sscanf(strings.NewReplacer(`{"window_start":`, "", `,"k":`, " ", `,"n":`, " ", `,"s":`, " ", "}", "").Replace(string(r.Value)), "%q %q %d %d", &start, &k, &n, &s); err != nil {
					t.Errorf("output record %s: %v", r.Value, err)
					return
				}
				ts, _ := time.Parse(time.RFC3339Nano, start)
				o.mu.Lock()
				o.rows = append(o.rows, outRow{fmt.Sprintf("%02d %s", ts.Unix(), k), [2]int{n, s}})
				o.mu.Unlock()
				select {
				case o.more <- struct{}{}:
				default:
				}
			})
		}
	}()
	t.Cleanup(func() {
		cancel()
		<-stopped
		cl.Close()
	})
	return o
}
