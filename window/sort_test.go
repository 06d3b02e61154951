package window

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/streamsql/streamsql/types"
)

// TestSortGroupsTextKeys: the text-key path (small and large, split over
// two goroutines) orders groups as types.Compare does.
func TestSortGroupsTextKeys(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{0, 1, 5, 1000, 1<<16 + 7, 200000} {
		gs := make([]*Group, n)
		for i := range gs {
			k := fmt.Sprintf("w%x", rng.Uint64N(1<<40)) + "é"[:rng.IntN(2)*2]
			if i%3 == 0 {
				// Short keys and keys equal in their first 8 bytes, NUL
				// bytes included: ties of the sort's 8-byte prefix.
				b := make([]byte, rng.IntN(12))
				for j := range b {
					b[j] = "\x00ab"[rng.IntN(3)]
				}
				k = string(b)
			}
			gs[i] = &Group{Key: []types.Value{types.Text(k)}}
		}
		want := slices.Clone(gs)
		slices.SortStableFunc(want, func(a, b *Group) int { return types.Compare(a.Key[0], b.Key[0]) })
		SortGroups(gs)
		for i := range gs {
			if types.Compare(gs[i].Key[0], want[i].Key[0]) != 0 {
				t.Fatalf("n=%d: place %d holds %v, want %v", n, i, gs[i].Key, want[i].Key)
			}
		}
	}
	// Keys that are not one text value take the general path.
	gs := []*Group{{Key: []types.Value{types.Int(2)}}, {Key: []types.Value{types.Text("a")}}, {Key: []types.Value{types.Int(1)}}}
	SortGroups(gs)
	if got := fmt.Sprint(gs[0].Key, gs[1].Key, gs[2].Key); got != "[1] [2] [a]" {
		t.Fatalf("mixed keys: %s", got)
	}
}
