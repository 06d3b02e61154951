package operators

import (
	"fmt"

	"github.com/streamsql/streamsql/types"
)

// Retractor is an operator that consumes an updating stream: besides the
// rows pushed to it (inserts), it is told of rows pushed earlier that no
// longer hold (deletes). An update is a delete of the old row and an
// insert of the new one. The planner connects an updating edge only to a
// Retractor; append-only edges never call Retract, so operators that
// only ever see appends keep their fast path.
type Retractor interface {
	Retract(rows []types.Row) error
}

// Retract hands deletions to next, which must be a Retractor.
func Retract(next Operator, rows []types.Row) error {
	if len(rows) == 0 {
		return nil
	}
	r, ok := next.(Retractor)
	if !ok {
		return fmt.Errorf("operators: %T cannot take deletions (an updating input)", next)
	}
	return r.Retract(rows)
}

// Retract removes the deleted rows that passed the filter: a row's
// predicate gives the same answer on insert and on delete.
func (f *Filter) Retract(rows []types.Row) error { return Retract(f.Next, f.keep(rows)) }

// Retract deletes the projections of the deleted rows.
func (p *Project) Retract(rows []types.Row) error {
	if len(rows) == 0 {
		return nil
	}
	return Retract(p.Next, p.fresh(rows))
}

func (f *Fanout) Retract(rows []types.Row) error {
	for _, n := range f.Next {
		if err := Retract(n, rows); err != nil {
			return err
		}
	}
	return nil
}

func (i unionInput) Retract(rows []types.Row) error { return Retract(i.u.Next, rows) }

// Retract records deletions of the batch. Collect nets a batch that
// holds any: a row inserted and deleted in the same batch cancels out, and
// what is left is handed over as deletes, then inserts.
func (c *Collect) Retract(rows []types.Row) error {
	if c.net == nil {
		c.net = newNetting()
		for _, r := range c.rows {
			c.net.add(r, 1)
		}
		c.rows = nil
	}
	for _, r := range rows {
		c.net.add(r, -1)
	}
	return nil
}

// netting sums the changes of a batch per distinct row, in order of first
// appearance.
type netting struct {
	idx  map[string]int
	rows []types.Row
	n    []int
	buf  []byte
}

func newNetting() *netting { return &netting{idx: map[string]int{}} }

func (n *netting) add(r types.Row, d int) {
	n.buf = types.RowKey(n.buf[:0], r)
	i, ok := n.idx[string(n.buf)]
	if !ok {
		i = len(n.rows)
		n.idx[string(n.buf)] = i
		n.rows = append(n.rows, r)
		n.n = append(n.n, 0)
	}
	n.n[i] += d
}

// result returns the net deletes and inserts.
func (n *netting) result() (inserts, deletes []types.Row) {
	for i, r := range n.rows {
		for k := n.n[i]; k < 0; k++ {
			deletes = append(deletes, r)
		}
		for k := n.n[i]; k > 0; k-- {
			inserts = append(inserts, r)
		}
	}
	return inserts, deletes
}

// DistinctTable is SELECT DISTINCT over an updating input: the distinct
// rows of the table the input maintains. It counts each row's copies and
// emits a row when its first copy arrives and deletes it when its last
// one is deleted, once per batch.
type DistinctTable struct {
	Next   Operator
	counts map[string]int
	before map[string]int // counts at the start of the batch, of the rows touched
	rows   map[string]types.Row
	order  []string // rows touched this batch, in order
	buf    []byte
}

func (d *DistinctTable) change(rows []types.Row, delta int) {
	if d.counts == nil {
		d.counts, d.before, d.rows = map[string]int{}, map[string]int{}, map[string]types.Row{}
	}
	for _, r := range rows {
		d.buf = types.RowKey(d.buf[:0], r)
		k := string(d.buf)
		if _, seen := d.before[k]; !seen {
			d.before[k] = d.counts[k]
			d.order = append(d.order, k)
			d.rows[k] = r
		}
		d.counts[k] += delta
	}
}

func (d *DistinctTable) Push(rows []types.Row) error    { d.change(rows, 1); return nil }
func (d *DistinctTable) Retract(rows []types.Row) error { d.change(rows, -1); return nil }

func (d *DistinctTable) EndBatch(b *BatchEnd) error {
	var ins, dels []types.Row
	for _, k := range d.order {
		was, now := d.before[k] > 0, d.counts[k] > 0
		switch {
		case !was && now:
			ins = append(ins, d.rows[k])
		case was && !now:
			dels = append(dels, d.rows[k])
		}
		if d.counts[k] <= 0 {
			delete(d.counts, k)
			delete(d.rows, k)
		}
		delete(d.before, k)
	}
	d.order = d.order[:0]
	if err := Retract(d.Next, dels); err != nil {
		return err
	}
	if len(ins) > 0 {
		if err := d.Next.Push(ins); err != nil {
			return err
		}
	}
	b.StateKeys += int64(len(d.counts))
	return d.Next.EndBatch(b)
}

func (d *DistinctTable) Children() []Operator { return []Operator{d.Next} }

// HeldKeys is the distinct rows of the table.
func (d *DistinctTable) HeldKeys() int64 { return int64(len(d.counts)) }

type distinctTableState struct {
	Counts map[string]int
	Rows   map[string]types.Row
}

func (d *DistinctTable) Snapshot() ([]byte, error) {
	return encodeState(distinctTableState{Counts: d.counts, Rows: d.rows})
}

func (d *DistinctTable) Restore(b []byte) error {
	var s distinctTableState
	if err := decodeState(b, &s); err != nil {
		return err
	}
	d.counts, d.rows, d.before = s.Counts, s.Rows, map[string]int{}
	if d.counts == nil {
		d.counts, d.rows = map[string]int{}, map[string]types.Row{}
	}
	return nil
}
