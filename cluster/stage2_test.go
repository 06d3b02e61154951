package cluster

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/streamsql/streamsql/agg"
	"github.com/streamsql/streamsql/operators"
	"github.com/streamsql/streamsql/parser"
	"github.com/streamsql/streamsql/planner"
	"github.com/streamsql/streamsql/types"
)

// testMember plans sql (reading a kafka() source; nothing connects) as a
// member of a cluster query over parts input partitions.
func testMember(t *testing.T, sql string, parts int) *member {
	t.Helper()
	split, _ := testSplit(t, sql)
	return &member{cfg: Config{Name: "t", Split: split}, parts: parts}
}

// testSplit plans sql and cuts it as the engine does for --cluster; it
// returns the split and the result columns.
func testSplit(t *testing.T, sql string) (*Split, []string) {
	t.Helper()
	st, err := parser.Parse(sql)
	if err != nil {
		t.Fatal(err)
	}
	plan, err := planner.PlanSelect(st[0].(*parser.Select), sql, planner.Options{Batch: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	s, err := plan.Split()
	if err != nil {
		t.Fatal(err)
	}
	return &Split{Source: s.Plan.Source, Keys: s.Keys, Aggs: s.Aggs, Window: s.Window,
		EventTime: s.EventTime, Lateness: s.Lateness, Pre: s.Pre, Post: s.Post}, plan.Columns
}

// partialRec is what stage 1 would send for key over pane i with rows.
func partialRec(m *member, pane int64, key string, values ...float64) *kgo.Record {
	s := m.cfg.Split
	states := make([]agg.State, len(s.Aggs))
	for _, v := range values {
		row := types.Row{types.Text(key), types.Float(v)}
		for i, f := range s.Aggs {
			f.Add(&states[i], row)
		}
	}
	k := []types.Value{types.Text(key)}
	return &kgo.Record{Key: partialKey(pane, encKey(k)), Value: encode(partial{Pane: pane, Key: k, States: states})}
}

func markRec(input int32, at time.Duration, idle bool) *kgo.Record {
	return &kgo.Record{Key: []byte{kindMarks}, Value: encode([]mark{{Input: input, At: int64(at), Idle: idle}})}
}

// collectRows renders what the member emits, a line per row.
func collectRows(m *member) (operators.Operator, *[]string) {
	var out []string
	c := &operators.Collect{Out: func(_ *operators.BatchEnd, rows, _ []types.Row) error {
		for _, r := range rows {
			var f []string
			for _, v := range r {
				f = append(f, v.String())
			}
			out = append(out, strings.Join(f, " "))
		}
		return nil
	}}
	return m.cfg.Split.Post(c), &out
}

// TestStage2WaitsForEveryPartition: a window closes only once every input
// partition's watermark has passed its end; a partition that ran ahead
// does not close it, one that never reported holds it, and an idle one
// does not.
func TestStage2WaitsForEveryPartition(t *testing.T) {
	m := testMember(t, "SELECT k, COUNT(*) AS n, SUM(v) AS s FROM kafka('127.0.0.1:1', topic => 'in', format => 'jsonl', schema => 'k TEXT, v DOUBLE, ts TIMESTAMP') GROUP BY k WINDOW 10s EVENT TIME ts", 3)
	post, out := collectRows(m)
	st := newPartState()
	step := func(recs ...*kgo.Record) string {
		for _, r := range recs {
			if err := m.apply(st, r, false); err != nil {
				t.Fatal(err)
			}
		}
		*out = nil
		if err := m.due(st, post); err != nil {
			t.Fatal(err)
		}
		return strings.Join(*out, "; ")
	}
	// Panes are 10 s: pane 0 is [0s, 10s).
	if got := step(partialRec(m, 0, "a", 1, 2), markRec(0, 30*time.Second, false), markRec(1, 12*time.Second, false)); got != "" {
		t.Fatalf("partition 2 never reported, yet emitted %q", got)
	}
	if got := step(markRec(2, 9*time.Second, false)); got != "" {
		t.Fatalf("partition 2 is at 9s, yet emitted %q", got)
	}
	if got := step(partialRec(m, 0, "a", 4), markRec(2, 10*time.Second, false)); got != "a 3 7" {
		t.Fatalf("every partition past 10s: got %q", got)
	}
	if got := step(partialRec(m, 0, "a", 100)); got != "" || st.late != 1 {
		t.Fatalf("a partial for a closed window: emitted %q, late %d", got, st.late)
	}
	// Partition 1 idle: windows no longer wait for it.
	if got := step(partialRec(m, 1, "b", 5), markRec(1, 0, true), markRec(2, 25*time.Second, false)); got != "b 1 5" {
		t.Fatalf("with partition 1 idle: got %q", got)
	}
	// A new owner's lower watermark does not move a partition back.
	step(markRec(0, 5*time.Second, false))
	if st.marks[0].At != int64(30*time.Second) {
		t.Fatalf("watermark of partition 0 went back to %v", time.Duration(st.marks[0].At))
	}
}

// TestChangelogRestore: the changelog records stage 2 writes rebuild the
// same state (panes, marks, how far windows were emitted).
func TestChangelogRestore(t *testing.T) {
	m := testMember(t, "SELECT k, COUNT(*) AS n, SUM(v) AS s FROM kafka('127.0.0.1:1', topic => 'in', format => 'jsonl', schema => 'k TEXT, v DOUBLE, ts TIMESTAMP') GROUP BY k WINDOW 10s SLIDE 5s EVENT TIME ts", 2)
	post, _ := collectRows(m)
	st := newPartState()
	for _, r := range []*kgo.Record{partialRec(m, 0, "a", 1), partialRec(m, 1, "a", 2), partialRec(m, 2, "b", 3), partialRec(m, 3, "a", 4),
		markRec(0, 12*time.Second, false), markRec(1, 11*time.Second, false)} {
		if err := m.apply(st, r, false); err != nil {
			t.Fatal(err)
		}
	}
	if err := m.due(st, post); err != nil {
		t.Fatal(err)
	}
	log := m.changelogRecords(0, st)
	back := newPartState()
	for _, r := range log {
		if err := m.apply(back, r, true); err != nil {
			t.Fatal(err)
		}
	}
	if got, want := render(back), render(st); got != want {
		t.Fatalf("restored:\n%s\nwant:\n%s", got, want)
	}
}

func render(st *partState) string {
	var b strings.Builder
	fmt.Fprintf(&b, "closedTo %d marks %v\n", st.closedTo, st.marks)
	for i := int64(-5); i < 10; i++ {
		if t := st.panes[i]; t != nil {
			for _, g := range t.Sorted() {
				fmt.Fprintf(&b, "pane %d %v %d %v\n", i, g.Key, g.States[0].N, g.States[1].F)
			}
		}
	}
	return b.String()
}
