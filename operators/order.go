package operators

import (
	"slices"
	"sort"
	"strings"

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

// TopN is ORDER BY ... LIMIT over an updating input: the first Limit rows,
// in order, of the table the input maintains. It keeps the table's rows
// by their encoding and, in a batch that changed a row that is shown or
// would enter (one not after the last shown), sorts again and emits how
// its first rows changed; changes further down the table cost one map
// update. Rows equal under ORDER BY are ordered by their encoding.
type TopN struct {
	Order
	all   map[string]*topRow
	shown []*topRow // the rows emitted, in order
	dirty bool
	buf   []byte
}

type topRow struct {
	enc string
	row types.Row
	key []types.Value
	n   int // copies in the table
}

func (t *TopN) change(rows []types.Row, d int) {
	if t.all == nil {
		t.all = map[string]*topRow{}
	}
	o := sortKeys(t.Keys)
	for _, r := range rows {
		t.buf = types.RowKey(t.buf[:0], r)
		e := t.all[string(t.buf)]
		if e == nil {
			if d < 0 {
				continue // a deletion of a row never seen
			}
			e = &topRow{enc: string(t.buf), row: r, key: o.of(r)}
			t.all[e.enc] = e
		}
		e.n += d
		if e.n <= 0 {
			delete(t.all, e.enc)
		}
		if !t.dirty && (len(t.shown) == 0 || int64(len(t.shown)) < t.Limit || t.before(e, t.shown[len(t.shown)-1]) <= 0) {
			t.dirty = true
		}
	}
}

// before orders two rows of the table: ORDER BY, then encoding.
func (t *TopN) before(a, b *topRow) int {
	if c := sortKeys(t.Keys).compare(a.key, b.key); c != 0 {
		return c
	}
	return strings.Compare(a.enc, b.enc)
}

func (t *TopN) Push(rows []types.Row) error    { t.change(rows, 1); return nil }
func (t *TopN) Retract(rows []types.Row) error { t.change(rows, -1); return nil }

func (t *TopN) EndBatch(b *BatchEnd) error {
	if !t.dirty {
		b.StateKeys += int64(len(t.all))
		return t.Next.EndBatch(b)
	}
	t.dirty = false
	rows := make([]*topRow, 0, len(t.all))
	for _, e := range t.all {
		rows = append(rows, e)
	}
	slices.SortFunc(rows, t.before)
	var top []*topRow
	for _, e := range rows {
		for range e.n {
			if int64(len(top)) == t.Limit {
				break
			}
			top = append(top, e)
		}
	}
	diff := newNetting()
	for _, e := range t.shown {
		diff.add(e.row, -1)
	}
	for _, e := range top {
		diff.add(e.row, 1)
	}
	ins, dels := diff.result()
	t.shown = top
	if err := Retract(t.Next, dels); err != nil {
		return err
	}
	if len(ins) > 0 {
		if err := t.Next.Push(ins); err != nil {
			return err
		}
	}
	b.StateKeys += int64(len(t.all))
	return t.Next.EndBatch(b)
}

func (t *TopN) Children() []Operator { return []Operator{t.Next} }
