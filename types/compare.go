package types

import (
	"cmp"
	"math"
)

// Compare orders two non-NULL values: numbers by value across BIGINT and
// DOUBLE, text bytewise, timestamps by instant, false before true. Values of
// unrelated kinds order by kind so sorting mixed data stays total. NULL
// sorts before everything; callers that need SQL's NULL semantics check
// IsNull first.
func Compare(a, b Value) int {
	if a.kind == b.kind {
		switch a.kind {
		case KindNull:
			return 0
		case KindInt, KindTime:
			return cmp.Compare(int64(a.n), int64(b.n))
		case KindFloat:
			return cmp.Compare(a.AsFloat(), b.AsFloat())
		case KindText:
			return cmp.Compare(a.str(), b.str())
		case KindBool:
			return cmp.Compare(a.n, b.n)
		case KindDecimal:
			return compareDecimal(a, b)
		case KindArray:
			x, y := a.AsArray(), b.AsArray()
			for i := 0; i < len(x) && i < len(y); i++ {
				if c := Compare(x[i], y[i]); c != 0 {
					return c
				}
			}
			return cmp.Compare(len(x), len(y))
		}
	}
	if a.kind.Numeric() && b.kind.Numeric() {
		if a.kind == KindDecimal || b.kind == KindDecimal {
			return compareDecimal(a, b)
		}
		return compareMixed(a, b)
	}
	return cmp.Compare(a.kind, b.kind)
}

// compareMixed compares a BIGINT with a DOUBLE without losing precision for
// integers beyond 2^53.
func compareMixed(a, b Value) int {
	if a.kind == KindFloat {
		return -compareMixed(b, a)
	}
	i, f := int64(a.n), b.AsFloat()
	if math.IsNaN(f) {
		return 1
	}
	if f >= 9.3e18 {
		return -1
	}
	if f <= -9.3e18 {
		return 1
	}
	t := math.Trunc(f)
	if c := cmp.Compare(i, int64(t)); c != 0 {
		return c
	}
	return cmp.Compare(0, f-t)
}

// Equal reports whether two values are the same for grouping: NULL equals
// NULL (as GROUP BY treats it), and 1 equals 1.0.
func Equal(a, b Value) bool {
	if a.kind == b.kind && a.kind != KindArray && a.kind != KindDecimal {
		if a.kind == KindText {
			return a.str() == b.str()
		}
		return a.n == b.n // the same kind, so no text: what n says is all
	}
	return Compare(a, b) == 0
}
