package operators

import (
	"github.com/streamsql/streamsql/agg"
	"github.com/streamsql/streamsql/types"
	"github.com/streamsql/streamsql/window"
)

// slider keeps the aggregate of a sliding window as panes enter at its
// new end and leave at its old end, with the two-stacks technique: the
// back stack keeps one running merge of its panes; the front stack keeps,
// for each pane, the merge of it and every newer front pane. The window is
// front[0] merged with the back. When the front runs out, the back's panes
// are flipped onto it and their suffix merges computed once. Each pane is
// merged a constant number of times over its life, so the work per slide
// is proportional to the groups of a pane, not to the window/slide ratio,
// and it works for every mergeable aggregate (MIN, MAX and COUNT DISTINCT
// too, which have no inverse to subtract).
type slider struct {
	g *Grouping

	front    []*window.Table // front[i] = merge of frontIdx[i:] panes
	frontIdx []int64
	back     []int64 // pane indexes, oldest first
	backTbl  []*window.Table
	backSum  *window.Table // merge of the back panes

	slab   []window.Group // groups' memory, reused every slide
	states []agg.State
	out    []*window.Group
}

// empty reports whether the window holds no groups; its panes are then
// dropped, so the caller can jump ahead over a stretch without data.
func (s *slider) empty() bool {
	if (len(s.front) > 0 && s.front[0].Len() > 0) || (s.backSum != nil && s.backSum.Len() > 0) {
		return false
	}
	s.front, s.frontIdx, s.back, s.backTbl, s.backSum = nil, nil, nil, nil, nil
	return true
}

// push adds pane idx (table t, kept by reference) at the new end.
func (s *slider) push(idx int64, t *window.Table) {
	if s.backSum == nil {
		s.backSum = window.NewTable()
	}
	s.back = append(s.back, idx)
	s.backTbl = append(s.backTbl, t)
	t.MergeInto(s.backSum, s.g.Aggs)
}

// popBefore removes the panes older than idx from the old end.
func (s *slider) popBefore(idx int64) {
	for {
		if len(s.front) == 0 {
			if len(s.back) == 0 || s.back[0] >= idx {
				return
			}
			s.flip()
		}
		if s.frontIdx[0] >= idx {
			return
		}
		s.front, s.frontIdx = s.front[1:], s.frontIdx[1:]
	}
}

// flip moves every back pane to the front, computing suffix merges.
func (s *slider) flip() {
	n := len(s.back)
	s.front = make([]*window.Table, n)
	s.frontIdx = append([]int64(nil), s.back...)
	acc := window.NewTable()
	for i := n - 1; i >= 0; i-- {
		next := window.NewTable()
		acc.MergeInto(next, s.g.Aggs)
		s.backTbl[i].MergeInto(next, s.g.Aggs)
		s.front[i], acc = next, next
	}
	s.back, s.backTbl, s.backSum = nil, nil, window.NewTable()
}

// groups merges the window's aggregate: the groups of front[0] and the
// back, sorted by key, valid until the next call. They are carved from
// slabs kept from slide to slide, as a sliding window emits its whole
// content every slide.
func (s *slider) groups() []*window.Group {
	front, back := window.NewTable(), window.NewTable()
	if len(s.front) > 0 {
		front = s.front[0]
	}
	if s.backSum != nil {
		back = s.backSum
	}
	// At most front's groups and back's: no pass to count the union. The
	// groups live until the next slide (the caller makes rows of them at
	// once), so their memory is reused rather than garbage every slide.
	n := front.Len() + back.Len()
	na := len(s.g.Aggs)
	if cap(s.slab) < n {
		s.slab = make([]window.Group, n)
		s.states = make([]agg.State, n*na)
		s.out = make([]*window.Group, 0, n)
	}
	slab, states, out := s.slab[:n], s.states[:n*na], s.out[:0]
	add := func(src *window.Group, other *window.Group) {
		g := &slab[len(out)]
		g.Key = src.Key
		g.States = states[len(out)*na : (len(out)+1)*na : (len(out)+1)*na]
		clear(g.States)
		for i, f := range s.g.Aggs {
			f.Merge(&g.States[i], &src.States[i])
			if other != nil {
				f.Merge(&g.States[i], &other.States[i])
			}
		}
		out = append(out, g)
	}
	for g := range front.All() {
		add(g, back.Lookup(g.Enc()))
	}
	for g := range back.All() {
		if front.Lookup(g.Enc()) == nil {
			add(g, nil)
		}
	}
	window.SortGroups(out)
	return out
}

// addRow accounts for a row that went into pane idx after the pane had
// entered the window (an out-of-order row in event time).
func (s *slider) addRow(idx int64, r types.Row) {
	for _, b := range s.back {
		if b == idx {
			s.g.add(s.backSum, r)
			return
		}
	}
	// front[i] holds panes frontIdx[i:], so every entry at or before
	// the pane's position includes it.
	for i, f := range s.frontIdx {
		if f > idx {
			return
		}
		s.g.add(s.front[i], r)
	}
}

// holds reports whether pane idx has entered the window.
func (s *slider) holds(idx int64) bool {
	if len(s.back) > 0 && idx >= s.back[0] && idx <= s.back[len(s.back)-1] {
		return true
	}
	return len(s.frontIdx) > 0 && idx >= s.frontIdx[0] && idx <= s.frontIdx[len(s.frontIdx)-1]
}

// advance moves the window to the one ending at end (ns): the panes up to
// it are pushed (empty ones too, so the stacks stay contiguous and a late
// row always finds its pane), the panes before its start popped. tables
// are the operator's pane tables, where missing panes are created.
func (s *slider) advance(spec window.Spec, tables map[int64]*window.Table, hi *int64, end int64) {
	pane := int64(spec.Pane())
	last := window.FloorDiv(end, pane) // exclusive
	for ; *hi < last; *hi++ {
		t, ok := tables[*hi]
		if !ok {
			t = window.NewTable()
			tables[*hi] = t
		}
		s.push(*hi, t)
	}
	s.popBefore(window.FloorDiv(end-int64(spec.Size), pane))
}
