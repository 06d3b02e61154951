package operators

import (
	"github.com/streamsql/streamsql/expr"
	"github.com/streamsql/streamsql/types"
)

// Unnest emits, for each input row, one row per element of the array Expr
// computes, made of the input row followed by the element. NULL and empty
// arrays yield no rows (as a lateral join would); a non-array value yields
// one row holding it.
type Unnest struct {
	Expr expr.Func
	Next Operator
}

func (u *Unnest) Push(rows []types.Row) error {
	if len(rows) == 0 {
		return nil
	}
	width := len(rows[0]) + 1
	var out []types.Row
	var arena []types.Value
	emit := func(r types.Row, v types.Value) {
		if len(arena) < width {
			arena = make([]types.Value, width*256)
		}
		o := arena[:width:width]
		arena = arena[width:]
		copy(o, r)
		o[width-1] = v
		out = append(out, o)
	}
	for _, r := range rows {
		v := u.Expr(r)
		switch v.Kind() {
		case types.KindNull:
		case types.KindArray:
			for _, e := range v.AsArray() {
				emit(r, e)
			}
		default:
			emit(r, v)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return u.Next.Push(out)
}

func (u *Unnest) EndBatch(b *BatchEnd) error { return u.Next.EndBatch(b) }

// Fanout feeds several operators the same rows: the branches of queries
// that read one named stream. Each branch gets its own copy of the batch
// description, as operators annotate it on the way down.
type Fanout struct {
	Next []Operator
}

func (f *Fanout) Push(rows []types.Row) error {
	for _, n := range f.Next {
		if err := n.Push(rows); err != nil {
			return err
		}
	}
	return nil
}

func (f *Fanout) EndBatch(b *BatchEnd) error {
	forks := b.forks[:len(b.forks):len(b.forks)] // each copy appends its own
	for _, n := range f.Next {
		c := *b
		c.forks = append(forks, fork{f, b.Late, b.Malformed, b.StateKeys})
		if err := n.EndBatch(&c); err != nil {
			return err
		}
	}
	return nil
}
