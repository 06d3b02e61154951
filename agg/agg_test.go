package agg

import (
	"fmt"
	"math"
	"testing"

	"github.com/streamsql/streamsql/expr"
	"github.com/streamsql/streamsql/types"
)

func run(t *testing.T, f Func, vals []types.Value, split int) types.Value {
	t.Helper()
	// Feed the values into two partial states and merge them, as two
	// panes of a window would be.
	var a, b State
	for i, v := range vals {
		s := &a
		if i >= split {
			s = &b
		}
		f.Add(s, types.Row{v})
	}
	f.Merge(&a, &b)
	return f.Result(&a)
}

func TestAggregates(t *testing.T) {
	i, fl, s, n := types.Int, types.Float, types.Text, types.Null
	col := expr.Column(0)
	for _, c := range []struct {
		name     string
		distinct bool
		star     bool
		vals     []types.Value
		want     string
	}{
		{"count", false, true, []types.Value{i(1), n, i(2)}, "3"},
		{"count", false, false, []types.Value{i(1), n, i(2)}, "2"},
		{"count", false, false, nil, "0"},
		{"count", true, false, []types.Value{i(1), fl(1), i(2), n, s("a"), s("a")}, "3"},
		{"sum", false, false, []types.Value{i(1), i(2), n}, "3"},
		{"sum", false, false, []types.Value{i(1), fl(0.5)}, "1.5"},
		{"sum", false, false, []types.Value{n}, "NULL"},
		{"sum", true, false, []types.Value{i(2), i(2), i(3)}, "5"},
		{"avg", false, false, []types.Value{i(1), i(2)}, "1.5"},
		{"avg", true, false, []types.Value{i(1), i(1), i(4)}, "2.5"},
		{"avg", false, false, nil, "NULL"},
		{"min", false, false, []types.Value{i(3), fl(2.5), n, i(7)}, "2.5"},
		{"max", false, false, []types.Value{s("pear"), s("apple")}, "pear"},
		{"max", false, false, []types.Value{n}, "NULL"},
		{"approx_count_distinct", false, false, []types.Value{s("a"), s("b"), s("a"), n}, "2"},
	} {
		arg := col
		if c.star {
			arg = nil
		}
		f, err := New(c.name, arg, c.distinct)
		if err != nil {
			t.Fatal(err)
		}
		for split := 0; split <= len(c.vals); split++ {
			if got := run(t, f, c.vals, split).String(); got != c.want {
				t.Errorf("%s(distinct=%v) over %v split at %d = %s, want %s", c.name, c.distinct, c.vals, split, got, c.want)
			}
		}
	}
}

func TestApproxCountDistinctError(t *testing.T) {
	f, _ := New("approx_count_distinct", expr.Column(0), false)
	for _, n := range []int{100, 10000, 200000} {
		var a, b State
		for x := 0; x < n; x++ {
			s := &a
			if x%3 == 0 {
				s = &b
			}
			f.Add(s, types.Row{types.Text(fmt.Sprint("key", x))})
		}
		f.Merge(&a, &b)
		got := float64(f.Result(&a).AsInt())
		if rel := math.Abs(got-float64(n)) / float64(n); rel > 0.05 {
			t.Errorf("approx_count_distinct of %d values = %v (error %.1f%%)", n, got, rel*100)
		}
	}
}
