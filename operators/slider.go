package operators

import (
	"math"
	"slices"
	"strings"

	"github.com/streamsql/streamsql/agg"
	"github.com/streamsql/streamsql/types"
	"github.com/streamsql/streamsql/window"
)

// slider keeps the aggregate of a sliding window as panes enter at its
// new end and leave at its old end, with the two-stacks technique: panes
// enter the back, which keeps one running merge of them; the front holds
// older panes and yields, for its oldest pane, the merge of it and every
// newer front pane. The window is that merge with the back's. When the
// front runs out, the back's panes move to it. Each pane is merged a
// constant number of times over its life, so the work per slide is
// proportional to the groups of a pane, not to the window/slide ratio,
// and it works for every mergeable aggregate (MIN, MAX and COUNT DISTINCT
// too, which have no inverse to subtract).
//
// Two things keep it small and quick, as a sliding window is emitted
// whole every slide:
//
//   - Every key of the window's panes has a dense id, and each running
//     merge is a vector of states indexed by id (aggVec). Merging is a pass
//     over arrays, with no hashing and no allocation once warm, and the
//     ids are kept sorted by key, so a slide's groups come out in order
//     without a sort (only new keys cost one). When the back moves to the
//     front and most ids are of keys no longer in the window, ids are
//     handed out afresh, so keys that left are forgotten.
//   - The front does not hold a suffix merge for each of its panes at once
//     (as many merges as the window has panes, on top of the panes): it
//     keeps one at the start of every chunk of about √n panes (marks), and
//     the suffix merges of the chunk it is in, computed from that chunk's
//     panes (which the operator keeps until their last window closes) when
//     the front reaches it. About 2√n merges are held instead of n, for
//     one more merge per pane.
type slider struct {
	g *Grouping
	m agg.Merger // g.Aggs' merges

	ids    map[string]int32 // encoded key -> id
	encs   []string         // id -> encoded key
	keys   []types.Row      // id -> key values (owned copies)
	order  []int32          // ids sorted by key
	merged []int32          // sortIDs' scratch: the order before the last merge
	spare  []int32          // sortIDs' scratch: the new ids
	sorted int              // ids below it are in order
	epoch  int              // changes when ids are handed out afresh

	back    []*slidePane
	backSum *aggVec

	front []*slidePane // the panes moved to the front, oldest first
	pos   int          // front[pos] is the oldest pane still in the window
	chunk int          // panes per chunk of the front
	marks []*aggVec    // marks[c]: merge of front[c*chunk:], for chunks after pos's
	sfx   []*aggVec    // sfx[i]: merge of front[pos+i:], for pos's chunk

	free []*aggVec // merges no longer used, reused before allocating

	slab   []window.Group // the groups handed out, reused every slide
	states []agg.State
	out    []*window.Group
}

func newSlider(g *Grouping) *slider { return &slider{g: g, m: agg.NewMerger(g.Aggs)} }

// forgetSlack is how many ids of keys no longer in the window a slider
// keeps beyond as many as are in it before handing out ids afresh (a
// variable for tests).
var forgetSlack = 1024

// slidePane is a pane of the window: the operator's table, with its
// groups' ids once known (for epoch).
type slidePane struct {
	idx   int64
	tbl   *window.Table
	refs  []paneRef
	epoch int
}

type paneRef struct {
	id int32
	g  *window.Group
}

// aggVec is a merge of panes: the states of group id are
// states[id*na:(id+1)*na], present when has[id].
type aggVec struct {
	states []agg.State
	has    []bool
	n      int // ids present
}

func (v *aggVec) holds(id int32) bool { return int(id) < len(v.has) && v.has[id] }

// at returns id's states, marking it present.
func (v *aggVec) at(id int32, na int) []agg.State {
	if int(id) >= len(v.has) {
		n := max(int(id)+1, 2*len(v.has))
		v.has = append(v.has, make([]bool, n-len(v.has))...)
		v.states = append(v.states, make([]agg.State, n*na-len(v.states))...)
	}
	i := int(id) * na
	st := v.states[i : i+na : i+na]
	if !v.has[id] {
		v.has[id] = true
		v.n++
		clear(st) // what a merge released held: see release
	}
	return st
}

// vec returns an empty merge, reusing a freed one.
func (s *slider) vec() *aggVec {
	if n := len(s.free); n > 0 {
		v := s.free[n-1]
		s.free = s.free[:n-1]
		return v
	}
	return &aggVec{}
}

// release makes v reusable. Its states are cleared as ids become present
// again (at), not here: a pass over every state each slide cost more than
// the values it lets go (texts, DISTINCT sets) are worth, and what a free
// merge holds is bounded by the few merges a slider keeps.
func (s *slider) release(v *aggVec) {
	if v == nil {
		return
	}
	clear(v.has)
	v.n = 0
	s.free = append(s.free, v)
}

// copyVec returns a new merge equal to src (nil: empty).
func (s *slider) copyVec(src *aggVec) *aggVec {
	v := s.vec()
	if src != nil {
		s.mergeVec(v, src)
	}
	return v
}

