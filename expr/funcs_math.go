package expr

import (
	"math"
	"math/bits"
	"strconv"

	"github.com/streamsql/streamsql/types"
)

// Math functions. Arguments are numbers or text that reads as one (as in
// arithmetic); anything else (non-numeric text, timestamps, arrays) gives
// NULL. A result that is not a number (NaN), such as sqrt(-1) or ln(0),
// is NULL, as in SQLite (PostgreSQL raises an error instead).

func init() {
	register(&Scalar{Name: "abs", MinArgs: 1, MaxArgs: 1, Doc: "abs(-3) = 3", Fn: absFn})
	register(&Scalar{Name: "round", MinArgs: 1, MaxArgs: 2, Doc: "round(2.5) = 3.0 and round(-0.125, 2) = -0.13 (DOUBLE, half away from zero, as SQLite)", Fn: roundFn})
	register(&Scalar{Name: "floor", MinArgs: 1, MaxArgs: 1, Doc: "floor(-1.5) = -2.0", Fn: intOrFloat(math.Floor)})
	ceil := &Scalar{Name: "ceil", MinArgs: 1, MaxArgs: 1, Doc: "ceil(1.2) = 2.0", Fn: intOrFloat(math.Ceil)}
	register(ceil)
	alias("ceiling", "ceiling(7) = 7", ceil)
	register(&Scalar{Name: "sqrt", MinArgs: 1, MaxArgs: 1, Doc: "sqrt(16) = 4.0", Fn: float1(math.Sqrt)})
	power := &Scalar{Name: "power", MinArgs: 2, MaxArgs: 2, Doc: "power(2, 10) = 1024.0", Fn: float2(math.Pow)}
	register(power)
	alias("pow", "pow(4, 0.5) = 2.0", power)
	register(&Scalar{Name: "mod", MinArgs: 2, MaxArgs: 2, Doc: "mod(-7, 3) = -1.0 (DOUBLE, as SQLite)",
		Fn: float2(func(x, y float64) float64 {
			if y == 0 {
				return math.NaN()
			}
			return math.Mod(x, y)
		})})
	register(&Scalar{Name: "sign", MinArgs: 1, MaxArgs: 1, Doc: "sign(-2.5) = -1 (BIGINT, as SQLite)", Fn: signFn})
	register(&Scalar{Name: "exp", MinArgs: 1, MaxArgs: 1, Doc: "exp(0) = 1.0", Fn: float1(math.Exp)})
	register(&Scalar{Name: "ln", MinArgs: 1, MaxArgs: 1, Doc: "ln(1) = 0.0", Fn: float1(positive(math.Log))})
	register(&Scalar{Name: "log10", MinArgs: 1, MaxArgs: 1, Doc: "log10(1000) = 3.0", Fn: float1(positive(math.Log10))})
	register(&Scalar{Name: "log", MinArgs: 1, MaxArgs: 2, Doc: "log(100) = 2.0 and log(2, 8) = 3.0", Fn: logFn})
}

// absFn keeps BIGINT and DOUBLE; for text that spells a number the result
// is DOUBLE, as in SQLite.
func absFn(a []types.Value) types.Value {
	v := numeric(a[0])
	if a[0].Kind() == types.KindText {
		v = numeric(Cast(v, types.KindFloat))
	}
	if v.Kind() == types.KindDecimal {
		d, _ := v.AsDecimal()
		return types.Decimal(d.Abs(d))
	}
	switch v.Kind() {
	case types.KindInt:
		if v.AsInt() < 0 {
			return Negate(v) // -2^63 becomes DOUBLE rather than overflow
		}
		return v
	case types.KindFloat:
		f := v.AsFloat()
		if f < 0 { // so abs(-0.0) stays -0, as in SQLite
			f = -f
		}
		return floatResult(f)
	}
	return types.Null
}

// intOrFloat applies an integral rounding: BIGINT stays BIGINT unchanged,
// DOUBLE stays DOUBLE (as SQLite's and PostgreSQL's floor and ceil).
func intOrFloat(f func(float64) float64) func([]types.Value) types.Value {
	return func(a []types.Value) types.Value {
		v := numeric(a[0])
		if v.Kind() == types.KindDecimal {
			f, _ := v.Float64()
			v = types.Float(f)
		}
		switch v.Kind() {
		case types.KindInt:
			return v
		case types.KindFloat:
			return floatResult(f(v.AsFloat()))
		}
		return types.Null
	}
}

func float1(f func(float64) float64) func([]types.Value) types.Value {
	return func(a []types.Value) types.Value {
		x, ok := numeric(a[0]).Float64()
		if !ok {
			return types.Null
		}
		return floatResult(f(x))
	}
}

