package operators

import (
	"sync/atomic"
	"time"

	"github.com/streamsql/streamsql/types"
	"github.com/streamsql/streamsql/window"
)

// Aggregate is the keyed aggregate (Spark's reduceByKey, and with a window
// reduceByKeyAndWindow). Rows of the open batch are folded into a per-batch
// table; when the batch closes that table becomes (or merges into) the pane
// of the batch, and every window ending at the batch time is emitted as the
// merge of its panes.
//
// Output rows are the group key values, then one value per aggregate, then
// window_start and window_end.
type Aggregate struct {
	Grouping
	// Window is zero to aggregate each batch on its own.
	Window window.Spec
	// Changes is EMIT CHANGES: every batch, the current rows of the open
	// window for the keys that changed, instead of one final emission.
	Changes bool
	Next    Operator

	batch *window.Table
	panes *window.Panes
	slide *slider // sliding windows: the running window over panes
	hi    int64   // the next pane to push into slide

	held  int64      // groups of the panes after the last batch (HeldKeys)
	forks []*partial // partial tables handed out by Fork (HeldKeys)
	// parts are tables joined by JoinDisjoint into a per-batch aggregate:
	// the open batch's groups beside batch, no key in two of them.
	parts []*window.Table
}

func (a *Aggregate) Push(rows []types.Row) error {
	if a.batch == nil {
		a.batch = window.NewTable()
	}
	for _, r := range rows {
		a.add(a.batch, r)
	}
	return nil
}

// FoldTexts folds one-column text rows (SplitWords' words) at once.
func (a *Aggregate) FoldTexts(texts []string) {
	if a.batch == nil {
		a.batch = window.NewTable()
	}
	a.addTexts(a.batch, texts, nil)
}

// FoldHashed is FoldTexts for texts whose hashes (window.HashText) are
// known.
func (a *Aggregate) FoldHashed(texts []string, hs []uint64) {
	if a.batch == nil {
		a.batch = window.NewTable()
	}
	a.addTexts(a.batch, texts, hs)
}

// partial is a forked Aggregate's state: its own grouping buffers and
// batch table, folded on another goroutine.
type partial struct {
	g     Grouping
	batch *window.Table
	n     atomic.Int64 // groups of batch, published after each fold for HeldKeys
}

func (p *partial) FoldTexts(texts []string) { p.FoldHashed(texts, nil) }

func (p *partial) FoldHashed(texts []string, hs []uint64) {
	p.g.addTexts(p.batch, texts, hs)
	p.n.Store(int64(p.batch.Len()))
}

// Partitioned reports whether the groups are keyed by the folded text
// alone: texts spread over forks by hash then fold into disjoint groups.
func (a *Aggregate) Partitioned() bool { return len(a.Keys) == 1 && a.textKeyed() }

// spreadFrom is how many groups the open batch holds before words are
// spread over the folding goroutines by hash: a smaller table stays in a
// core's cache, where handing half the words to the other goroutine costs
// more than the cache misses it saves (measured on 50 MB: 5 k words of 3
// bytes 0.27 -> 0.23 s; 50 k words 0.32 -> 0.34 s, the spread's one-time
// wait and move; 5 M words unchanged).
const spreadFrom = 1 << 13

// Large reports whether the open batch holds enough groups that spreading
// the words by hash pays (spreadFrom).
func (a *Aggregate) Large() bool { return a.batch != nil && a.batch.Len() >= spreadFrom }

// Spread makes the open batch and fork f hold disjoint keys, as if the
// words had been spread by hash all along: the batch keeps the groups of
// the lower half of the hashes (window.HashText), f those of the upper
// half, each group moving over merged into the other's.
func (a *Aggregate) Spread(f Folder) {
	p := f.(*partial)
	if a.batch == nil {
		a.batch = window.NewTable()
	}
	move := func(from, to *window.Table, upper uint64) {
		var gone []*window.Group
		for g := range from.All() {
			if window.HashText(g.Key[0].AsText())>>63 != upper {
				gone = append(gone, g)
			}
		}
		for _, g := range gone {
			d := to.Get([]byte(g.Enc()), g.Key, len(a.Aggs))
			for i, f := range a.Aggs {
				f.Merge(&d.States[i], &g.States[i])
			}
			from.Delete(g.Enc())
		}
	}
	move(a.batch, p.batch, 0)
	move(p.batch, a.batch, 1)
	p.n.Store(int64(p.batch.Len()))
}

// JoinDisjoint is Join for a fork none of whose keys the aggregate holds
// (Partitioned): a per-batch aggregate keeps its table beside its own, to
// be sorted and emitted side by side, instead of merging every group.
func (a *Aggregate) JoinDisjoint(f Folder) {
	p := f.(*partial)
	if !a.Window.IsZero() || a.Changes {
		a.Join(f)
		return
	}
	if p.batch.Len() == 0 {
		return
	}
	a.parts = append(a.parts, p.batch)
	p.batch = window.NewTable()
	p.n.Store(0)
}