// mergeVec folds src into dst. States are merged, never copied: a state
// may own memory (a DISTINCT set) that must not be shared.
func (s *slider) mergeVec(dst, src *aggVec) {
	na := len(s.g.Aggs)
	for id, ok := range src.has {
		if !ok {
			continue
		}
		s.m.Merge(dst.at(int32(id), na), src.states[id*na:(id+1)*na])
	}
}

// mergePane folds pane p into dst.
func (s *slider) mergePane(dst *aggVec, p *slidePane) {
	na := len(s.g.Aggs)
	for _, r := range s.refs(p) {
		s.m.Merge(dst.at(r.id, na), r.g.States)
	}
}

// refs returns p's groups with their ids, found again when ids were handed
// out afresh or the pane gained groups (late rows).
func (s *slider) refs(p *slidePane) []paneRef {
	if p.epoch == s.epoch && len(p.refs) == p.tbl.Len() {
		return p.refs
	}
	refs := p.refs[:0]
	for g := range p.tbl.All() {
		refs = append(refs, paneRef{s.idOf(g), g})
	}
	p.refs, p.epoch = refs, s.epoch
	return refs
}

// idOf returns the id of g's key, handing out a new one if it has none.
func (s *slider) idOf(g *window.Group) int32 {
	if id, ok := s.ids[g.Enc()]; ok {
		return id
	}
	if s.ids == nil {
		s.ids = map[string]int32{}
	}
	id, enc := int32(len(s.keys)), strings.Clone(g.Enc())
	s.encs = append(s.encs, enc)
	s.keys = append(s.keys, window.CloneKey(g.Key))
	s.ids[enc] = id
	return id
}

// renumber hands out ids afresh to the keys of panes, in key order.
func (s *slider) renumber(panes []*slidePane) {
	type entry struct {
		enc string
		key types.Row
	}
	var es []entry
	ids := make(map[string]int32, len(s.keys))
	for _, p := range panes {
		for g := range p.tbl.All() {
			if _, ok := ids[g.Enc()]; ok {
				continue
			}
			var e entry
			if id, ok := s.ids[g.Enc()]; ok {
				e = entry{s.encs[id], s.keys[id]} // the copies the key already has
			} else {
				e = entry{strings.Clone(g.Enc()), window.CloneKey(g.Key)}
			}
			ids[e.enc] = 0
			es = append(es, e)
		}
	}
	nkeys := len(s.g.Keys)
	slices.SortFunc(es, func(a, b entry) int { return compareKeys(a.key, b.key, nkeys) })
	s.encs, s.keys, s.order = s.encs[:0], s.keys[:0], s.order[:0]
	for i, e := range es {
		ids[e.enc] = int32(i)
		s.encs = append(s.encs, e.enc)
		s.keys = append(s.keys, e.key)
		s.order = append(s.order, int32(i))
	}
	clear(s.encs[len(s.encs):cap(s.encs)])
	clear(s.keys[len(s.keys):cap(s.keys)])
	s.ids, s.sorted = ids, len(es)
	s.epoch++
}

// empty reports whether the window holds no groups; its panes are then
// dropped, so the caller can jump ahead over a stretch without data.
func (s *slider) empty() bool {
	if (len(s.sfx) > 0 && s.sfx[0].n > 0) || (s.backSum != nil && s.backSum.n > 0) {
		return false
	}
	s.release(s.backSum)
	for _, v := range s.sfx {
		s.release(v)
	}
	for _, v := range s.marks {
		s.release(v)
	}
	s.back, s.backSum, s.front, s.pos, s.sfx, s.marks = nil, nil, nil, 0, nil, nil
	return true
}

// push adds pane idx (table t, kept by reference) at the new end.
func (s *slider) push(idx int64, t *window.Table) {
	if s.backSum == nil {
		s.backSum = s.vec()
	}
	p := &slidePane{idx: idx, tbl: t, epoch: -1}
	s.back = append(s.back, p)
	s.mergePane(s.backSum, p)
}

// popBefore removes the panes older than idx from the old end.
func (s *slider) popBefore(idx int64) {
	for {
		if s.pos == len(s.front) {
			if len(s.back) == 0 || s.back[0].idx >= idx {
				return
			}
			s.flip()
		}
		if s.front[s.pos].idx >= idx {
			return
		}
		s.release(s.sfx[0])
		s.sfx = s.sfx[1:]
		s.front[s.pos] = nil // the operator drops the pane: so does the slider
		s.pos++
		if s.pos < len(s.front) && len(s.sfx) == 0 {
			s.enter(s.pos / s.chunk)
		}
	}
}

// flip moves every back pane to the front, computing the marks from the
// newest chunk back.
func (s *slider) flip() {
	if len(s.keys) > 2*s.backSum.n+forgetSlack {
		// Most ids are of keys that left the window (the back's merge
		// holds every key still in it): forget them.
		s.renumber(s.back)
	}
	s.release(s.backSum)
	s.front, s.pos, s.back, s.backSum = s.back, 0, nil, s.vec()
	n := len(s.front)
	s.chunk = int(math.Ceil(math.Sqrt(float64(n))))
	chunks := (n + s.chunk - 1) / s.chunk
	s.marks = slices.Grow(s.marks[:0], chunks)[:chunks]
	var acc *aggVec
	for c := chunks - 1; c >= 0; c-- {
		m := s.copyVec(acc)
		for _, p := range s.front[c*s.chunk : min((c+1)*s.chunk, n)] {
			s.mergePane(m, p)
		}
		s.marks[c], acc = m, m
	}
	s.enter(0)
}

