package operators

import (
	"math"
	"sort"
	"time"

	"github.com/streamsql/streamsql/eventtime"
	"github.com/streamsql/streamsql/expr"
	"github.com/streamsql/streamsql/types"
	"github.com/streamsql/streamsql/window"
)

// EventWatermark is the event time of an operator reading one input: it
// reads each row's time (counting and reporting rows without a usable
// one) and keeps the watermark with the rules of eventtime.Watermark.
type EventWatermark struct {
	// Time computes a row's event time (RFC 3339 text, epoch ms or a
	// TIMESTAMP).
	Time     expr.Func
	Lateness time.Duration
	// Expr is the EVENT TIME expression as written and Columns name the
	// values of the rows pushed in: they describe a row without a usable
	// event time in its report (see SetReject).
	Expr    string
	Columns []string

	reader   expr.TimeReader // remembers the layout of text times
	reject   func(where, reason string, record []byte)
	wm       eventtime.Watermark
	late     int64
	badTimes int64
}

// mark is the watermark, with the operator's lateness.
func (w *EventWatermark) mark() *eventtime.Watermark {
	w.wm.Lateness = w.Lateness
	return &w.wm
}

// SetSplit says the rows pushed next belong to split id (see
// eventtime.Watermark).
func (w *EventWatermark) SetSplit(id int32) { w.mark().SetSplit(id) }

// at returns r's event time in ns, or ok false when it has none: the row
// is counted as malformed and reported (SetReject).
func (w *EventWatermark) at(r types.Row) (int64, bool) {
	w.wm.Arrive() // any row, even a late one, shows the source is alive
	t, err := w.reader.Read(w.Time(r))
	if err != nil {
		w.badTimes++
		if w.reject != nil {
			w.reject("EVENT TIME "+w.Expr, err.Error(), RowJSON(w.Columns, r))
		}
		return 0, false
	}
	return t, true
}

// SetReject makes the watermark report each row it drops for want of a
// usable event time to fn, besides counting it: where (EVENT TIME ts),
// why, and the row as JSON.
func (w *EventWatermark) SetReject(fn func(where, reason string, record []byte)) { w.reject = fn }

// Mark is the current watermark in ns (math.MinInt64 before any row).
func (w *EventWatermark) Mark() int64 { return w.mark().Mark() }

func (w *EventWatermark) observe(t int64) { w.mark().Observe(t) }

// idle closes the batch for the watermark (see eventtime.Watermark.EndBatch).
func (w *EventWatermark) idle(b *BatchEnd) {
	w.mark().EndBatch(b.Start, b.Time, b.Pending, b.Recovering)
}

// account adds the rows dropped since the last batch to b's counts.
func (w *EventWatermark) account(b *BatchEnd) {
	b.Late += w.late
	b.Malformed += w.badTimes
	w.late, w.badTimes = 0, 0
}

// EventWindow aggregates tumbling or sliding windows over event time. A
// row goes to the pane of its event time. A window [start, end) closes the
// moment the watermark reaches its end (row by row, so a row arriving after
// that, even in the same batch, no longer counts there) and is emitted in
// that batch; a row whose windows have all closed is late, dropped and
// counted (Flink's and ksqlDB's rule). Windows that received no rows emit
// nothing.
type EventWindow struct {
	Grouping
	EventWatermark
	Window  window.Spec
	Changes bool // EMIT CHANGES
	Next    Operator

	panes    *window.Panes
	closedTo int64                     // windows ending at or before this are closed
	nextEnd  int64                     // the first window end after closedTo
	started  bool                      // closedTo is set
	changed  map[int64]map[string]bool // pane -> keys touched this batch (EMIT CHANGES)
	pending  []types.Row               // rows of windows closed during the batch
	windows  []types.Window            // and those windows

	// A sliding window keeps its running aggregate in a slider; hi is
	// the next pane to push into it.
	slide *slider
	hi    int64

	held int64 // groups of the panes (HeldKeys), kept as they are added and evicted

	retired []retiredPane // evicted panes whose memory new panes may reuse, oldest first
}

// retiredPane is an evicted pane, its table to be reused (Table.Reset).
type retiredPane struct {
	idx int64
	tbl *window.Table
}

// maxRetired is how many evicted panes are kept for reuse: a window sheds
// about as many panes as it starts, a few at a time.
const maxRetired = 4

// retire keeps evicted pane idx's table for a pane to come.
func (e *EventWindow) retire(idx int64, t *window.Table) {
	if len(e.retired) == maxRetired {
		e.retired = append(e.retired[:0], e.retired[1:]...)
	}
	e.retired = append(e.retired, retiredPane{idx, t})
}

