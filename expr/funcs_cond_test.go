package expr

import "testing"

func TestConditionalFunctions(t *testing.T) {
	early, late := ts("2026-01-01T00:00:00Z"), ts("2026-06-01T00:00:00Z")
	runCases(t, []fcase{
		c("coalesce", i(2), n, i(2), i(3)),
		c("coalesce", n, n, n),
		c("coalesce", s(""), n, s("")),
		c("coalesce", i(1), i(1)),

		c("nullif", n, i(0), i(0)),
		c("nullif", i(5), i(5), i(0)),
		c("nullif", n, n, i(1)),
		c("nullif", i(1), i(1), n),
		c("nullif", n, n, n),
		c("nullif", n, i(1), f(1.0)),
		c("nullif", n, s("12"), i(12)),
		c("nullif", s("a"), s("a"), s("b")),
		c("nullif", s(""), s(""), s(" ")),

		c("greatest", f(2.5), i(1), n, f(2.5)),
		c("greatest", n, n, n),
		c("greatest", i(3), i(3), f(3.0)),
		c("greatest", f(3), f(3.0), i(3)),
		c("greatest", f(2.5), i(2), f(2.5), i(1)),
		c("greatest", s("b"), s("b"), s("a")),
		c("greatest", i(-1), i(-1), f(-1.5)),
		c("greatest", s("10"), s("10"), i(9)),
		c("greatest", s("x"), i(1), s("x")),
		c("greatest", late, early, late, n),
		c("greatest", i(7), n, i(7)),
		c("least", i(2), i(3), n, i(2)),
		c("least", f(3), f(3.0), i(3)),
		c("least", i(1), i(1), s("x")),
		c("least", f(-1.5), i(-1), f(-1.5)),
		c("least", s(""), s("b"), s("")),
		c("least", early, early, late),
		c("least", n, n),

		c("iif", s("yes"), b(true), s("yes"), s("no")),
		c("iif", s("no"), b(false), s("yes"), s("no")),
		c("iif", s("no"), n, s("yes"), s("no")),
		c("iif", n, i(1), n, s("b")),
		c("iif", i(2), s("abc"), i(1), i(2)),
		c("iif", i(1), s("0.5"), i(1), i(2)),
	})
}
