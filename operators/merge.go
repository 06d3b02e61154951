package operators

import "github.com/streamsql/streamsql/types"

// inputs aligns the batch ends of an operator with several inputs (the
// sides of a join, the branches of a union): every input closes every
// batch once, and the operator closes it downstream when the last one
// has. The counts of dropped rows and state add up, those made above a
// fan-out whose branches meet here once; the batch is emitted when any
// input emitted.
type inputs struct {
	n       int
	arrived int
	merged  BatchEnd
	paths   [][]fork // the fan-outs each input of the batch passed
}

// fork is a fan-out a batch passed and the batch's counts there.
type fork struct {
	at                         *Fanout
	late, malformed, stateKeys int64
}

// arrive records input's end of the batch and reports whether it was
// the last one; then merged is the batch to pass on.
func (in *inputs) arrive(b *BatchEnd) bool {
	if in.arrived == 0 {
		in.merged = *b
		in.paths = append(in.paths[:0], b.forks)
	} else {
		m := &in.merged
		// The innermost fan-out b passed that an input before it passed
		// too: what was counted above it is in m already.
		k := 0
		for _, p := range in.paths {
			i := 0
			for i < len(p) && i < len(b.forks) && p[i].at == b.forks[i].at {
				i++
			}
			k = max(k, i)
		}
		var above fork
		if k > 0 {
			above = b.forks[k-1]
		}
		in.paths = append(in.paths, b.forks)
		// Downstream, the merged batch has passed the fan-outs every
		// input passed.
		i := 0
		for i < len(m.forks) && i < len(b.forks) && m.forks[i].at == b.forks[i].at {
			i++
		}
		m.forks = m.forks[:i:i]
		m.Late += b.Late - above.late
		m.Malformed += b.Malformed - above.malformed
		m.StateKeys += b.StateKeys - above.stateKeys
		m.Emitted = m.Emitted || b.Emitted
		m.Pending = m.Pending || b.Pending
		if m.Window == nil || b.Window == nil || *m.Window != *b.Window {
			m.Window = nil
		}
	}
	in.arrived++
	if in.arrived < in.n {
		return false
	}
	in.arrived = 0
	clear(in.paths)
	return true
}

// Union passes on the rows of all its inputs (UNION ALL).
type Union struct {
	Next Operator
	in   inputs
}

// NewUnion returns a union of n inputs; Input(i) is where input i pushes.
func NewUnion(n int, next Operator) *Union { return &Union{Next: next, in: inputs{n: n}} }

// Input returns the operator input i pushes its rows into.
func (u *Union) Input(i int) Operator { return unionInput{u} }

type unionInput struct{ u *Union }

func (i unionInput) Push(rows []types.Row) error { return i.u.Next.Push(rows) }
func (i unionInput) EndBatch(b *BatchEnd) error {
	if !i.u.in.arrive(b) {
		return nil
	}
	m := i.u.in.merged
	return i.u.Next.EndBatch(&m)
}
