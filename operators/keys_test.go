package operators

import (
	"fmt"
	"testing"
	"time"

	"github.com/streamsql/streamsql/agg"
	"github.com/streamsql/streamsql/expr"
	"github.com/streamsql/streamsql/types"
	"github.com/streamsql/streamsql/window"
)

// TestHeldKeys: every stateful operator counts its keys as they are
// pushed, before the batch closes, and agrees with the StateKeys it
// reports once the batch has closed.
func TestHeldKeys(t *testing.T) {
	count, _ := agg.New("count", nil, false)
	g := func() Grouping { return Grouping{Keys: []expr.Func{expr.Column(0)}, Aggs: []agg.Func{count}} }
	evt := func() EventWatermark { return EventWatermark{Time: expr.Column(1)} }
	rows := func(words ...string) []types.Row {
		var out []types.Row
		for i, w := range words {
			out = append(out, types.Row{types.Text(w), types.Int(int64(i))})
		}
		return out
	}
	for _, c := range []struct {
		name string
		op   func(Operator) Operator
		// held after pushing a, b, a, c then after closing the batch
		during, after int64
	}{
		{"per batch", func(n Operator) Operator { return &Aggregate{Grouping: g(), Next: n} }, 3, 0},
		{"tumbling 10s", func(n Operator) Operator {
			return &Aggregate{Grouping: g(), Window: window.Tumbling(10 * time.Second), Next: n}
		}, 3, 3},
		{"running", func(n Operator) Operator { return &Running{Grouping: g(), Next: n} }, 3, 3},
		{"session", func(n Operator) Operator { return &Session{Grouping: g(), Gap: 10 * time.Second, Next: n} }, 3, 3},
		{"event session", func(n Operator) Operator {
			w := evt()
			return &Session{Grouping: g(), Gap: 10 * time.Second, Event: &w, Next: n}
		}, 3, 3},
		{"event window", func(n Operator) Operator {
			return &EventWindow{Grouping: g(), EventWatermark: evt(), Window: window.Tumbling(10 * time.Second), Next: n}
		}, 3, 3},
		{"distinct", func(n Operator) Operator { return &Distinct{Next: n} }, 4, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			sink := &stateSink{}
			op := c.op(sink)
			hs, _ := KeyHolders([]Operator{op})
			if len(hs) != 1 {
				t.Fatalf("%d key holders, want 1", len(hs))
			}
			if err := op.Push(rows("a", "b", "a", "c")); err != nil {
				t.Fatal(err)
			}
			if got := hs[0].HeldKeys(); got != c.during {
				t.Errorf("held %d keys in the open batch, want %d", got, c.during)
			}
			op.EndBatch(&BatchEnd{Start: time.Unix(0, 0), Time: time.Unix(1, 0), Emitted: true})
			if got := hs[0].HeldKeys(); got != c.after || sink.keys[0] != c.after {
				t.Errorf("held %d keys after the batch (StateKeys %d), want %d", got, sink.keys[0], c.after)
			}
		})
	}
}

// TestHeldKeysWordCountFork: the word count folds every other chunk on a
// helper goroutine; the helper's keys count, and Settle merges them so a
// key seen on both goroutines counts once.
func TestHeldKeysWordCountFork(t *testing.T) {
	var lines []types.Row
	for i := range 2 * forkMin {
		lines = append(lines, types.Row{types.Text(fmt.Sprintf("w%d", i%100))})
	}
	head := wordCount(window.Spec{}, &discard{})
	hs, ss := KeyHolders([]Operator{head})
	if len(hs) != 1 || len(ss) != 1 {
		t.Fatalf("%d key holders and %d settlers, want 1 and 1", len(hs), len(ss))
	}
	head.Push(lines)
	head.Push(lines)
	ss[0].Settle()
	if got := hs[0].HeldKeys(); got != 100 {
		t.Errorf("held %d keys after settling, want 100", got)
	}
}

// TestVisitThroughJoin: the operators after a join of two streams, and
// the join itself, are reached from either side, once.
func TestVisitThroughJoin(t *testing.T) {
	count, _ := agg.New("count", nil, false)
	run := &Running{Grouping: Grouping{Keys: []expr.Func{expr.Column(0)}, Aggs: []agg.Func{count}}, Next: &discard{}}
	j := &IntervalJoin{LeftKeys: JoinKeys{expr.Column(0)}, RightKeys: JoinKeys{expr.Column(0)}, Cond: func(types.Row) types.Value { return types.Bool(true) },
		LeftWidth: 1, RightWidth: 1, Within: time.Second, Next: run}
	hs, _ := KeyHolders([]Operator{&Filter{Pred: func(types.Row) types.Value { return types.Bool(true) }, Next: j.Input(0)}, j.Input(1)})
	if len(hs) != 2 || hs[0] != KeyHolder(j) || hs[1] != KeyHolder(run) {
		t.Errorf("key holders %v, want the join and the running aggregate", hs)
	}
}
