package operators

import (
	"time"

	"github.com/streamsql/streamsql/types"
	"github.com/streamsql/streamsql/window"
)

// Running keeps running aggregates per key for as long as the query runs
// (Spark's updateStateByKey, `WINDOW UNBOUNDED`). Each batch it emits the
// running totals of the keys that changed in it. With a Timeout, a key
// that saw no rows for that long is forgotten, so state does not grow
// forever.
type Running struct {
	Grouping
	Timeout time.Duration
	Next    Operator

	table    *window.Table
	lastSeen map[string]time.Time
	changed  map[*window.Group]bool
	start    time.Time
}

func (r *Running) Push(rows []types.Row) error {
	if r.table == nil {
		r.table = window.NewTable()
		r.changed = map[*window.Group]bool{}
	}
	for _, row := range rows {
		r.changed[r.add(r.table, row)] = true
	}
	return nil
}

func (r *Running) EndBatch(b *BatchEnd) error {
	if r.start.IsZero() {
		r.start = b.Start
	}
	if r.lastSeen == nil {
		r.lastSeen = map[string]time.Time{}
	}
	var groups []*window.Group
	for g := range r.changed {
		groups = append(groups, g)
		r.lastSeen[g.Enc()] = b.Time
	}
	clear(r.changed)
	window.SortGroups(groups)
	w := types.Window{Start: r.start, End: b.Time}
	if rows := r.rows(groups, w, false); len(rows) > 0 {
		if err := r.Next.Push(rows); err != nil {
			return err
		}
	}
	if r.Timeout > 0 {
		for k, t := range r.lastSeen {
			if !t.Add(r.Timeout).After(b.Time) {
				delete(r.lastSeen, k)
				r.table.Delete(k)
			}
		}
	}
	b.Emitted = len(groups) > 0 || b.Final
	b.Window = &w
	if r.table != nil {
		b.StateKeys += int64(r.table.Len())
	}
	return r.Next.EndBatch(b)
}
