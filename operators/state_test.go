package operators

import (
	"testing"
	"time"

	"github.com/streamsql/streamsql/agg"
	"github.com/streamsql/streamsql/expr"
	"github.com/streamsql/streamsql/types"
	"github.com/streamsql/streamsql/window"
)

type stateSink struct{ keys []int64 }

func (s *stateSink) Push([]types.Row) error { return nil }
func (s *stateSink) EndBatch(b *BatchEnd) error {
	s.keys = append(s.keys, b.StateKeys)
	return nil
}

// TestStateKeys checks the state size each stateful operator reports:
// it grows with keys and shrinks when windows close or keys time out.
func TestStateKeys(t *testing.T) {
	count, _ := agg.New("count", nil, false)
	g := Grouping{Keys: []expr.Func{expr.Column(0)}, Aggs: []agg.Func{count}}
	rows := func(words ...string) []types.Row {
		var out []types.Row
		for _, w := range words {
			out = append(out, types.Row{types.Text(w), types.Int(0)})
		}
		return out
	}
	batch := func(op Operator, sec int64, words ...string) {
		if len(words) > 0 {
			op.Push(rows(words...))
		}
		op.EndBatch(&BatchEnd{Start: time.Unix(sec-1, 0), Time: time.Unix(sec, 0), Emitted: true})
	}
	for _, c := range []struct {
		name string
		op   func(*stateSink) Operator
		want string
	}{
		{"tumbling 2s", func(s *stateSink) Operator {
			return &Aggregate{Grouping: g, Window: window.Tumbling(2 * time.Second), Next: s}
		}, "[2 0 1]"},
		{"running, timeout 2s", func(s *stateSink) Operator {
			return &Running{Grouping: g, Timeout: 2 * time.Second, Next: s}
		}, "[2 2 1]"},
		{"session 1s", func(s *stateSink) Operator {
			return &Session{Grouping: g, Gap: time.Second, Next: s}
		}, "[2 0 1]"}, // a and b close a gap after their batch ends

	} {
		s := &stateSink{}
		op := c.op(s)
		batch(op, 1, "a", "b") // two keys held
		batch(op, 2)           // the window/session closes; running keys stay
		batch(op, 3, "c")      // running: a and b timed out
		if got := fmtKeys(s.keys); got != c.want {
			t.Errorf("%s: state keys %s, want %s", c.name, got, c.want)
		}
	}
}

func fmtKeys(k []int64) string {
	s := "["
	for i, v := range k {
		if i > 0 {
			s += " "
		}
		s += string(rune('0' + v))
	}
	return s + "]"
}
