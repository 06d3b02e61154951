package operators

import (
	"slices"
	"strings"

	"github.com/streamsql/streamsql/expr"
	"github.com/streamsql/streamsql/types"
)

// Rank numbers the rows of each partition in order (ROW_NUMBER() OVER
// (PARTITION BY ... ORDER BY ...)) and keeps the numbering up to date as
// rows arrive: its output is an updating stream of the input rows, each
// with its row number appended. With a Limit (the query keeps rn <= N:
// a top-N, or with 1 a deduplication), only the first Limit rows of each
// partition are emitted; over an append-only input the rows after them
// can never come back and are dropped, so state is Limit rows per
// partition.
//
// Rows that compare equal under ORDER BY keep their order of arrival:
// the first one to arrive ranks first.
type Rank struct {
	Partition []expr.Func
	Order     []SortKey
	Limit     int64 // -1: every row
	// Retracting says the input is updating: rows past the limit are
	// kept, as a deletion may bring them back.
	Retracting bool
	Next       Operator

	parts   map[string]*rankPart
	touched map[*rankPart]bool
	buf     []byte
}

type rankPart struct {
	key   string // the encoded partition key
	rows  []types.Row
	keys  [][]types.Value // each row's ORDER BY values
	shown []types.Row     // what was emitted: rows with their numbers
}

func (k *Rank) part(r types.Row) *rankPart {
	if k.parts == nil {
		k.parts, k.touched = map[string]*rankPart{}, map[*rankPart]bool{}
	}
	buf := k.buf[:0]
	for _, f := range k.Partition {
		buf = types.AppendKey(buf, f(r))
	}
	k.buf = buf
	p := k.parts[string(buf)]
	if p == nil {
		p = &rankPart{key: string(buf)}
		k.parts[p.key] = p
	}
	k.touched[p] = true
	return p
}

func (k *Rank) sortKey(r types.Row) []types.Value {
	key := make([]types.Value, len(k.Order))
	for i, o := range k.Order {
		key[i] = o.Expr(r)
	}
	return key
}

func (k *Rank) compare(a, b []types.Value) int {
	for i, o := range k.Order {
		if c := compareKey(a[i], b[i], o); c != 0 {
			return c
		}
	}
	return 0
}

func (k *Rank) Push(rows []types.Row) error {
	for _, r := range rows {
		p := k.part(r)
		key := k.sortKey(r)
		// After every row that does not rank after it: ties keep their
		// order of arrival.
		i, _ := slices.BinarySearchFunc(p.keys, key, func(e, t []types.Value) int {
			if k.compare(e, t) <= 0 {
				return -1
			}
			return 1
		})
		if !k.Retracting && k.Limit >= 0 && int64(i) >= k.Limit {
			continue // past the limit for good
		}
		p.rows = slices.Insert(p.rows, i, r)
		p.keys = slices.Insert(p.keys, i, key)
		if !k.Retracting && k.Limit >= 0 && int64(len(p.rows)) > k.Limit {
			p.rows, p.keys = p.rows[:k.Limit], p.keys[:k.Limit]
		}
	}
	return nil
}

func (k *Rank) Retract(rows []types.Row) error {
	for _, r := range rows {
		p := k.part(r)
		for i, x := range p.rows {
			if rowsEqual(x, r) {
				p.rows = slices.Delete(p.rows, i, i+1)
				p.keys = slices.Delete(p.keys, i, i+1)
				break
			}
		}
	}
	return nil
}

func (k *Rank) EndBatch(b *BatchEnd) error {
	var ins, dels []types.Row
	touched := make([]*rankPart, 0, len(k.touched))
	for p := range k.touched {
		touched = append(touched, p)
	}
	// In partition key order, so a batch's changes come out the same
	// every run.
	slices.SortFunc(touched, func(a, b *rankPart) int { return strings.Compare(a.key, b.key) })
	for _, p := range touched {
		n := len(p.rows)
		if k.Limit >= 0 && int64(n) > k.Limit {
			n = int(k.Limit)
		}
		shown := make([]types.Row, n)
		for i := range n {
			shown[i] = append(append(make(types.Row, 0, len(p.rows[i])+1), p.rows[i]...), types.Int(int64(i+1)))
		}
		diff := newNetting()
		for _, r := range p.shown {
			diff.add(r, -1)
		}
		for _, r := range shown {
			diff.add(r, 1)
		}
		in, del := diff.result()
		ins, dels = append(ins, in...), append(dels, del...)
		p.shown = shown
	}
	clear(k.touched)
	// Partitions left empty are forgotten.
	for key, p := range k.parts {
		if len(p.rows) == 0 && len(p.shown) == 0 {
			delete(k.parts, key)
		}
	}
	if err := Retract(k.Next, dels); err != nil {
		return err
	}
	if len(ins) > 0 {
		if err := k.Next.Push(ins); err != nil {
			return err
		}
	}
	b.StateKeys += k.HeldKeys()
	return k.Next.EndBatch(b)
}

// HeldKeys is the rows the partitions keep.
func (k *Rank) HeldKeys() int64 {
	n := 0
	for _, p := range k.parts {
		n += len(p.rows)
	}
	return int64(n)
}

func (k *Rank) Children() []Operator { return []Operator{k.Next} }
