package streamsql

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/streamsql/streamsql/types"
)

// TestViewTableAgainstModel applies random batches of changes to a keyed
// and an unkeyed table and compares each with a plain multiset after every
// batch: the rows, the index (every key finds exactly its rows) and the
// changelog's ops.
func TestViewTableAgainstModel(t *testing.T) {
	for _, keyed := range []bool{true, false} {
		rng := rand.New(rand.NewPCG(7, uint64(len(fmt.Sprint(keyed)))))
		var key []int
		if keyed {
			key = []int{0}
		}
		tab := newViewTable(key)
		model := map[string]types.Row{} // keyed: key -> row
		var bag []types.Row             // unkeyed: the rows
		for batch := 0; batch < 300; batch++ {
			var dels, ins []types.Row
			if keyed {
				seen := map[string]bool{}
				for i := 0; i < rng.IntN(8); i++ {
					k := fmt.Sprint("k", rng.IntN(20))
					if seen[k] {
						continue
					}
					seen[k] = true
					old, ok := model[k]
					if ok {
						dels = append(dels, old)
					}
					if !ok || rng.IntN(4) > 0 { // else a plain delete
						row := types.Row{types.Text(k), types.Int(int64(rng.IntN(5)))}
						ins = append(ins, row)
						model[k] = row
					} else {
						delete(model, k)
					}
				}
			} else {
				for i := 0; i < rng.IntN(4) && len(bag) > 0; i++ {
					j := rng.IntN(len(bag))
					dels = append(dels, bag[j])
					bag = slices.Delete(bag, j, j+1)
				}
				for i := 0; i < rng.IntN(4); i++ {
					row := types.Row{types.Int(int64(rng.IntN(3)))}
					ins = append(ins, row)
					bag = append(bag, row)
				}
			}
			changes := tab.apply(dels, ins, true)
			var want []string
			if keyed {
				for _, r := range model {
					want = append(want, rowsText(r))
				}
				for _, c := range changes {
					k := c.Row[0].AsText()
					_, still := model[k]
					reinserted := false
					for _, r := range ins {
						reinserted = reinserted || r[0].AsText() == k
					}
					switch {
					case c.Op == types.OpUpdateBefore && !reinserted, c.Op == types.OpDelete && (reinserted || still),
						c.Op == types.OpUpdateAfter && !slices.ContainsFunc(dels, func(r types.Row) bool { return r[0].AsText() == k }):
						t.Fatalf("batch %d: change %s %v does not fit deletes %v, inserts %v", batch, c.Op, c.Row, dels, ins)
					}
				}
			} else {
				for _, r := range bag {
					want = append(want, rowsText(r))
				}
			}
			var got []string
			for _, r := range tab.rows {
				if r == nil {
					t.Fatalf("batch %d: a hole in the rows", batch)
				}
				got = append(got, rowsText(r))
				if ps := tab.at[string(tab.keyOf(r))]; len(ps) == 0 {
					t.Fatalf("batch %d: row %v not indexed", batch, r)
				}
			}
			n := 0
			for _, ps := range tab.at {
				n += len(ps)
				for _, p := range ps {
					if int(p) >= len(tab.rows) {
						t.Fatalf("batch %d: index points past the rows", batch)
					}
				}
			}
			slices.Sort(got)
			slices.Sort(want)
			if strings.Join(got, " ") != strings.Join(want, " ") || n != len(tab.rows) {
				t.Fatalf("keyed=%v batch %d:\n got %v (%d indexed)\nwant %v", keyed, batch, got, n, want)
			}
		}
	}
}

func rowsText(r types.Row) string {
	var s []string
	for _, v := range r {
		s = append(s, v.String())
	}
	return strings.Join(s, ",")
}
