// Package eventtime holds the rules of event time: how far an input's
// watermark has moved, when a quiet input counts as idle, and how the
// marks of several inputs (a source's splits, a join's two sides, a
// cluster query's partitions) combine. The operators (event windows,
// sessions, interval joins) and both stages of a cluster query keep their
// time with it, so the rules are read, tested and changed in one place.
//
// The rules for inputs gone quiet differ by user today, and this package
// keeps them apart, by name:
//
//   - Watermark (one source, or its splits): a split quiet for longer than
//     the lateness (and a batch) no longer holds the others back, as
//     Flink's idle sources; a whole source gone quiet moves on with the
//     clock from the largest time seen (its floor).
//   - Sides (the two inputs of a join of streams): a quiet side with rows
//     holds the mark at its largest time plus how long it has been quiet;
//     one that never had rows is left out once idle.
//   - Partitions (a cluster query): each partition reports its own mark or
//     idle; stage 2 takes the least of those not idle, and waits for every
//     partition to have reported.
package eventtime

import (
	"math"
	"time"
)

// IdleAfter is how long an input must send nothing to count as quiet:
// longer than the lateness, and at least a whole batch.
func IdleAfter(lateness, batch time.Duration) time.Duration { return max(lateness, batch) }

// Watermark tracks event time: the watermark is the largest event time
// seen minus the allowed lateness, and it moves row by row in arrival
// order, so which rows count does not depend on how input was cut into
// batches.
//
// Splits: a source whose parts advance independently (Kafka partitions)
// tags its rows with their part (SetSplit). The watermark is then the
// least of the parts' (largest time minus lateness), over the parts not
// quiet for a while, so a part read ahead of the others does not make
// their rows late.
type Watermark struct {
	Lateness time.Duration

	max     int64 // largest event time seen (ns)
	seen    bool
	floor   int64 // the watermark never goes below this (idle advance)
	floored bool  // floor is set
	arrived bool  // rows arrived in the open batch
	lastRow time.Time

	splits map[int32]*splitTime // nil while the source tags nothing
	cur    *splitTime
	low    int64      // the split watermark so far; it never goes back
	lowAt  *splitTime // the split the low is waiting for
}

// splitTime is what the watermark knows of one split.
type splitTime struct {
	max     int64
	seen    bool // a row arrived
	arrived bool // rows arrived in the open batch
	quiet   bool // none for a while: not waited for
	lastRow time.Time
}

// SetSplit says the rows pushed next belong to split id (announcing it,
// the first time, so the watermark waits for it).
func (w *Watermark) SetSplit(id int32) {
	if w.splits == nil {
		w.splits = map[int32]*splitTime{}
		w.low = math.MinInt64
		if w.seen { // rows came untagged before: they set the watermark
			w.low = w.max - int64(w.Lateness)
		}
	}
	s := w.splits[id]
	if s == nil {
		s = &splitTime{}
		w.splits[id] = s
		w.lowAt = nil // a new split may hold the watermark back
	}
	w.cur = s
}

// splitLow recomputes the least watermark of the splits that are not
// quiet; math.MinInt64 while one has no row yet.
func (w *Watermark) splitLow() {
	low, at, any := int64(math.MaxInt64), (*splitTime)(nil), false
	for _, s := range w.splits {
		if s.quiet {
			continue
		}
		any = true
		m := int64(math.MinInt64)
		if s.seen {
			m = s.max - int64(w.Lateness)
		}
		if m < low {
			low, at = m, s
		}
	}
	if !any {
		// Every split is quiet: the input as a whole decides, as
		// without splits.
		low, at = w.max-int64(w.Lateness), nil
	}
	w.low, w.lowAt = max(w.low, low), at
}

// Mark is the current watermark in ns (math.MinInt64 before any row).
func (w *Watermark) Mark() int64 {
	if !w.seen {
		return math.MinInt64
	}
	m := w.max - int64(w.Lateness)
	if w.splits != nil {
		m = w.low
	}
	if w.floored {
		return max(m, w.floor)
	}
	return m
}

// Observe takes the event time of a row, in ns.
func (w *Watermark) Observe(t int64) {
	if !w.seen || t > w.max {
		w.max, w.seen = t, true
	}
	if s := w.cur; s != nil {
		s.arrived = true
		if !s.seen || t > s.max {
			first := !s.seen
			s.max, s.seen = t, true
			if first || s.quiet || s == w.lowAt || w.lowAt == nil {
				s.quiet = false
				w.splitLow()
			}
		}
	}
}

// Arrive records that a row arrived in the open batch, even one without
// a usable time: the source is alive.
func (w *Watermark) Arrive() { w.arrived = true }

// Seen reports whether a row with a usable time has arrived.
func (w *Watermark) Seen() bool { return w.seen }

// EndBatch closes the batch [start, end) and advances the watermark of a
// source that has gone quiet, so its last windows do not stay open
// forever: once no row has arrived for IdleAfter, event time is taken to
// move on with the clock, from the largest time seen. A batch in which an
// operator upstream holds rows it will push later (pending: a derived
// stream whose windows have not closed yet) is not quiet, nor is one a
// restarted query runs for a boundary that passed while it was down
// (recovering).
func (w *Watermark) EndBatch(start, end time.Time, pending, recovering bool) {
	if recovering {
		return
	}
	w.idleSplits(start, end)
	if w.arrived || w.lastRow.IsZero() || pending {
		w.arrived = false
		w.lastRow = end
		return
	}
	quiet := end.Sub(w.lastRow)
	if w.seen && quiet >= IdleAfter(w.Lateness, end.Sub(start)) {
		w.floor, w.floored = max(w.Mark(), w.max+int64(quiet)-int64(w.Lateness)), true
	}
}

// idleSplits marks the splits with no rows for longer than the lateness
// (and a batch) as quiet, so the others no longer wait for them.
func (w *Watermark) idleSplits(start, end time.Time) {
	changed := false
	for _, s := range w.splits {
		switch {
		case s.arrived || s.lastRow.IsZero():
			s.arrived, s.lastRow = false, end
		case !s.quiet && end.Sub(s.lastRow) >= IdleAfter(w.Lateness, end.Sub(start)):
			s.quiet, changed = true, true
		}
	}
	if changed {
		w.splitLow()
	}
}

// State is what of a Watermark outlives a batch, for checkpoints. The
// time the last row arrived is not kept: after a restart the idle clock
// starts over, so the time the query was down does not count as a quiet
// source and close windows early.
type State struct {
	Max, Floor    int64
	Seen, Floored bool
	// Low is the split watermark (Splits: the source tagged its rows);
	// the splits themselves are announced again by the source.
	Low    int64
	Splits bool
}

// State returns the watermark's state.
func (w *Watermark) State() State {
	return State{Max: w.max, Floor: w.floor, Seen: w.seen, Floored: w.floored, Low: w.low, Splits: w.splits != nil}
}

// Restore sets the watermark to a saved state, on a fresh one.
func (w *Watermark) Restore(s State) {
	w.max, w.floor, w.seen, w.floored = s.Max, s.Floor, s.Seen, s.Floored
	w.arrived, w.lastRow = false, time.Time{}
	if s.Splits {
		w.splits, w.cur, w.low, w.lowAt = map[int32]*splitTime{}, nil, s.Low, nil
	}
}
