package expr

import (
	"math"
	"testing"
)

func TestMathFunctions(t *testing.T) {
	inf := f(math.Inf(1))
	when := ts("2026-01-02T03:04:05Z")
	runCases(t, []fcase{
		c("abs", i(3), i(-3)),
		c("abs", i(3), i(3)),
		c("abs", f(2.5), f(-2.5)),
		c("abs", f(math.Copysign(0, -1)), f(math.Copysign(0, -1))), // as SQLite
		c("abs", f(4), s("-4")), // text gives DOUBLE, as SQLite
		c("abs", f(4.5), s(" -4.5 ")),
		c("abs", n, s("abc")),
		c("abs", n, s("")),
		c("abs", n, when),
		c("abs", f(9.223372036854775808e18), i(math.MinInt64)),
		c("abs", i(1), b(true)),
		c("abs", n, s("NaN")),
		c("abs", n, n),

		// round: DOUBLE, half away from zero, digits clamped to 0..30, as
		// SQLite (results checked against sqlite3 3.40).
		c("round", f(3), f(2.5)),
		c("round", f(-3), f(-2.5)),
		c("round", f(1), f(0.5)),
		c("round", f(0), f(-0.4)),
		c("round", f(0), f(math.Copysign(0, -1)), i(1)),
		c("round", f(1), f(0.49999999999999994)),
		c("round", f(2.67), f(2.675), i(2)), // 2.67499999999999982236431605997495353221893310546875
		c("round", f(1), f(1.005), i(2)),
		c("round", f(-1), f(-1.005), i(2)),
		c("round", f(0.13), f(0.125), i(2)),
		c("round", f(0.28), f(0.285), i(2)),
		c("round", f(-0.13), f(-0.125), i(2)), // an exact tie goes away from zero
		c("round", f(2.5), f(2.45), i(1)),
		c("round", f(9.9), f(9.95), i(1)),
		c("round", f(10), f(9.96), i(1)),
		c("round", f(100), f(99.99), i(1)),
		c("round", f(-100), f(-99.99), i(1)),
		c("round", f(0), f(0.001), i(2)),
		c("round", f(math.Copysign(0, -1)), f(-0.001), i(2)),
		c("round", f(1.23e-05), f(1.23456789e-5), i(7)),
		c("round", f(123456789.13), f(123456789.125), i(2)),
		c("round", f(5), i(5)),
		c("round", f(1235), f(1234.5), i(-2)),
		c("round", f(2.6), f(2.56), f(1.7)),
		c("round", f(3), s("2.5")),
		c("round", f(123.456), f(123.456), i(40)),
		c("round", f(1e300), f(1e300), i(2)),
		c("round", f(1e20), f(1e20)),
		c("round", f(9.223372036854775807e18), i(math.MaxInt64)),
		c("round", inf, inf, i(2)),
		c("round", n, s("x")),
		c("round", n, f(2.5), s("x")),
		c("round", n, n),
		c("round", n, f(1.5), n),

		c("floor", f(-2), f(-1.5)),
		c("floor", f(-1), f(-0.5)),
		c("floor", i(2), i(2)),
		c("floor", i(math.MinInt64), i(math.MinInt64)),
		c("floor", f(2), s("2.5")),
		c("floor", i(-7), s("-7")),
		c("floor", f(1e300), f(1e300)),
		c("floor", n, s("abc")),
		c("floor", n, n),
		c("ceil", f(2), f(1.2)),
		c("ceil", f(math.Copysign(0, -1)), f(-0.5)), // -0, as SQLite and PostgreSQL
		c("ceil", i(7), i(7)),
		c("ceil", n, when),
		c("ceiling", f(8), f(7.1)),
		c("ceiling", i(-3), i(-3)),

		c("sqrt", f(4), i(16)),
		c("sqrt", f(math.Sqrt2), i(2)),
		c("sqrt", f(2), s("4")),
		c("sqrt", f(math.Copysign(0, -1)), f(math.Copysign(0, -1))),
		c("sqrt", n, i(-1)),
		c("sqrt", n, s("four")),
		c("sqrt", n, n),

		c("power", f(1024), i(2), i(10)),
		c("power", f(-8), i(-2), i(3)),
		c("power", f(0.5), i(2), i(-1)),
		c("power", n, i(-8), f(1.0/3)),
		c("power", inf, i(0), i(-1)),
		c("power", n, i(2), s("x")),
		c("power", n, n, i(2)),
		c("pow", f(2), i(4), f(0.5)),

		c("mod", f(-1), i(-7), i(3)),
		c("mod", f(1), i(7), i(3)),
		c("mod", f(1.5), f(7.5), i(2)),
		c("mod", n, i(7), i(0)),
		c("mod", n, i(7), s("a")),
		c("mod", n, i(7), n),

		c("sign", i(-1), f(-2.5)),
		c("sign", i(1), i(3)),
		c("sign", i(0), i(0)),
		c("sign", i(0), f(math.Copysign(0, -1))),
		c("sign", i(1), s("3")),
		c("sign", i(-1), i(math.MinInt64)),
		c("sign", n, s("abc")),
		c("sign", n, n),

		c("exp", f(1), i(0)),
		c("exp", f(math.E), i(1)),
		c("exp", inf, i(1000)),
		c("exp", f(0), i(-1000)),
		c("exp", n, s("e")),
		c("ln", f(0), i(1)),
		c("ln", f(1), f(math.E)),
		c("ln", n, i(0)),
		c("ln", n, i(-1)),
		c("log10", f(3), i(1000)),
		c("log10", f(-2), f(0.01)),
		c("log10", n, i(0)),
		c("log", f(2), i(100)),
		c("log", f(3), i(2), i(8)),
		c("log", n, i(1), i(8)),
		c("log", n, f(0.5), i(4)), // as SQLite: a base must be above 1
		c("log", n, i(-2), i(8)),
		c("log", n, i(2), i(0)),
		c("log", n, n, i(8)),
	})
}

func TestRoundDigitsCarry(t *testing.T) {
	for _, tc := range []struct {
		x    float64
		n    int
		want float64
	}{
		{9.999, 2, 10}, {-9.999, 2, -10}, {0.0999, 3, 0.1}, {999.9996, 3, 1000}, {1.25, 1, 1.3},
		{-1.25, 1, -1.3}, {1.24999, 1, 1.2}, {5e-324, 30, 0}, {math.MaxFloat64, 2, math.MaxFloat64},
		{9.5, 0, 10}, {99.5, 0, 100}, {0.5, 1, 0.5}, {0.75, 1, 0.8}, {-0.75, 1, -0.8}, {99.75, 1, 99.8},
		{9.875, 2, 9.88}, {99.875, 2, 99.88}, {0.0625, 3, 0.063}, {1e22, 5, 1e22}, {1.5e-300, 30, 0},
	} {
		if got := roundDigits(tc.x, tc.n); got != tc.want {
			t.Errorf("roundDigits(%v, %d) = %v, want %v", tc.x, tc.n, got, tc.want)
		}
	}
}
