package planner

import (
	"strings"

	"github.com/streamsql/streamsql/expr"
	"github.com/streamsql/streamsql/parser"
	"github.com/streamsql/streamsql/types"
)

// typeOf infers the static type of an expression, or KindNull when it is
// only known at run time (schemaless input, CASE, most functions). The
// planner uses it to reject what cannot be meant, as PostgreSQL would: a
// sum of text, a timestamp in arithmetic, a text as a condition. Where the
// type is unknown, values are coerced at run time instead (SQLite's way).
//
// Each node's type is worked out once per scope: compile asks for the
// types of operands at every level, which without the memo is quadratic
// in a long chain such as 1+1+...+1.
func (p *planning) typeOf(e parser.Expr, sc *scope) types.Kind {
	key := typeKey{e, sc, len(sc.cols)}
	if k, ok := p.types[key]; ok {
		return k
	}
	k := p.inferType(e, sc)
	if p.types == nil {
		p.types = map[typeKey]types.Kind{}
	}
	p.types[key] = k
	return k
}

// typeKey is an expression node in a scope as it stands (a scope that
// gains a column may resolve the node differently).
type typeKey struct {
	e  parser.Expr
	sc *scope
	n  int
}

func (p *planning) inferType(e parser.Expr, sc *scope) types.Kind {
	if i := sc.lookupExpr(e); i >= 0 {
		return sc.cols[i].kind
	}
	switch e := e.(type) {
	case *parser.Literal:
		return e.Value.Kind()
	case *parser.ColumnRef:
		if i := sc.lookup(e.Name); i >= 0 {
			return sc.cols[i].kind
		}
	case *parser.Unary:
		if e.Op == "NOT" {
			return types.KindBool
		}
		if k := p.typeOf(e.X, sc); k.Numeric() {
			return k
		}
	case *parser.Binary:
		switch e.Op {
		case "AND", "OR", "=", "<>", "<", "<=", ">", ">=":
			return types.KindBool
		case "||":
			return types.KindText
		}
		_, li := e.L.(*parser.Interval)
		_, ri := e.R.(*parser.Interval)
		if li || ri {
			return types.KindTime
		}
		l, r := p.typeOf(e.L, sc), p.typeOf(e.R, sc)
		switch {
		case l == types.KindInt && r == types.KindInt:
			return types.KindInt
		case l == types.KindFloat || r == types.KindFloat:
			if l.Numeric() && r.Numeric() {
				return types.KindFloat
			}
		case l.Numeric() && r.Numeric():
			return types.KindDecimal // BIGINT and DECIMAL
		}
	case *parser.IsNull, *parser.In, *parser.Between, *parser.Like:
		return types.KindBool
	case *parser.Cast:
		if k, ok := expr.KindByName(e.Type); ok {
			return k
		}
	case *parser.Call:
		switch strings.ToLower(e.Name) {
		case "count", "approx_count_distinct", "length":
			return types.KindInt
		case "avg":
			return types.KindFloat
		case "min", "max":
			if len(e.Args) == 1 {
				return p.typeOf(e.Args[0], sc)
			}
		case "sum":
			// BIGINT sums stay BIGINT, DOUBLE DOUBLE, DECIMAL exact.
			if len(e.Args) == 1 {
				if k := p.typeOf(e.Args[0], sc); k.Numeric() {
					return k
				}
			}
		case "lower", "upper", "trim", "ltrim", "rtrim", "substr", "replace", "concat", "split_part":
			return types.KindText
		case "to_timestamp", "date_trunc", "now":
			return types.KindTime
		case "split":
			return types.KindArray
		}
	}
	return types.KindNull
}

// numericOperand reports whether e can be an operand of arithmetic or SUM:
// a number, unknown until run time, or text spelling a number.
func (p *planning) numericOperand(e parser.Expr, sc *scope) (types.Kind, bool) {
	k := p.typeOf(e, sc)
	switch k {
	case types.KindNull, types.KindInt, types.KindFloat, types.KindDecimal:
		return k, true
	case types.KindText:
		if l, ok := e.(*parser.Literal); ok {
			_, isNum := expr.ParseNumber(l.Value.AsText())
			return k, isNum
		}
	}
	return k, false
}

// checkCondition rejects WHERE/HAVING conditions that cannot be truth
// values.
func (p *planning) checkCondition(e parser.Expr, sc *scope, clause string) error {
	switch k := p.typeOf(e, sc); k {
	case types.KindText, types.KindTime, types.KindArray:
		return p.errorf(e.Position(), ErrType, "%s condition must be BOOLEAN, but %s is %s", clause, e, k)
	}
	return nil
}
