package expr

import (
	"math"

	"strconv"
	"strings"

	"github.com/cockroachdb/apd/v3"

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
	if (a.Kind() == types.KindDecimal || b.Kind() == types.KindDecimal) &&
		a.Kind() != types.KindFloat && b.Kind() != types.KindFloat {
		return arithDecimal(op, a, b)
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
	case types.KindDecimal:
		d, _ := v.AsDecimal()
		d.Neg(d)
		return types.Decimal(d)
	}
	return types.Null
}

// numeric returns v as a number when it is one or is text spelling one, and
// NULL otherwise.
func numeric(v types.Value) types.Value {
	switch v.Kind() {
	case types.KindInt, types.KindFloat, types.KindDecimal:
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

// arithDecimal is exact arithmetic on DECIMALs (and BIGINTs with them):
// + - * keep every digit (the scale of a product is the sum of the
// scales, as in SQL); / gives up to 18 digits after the point (at least
// the operands'); % is the remainder. Division by zero is NULL.
func arithDecimal(op ArithOp, a, b types.Value) types.Value {
	x, ok1 := a.AsDecimal()
	y, ok2 := b.AsDecimal()
	if !ok1 || !ok2 {
		return types.Null
	}
	var r apd.Decimal
	ctx := types.DecimalContext
	var err error
	switch op {
	case '+':
		_, err = ctx.Add(&r, x, y)
	case '-':
		_, err = ctx.Sub(&r, x, y)
	case '*':
		_, err = ctx.Mul(&r, x, y)
	case '/', '%':
		if y.IsZero() {
			return types.Null
		}
		if op == '%' {
			_, err = ctx.Rem(&r, x, y)
			break
		}
		if _, err = ctx.Quo(&r, x, y); err == nil {
			// 18 digits after the point at most, trailing zeros dropped
			// down to the operands' scale: 1.0 / 4 = 0.25, 1.0 / 3 =
			// 0.333333333333333333, 10.0 / 2 = 5.0.
			keep := max(-x.Exponent, -y.Exponent, 0)
			if _, err = ctx.Quantize(&r, &r, -max(18, keep)); err == nil {
				r.Reduce(&r)
				if -r.Exponent < keep {
					_, err = ctx.Quantize(&r, &r, -keep)
				}
			}
		}
	}
	if err != nil {
		x, _ := a.Float64()
		y, _ := b.Float64()
		return arithFloat(op, x, y)
	}
	return types.Decimal(&r)
}
