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
// with its row number appended when Number is set. With a Limit (the
// query keeps rn <= N: a top-N, or with 1 a deduplication; ORDER BY ...
// LIMIT N of an updating table, without partitions or numbers), only the
// first Limit rows of each partition are emitted; over an append-only
// input the rows after them can never come back and are dropped, so
// state is Limit rows per partition.
//
// Rows that compare equal under ORDER BY keep their order of arrival:
// the first one to arrive ranks first.
type Rank struct {
	Partition []expr.Func
	Order     []SortKey
	Limit     int64 // -1: every row
	Number    bool  // append each row's number
	// Retracting says the input is updating: rows past the limit are
	// kept, as a deletion may bring them back.
	Retracting bool
	Next       Operator

	parts   map[string]*rankPart
	touched map[*rankPart]bool
	held    int64 // rows the partitions keep (HeldKeys)
	buf     []byte
}

type rankPart struct {
	key string // the encoded partition key
	orderedRows
	shown []types.Row // what was emitted (with the numbers)
}

func (k *Rank) part(r types.Row) *rankPart {
	if k.parts == nil {
		k.parts, k.touched = map[string]*rankPart{}, map[*rankPart]bool{}
	}
	k.buf = partitionKey(k.buf[:0], k.Partition, r)
	p := k.parts[string(k.buf)]
	if p == nil {
		p = &rankPart{key: string(k.buf)}
		k.parts[p.key] = p
	}
	k.touched[p] = true
	return p
}

func (k *Rank) Push(rows []types.Row) error {
	o := sortKeys(k.Order)
	for _, r := range rows {
		p := k.part(r)
		key := o.of(r)
		i := p.place(o, key)
		if !k.Retracting && k.Limit >= 0 && int64(i) >= k.Limit {
			continue // past the limit for good
		}
		p.insert(i, r, key)
		k.held++
		if !k.Retracting && k.Limit >= 0 && int64(len(p.rows)) > k.Limit {
			p.rows, p.keys = p.rows[:k.Limit], p.keys[:k.Limit]
			k.held--
		}
	}
	return nil
}

func (k *Rank) Retract(rows []types.Row) error {
	for _, r := range rows {
		if k.part(r).remove(k.Order, r) {
			k.held--
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
		shown := p.rows[:n:n]
		if k.Number {
			shown = make([]types.Row, n)
			for i := range n {
				shown[i] = append(append(make(types.Row, 0, len(p.rows[i])+1), p.rows[i]...), types.Int(int64(i+1)))
			}
		} else {
			shown = slices.Clone(shown)
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
		if len(p.rows) == 0 && len(p.shown) == 0 {
			delete(k.parts, p.key) // an empty partition is forgotten
		}
	}
	clear(k.touched)
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
func (k *Rank) HeldKeys() int64 { return k.held }

func (k *Rank) Children() []Operator { return []Operator{k.Next} }
