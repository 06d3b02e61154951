package operators

import (
	"sort"

	"github.com/streamsql/streamsql/expr"
	"github.com/streamsql/streamsql/types"
)

// SortKey is one ORDER BY key.
type SortKey struct {
	Expr expr.Func
	Desc bool
	// NullsFirst places NULLs before other values. SQL's default (and
	// SQLite's) is NULLs first ascending, last descending.
	NullsFirst bool
}

// Order sorts and/or limits the rows of each emitted result. ORDER BY and
// LIMIT apply per emission, as each emission is a complete answer. Over an
// updating input (ORDER BY without LIMIT: a top-N is a Rank) a batch's
// deletions pass on first, then its insertions sorted: a table has no
// order to keep, and a bounded run's one result comes out in order.
type Order struct {
	Keys  []SortKey
	Limit int64 // -1 for none
	Next  Operator

	rows []types.Row
	dels []types.Row
}

func (o *Order) Retract(rows []types.Row) error {
	o.dels = append(o.dels, rows...)
	return nil
}

func (o *Order) Push(rows []types.Row) error {
	o.rows = append(o.rows, rows...)
	return nil
}

func (o *Order) EndBatch(b *BatchEnd) error {
	rows, dels := o.rows, o.dels
	o.rows, o.dels = nil, nil
	if err := Retract(o.Next, dels); err != nil {
		return err
	}
	if len(o.Keys) > 0 && len(rows) > 1 {
		o.sort(rows)
	}
	if o.Limit >= 0 && int64(len(rows)) > o.Limit {
		rows = rows[:o.Limit]
	}
	if len(rows) > 0 {
		if err := o.Next.Push(rows); err != nil {
			return err
		}
	}
	return o.Next.EndBatch(b)
}

func (o *Order) sort(rows []types.Row) {
	// Evaluate the keys once per row, not once per comparison.
	n := len(o.Keys)
	keys := make([]types.Value, len(rows)*n)
	for i, r := range rows {
		for j, k := range o.Keys {
			keys[i*n+j] = k.Expr(r)
		}
	}
	idx := make([]int, len(rows))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool {
		ka, kb := keys[idx[a]*n:], keys[idx[b]*n:]
		for j, k := range o.Keys {
			if c := compareKey(ka[j], kb[j], k); c != 0 {
				return c < 0
			}
		}
		return false
	})
	sorted := make([]types.Row, len(rows))
	for i, x := range idx {
		sorted[i] = rows[x]
	}
	copy(rows, sorted)
}

func compareKey(a, b types.Value, k SortKey) int {
	an, bn := a.IsNull(), b.IsNull()
	switch {
	case an && bn:
		return 0
	case an || bn:
		c := 1
		if an == k.NullsFirst {
			c = -1
		}
		return c
	}
	c := types.Compare(a, b)
	if k.Desc {
		c = -c
	}
	return c
}

// Distinct drops rows equal to one already emitted in the same batch.
type Distinct struct {
	Next Operator
	seen map[string]struct{}
	buf  []byte
}

func (d *Distinct) Push(rows []types.Row) error {
	if d.seen == nil {
		d.seen = make(map[string]struct{})
	}
	out := rows[:0:0]
	for _, r := range rows {
		buf := d.buf[:0]
		for _, v := range r {
			buf = types.AppendKey(buf, v)
		}
		d.buf = buf
		if _, dup := d.seen[string(buf)]; dup {
			continue
		}
		d.seen[string(buf)] = struct{}{}
		out = append(out, r)
	}
	if len(out) == 0 {
		return nil
	}
	return d.Next.Push(out)
}

func (d *Distinct) EndBatch(b *BatchEnd) error {
	d.seen = nil
	return d.Next.EndBatch(b)
}
