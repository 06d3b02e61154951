package agg

import (
	"fmt"
	"math"
	"math/rand"
	"testing"

	"github.com/streamsql/streamsql/expr"
	"github.com/streamsql/streamsql/types"
)

// TestMergerMergesAsFuncs: a Merger's merge of two partial states gives
// the same states, and results, as each function's own Merge, for every
// built-in aggregate (plain, FILTERed, DISTINCT, sketched) over numbers,
// texts, decimals and NULLs, including states of no rows.
func TestMergerMergesAsFuncs(t *testing.T) {
	rng := rand.New(rand.NewSource(11))
	col := expr.Column(0)
	even := func(r types.Row) types.Value { return types.Bool(r[0].AsInt()%2 == 0) }
	var fs []Func
	for _, name := range Names {
		for _, distinct := range []bool{false, true} {
			f, err := New(name, col, distinct)
			if err != nil {
				t.Fatal(err)
			}
			fs = append(fs, f, Filtered(f, even))
		}
	}
	fs = append(fs, CountStar())
	m := NewMerger(fs)
	values := []func() types.Value{
		func() types.Value { return types.Int(int64(rng.Intn(100) - 50)) },
		func() types.Value { return types.Float(rng.Float64()*10 - 5) },
		func() types.Value { return types.Text(fmt.Sprintf("t%d", rng.Intn(30))) },
		func() types.Value {
			d, _ := types.ParseDecimal(fmt.Sprintf("%d.%02d", rng.Intn(9), rng.Intn(100)))
			return d
		},
		func() types.Value { return types.Null },
	}
	for trial := range 300 {
		kind := values[trial%len(values)]
		var rows []types.Row
		for range rng.Intn(4) { // no rows at all, now and then
			r := types.Row{kind()}
			if rng.Intn(3) == 0 && trial%len(values) != 2 {
				// Numbers of mixed kinds (not with texts: MIN and MAX
				// across texts and numbers depend on the order they
				// come in, and a DISTINCT set's order is a map's).
				r = types.Row{values[[]int{0, 1, 3, 4}[rng.Intn(4)]]()}
			}
			rows = append(rows, r)
		}
		split := 0
		if len(rows) > 0 {
			split = rng.Intn(len(rows) + 1)
		}
		// Two copies of the same partial states, built apart: states own
		// memory (DISTINCT sets) that merging writes into.
		fill := func(rows []types.Row) []State {
			st := make([]State, len(fs))
			for _, r := range rows {
				for i, f := range fs {
					f.Add(&st[i], r)
				}
			}
			return st
		}
		a, a2, b := fill(rows[:split]), fill(rows[:split]), fill(rows[split:])
		for i, f := range fs {
			f.Merge(&a[i], &b[i])
		}
		m.Merge(a2, b)
		for i, f := range fs {
			want, got := f.Result(&a[i]), f.Result(&a2[i])
			if !same(want, got) || want.Kind() != got.Kind() || a[i].N != a2[i].N {
				t.Fatalf("trial %d, function %d (%T): Merge gives %v (n %d), Merger %v (n %d)", trial, i, f, want, a[i].N, got, a2[i].N)
			}
		}
	}
}

// same compares results; DOUBLE sums of a DISTINCT set may differ in their
// last digits, the set being summed in map order.
func same(a, b types.Value) bool {
	if a.Kind() == types.KindFloat && b.Kind() == types.KindFloat {
		x, y := a.AsFloat(), b.AsFloat()
		return math.Abs(x-y) <= 1e-12*max(math.Abs(x), math.Abs(y), 1)
	}
	return types.Equal(a, b)
}