// enter computes the suffix merges of chunk c, which the front has
// reached: its first is marks[c]; the rest are its panes, newest first,
// over marks[c+1] (kept: it is the first of chunk c+1's).
func (s *slider) enter(c int) {
	lo, hi := c*s.chunk, min((c+1)*s.chunk, len(s.front))
	s.sfx = slices.Grow(s.sfx[:0], hi-lo)[:hi-lo]
	var acc *aggVec
	if c+1 < len(s.marks) {
		acc = s.marks[c+1]
	}
	for i := hi - 1; i > lo; i-- {
		v := s.copyVec(acc)
		s.mergePane(v, s.front[i])
		s.sfx[i-lo], acc = v, v
	}
	s.sfx[0], s.marks[c] = s.marks[c], nil
}

// groups merges the window's aggregate: its groups, in key order, valid
// until the next call. They are carved from slabs kept from slide to
// slide, as a sliding window emits its whole content every slide.
func (s *slider) groups() []*window.Group {
	s.sortIDs()
	var front *aggVec
	if len(s.sfx) > 0 {
		front = s.sfx[0]
	}
	back := s.backSum
	n := 0
	if front != nil {
		n += front.n
	}
	if back != nil {
		n += back.n
	}
	na := len(s.g.Aggs)
	if cap(s.slab) < n {
		s.slab = make([]window.Group, n)
		s.states = make([]agg.State, n*na)
		s.out = make([]*window.Group, 0, n)
	}
	slab, states, out := s.slab[:n], s.states[:n*na], s.out[:0]
	for _, id := range s.order {
		inFront, inBack := front != nil && front.holds(id), back != nil && back.holds(id)
		if !inFront && !inBack {
			continue
		}
		g := &slab[len(out)]
		g.Key = s.keys[id]
		g.States = states[len(out)*na : (len(out)+1)*na : (len(out)+1)*na]
		clear(g.States)
		i := int(id) * na
		if inFront {
			s.m.Merge(g.States, front.states[i:i+na])
		}
		if inBack {
			s.m.Merge(g.States, back.states[i:i+na])
		}
		out = append(out, g)
	}
	s.out = out
	return out
}

// sortIDs puts ids handed out since the last sort in key order: they are
// sorted on their own and merged into the order (keys that come and go,
// thousands new every slide, would otherwise re-sort all ids each slide).
func (s *slider) sortIDs() {
	if s.sorted == len(s.keys) {
		return
	}
	nkeys := len(s.g.Keys)
	less := func(a, b int32) int { return compareKeys(s.keys[a], s.keys[b], nkeys) }
	fresh := s.spare[:0]
	for id := s.sorted; id < len(s.keys); id++ {
		fresh = append(fresh, int32(id))
	}
	slices.SortFunc(fresh, less)
	merged := slices.Grow(s.merged[:0], len(s.order)+len(fresh))
	i, j := 0, 0
	for i < len(s.order) && j < len(fresh) {
		if less(fresh[j], s.order[i]) < 0 {
			merged = append(merged, fresh[j])
			j++
		} else {
			merged = append(merged, s.order[i])
			i++
		}
	}
	merged = append(append(merged, s.order[i:]...), fresh[j:]...)
	s.order, s.merged, s.spare, s.sorted = merged, s.order, fresh, len(s.keys)
}

// addRow accounts for a row that went into group g of pane idx after the
// pane had entered the window (an out-of-order row in event time).
func (s *slider) addRow(idx int64, g *window.Group, r types.Row) {
	id, na := s.idOf(g), len(s.g.Aggs)
	fold := func(v *aggVec) {
		st := v.at(id, na)
		for i, f := range s.g.Aggs {
			f.Add(&st[i], r)
		}
	}
	for _, b := range s.back {
		if b.idx == idx {
			fold(s.backSum)
			return
		}
	}
	p := s.pos
	for p < len(s.front) && s.front[p].idx != idx {
		p++
	}
	if p == len(s.front) {
		return
	}
	// sfx[i] holds front[pos+i:], marks[c] front[c*chunk:]: every one
	// starting at or before the pane includes it.
	for i, v := range s.sfx {
		if s.pos+i > p {
			break
		}
		fold(v)
	}
	for c, v := range s.marks {
		if v != nil && c*s.chunk <= p {
			fold(v)
		}
	}
}

// holds reports whether pane idx has entered the window.
func (s *slider) holds(idx int64) bool {
	if len(s.back) > 0 && idx >= s.back[0].idx && idx <= s.back[len(s.back)-1].idx {
		return true
	}
	return s.pos < len(s.front) && idx >= s.front[s.pos].idx && idx <= s.front[len(s.front)-1].idx
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
