package operators

import (
	"fmt"
	"math/rand"
	"strings"
	"testing"
	"time"

	"github.com/streamsql/streamsql/agg"
	"github.com/streamsql/streamsql/expr"
	"github.com/streamsql/streamsql/types"
	"github.com/streamsql/streamsql/window"
)

// batchLog renders what reaches it, batch by batch.
type batchLog struct {
	cur []string
	out []string
}

func (l *batchLog) Push(rows []types.Row) error {
	for _, r := range rows {
		var vs []string
		for _, v := range r {
			vs = append(vs, v.String())
		}
		l.cur = append(l.cur, strings.Join(vs, ","))
	}
	return nil
}

func (l *batchLog) EndBatch(b *BatchEnd) error {
	l.out = append(l.out, fmt.Sprintf("%d emitted=%v late=%d keys=%d: %s", b.Time.Unix(), b.Emitted, b.Late, b.StateKeys, strings.Join(l.cur, " ")))
	l.cur = nil
	return nil
}

// TestSnapshotRestore runs each stateful operator over the same batches
// twice: once straight through, once snapshotted after batch k and
// restored into a freshly built operator that runs the rest. Every batch
// must come out the same, for every k.
func TestSnapshotRestore(t *testing.T) {
	count, _ := agg.New("count", nil, false)
	sum, _ := agg.New("sum", expr.Column(1), false)
	distinct, _ := agg.New("count", expr.Column(1), true)
	g := func() Grouping {
		return Grouping{Keys: []expr.Func{expr.Column(0)}, Aggs: []agg.Func{count, sum, distinct}}
	}
	wm := func() EventWatermark { return EventWatermark{Time: expr.Column(2), Lateness: 2 * time.Second} }
	ops := map[string]func(next Operator) Operator{
		"tumbling": func(n Operator) Operator {
			return &Aggregate{Grouping: g(), Window: window.Tumbling(3 * time.Second), Next: n}
		},
		"sliding": func(n Operator) Operator {
			return &Aggregate{Grouping: g(), Window: window.Spec{Size: 4 * time.Second, Slide: 2 * time.Second}, Next: n}
		},
		"event tumbling": func(n Operator) Operator {
			return &EventWindow{Grouping: g(), EventWatermark: wm(), Window: window.Tumbling(3 * time.Second), Next: n}
		},
		"event sliding": func(n Operator) Operator {
			return &EventWindow{Grouping: g(), EventWatermark: wm(), Window: window.Spec{Size: 4 * time.Second, Slide: time.Second}, Next: n}
		},
		"event changes": func(n Operator) Operator {
			return &EventWindow{Grouping: g(), EventWatermark: wm(), Window: window.Tumbling(3 * time.Second), Changes: true, Next: n}
		},
		"session": func(n Operator) Operator {
			return &Session{Grouping: g(), Gap: 2 * time.Second, Next: n}
		},
		"event session": func(n Operator) Operator {
			w := wm()
			return &Session{Grouping: g(), Gap: 2 * time.Second, Event: &w, Next: n}
		},
		"running": func(n Operator) Operator {
			return &Running{Grouping: g(), Timeout: 3 * time.Second, Next: n}
		},
	}
	rng := rand.New(rand.NewSource(3))
	const batches = 14
	var input [][]types.Row
	ts := int64(0)
	for b := 0; b < batches; b++ {
		var rows []types.Row
		for n := 1 + rng.Intn(4); n > 0; n-- {
			ts += int64(rng.Intn(700)) * int64(time.Millisecond)
			at := ts - int64(rng.Intn(3000))*int64(time.Millisecond) // out of order, some late
			rows = append(rows, types.Row{types.Text(string(rune('a' + rng.Intn(3)))), types.Int(int64(rng.Intn(5))), types.Time(time.Unix(0, at).UTC())})
		}
		input = append(input, rows)
	}
	run := func(op Operator, from, to int) {
		for b := from; b < to; b++ {
			op.Push(input[b])
			op.EndBatch(&BatchEnd{Start: time.Unix(int64(b), 0), Time: time.Unix(int64(b+1), 0), Emitted: true})
		}
	}
	for name, build := range ops {
		tail := func(l *batchLog) Operator {
			return &Collect{Out: func(b *BatchEnd, rows, _ []types.Row) error {
				l.Push(rows)
				return l.EndBatch(b)
			}}
		}
		straight := &batchLog{}
		run(build(tail(straight)), 0, batches)
		if !strings.Contains(strings.Join(straight.out, "\n"), "emitted=true") {
			t.Fatalf("%s emits nothing: the test tests nothing", name)
		}
		for k := 0; k <= batches; k++ {
			log := &batchLog{}
			first := build(tail(log))
			run(first, 0, k)
			states, err := SnapshotAll(first)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			second := build(tail(log))
			if err := RestoreAll(second, states); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			run(second, k, batches)
			for b := range straight.out {
				if log.out[b] != straight.out[b] {
					t.Fatalf("%s restored after batch %d: batch %d\n got %s\nwant %s", name, k, b+1, log.out[b], straight.out[b])
				}
			}
		}
	}
}
