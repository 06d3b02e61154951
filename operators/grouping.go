package operators

import (
	"sync"
	"sync/atomic"

	"github.com/streamsql/streamsql/agg"
	"github.com/streamsql/streamsql/expr"
	"github.com/streamsql/streamsql/types"
	"github.com/streamsql/streamsql/window"
)

// Grouping is what every keyed aggregate shares: how a row's group key is
// computed and encoded, the aggregates folded per group, and the shape of
// the output rows (keys, aggregates, window_start, window_end).
type Grouping struct {
	Keys []expr.Func
	// Cols, when set, says which keys are a column of the row as is
	// (Cols[i] >= 0): the hot path reads it instead of calling Keys[i].
	Cols []int
	Aggs []agg.Func

	key []types.Value
	buf []byte

	// addTexts' scratch
	groups []*window.Group
	row    types.Row
}

// addTexts folds one-column rows holding the given texts, when the only
// key is that column (the word count): their lookups go to the table
// together (window.Table.GetTexts). hs, when not nil, are the texts'
// hashes (window.HashText).
func (g *Grouping) addTexts(t *window.Table, texts []string, hs []uint64) {
	if !g.textKeyed() {
		row := types.Row{types.Null}
		for _, s := range texts {
			row[0] = types.Text(s)
			g.add(t, row)
		}
		return
	}
	if cap(g.groups) < len(texts) {
		g.groups = make([]*window.Group, len(texts))
	}
	groups := g.groups[:len(texts)]
	if hs != nil {
		t.GetHashedTexts(texts, hs, len(g.Aggs), groups)
	} else {
		t.GetTexts(texts, len(g.Aggs), groups)
	}
	if len(g.Aggs) == 1 && agg.IsCountStar(g.Aggs[0]) {
		// The word count: no row to make.
		for _, grp := range groups {
			grp.States[0].N++
		}
		return
	}
	if g.row == nil {
		g.row = make(types.Row, 1)
	}
	for i, grp := range groups {
		g.row[0] = types.Text(texts[i])
		g.fold(grp, g.row)
	}
}

// textKeyed reports whether the one key is the folded text itself (column
// 0 of addTexts' rows).
func (g *Grouping) textKeyed() bool { return len(g.Cols) == 1 && g.Cols[0] == 0 }

// encode computes r's group key into g.key and returns its encoding, valid
// until the next call.
func (g *Grouping) encode(r types.Row) []byte {
	if g.key == nil {
		g.key = make([]types.Value, len(g.Keys))
	}
	buf := g.buf[:0]
	for i, k := range g.Keys {
		v := k(r)
		g.key[i] = v
		buf = types.AppendKey(buf, v)
	}
	g.buf = buf
	return buf
}

// add folds r into its group of t and returns the group.
func (g *Grouping) add(t *window.Table, r types.Row) *window.Group {
	grp := g.lookup(t, r)
	g.fold(grp, r)
	return grp
}

// lookup returns r's group of t, created empty if it is new.
func (g *Grouping) lookup(t *window.Table, r types.Row) *window.Group {
	var grp *window.Group
	if len(g.Keys) == 1 {
		// The common single key stays on the stack: storing it in g.key
		// costs a GC write barrier per row.
		var key [1]types.Value
		if len(g.Cols) == 1 && g.Cols[0] >= 0 {
			key[0] = r[g.Cols[0]]
		} else {
			key[0] = g.Keys[0](r)
		}
		g.buf = types.AppendKey(g.buf[:0], key[0])
		grp = t.Get(g.buf, key[:], len(g.Aggs))
	} else {
		grp = t.Get(g.encode(r), g.key, len(g.Aggs))
	}
	return grp
}

func (g *Grouping) fold(grp *window.Group, r types.Row) {
	for i, f := range g.Aggs {
		f.Add(&grp.States[i], r)
	}
}