func float2(f func(x, y float64) float64) func([]types.Value) types.Value {
	return func(a []types.Value) types.Value {
		x, ok := numeric(a[0]).Float64()
		y, ok2 := numeric(a[1]).Float64()
		if !ok || !ok2 {
			return types.Null
		}
		return floatResult(f(x, y))
	}
}

// positive restricts a logarithm to x > 0; elsewhere the result is NULL.
func positive(f func(float64) float64) func(float64) float64 {
	return func(x float64) float64 {
		if !(x > 0) {
			return math.NaN()
		}
		return f(x)
	}
}

// logFn is log10(x) with one argument and the logarithm of x to base b
// with two (b first), as in SQLite and PostgreSQL. As in SQLite a base not
// above 1 gives NULL (PostgreSQL accepts bases between 0 and 1).
func logFn(a []types.Value) types.Value {
	if len(a) == 1 {
		return float1(positive(math.Log10))(a)
	}
	return float2(func(b, x float64) float64 {
		if !(b > 1) || !(x > 0) {
			return math.NaN()
		}
		return math.Log(x) / math.Log(b)
	})(a)
}

// signFn is -1, 0 or 1 as a BIGINT whatever the argument's type, as
// SQLite's sign (PostgreSQL keeps the argument's type).
func signFn(a []types.Value) types.Value {
	x, ok := numeric(a[0]).Float64()
	switch {
	case !ok || math.IsNaN(x):
		return types.Null
	case x < 0:
		return types.Int(-1)
	case x > 0:
		return types.Int(1)
	}
	return types.Int(0)
}

// roundFn is SQLite's round: the result is always DOUBLE; halves round away
// from zero (PostgreSQL rounds a DOUBLE half to even); digits is truncated
// to an integer and clamped to 0..30, so a negative digits counts as 0
// (PostgreSQL would round to tens, hundreds...); a non-numeric digits gives
// NULL (SQLite would read it as 0).
func roundFn(a []types.Value) types.Value {
	x, ok := numeric(a[0]).Float64()
	if !ok {
		return types.Null
	}
	digits := int64(0)
	if len(a) > 1 {
		if digits, ok = intArg(a[1]); !ok {
			return types.Null
		}
		digits = max(0, min(digits, 30))
	}
	return floatResult(roundDigits(x, int(digits)))
}

// roundDigits rounds x to n decimal places, half away from zero. For n = 0
// it computes exactly what SQLite does (including its 0.5 addition, so
// 0.49999999999999994 rounds to 1); otherwise it rounds the exact binary
// value of x, as SQLite 3.43 and later do: round(2.675, 2) is 2.67 because
// the DOUBLE nearest 2.675 is 2.67499999999999982236431605997495353221893310546875.
func roundDigits(x float64, n int) float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return x
	}
	if n == 0 {
		if x > -4503599627370496 && x < 4503599627370496 {
			if x < 0 {
				return float64(int64(x - 0.5))
			}
			return float64(int64(x + 0.5))
		}
		return x
	}
	if x == 0 {
		return 0 // SQLite rounds -0 to 0 (but -0.001 to -0)
	}
	places := decimalPlaces(x)
	if places <= n {
		return x
	}
	if places > n+1 {
		// No tie is possible, and FormatFloat rounds the exact value
		// correctly.
		r, _ := strconv.ParseFloat(strconv.FormatFloat(x, 'f', n, 64), 64)
		return r
	}
	// The exact expansion ends in a 5 just after the last kept place: a
	// tie, which goes away from zero (FormatFloat would go to even).
	s := strconv.FormatFloat(x, 'f', n+1, 64) // exact
	b := []byte(s[:len(s)-1])
	i := len(b) - 1
	for ; i >= 0; i-- {
		if b[i] == '.' {
			continue
		}
		if b[i] < '0' || b[i] > '9' {
			break // the sign
		}
		if b[i] < '9' {
			b[i]++
			break
		}
		b[i] = '0'
	}
	if i < 0 || b[i] == '-' {
		// Carried out of the leading digit: 9.95 -> 10.0.
		b = append(b[:i+1], append([]byte{'1'}, b[i+1:]...)...)
	}
	r, _ := strconv.ParseFloat(string(b), 64)
	return r
}

// decimalPlaces is the number of digits after the decimal point in the
// exact decimal expansion of x: a DOUBLE m·2^-k with m odd has k of them.
func decimalPlaces(x float64) int {
	if x == 0 {
		return 0
	}
	frac, exp := math.Frexp(math.Abs(x))
	mant := uint64(frac * (1 << 53))
	e := exp - 53 + bits.TrailingZeros64(mant)
	if e >= 0 {
		return 0
	}
	return -e
}
