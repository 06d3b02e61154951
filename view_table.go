package streamsql

import (
	"slices"

	"github.com/streamsql/streamsql/types"
)

// viewTable is a materialized view's rows with an index by key: one map
// from the encoding of a row's key columns to its place in rows (a view
// without key columns, such as a windowed one without its window bounds,
// is indexed by whole rows, and may hold equal rows). An update takes the
// place of the row it replaces; a deleted row's place is taken by the
// last row, so a scan reads one slice.
type viewTable struct {
	key  []int // key columns; nil: the whole row
	rows []types.Row
	at   map[string][]int32
	buf  []byte
}

func newViewTable(key []int) *viewTable {
	return &viewTable{key: key, at: map[string][]int32{}}
}

func (t *viewTable) keyOf(row types.Row) []byte {
	if t.key == nil {
		t.buf = types.RowKey(t.buf[:0], row)
		return t.buf
	}
	t.buf = t.buf[:0]
	for _, i := range t.key {
		t.buf = types.AppendKey(t.buf, row[i])
	}
	return t.buf
}

// lookup is the rows with the key encoded as key.
func (t *viewTable) lookup(key []byte, out []types.Row) []types.Row {
	for _, p := range t.at[string(key)] {
		out = append(out, t.rows[p])
	}
	return out
}

// apply deletes then inserts rows; with changes set it also returns the
// changelog: deletes first (-U when the key is inserted again, -D), then
// inserts (+U, +I). A deleted row's place stays in the index, empty,
// until the inserts have run: an insert with the same key takes it (an
// update in place), and only the places left empty are closed.
func (t *viewTable) apply(deletes, inserts []types.Row, changes bool) []types.Change {
	var out []types.Change
	emptied := make([]int32, 0, len(deletes)) // places of deleted rows
	gone := make([]types.Row, 0, len(deletes))
	for _, row := range deletes {
		ps := t.at[string(t.keyOf(row))]
		i := slices.IndexFunc(ps, func(p int32) bool { return t.rows[p] != nil && equalRows(t.rows[p], row) })
		if i < 0 {
			continue // not in the view: nothing to delete
		}
		t.rows[ps[i]] = nil
		emptied = append(emptied, ps[i])
		gone = append(gone, row)
		if changes {
			out = append(out, types.Change{Op: types.OpDelete, Row: row})
		}
	}
	for _, row := range inserts {
		k := t.keyOf(row)
		ps := t.at[string(k)]
		op := types.OpInsert
		if i := slices.IndexFunc(ps, func(p int32) bool { return t.rows[p] == nil }); i >= 0 {
			t.rows[ps[i]] = row
			op = types.OpUpdateAfter
		} else {
			t.at[string(k)] = append(ps, int32(len(t.rows)))
			t.rows = append(t.rows, row)
		}
		if changes {
			out = append(out, types.Change{Op: op, Row: row})
		}
	}
	var free []int32
	for i, p := range emptied {
		if t.rows[p] != nil {
			if changes {
				out[i].Op = types.OpUpdateBefore // its key took the place again
			}
			continue
		}
		k := t.keyOf(gone[i])
		ps := t.at[string(k)]
		j := slices.Index(ps, p)
		ps[j] = ps[len(ps)-1]
		if ps = ps[:len(ps)-1]; len(ps) == 0 {
			delete(t.at, string(k))
		} else {
			t.at[string(k)] = ps
		}
		free = append(free, p)
	}
	if len(free) > 0 {
		t.fill(free)
	}
	return out
}

// fill closes the places deleted rows left with the last rows.
func (t *viewTable) fill(free []int32) {
	slices.Sort(free)
	for _, p := range free {
		for len(t.rows) > 0 && t.rows[len(t.rows)-1] == nil {
			t.rows = t.rows[:len(t.rows)-1]
		}
		last := int32(len(t.rows) - 1)
		if p >= last {
			continue // past the end now, or the last place itself
		}
		row := t.rows[last]
		t.rows[p], t.rows[last] = row, nil
		t.rows = t.rows[:last]
		ps := t.at[string(t.keyOf(row))]
		ps[slices.Index(ps, last)] = p
	}
	for len(t.rows) > 0 && t.rows[len(t.rows)-1] == nil {
		t.rows = t.rows[:len(t.rows)-1]
	}
}
