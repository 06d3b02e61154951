package operators

import (
	"slices"
	"sort"
	"time"

	"github.com/streamsql/streamsql/agg"
	"github.com/streamsql/streamsql/expr"
	"github.com/streamsql/streamsql/types"
)

// Over computes aggregates over a window of each row's partition (AVG(x)
// OVER (PARTITION BY k ORDER BY t ROWS BETWEEN 9 PRECEDING AND CURRENT
// ROW)): every input row is emitted once, with the aggregates of its frame
// appended. The frame is the row and, before it in ORDER BY order, the
// Rows rows (ROWS n PRECEDING), the rows at most Range earlier (RANGE
// INTERVAL ... PRECEDING, ordered by a time), or every row (UNBOUNDED).
//
// Rows are taken in ORDER BY order within each batch, so a bounded run
// gives SQL's answer; live, a row that arrives after later ones were
// taken counts in the frames of the rows after it, but the results
// already emitted are not revised (the output only appends). State per
// partition is the frame's rows, or for UNBOUNDED the running aggregates.
type Over struct {
	Partition []expr.Func
	Order     []SortKey
	Aggs      []agg.Func
	Rows      int64         // ROWS n PRECEDING; -1 when the frame is not in rows
	Range     time.Duration // RANGE ... PRECEDING over the first ORDER BY key, a time; 0 when not
	Unbounded bool          // UNBOUNDED PRECEDING: a running aggregate
	Next      Operator

	batch []types.Row
	parts map[string]*overPart
	held  int64 // rows the partitions keep, and one per running aggregate (HeldKeys)
	buf   []byte
	rd    expr.TimeReader
}

type overPart struct {
	orderedRows
	times  []int64     // RANGE: each row's time
	states []agg.State // UNBOUNDED: the running aggregates
}

func (o *Over) Push(rows []types.Row) error {
	o.batch = append(o.batch, rows...)
	return nil
}

func (o *Over) EndBatch(b *BatchEnd) error {
	rows := o.batch
	o.batch = nil
	if o.parts == nil {
		o.parts = map[string]*overPart{}
	}
	order := sortKeys(o.Order)
	keys := make([][]types.Value, len(rows))
	for i, r := range rows {
		keys[i] = order.of(r)
	}
	idx := make([]int, len(rows))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(x, y int) bool { return order.compare(keys[idx[x]], keys[idx[y]]) < 0 })
	out := make([]types.Row, 0, len(rows))
	for _, i := range idx {
		r, key := rows[i], keys[i]
		p := o.part(r)
		res := make(types.Row, len(r)+len(o.Aggs))
		copy(res, r)
		if o.Unbounded {
			if p.states == nil {
				p.states = make([]agg.State, len(o.Aggs))
				o.held++
			}
			for j, f := range o.Aggs {
				f.Add(&p.states[j], r)
				res[len(r)+j] = f.Result(&p.states[j])
			}
			out = append(out, res)
			continue
		}
		var t int64
		if o.Range > 0 {
			t, _ = o.rd.Read(key[0])
		}
		at := p.place(order, key)
		p.insert(at, r, key)
		o.held++
		if o.Range > 0 {
			p.times = slices.Insert(p.times, at, t)
		}
		from := 0
		switch {
		case o.Rows >= 0:
			from = max(0, at-int(o.Rows))
		case o.Range > 0:
			for from < at && p.times[from] < t-int64(o.Range) {
				from++
			}
		}
		states := make([]agg.State, len(o.Aggs))
		for _, fr := range p.rows[from : at+1] {
			for j, f := range o.Aggs {
				f.Add(&states[j], fr)
			}
		}
		for j, f := range o.Aggs {
			res[len(r)+j] = f.Result(&states[j])
		}
		out = append(out, res)
		o.trim(p)
	}
	if len(out) > 0 {
		if err := o.Next.Push(out); err != nil {
			return err
		}
	}
	b.StateKeys += o.HeldKeys()
	return o.Next.EndBatch(b)
}

// trim drops the rows no later frame reaches: all but the last Rows, or
// those more than Range before the latest.
func (o *Over) trim(p *overPart) {
	n := 0
	switch {
	case o.Rows >= 0:
		n = max(0, len(p.rows)-int(o.Rows))
	case o.Range > 0 && len(p.times) > 0:
		last := p.times[len(p.times)-1]
		for n < len(p.times) && p.times[n] < last-int64(o.Range) {
			n++
		}
	}
	if n == 0 {
		return
	}
	p.dropFront(n)
	o.held -= int64(n)
	if o.Range > 0 {
		p.times = slices.Delete(p.times, 0, n)
	}
}

func (o *Over) part(r types.Row) *overPart {
	o.buf = partitionKey(o.buf[:0], o.Partition, r)
	p := o.parts[string(o.buf)]
	if p == nil {
		p = &overPart{}
		o.parts[string(o.buf)] = p
	}
	return p
}

// HeldKeys is the rows the partitions keep (a running aggregate's
// partition counts one).
func (o *Over) HeldKeys() int64 { return o.held }

func (o *Over) Children() []Operator { return []Operator{o.Next} }