// Fork returns a partial aggregate another goroutine can fold into.
func (a *Aggregate) Fork() Folder {
	p := &partial{g: Grouping{Keys: a.Keys, Cols: a.Cols, Aggs: a.Aggs}, batch: window.NewTable()}
	a.forks = append(a.forks, p)
	return p
}

// Join merges a forked partial into the open batch and empties it.
func (a *Aggregate) Join(f Folder) {
	p := f.(*partial)
	if p.batch.Len() == 0 {
		return
	}
	if a.batch == nil {
		a.batch = window.NewTable()
	}
	p.batch.MergeInto(a.batch, a.Aggs)
	p.batch = window.NewTable()
	p.n.Store(0)
}

func (a *Aggregate) EndBatch(b *BatchEnd) error {
	cur := a.batch
	a.batch = nil
	if cur == nil {
		cur = window.NewTable()
	}
	if a.Window.IsZero() {
		// Per-batch aggregation: the batch is the window. A query with
		// no GROUP BY still answers one row (COUNT(*) = 0) for an empty
		// batch, as SQL does for an empty table.
		w := types.Window{Start: b.Start, End: b.Time, Whole: b.Bounded}
		parts := append(a.parts, cur)
		a.parts = nil
		if err := a.emitParts(a.Next, parts, w, true); err != nil {
			return err
		}
		b.Window = &w
		return a.Next.EndBatch(b)
	}
	if a.panes == nil {
		a.panes = window.NewPanes(a.Window)
	}
	changed := cur
	a.panes.Add(b.Start, cur, a.Aggs)
	switch {
	case b.Final:
		// Input ended or the query stops: emit what is held as the
		// window the last batch belongs to. A bounded run was a single
		// batch, so its one window is the whole run.
		w := types.Window{Start: b.Start, End: b.Time, Whole: b.Bounded}
		if !b.Bounded {
			// The window holding the last batch's rows: the first end
			// after the batch's start (its time may be a boundary whose
			// window was already emitted).
			w = a.Window.Ending(a.nextEnd(b.Start.Add(1)))
		}
		if err := a.emit(a.Next, a.panes.All(a.Aggs), w, true); err != nil {
			return err
		}
		b.Window, b.Emitted = &w, true
	case a.Changes:
		// Update mode: the window that will next close, as it stands,
		// for the keys this batch touched.
		w := a.Window.Ending(a.nextEnd(b.Time))
		if a.Window.Due(b.Time) {
			w = a.Window.Ending(b.Time)
		}
		t := a.panes.Window(w, a.Aggs)
		var groups []*window.Group
		for g := range changed.All() {
			groups = append(groups, t.Lookup(g.Enc()))
		}
		window.SortGroups(groups)
		if rows := a.rows(groups, w, false); len(rows) > 0 {
			if err := a.Next.Push(rows); err != nil {
				return err
			}
		}
		if a.Window.Due(b.Time) {
			a.panes.Evict(b.Time)
		}
		b.Window, b.Emitted = &w, true
	case a.Window.Due(b.Time):
		w := a.Window.Ending(b.Time)
		if rows := a.rows(a.windowGroups(w), w, true); len(rows) > 0 {
			if err := a.Next.Push(rows); err != nil {
				return err
			}
		}
		a.panes.Evict(b.Time)
		// A window that closes emits even when the input (a named
		// stream) emitted nothing this batch.
		b.Window, b.Emitted = &w, true
	default:
		b.Emitted = false
	}
	a.held = a.panes.Size()
	b.StateKeys += a.held
	return a.Next.EndBatch(b)
}

// nextEnd is the first window end at or after t.
func (a *Aggregate) nextEnd(t time.Time) time.Time {
	if rem := t.UnixNano() % int64(a.Window.Slide); rem != 0 {
		return t.Add(time.Duration(int64(a.Window.Slide) - rem))
	}
	return t
}

// windowGroups is the aggregate of window w, by key: its one pane for a
// tumbling window, the slider's running merge for a sliding one, so the
// work per emission does not grow with the window/slide ratio.
func (a *Aggregate) windowGroups(w types.Window) []*window.Group {
	if !a.Window.Sliding() {
		return a.panes.Window(w, a.Aggs).Sorted()
	}
	pane := int64(a.Window.Pane())
	if a.slide == nil || a.slide.empty() {
		a.slide = newSlider(&a.Grouping)
		a.hi = window.FloorDiv(w.Start.UnixNano(), pane)
	}
	a.slide.advance(a.Window, a.panes.Tables, &a.hi, w.End.UnixNano())
	return a.slide.groups()
}