// newPane returns an empty table for a new pane: the oldest retired
// pane's, once nothing holds it (a sliding window's slider drops a pane a
// slide after the operator evicts it), else a new one.
func (e *EventWindow) newPane() *window.Table {
	if len(e.retired) > 0 {
		if r := e.retired[0]; e.slide == nil || !e.slide.holds(r.idx) {
			e.retired = append(e.retired[:0], e.retired[1:]...)
			r.tbl.Reset()
			return r.tbl
		}
	}
	return window.NewTable()
}

// done reports whether the window ending at end was already closed.
func (e *EventWindow) done(end int64) bool { return e.started && end <= e.closedTo }

func (e *EventWindow) Push(rows []types.Row) error {
	if e.panes == nil {
		e.panes = window.NewPanes(e.Window)
	}
	size, slide := int64(e.Window.Size), int64(e.Window.Slide)
	for _, r := range rows {
		t, ok := e.at(r)
		if !ok {
			continue
		}
		// The last window holding t ends at floor(t/slide)*slide + size.
		if lastEnd := window.FloorDiv(t, slide)*slide + size; lastEnd <= e.Mark() {
			e.late++
			continue // a late row cannot raise the watermark
		}
		p := e.Window.PaneOf(time.Unix(0, t))
		tbl, ok := e.panes.Tables[p]
		if !ok {
			tbl = e.newPane()
			e.panes.Tables[p] = tbl
		}
		n := tbl.Len()
		grp := e.add(tbl, r)
		e.held += int64(tbl.Len() - n)
		if e.slide != nil && e.slide.holds(p) {
			e.slide.addRow(p, grp, r)
		}
		if e.Changes {
			if e.changed == nil {
				e.changed = map[int64]map[string]bool{}
			}
			if e.changed[p] == nil {
				e.changed[p] = map[string]bool{}
			}
			e.changed[p][string(e.buf)] = true
		}
		e.observe(t)
		if m := e.Mark(); m != math.MinInt64 && (!e.started || m >= e.nextEnd) {
			e.closeUpTo(m)
			if err := e.flush(); err != nil {
				return err
			}
		}
	}
	return nil
}

// flush hands the rows of the windows closed so far downstream now, not
// when the batch ends: what follows sees the same rows in the same order
// either way, and a bounded run (one long batch) streams its windows out
// as they close instead of holding them all (see Collect.Stream). EMIT
// CHANGES keeps its rows for the batch's end, where it nets them.
func (e *EventWindow) flush() error {
	if e.Changes || len(e.pending) == 0 {
		return nil
	}
	rows := e.pending
	e.pending = nil
	return e.Next.Push(rows)
}

// closeUpTo closes every window ending at or before mark: their rows are
// computed now, from the panes as they are, and held until the batch ends.
func (e *EventWindow) closeUpTo(mark int64) {
	if e.Changes {
		e.windows = append(e.windows, e.changes(mark, true)...)
	} else if e.Window.Sliding() && e.started {
		e.closeSliding(mark)
	} else {
		for _, w := range e.closing(mark) {
			e.pending = append(e.pending, e.rows(e.panes.Window(w, e.Aggs).Sorted(), w, false)...)
			e.windows = append(e.windows, w)
		}
	}
	e.evict(mark)
	e.closedTo, e.started = mark, true
	// Window ends are size + k*slide; the next one after mark:
	size, slide := int64(e.Window.Size), int64(e.Window.Slide)
	if mark == math.MaxInt64 {
		e.nextEnd = math.MaxInt64
	} else {
		e.nextEnd = (window.FloorDiv(mark-size, slide)+1)*slide + size
	}
}

func (e *EventWindow) EndBatch(b *BatchEnd) error {
	if e.panes == nil {
		e.panes = window.NewPanes(e.Window)
	}
	e.account(b)
	e.idle(b)
	if b.Final {
		e.closeUpTo(math.MaxInt64) // the input ended: every window is complete
	} else if m := e.Mark(); e.wm.Seen() && m != math.MinInt64 && (!e.started || m >= e.nextEnd) {
		e.closeUpTo(m)
	}
	if e.Changes {
		// The windows still open report their changed keys too.
		e.windows = append(e.windows, e.changes(math.MaxInt64, false)...)
		e.changed = nil
	}
	if len(e.pending) > 0 {
		if err := e.Next.Push(e.pending); err != nil {
			return err
		}
	}
	b.Emitted = len(e.windows) > 0
	b.Pending = b.Pending || e.panes.Size() > 0 // open windows hold rows
	b.Window = nil
	if len(e.windows) == 1 {
		b.Window = &e.windows[0]
	}
	e.pending, e.windows = nil, nil
	e.held = e.panes.Size()
	b.StateKeys += e.held
	return e.Next.EndBatch(b)
}

