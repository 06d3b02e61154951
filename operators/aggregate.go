package operators

import (
	"time"

	"github.com/streamsql/streamsql/agg"
	"github.com/streamsql/streamsql/expr"
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
	Keys []expr.Func
	Aggs []agg.Func
	// Window is zero to aggregate each batch on its own.
	Window window.Spec
	Next   Operator

	batch *window.Table
	panes *window.Panes
	key   []types.Value
	buf   []byte
}

func (a *Aggregate) Push(rows []types.Row) error {
	if a.batch == nil {
		a.batch = window.NewTable()
	}
	if a.key == nil {
		a.key = make([]types.Value, len(a.Keys))
	}
	n := len(a.Aggs)
	for _, r := range rows {
		buf := a.buf[:0]
		for i, k := range a.Keys {
			v := k(r)
			a.key[i] = v
			buf = types.AppendKey(buf, v)
		}
		a.buf = buf
		g := a.batch.Get(buf, a.key, n)
		for i, f := range a.Aggs {
			f.Add(&g.States[i], r)
		}
	}
	return nil
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
		w := types.Window{Start: b.Start, End: b.Time}
		if err := a.emit(cur, w); err != nil {
			return err
		}
		b.Window = &w
		return a.Next.EndBatch(b)
	}
	if a.panes == nil {
		a.panes = window.NewPanes(a.Window)
	}
	a.panes.Add(b.Start, cur, a.Aggs)
	switch {
	case b.Final:
		// Input ended or the query stops: emit what is held as the
		// window the last batch belongs to. A bounded run was a single
		// batch, so its one window is the whole run.
		w := types.Window{Start: b.Start, End: b.Time}
		if !b.Bounded {
			end := b.Time
			if rem := end.UnixNano() % int64(a.Window.Slide); rem != 0 {
				end = end.Add(time.Duration(int64(a.Window.Slide) - rem))
			}
			w = a.Window.Ending(end)
		}
		if err := a.emit(a.panes.All(a.Aggs), w); err != nil {
			return err
		}
		b.Window, b.Emitted = &w, true
	case a.Window.Due(b.Time):
		w := a.Window.Ending(b.Time)
		if err := a.emit(a.panes.Window(w, a.Aggs), w); err != nil {
			return err
		}
		a.panes.Evict(b.Time)
		// A window that closes emits even when the input (a named
		// stream) emitted nothing this batch.
		b.Window, b.Emitted = &w, true
	default:
		b.Emitted = false
	}
	return a.Next.EndBatch(b)
}

func (a *Aggregate) emit(t *window.Table, w types.Window) error {
	groups := t.Sorted()
	if len(groups) == 0 && len(a.Keys) == 0 {
		// A global aggregate over no rows still has one row.
		groups = []*window.Group{{States: make([]agg.State, len(a.Aggs))}}
	}
	if len(groups) == 0 {
		return nil
	}
	width := len(a.Keys) + len(a.Aggs) + 2
	arena := make([]types.Value, len(groups)*width)
	out := make([]types.Row, len(groups))
	start, end := types.Time(w.Start), types.Time(w.End)
	for i, g := range groups {
		r := arena[i*width : (i+1)*width : (i+1)*width]
		copy(r, g.Key)
		for j, f := range a.Aggs {
			r[len(a.Keys)+j] = f.Result(&g.States[j])
		}
		r[width-2], r[width-1] = start, end
		out[i] = r
	}
	return a.Next.Push(out)
}
