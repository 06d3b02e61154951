package operators

import (
	"errors"
	"sort"
	"time"

	"github.com/streamsql/streamsql/agg"
	"github.com/streamsql/streamsql/types"
	"github.com/streamsql/streamsql/window"
)

// Updating is an aggregate without a window (Flink's group aggregate, a
// materialized view's GROUP BY): a table of running aggregates per key,
// kept for as long as the query runs. Its output is an updating stream
// keyed by the group key: each batch, for every key whose row changed, a
// deletion of the row it emitted before (none for a new key) and an
// insertion of the new row (none when the key has no rows left).
//
// Over an append-only input every aggregate folds row by row. Over an
// updating input (a nested aggregate, a filter over one) a deletion has to
// be taken out of MIN, MAX or COUNT(DISTINCT), which cannot subtract, so
// each group keeps the multiset of its input rows and a group that lost
// rows is folded again from it when the batch closes.
//
// Output rows are shaped as Aggregate's (keys, aggregates, window_start,
// window_end), with NULL window bounds: the result covers all time.
type Updating struct {
	Grouping // Aggs: the query's aggregates
	// Retracting says the input is updating.
	Retracting bool
	// TTL, when positive, deletes the row of a key that received no rows
	// for that long (by batch time) and drops its state.
	TTL  time.Duration
	Next Operator

	table   *window.Table
	nAggs   int                         // the query's aggregates; Aggs[nAggs] counts rows
	changed map[*window.Group]types.Row // keys touched this batch -> the row emitted before (nil: none)
	bags    map[string]*netting         // Retracting: each group's input rows
	dirty   map[*window.Group]bool      // Retracting: groups that lost rows this batch
	started bool                        // a global aggregate has emitted its first row
	seen    map[string]time.Time        // TTL: the batch each key last received rows
}

func (u *Updating) init() {
	if u.table != nil {
		return
	}
	u.nAggs = len(u.Aggs)
	u.Aggs = append(u.Aggs[:len(u.Aggs):len(u.Aggs)], agg.CountStar())
	u.table = window.NewTable()
	u.changed = map[*window.Group]types.Row{}
	if u.Retracting {
		u.bags = map[string]*netting{}
		u.dirty = map[*window.Group]bool{}
	}
}

// touch returns r's group, noting the row it stood for before the batch.
func (u *Updating) touch(r types.Row) *window.Group {
	g := u.lookup(u.table, r)
	if _, seen := u.changed[g]; !seen {
		var old types.Row
		if len(u.Keys) > 0 || u.started {
			old = u.render(g) // a global aggregate's first row is new
		}
		u.changed[g] = old
	}
	return g
}

func (u *Updating) Push(rows []types.Row) error {
	u.init()
	for _, r := range rows {
		g := u.touch(r)
		if u.Retracting {
			u.bag(g).add(r, 1)
			if u.dirty[g] {
				continue // folded again at the batch's end
			}
		}
		u.fold(g, r)
	}
	return nil
}

func (u *Updating) Retract(rows []types.Row) error {
	u.init()
	if !u.Retracting {
		return errAppendOnly
	}
	for _, r := range rows {
		g := u.touch(r)
		u.bag(g).add(r, -1)
		u.dirty[g] = true
	}
	return nil
}

func (u *Updating) bag(g *window.Group) *netting {
	b := u.bags[g.Enc()]
	if b == nil {
		b = newNetting()
		u.bags[g.Enc()] = b
	}
	return b
}

// refold computes g's aggregates again from its input rows, dropping the
// rows whose count fell to zero.
func (u *Updating) refold(g *window.Group) {
	clear(g.States)
	b := u.bags[g.Enc()]
	kept := newNetting()
	for i, r := range b.rows {
		for k := 0; k < b.n[i]; k++ {
			kept.add(r, 1)
			u.fold(g, r)
		}
	}
	u.bags[g.Enc()] = kept
}

// render is g's output row, nil when it has no rows (and is not the one
// row of a global aggregate).
func (u *Updating) render(g *window.Group) types.Row {
	if len(u.Keys) > 0 && g.States[u.nAggs].N == 0 {
		return nil
	}
	width := len(u.Keys) + u.nAggs + 2
	r := make(types.Row, width)
	copy(r, g.Key)
	for j := 0; j < u.nAggs; j++ {
		r[len(u.Keys)+j] = u.Aggs[j].Result(&g.States[j])
	}
	r[width-2], r[width-1] = types.Null, types.Null
	return r
}

func (u *Updating) EndBatch(b *BatchEnd) error {
	u.init()
	if len(u.Keys) == 0 && !u.started {
		// A global aggregate has its row from the start, as SQL's
		// aggregate over an empty table: COUNT(*) = 0.
		u.started = true
		g := u.table.Get(nil, nil, len(u.Aggs))
		if _, seen := u.changed[g]; !seen {
			u.changed[g] = nil
		}
	}
	groups := make([]*window.Group, 0, len(u.changed))
	for g := range u.changed {
		groups = append(groups, g)
	}
	window.SortGroups(groups)
	var dels, ins []types.Row
	for _, g := range groups {
		if u.dirty[g] {
			u.refold(g)
		}
		old, cur := u.changed[g], u.render(g)
		if old != nil && cur != nil && rowsEqual(old, cur) {
			continue
		}
		if old != nil {
			dels = append(dels, old)
		}
		if cur != nil {
			ins = append(ins, cur)
		} else {
			u.table.Delete(g.Enc())
			delete(u.bags, g.Enc())
		}
	}
	if u.TTL > 0 && len(u.Keys) > 0 {
		dels = u.expire(b.Time, groups, dels)
	}
	clear(u.changed)
	clear(u.dirty)
	if err := Retract(u.Next, dels); err != nil {
		return err
	}
	if len(ins) > 0 {
		if err := u.Next.Push(ins); err != nil {
			return err
		}
	}
	b.Emitted = len(dels)+len(ins) > 0 || b.Final || b.Bounded
	b.Window = nil
	if b.Bounded {
		// A bounded run's answer covers its whole input.
		b.Window = &types.Window{Start: b.Start, End: b.Time, Whole: true}
	}
	b.StateKeys += int64(u.table.Len())
	return u.Next.EndBatch(b)
}

// rowsEqual reports whether two rows hold the same values, as a group key
// compares them (NULL equals NULL).
func rowsEqual(a, b types.Row) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !types.Equal(a[i], b[i]) {
			return false
		}
	}
	return true
}

// errAppendOnly is the error of a deletion reaching an operator the
// planner built for an append-only input: a planner bug, not bad input.
var errAppendOnly = errors.New("operators: a deletion reached an operator built for an append-only input")

// expire notes when the keys of touched last got rows and deletes, with
// their rows, the keys idle for TTL at batch time now.
func (u *Updating) expire(now time.Time, touched []*window.Group, dels []types.Row) []types.Row {
	if u.seen == nil {
		u.seen = map[string]time.Time{}
	}
	for _, g := range touched {
		if u.table.Lookup(g.Enc()) == g {
			u.seen[g.Enc()] = now
		} else {
			delete(u.seen, g.Enc()) // deleted this batch: no rows left
		}
	}
	var idle []string
	for k, t := range u.seen {
		if !t.Add(u.TTL).After(now) {
			idle = append(idle, k)
		}
	}
	sort.Strings(idle)
	for _, k := range idle {
		delete(u.seen, k)
		if g := u.table.Lookup(k); g != nil {
			if r := u.render(g); r != nil {
				dels = append(dels, r)
			}
			u.table.Delete(k)
			delete(u.bags, k)
		}
	}
	return dels
}
