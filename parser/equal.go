package parser

import "strings"

// Equal reports whether a and b are the same expression as written: the
// same tree with the same names, spelt alike, and the same constants. It
// agrees with comparing a.String() and b.String(), but stops at the first
// difference instead of printing both, so the planner can ask it of every
// subexpression (is this a GROUP BY key? an aggregate already computed?)
// in time linear in the query.
func Equal(a, b Expr) bool {
	switch a := a.(type) {
	case nil:
		return b == nil
	case *ColumnRef:
		b, ok := b.(*ColumnRef)
		return ok && a.Table == b.Table && a.Name == b.Name
	case *Literal:
		b, ok := b.(*Literal)
		return ok && a.Value.Kind() == b.Value.Kind() && literalString(a.Value) == literalString(b.Value)
	case *Param:
		b, ok := b.(*Param)
		return ok && a.N == b.N
	case *Interval:
		b, ok := b.(*Interval)
		return ok && a.Value == b.Value && strings.EqualFold(a.Unit, b.Unit)
	case *Unary:
		b, ok := b.(*Unary)
		return ok && a.Op == b.Op && Equal(a.X, b.X)
	case *Binary:
		// Long chains nest to the left (a+b+c is (a+b)+c): loop down the
		// left spine and recurse only into the right operands, so a chain
		// of any length costs no stack.
		for {
			bb, ok := b.(*Binary)
			if !ok || a.Op != bb.Op || !Equal(a.R, bb.R) {
				return false
			}
			al, aok := a.L.(*Binary)
			bl, bok := bb.L.(*Binary)
			if !aok || !bok {
				return Equal(a.L, bb.L)
			}
			a, b = al, bl
		}
	case *Call:
		b, ok := b.(*Call)
		return ok && a.Name == b.Name && a.Star == b.Star && a.Distinct == b.Distinct && equalList(a.Args, b.Args) &&
			(a.Filter == nil) == (b.Filter == nil) && (a.Filter == nil || Equal(a.Filter, b.Filter)) &&
			(a.Over == nil) == (b.Over == nil) && (a.Over == nil || a.Over.String() == b.Over.String())
	case *IsNull:
		b, ok := b.(*IsNull)
		return ok && a.Not == b.Not && Equal(a.X, b.X)
	case *In:
		b, ok := b.(*In)
		return ok && a.Not == b.Not && Equal(a.X, b.X) && equalList(a.List, b.List)
	case *Between:
		b, ok := b.(*Between)
		return ok && a.Not == b.Not && Equal(a.X, b.X) && Equal(a.Lo, b.Lo) && Equal(a.Hi, b.Hi)
	case *Like:
		b, ok := b.(*Like)
		return ok && a.Not == b.Not && Equal(a.X, b.X) && Equal(a.Pattern, b.Pattern)
	case *Case:
		b, ok := b.(*Case)
		if !ok || len(a.Whens) != len(b.Whens) || !Equal(a.Operand, b.Operand) || !Equal(a.Else, b.Else) {
			return false
		}
		for i, w := range a.Whens {
			if !Equal(w.Cond, b.Whens[i].Cond) || !Equal(w.Then, b.Whens[i].Then) {
				return false
			}
		}
		return true
	case *Cast:
		b, ok := b.(*Cast)
		return ok && a.Type == b.Type && a.Prec == b.Prec && a.Scale == b.Scale && Equal(a.X, b.X)
	}
	return a != nil && b != nil && a.String() == b.String()
}

func equalList(a, b []Expr) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !Equal(a[i], b[i]) {
			return false
		}
	}
	return true
}
