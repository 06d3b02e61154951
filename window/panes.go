package window

import (
	"sort"
	"time"

	"github.com/streamsql/streamsql/agg"
	"github.com/streamsql/streamsql/types"
)

// Panes is the state of a windowed aggregate: one Table per pane that may
// still be part of a window to come.
type Panes struct {
	Spec   Spec
	Tables map[int64]*Table
}

// NewPanes returns empty state for spec.
func NewPanes(spec Spec) *Panes {
	return &Panes{Spec: spec, Tables: make(map[int64]*Table)}
}

// Add folds a batch's partial aggregates, taken over rows that arrived at
// instant t, into the pane holding t. The batch table is adopted when the
// pane is new (so a pane as long as a batch costs no merge) and must not be
// used by the caller afterwards.
func (p *Panes) Add(t time.Time, batch *Table, fs []agg.Func) {
	i := p.Spec.PaneOf(t)
	if cur, ok := p.Tables[i]; ok {
		batch.MergeInto(cur, fs)
		return
	}
	p.Tables[i] = batch
}

// Window returns the aggregate of window w: the merge of its panes. When
// the window is a single pane its table is returned as is; callers must
// only read it.
func (p *Panes) Window(w types.Window, fs []agg.Func) *Table {
	first, last := p.Spec.Panes(w)
	var idx []int64
	for i := range p.Tables {
		if i >= first && i <= last {
			idx = append(idx, i)
		}
	}
	switch len(idx) {
	case 0:
		return NewTable()
	case 1:
		return p.Tables[idx[0]]
	}
	sort.Slice(idx, func(a, b int) bool { return idx[a] < idx[b] })
	out := NewTable()
	for _, i := range idx {
		p.Tables[i].MergeInto(out, fs)
	}
	return out
}

// Evict drops the panes no window ending after t can cover.
func (p *Panes) Evict(t time.Time) {
	next := p.Spec.Ending(t.Add(p.Spec.Slide))
	first, _ := p.Spec.Panes(next)
	for i := range p.Tables {
		if i < first {
			delete(p.Tables, i)
		}
	}
}

// All merges every pane: used when the input ends and whatever is held is
// the final answer.
func (p *Panes) All(fs []agg.Func) *Table {
	out := NewTable()
	for _, t := range p.Tables {
		t.MergeInto(out, fs)
	}
	return out
}

// Groups merges, across the panes of window w, only the groups whose
// encoded keys are listed: what EMIT CHANGES needs for the keys a batch
// touched, without merging the whole window.
func (p *Panes) Groups(w types.Window, keys map[string]bool, fs []agg.Func) []*Group {
	first, last := p.Spec.Panes(w)
	out := make([]*Group, 0, len(keys))
	for k := range keys {
		var g *Group
		for i := first; i <= last; i++ {
			t, ok := p.Tables[i]
			if !ok {
				continue
			}
			src := t.Lookup(k)
			if src == nil {
				continue
			}
			if g == nil {
				g = &Group{Key: src.Key, States: make([]agg.State, len(fs))}
			}
			for j, f := range fs {
				f.Merge(&g.States[j], &src.States[j])
			}
		}
		if g != nil {
			out = append(out, g)
		}
	}
	return out
}

// Size is the number of groups held across all panes.
func (p *Panes) Size() int64 {
	var n int64
	for _, t := range p.Tables {
		n += int64(t.Len())
	}
	return n
}
