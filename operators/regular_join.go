package operators

import (
	"github.com/streamsql/streamsql/expr"
	"github.com/streamsql/streamsql/types"
)

// RegularJoin is a join of two streams with no time bound (Flink SQL's
// regular join): every row of each side is kept, and each new row pairs
// with every row of the other side that matches it, whenever either
// arrived. Either input may be updating: a deleted row takes its pairs
// back.
//
// An outer side (Outer[0] LEFT, Outer[1] RIGHT, both FULL) makes the
// output updating: a row without a partner is emitted at once with NULLs
// for the other side, and deleted again when its first partner arrives
// (and emitted with NULLs again if its last partner is deleted). An inner
// join of two append-only inputs only appends.
//
// State grows with the input: what bounds it is the caller's (a WHERE
// before the join, --max-keys).
type RegularJoin struct {
	Keys  [2]JoinKeys
	Cond  expr.Func // the whole ON condition over a joined row
	Width [2]int
	Outer [2]bool
	// Retracting says which inputs are updating. An append-only side's
	// rows are kept as they come, without looking for an equal row to
	// count: the hot path of a big bucket.
	Retracting [2]bool
	Next       Operator
	in         inputs
	sides      [2]map[string]*joinBucket
	out        [2][]types.Row // pending inserts and deletes
	key        []byte
	joined     types.Row // scratch for evaluating Cond
}

// joinBucket holds one side's rows of one key: distinct rows, how many
// times each is present, and how many partners each has now.
type joinBucket struct {
	rows    []types.Row
	n       []int
	matches []int
}

// Input returns the operator side 0 (left) or 1 (right) pushes into.
func (j *RegularJoin) Input(side int) Operator {
	if j.in.n == 0 {
		j.in.n = 2
		j.sides = [2]map[string]*joinBucket{{}, {}}
	}
	return regularInput{j, side}
}

type regularInput struct {
	j    *RegularJoin
	side int
}

func (i regularInput) Push(rows []types.Row) error {
	for _, r := range rows {
		i.j.change(i.side, r, 1)
	}
	return i.j.flush()
}

func (i regularInput) Retract(rows []types.Row) error {
	for _, r := range rows {
		i.j.change(i.side, r, -1)
	}
	return i.j.flush()
}

func (i regularInput) EndBatch(b *BatchEnd) error {
	if !i.j.in.arrive(b) {
		return nil
	}
	m := i.j.in.merged
	m.StateKeys += i.j.HeldKeys()
	return i.j.Next.EndBatch(&m)
}

func (i regularInput) Children() []Operator { return []Operator{i.j.Next} }
func (i regularInput) Node() any            { return i.j }

// HeldKeys is the rows both sides keep.
func (j *RegularJoin) HeldKeys() int64 {
	n := 0
	for _, s := range j.sides {
		for _, b := range s {
			n += len(b.rows)
		}
	}
	return int64(n)
}

// flush hands the pending deletes, then inserts, downstream.
func (j *RegularJoin) flush() error {
	dels, ins := j.out[1], j.out[0]
	j.out = [2][]types.Row{}
	if err := Retract(j.Next, dels); err != nil {
		return err
	}
	if len(ins) > 0 {
		return j.Next.Push(ins)
	}
	return nil
}

// emit records an insert (d > 0) or a delete of row.
func (j *RegularJoin) emit(row types.Row, d int) {
	if d > 0 {
		j.out[0] = append(j.out[0], row)
	} else {
		j.out[1] = append(j.out[1], row)
	}
}

// pair is the joined row of l and r (either nil for an outer side's
// NULLs).
func (j *RegularJoin) pair(l, r types.Row) types.Row {
	out := make(types.Row, j.Width[0]+j.Width[1])
	if l != nil {
		copy(out, l)
	}
	if r != nil {
		copy(out[j.Width[0]:], r)
	}
	return out
}

func (j *RegularJoin) pairOf(side int, row, other types.Row) types.Row {
	if side == 0 {
		return j.pair(row, other)
	}
	return j.pair(other, row)
}

// matches reports whether row (of side) and other pair under ON.
func (j *RegularJoin) matches(side int, row, other types.Row) bool {
	if j.Cond == nil {
		return true
	}
	if j.joined == nil {
		j.joined = make(types.Row, j.Width[0]+j.Width[1])
	}
	if side == 0 {
		copy(j.joined, row)
		copy(j.joined[j.Width[0]:], other)
	} else {
		copy(j.joined, other)
		copy(j.joined[j.Width[0]:], row)
	}
	return expr.TruthOf(j.Cond(j.joined)) == expr.True
}

// change applies one insert (d = 1) or delete (d = -1) of row on side.
func (j *RegularJoin) change(side int, row types.Row, d int) {
	if j.in.n == 0 {
		j.Input(0)
	}
	key, ok := j.Keys[side].appendKey(j.key[:0], row)
	j.key = key
	if !ok {
		// A NULL key never matches: an outer side keeps the row with
		// NULLs, an inner side drops it.
		if j.Outer[side] {
			j.emit(j.pairOf(side, row, nil), d)
		}
		return
	}
	other := 1 - side
	mine := j.sides[side][string(key)]
	if mine == nil {
		if d < 0 {
			return // a delete of a row never seen
		}
		mine = &joinBucket{}
		j.sides[side][string(key)] = mine
	}
	idx := -1
	if j.Retracting[side] {
		for i, r := range mine.rows {
			if rowsEqual(r, row) {
				idx = i
				break
			}
		}
	}
	if idx < 0 {
		if d < 0 {
			return
		}
		mine.rows = append(mine.rows, row)
		mine.n = append(mine.n, 0)
		mine.matches = append(mine.matches, 0)
		idx = len(mine.rows) - 1
	}
	// Pair with every row of the other side's bucket.
	found := 0
	if theirs := j.sides[other][string(key)]; theirs != nil {
		for i, o := range theirs.rows {
			if !j.matches(side, row, o) {
				continue
			}
			found += theirs.n[i]
			for k := 0; k < theirs.n[i]; k++ {
				j.emit(j.pairOf(side, row, o), d)
			}
			// o's partner count moves by one copy of row; an outer o
			// loses its NULLs at its first partner and regains them
			// after its last.
			before := theirs.matches[i]
			theirs.matches[i] += d
			if j.Outer[other] {
				switch {
				case before == 0 && theirs.matches[i] > 0:
					for k := 0; k < theirs.n[i]; k++ {
						j.emit(j.pairOf(other, o, nil), -1)
					}
				case before > 0 && theirs.matches[i] == 0:
					for k := 0; k < theirs.n[i]; k++ {
						j.emit(j.pairOf(other, o, nil), 1)
					}
				}
			}
		}
	}
	mine.n[idx] += d
	mine.matches[idx] = found
	if j.Outer[side] && found == 0 {
		j.emit(j.pairOf(side, row, nil), d)
	}
	if mine.n[idx] <= 0 {
		last := len(mine.rows) - 1
		mine.rows[idx], mine.n[idx], mine.matches[idx] = mine.rows[last], mine.n[last], mine.matches[last]
		mine.rows, mine.n, mine.matches = mine.rows[:last], mine.n[:last], mine.matches[:last]
		if last == 0 {
			delete(j.sides[side], string(key))
		}
	}
}
