package expr

import (
	"math"
	"strconv"
	"strings"

	"github.com/streamsql/streamsql/types"
)

// ArithOp is one of + - * / %.
type ArithOp byte

// Arith applies a binary arithmetic operator with SQL semantics: NULL in,
// NULL out; BIGINT op BIGINT stays BIGINT (integer division truncates, as in
// PostgreSQL and SQLite) unless it overflows, then it becomes DOUBLE; any
// DOUBLE makes the result DOUBLE; division or modulo by zero is NULL (as in
// SQLite), so one bad row cannot stop a continuous query. Text that reads
// as a number takes part as that number; other text yields NULL.
func Arith(op ArithOp, a, b types.Value) types.Value {
	a, b = numeric(a), numeric(b)
	if a.IsNull() || b.IsNull() {
		return types.Null
	}
	if a.Kind() == types.KindInt && b.Kind() == types.KindInt {
		return arithInt(op, a.AsInt(), b.AsInt())
	}
	x, _ := a.Float64()
	y, _ := b.Float64()
	r := arithFloat(op, x, y)
	if r.Kind() == types.KindFloat && math.IsNaN(r.AsFloat()) {
		return types.Null // Inf - Inf and the like: no number, as in SQLite
	}
	return r
}

func arithFloat(op ArithOp, x, y float64) types.Value {
	switch op {
	case '+':
		return types.Float(x + y)
	case '-':
		return types.Float(x - y)
	case '*':
		return types.Float(x * y)
	case '/':
		if y == 0 {
			return types.Null
		}
		return types.Float(x / y)
	case '%':
		if y == 0 {
			return types.Null
		}
		return types.Float(math.Mod(x, y))
	}
	return types.Null
}

func arithInt(op ArithOp, x, y int64) types.Value {
	switch op {
	case '+':
		s := x + y
		if (s > x) == (y > 0) {
			return types.Int(s)
		}
	case '-':
		s := x - y
		if (s < x) == (y > 0) {
			return types.Int(s)
		}
	case '*':
		if x == 0 || y == 0 {
			return types.Int(0)
		}
		p := x * y
		if p/y == x && !(x == -1 && y == math.MinInt64) && !(y == -1 && x == math.MinInt64) {
			return types.Int(p)
		}
	case '/':
		if y == 0 {
			return types.Null
		}
		if x == math.MinInt64 && y == -1 {
			break
		}
		return types.Int(x / y)
	case '%':
		if y == 0 {
			return types.Null
		}
		if y == -1 {
			return types.Int(0)
		}
		return types.Int(x % y)
	}
	// Overflow: fall back to DOUBLE rather than wrap around.
	return Arith(op, types.Float(float64(x)), types.Float(float64(y)))
}

// Negate is unary minus.
func Negate(v types.Value) types.Value {
	v = numeric(v)
	switch v.Kind() {
	case types.KindInt:
		if v.AsInt() == math.MinInt64 {
			return types.Float(-float64(v.AsInt()))
		}
		return types.Int(-v.AsInt())
	case types.KindFloat:
		return types.Float(-v.AsFloat())
	}
	return types.Null
}

// numeric returns v as a number when it is one or is text spelling one, and
// NULL otherwise.
func numeric(v types.Value) types.Value {
	switch v.Kind() {
	case types.KindInt, types.KindFloat:
		return v
	case types.KindText:
		if n, ok := ParseNumber(v.AsText()); ok {
			return n
		}
	case types.KindBool:
		if v.AsBool() {
			return types.Int(1)
		}
		return types.Int(0)
	}
	return types.Null
}

// ParseNumber reads s (surrounding spaces allowed) as BIGINT if it is an
// integer that fits, else as DOUBLE.
func ParseNumber(s string) (types.Value, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return types.Null, false
	}
	if i, err := strconv.ParseInt(s, 10, 64); err == nil {
		return types.Int(i), true
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		return types.Float(f), true
	}
	return types.Null, false
}

// Concat is `a || b`: NULL if either side is NULL.
func Concat(a, b types.Value) types.Value {
	if a.IsNull() || b.IsNull() {
		return types.Null
	}
	return types.Text(a.String() + b.String())
}