// rows renders groups as output rows for window w. A global aggregate
// (no keys) over no rows still has its one row, as SQL requires.
func (g *Grouping) rows(groups []*window.Group, w types.Window, global bool) []types.Row {
	if len(groups) == 0 && len(g.Keys) == 0 && global {
		groups = []*window.Group{{States: make([]agg.State, len(g.Aggs))}}
	}
	if len(groups) == 0 {
		return nil
	}
	width := len(g.Keys) + len(g.Aggs) + 2
	arena := make([]types.Value, len(groups)*width)
	out := make([]types.Row, len(groups))
	start, end := types.Time(w.Start), types.Time(w.End)
	var sink int
	for lo := 0; lo < len(groups); lo += rowsRun {
		run := groups[lo:min(lo+rowsRun, len(groups))]
		if len(groups) >= touchFrom {
			// Many sorted groups lie anywhere in memory: touch a run's
			// groups, then their keys, before reading them, so the cache
			// misses of the run are in flight together rather than one
			// after another.
			for _, grp := range run {
				sink += len(grp.Key)
			}
			for _, grp := range run {
				if len(grp.Key) > 0 {
					sink += int(grp.Key[0].Kind())
				}
			}
		}
		for i, grp := range run {
			r := arena[(lo+i)*width : (lo+i+1)*width : (lo+i+1)*width]
			copy(r, grp.Key)
			for j, f := range g.Aggs {
				r[len(g.Keys)+j] = f.Result(&grp.States[j])
			}
			r[width-2], r[width-1] = start, end
			out[lo+i] = r
		}
	}
	rowsSink.Add(int64(sink))
	return out
}

// rowsRun is how many groups rows touches ahead of reading them, from
// touchFrom groups on (fewer stay in the cache anyway).
const (
	rowsRun   = 64
	touchFrom = 1 << 14
)

// rowsSink keeps rows' touching loads from being optimised away (rows may
// run on several goroutines at once: see emitParts).
var rowsSink atomic.Int64

// emit pushes the rows of table t for window w to next, in key order.
func (g *Grouping) emit(next Operator, t *window.Table, w types.Window, global bool) error {
	rows := g.rows(t.Sorted(), w, global)
	if len(rows) == 0 {
		return nil
	}
	return next.Push(rows)
}

// emitParts is emit for a result held in several tables, no key in two of
// them (a word count folded on two goroutines, its words spread over them
// by hash): each table is sorted and made rows on a goroutine of its own,
// then the sorted runs are merged.
func (g *Grouping) emitParts(next Operator, ts []*window.Table, w types.Window, global bool) error {
	if len(ts) == 1 {
		return g.emit(next, ts[0], w, global)
	}
	runs := make([][]types.Row, len(ts))
	var wg sync.WaitGroup
	for i, t := range ts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			runs[i] = g.rows(t.Sorted(), w, false)
		}()
	}
	wg.Wait()
	rows := mergeRuns(runs, len(g.Keys))
	if len(rows) == 0 {
		return nil
	}
	return next.Push(rows)
}

// mergeRuns merges runs of rows sorted by their first nkeys columns.
func mergeRuns(runs [][]types.Row, nkeys int) []types.Row {
	n := 0
	live := runs[:0:0]
	for _, r := range runs {
		if len(r) > 0 {
			live = append(live, r)
			n += len(r)
		}
	}
	runs = live
	out := make([]types.Row, 0, n)
	for len(runs) > 0 {
		best := 0
		for i := 1; i < len(runs); i++ {
			if compareKeys(runs[i][0], runs[best][0], nkeys) < 0 {
				best = i
			}
		}
		out = append(out, runs[best][0])
		if runs[best] = runs[best][1:]; len(runs[best]) == 0 {
			runs = append(runs[:best], runs[best+1:]...)
		}
	}
	return out
}

func compareKeys(a, b types.Row, nkeys int) int {
	for i := range nkeys {
		if c := types.Compare(a[i], b[i]); c != 0 {
			return c
		}
	}
	return 0
}
