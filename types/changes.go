package types

import "slices"

// An updating result is a table the query maintains (Flink's dynamic
// table): each batch's Result says how it changed. Deletes are removed
// first, then Rows are inserted; an updated row is a delete of its old
// version and an insert of its new one.

// Op is what one change of a changelog does to the table.
type Op int8

const (
	OpInsert       Op = iota // +I: a new row
	OpUpdateBefore           // -U: the old version of a row updated in this batch
	OpUpdateAfter            // +U: the new version of a row updated in this batch
	OpDelete                 // -D: a row gone
)

// String is Flink's short name of the op.
func (o Op) String() string {
	switch o {
	case OpUpdateBefore:
		return "-U"
	case OpUpdateAfter:
		return "+U"
	case OpDelete:
		return "-D"
	}
	return "+I"
}

// Change is one entry of a changelog.
type Change struct {
	Op  Op
	Row Row
}

// Changelog lists r's changes in order: deletes, then inserts. A deleted
// and an inserted row with equal key columns (key holds their positions)
// are the two halves of an update (-U, +U). An empty, non-nil key is the
// one key of a global aggregate's row; a nil key means rows have no key,
// and every change is an insert or a delete.
func Changelog(r *Result, key []int) []Change {
	out := make([]Change, 0, len(r.Deletes)+len(r.Rows))
	var deleted, inserted map[string]bool
	if key != nil && len(r.Deletes) > 0 && len(r.Rows) > 0 {
		deleted, inserted = map[string]bool{}, map[string]bool{}
		for _, row := range r.Deletes {
			deleted[keyOf(row, key)] = true
		}
		for _, row := range r.Rows {
			inserted[keyOf(row, key)] = true
		}
	}
	for _, row := range r.Deletes {
		op := OpDelete
		if inserted[keyOf(row, key)] {
			op = OpUpdateBefore
		}
		out = append(out, Change{op, row})
	}
	for _, row := range r.Rows {
		op := OpInsert
		if deleted[keyOf(row, key)] {
			op = OpUpdateAfter
		}
		out = append(out, Change{op, row})
	}
	return out
}

// KeyColumns is the positions in columns of the key columns, as Changelog
// takes them: nil when key is nil (rows without a key), empty and not nil
// for the empty key of a global aggregate.
func KeyColumns(columns, key []string) []int {
	if key == nil {
		return nil
	}
	out := []int{}
	for _, k := range key {
		for i, c := range columns {
			if c == k {
				out = append(out, i)
				break
			}
		}
	}
	return out
}

func keyOf(r Row, key []int) string {
	var b []byte
	for _, i := range key {
		if i < len(r) {
			b = AppendKey(b, r[i])
		}
	}
	return string(b)
}

// RowKey is the encoding of a whole row: equal for rows that are equal
// value by value (as AppendKey compares them).
func RowKey(buf []byte, r Row) []byte {
	for _, v := range r {
		buf = AppendKey(buf, v)
	}
	return buf
}

// View is the table an updating result maintains, rebuilt by applying
// each Result to it. Rows keep their places: a row inserted in the batch
// that deleted another takes the deleted one's place (an update stays
// where its old version was), and new rows go at the end.
type View struct {
	rows []Row
	at   map[string][]int // row encoding -> its places in rows
	buf  []byte
}

// Apply applies r's changes: its Deletes, then its Rows. A result that
// is not Updating replaces the whole view with its rows (an emission is
// a complete answer).
func (v *View) Apply(r *Result) {
	if !r.Updating || v.at == nil {
		v.rows, v.at = v.rows[:0:0], map[string][]int{}
		if !r.Updating {
			v.rows = append(v.rows, r.Rows...)
			return
		}
	}
	var free []int
	for _, row := range r.Deletes {
		v.buf = RowKey(v.buf[:0], row)
		places := v.at[string(v.buf)]
		if len(places) == 0 {
			continue // not in the view: nothing to delete
		}
		p := places[len(places)-1]
		if len(places) == 1 {
			delete(v.at, string(v.buf))
		} else {
			v.at[string(v.buf)] = places[:len(places)-1]
		}
		v.rows[p] = nil
		free = append(free, p)
	}
	slices.Sort(free)
	for _, row := range r.Rows {
		p := len(v.rows)
		if len(free) > 0 {
			p, free = free[0], free[1:]
			v.rows[p] = row
		} else {
			v.rows = append(v.rows, row)
		}
		v.buf = RowKey(v.buf[:0], row)
		v.at[string(v.buf)] = append(v.at[string(v.buf)], p)
	}
	if len(free) > 0 {
		v.compact()
	}
}

// compact closes the gaps deletions left.
func (v *View) compact() {
	kept := v.rows[:0]
	for _, row := range v.rows {
		if row != nil {
			kept = append(kept, row)
		}
	}
	clear(v.rows[len(kept):])
	v.rows = kept
	clear(v.at)
	for i, row := range v.rows {
		v.buf = RowKey(v.buf[:0], row)
		v.at[string(v.buf)] = append(v.at[string(v.buf)], i)
	}
}

// Rows is the view's current rows; the caller must not modify them.
func (v *View) Rows() []Row { return v.rows }