// closeSliding closes the sliding windows ending in (closedTo, mark] one
// slide at a time through the slider, skipping stretches without data.
func (e *EventWindow) closeSliding(mark int64) {
	size, slide, pane := int64(e.Window.Size), int64(e.Window.Slide), int64(e.Window.Pane())
	if e.slide == nil {
		e.slide = newSlider(&e.Grouping)
		e.hi = window.FloorDiv(e.nextEnd-size, pane) // the first pane of the first open window
	}
	for end := e.nextEnd; end <= mark; end += slide {
		if e.slide.empty() {
			// Nothing in the window: jump to the first window holding the
			// next pane with data, if it closes by mark.
			first, ok := int64(0), false
			for p := range e.panes.Tables {
				if e.panes.Tables[p].Len() > 0 && p >= window.FloorDiv(end-size, pane) && (!ok || p < first) {
					first, ok = p, true
				}
			}
			if !ok {
				return
			}
			if j := (window.FloorDiv(first*pane-size, slide)+1)*slide + size; j > end {
				end = j
				if end > mark {
					return
				}
			}
			// Start the window afresh from its first pane: rows may have
			// reached panes dropped from the slider while it held nothing.
			e.hi = window.FloorDiv(end-size, pane)
		}
		e.slide.advance(e.Window, e.panes.Tables, &e.hi, end)
		if gs := e.slide.groups(); len(gs) > 0 {
			w := types.Window{Start: time.Unix(0, end-size).UTC(), End: time.Unix(0, end).UTC()}
			e.pending = append(e.pending, e.rows(gs, w, false)...)
			e.windows = append(e.windows, w)
		}
	}
}

// windowsOf lists the windows covering pane p, by end.
func (e *EventWindow) windowsOf(p int64) []types.Window {
	pane, size, slide := int64(e.Window.Pane()), int64(e.Window.Size), int64(e.Window.Slide)
	start := p * pane
	var out []types.Window
	// Windows [k*slide, k*slide+size) with k*slide <= start < k*slide+size.
	for k := window.FloorDiv(start, slide); k*slide+size > start; k-- {
		out = append(out, types.Window{Start: time.Unix(0, k*slide).UTC(), End: time.Unix(0, k*slide+size).UTC()})
	}
	return out
}

// closing returns the windows with data whose end the watermark has
// reached, in order of end. Panes are evicted as soon as every window
// covering them is emitted, so each window is returned once.
func (e *EventWindow) closing(mark int64) []types.Window {
	seen := map[int64]types.Window{}
	for p := range e.panes.Tables {
		for _, w := range e.windowsOf(p) {
			if end := w.End.UnixNano(); end <= mark {
				if _, dup := seen[end]; !dup && !e.done(end) {
					seen[end] = w
				}
			}
		}
	}
	out := make([]types.Window, 0, len(seen))
	for _, w := range seen {
		out = append(out, w)
	}
	sortWindows(out)
	return out
}

func sortWindows(ws []types.Window) {
	sort.Slice(ws, func(i, j int) bool { return ws[i].End.Before(ws[j].End) })
}

// changes is EMIT CHANGES: for the windows the batch's rows touched, the
// current rows of the keys they touched, added to the pending output. With
// closing set, only windows ending at or before mark (closing now);
// otherwise the windows still open.
func (e *EventWindow) changes(mark int64, closing bool) []types.Window {
	touched := map[int64]types.Window{}
	keys := map[int64]map[string]bool{}
	for p, ks := range e.changed {
		for _, w := range e.windowsOf(p) {
			end := w.End.UnixNano()
			if e.done(end) || (closing && end > mark) {
				continue
			}
			touched[end] = w
			if keys[end] == nil {
				keys[end] = map[string]bool{}
			}
			for k := range ks {
				keys[end][k] = true
			}
		}
	}
	ws := make([]types.Window, 0, len(touched))
	for _, w := range touched {
		ws = append(ws, w)
	}
	sortWindows(ws)
	for _, w := range ws {
		groups := e.panes.Groups(w, keys[w.End.UnixNano()], e.Aggs)
		window.SortGroups(groups)
		e.pending = append(e.pending, e.rows(groups, w, false)...)
	}
	return ws
}

// evict drops panes whose every window has closed.
func (e *EventWindow) evict(mark int64) {
	pane, size := int64(e.Window.Pane()), int64(e.Window.Size)
	for p := range e.panes.Tables {
		// The last window covering pane p ends at most size after its start.
		if lastEnd := window.FloorDiv(p*pane, int64(e.Window.Slide))*int64(e.Window.Slide) + size; lastEnd <= mark {
			e.held -= int64(e.panes.Tables[p].Len())
			e.retire(p, e.panes.Tables[p])
			delete(e.panes.Tables, p)
			delete(e.changed, p)
		}
	}
}
