package expr

import (
	"math"
	"testing"

	"github.com/streamsql/streamsql/types"
)

var (
	i = types.Int
	f = types.Float
	s = types.Text
	n = types.Null
)

func TestArith(t *testing.T) {
	for _, c := range []struct {
		op   ArithOp
		a, b types.Value
		want string
	}{
		{'+', i(2), i(3), "5"},
		{'+', i(2), f(0.5), "2.5"},
		{'-', i(2), i(5), "-3"},
		{'*', f(1.5), i(2), "3"},
		{'/', i(7), i(2), "3"},
		{'/', i(-7), i(2), "-3"},
		{'/', f(7), i(2), "3.5"},
		{'/', i(1), i(0), "NULL"},
		{'%', i(7), i(0), "NULL"},
		{'%', i(7), i(3), "1"},
		{'%', i(-7), i(3), "-1"},
		{'+', n, i(1), "NULL"},
		{'+', s("12"), i(1), "13"},
		{'+', s("abc"), i(1), "NULL"},
		{'+', i(math.MaxInt64), i(1), "9.223372036854776e+18"},
		{'*', i(math.MaxInt64), i(2), "1.8446744073709552e+19"},
	} {
		if got := Arith(c.op, c.a, c.b).String(); got != c.want {
			t.Errorf("%v %c %v = %s, want %s", c.a, c.op, c.b, got, c.want)
		}
	}
}

func TestCompare(t *testing.T) {
	for _, c := range []struct {
		op   CmpOp
		a, b types.Value
		want string
	}{
		{EQ, i(1), f(1.0), "true"},
		{LT, i(1), f(1.5), "true"},
		{GT, s("b"), s("a"), "true"},
		{EQ, s("12"), i(12), "true"},
		{EQ, n, n, "NULL"},
		{NE, i(1), n, "NULL"},
		{LT, i(5), s("x"), "true"}, // numbers sort before text, as in SQLite
	} {
		if got := Compare(c.op, c.a, c.b).String(); got != c.want {
			t.Errorf("Compare(%d, %v, %v) = %s, want %s", c.op, c.a, c.b, got, c.want)
		}
	}
}

func TestThreeValuedLogic(t *testing.T) {
	vals := map[string]Func{"T": Const(types.Bool(true)), "F": Const(types.Bool(false)), "N": Const(n)}
	for _, c := range []struct{ a, b, and, or string }{
		{"T", "T", "true", "true"}, {"T", "F", "false", "true"}, {"T", "N", "NULL", "true"},
		{"F", "N", "false", "NULL"}, {"N", "N", "NULL", "NULL"}, {"F", "F", "false", "false"},
	} {
		if got := And(vals[c.a], vals[c.b])(nil).String(); got != c.and {
			t.Errorf("%s AND %s = %s, want %s", c.a, c.b, got, c.and)
		}
		if got := Or(vals[c.a], vals[c.b])(nil).String(); got != c.or {
			t.Errorf("%s OR %s = %s, want %s", c.a, c.b, got, c.or)
		}
	}
	if got := Not(vals["N"])(nil).String(); got != "NULL" {
		t.Errorf("NOT NULL = %s", got)
	}
}

func TestLike(t *testing.T) {
	for _, c := range []struct {
		s, p string
		want bool
	}{
		{"hello", "h%", true}, {"hello", "%llo", true}, {"hello", "%ell%", true},
		{"hello", "h_llo", true}, {"hello", "h_lo", false}, {"hello", "hello", true},
		{"hello", "%l%o", true}, {"héllo", "h_llo", true}, {"", "%", true}, {"abc", "a%c%d", false},
	} {
		x, p := Const(s(c.s)), Const(s(c.p))
		if got := Like(x, p, nil, false)(nil); got.AsBool() != c.want {
			t.Errorf("%q LIKE %q = %v, want %v", c.s, c.p, got, c.want)
		}
		pat := c.p
		if got := Like(x, p, &pat, false)(nil); got.AsBool() != c.want {
			t.Errorf("%q LIKE %q (constant) = %v, want %v", c.s, c.p, got, c.want)
		}
	}
}

func TestInWithNull(t *testing.T) {
	list := []Func{Const(i(1)), Const(n)}
	if got := In(Const(i(1)), list, false)(nil).String(); got != "true" {
		t.Errorf("1 IN (1, NULL) = %s", got)
	}
	if got := In(Const(i(2)), list, false)(nil).String(); got != "NULL" {
		t.Errorf("2 IN (1, NULL) = %s", got)
	}
	if got := In(Const(i(2)), list[:1], true)(nil).String(); got != "true" {
		t.Errorf("2 NOT IN (1) = %s", got)
	}
}

func TestCast(t *testing.T) {
	for _, c := range []struct {
		v    types.Value
		k    types.Kind
		want string
	}{
		{s("42"), types.KindInt, "42"}, {s("4.7"), types.KindInt, "4"}, {f(4.7), types.KindInt, "4"},
		{i(3), types.KindFloat, "3"}, {i(3), types.KindText, "3"}, {s("true"), types.KindBool, "true"},
		{s("x"), types.KindInt, "NULL"}, {i(0), types.KindTime, "1970-01-01T00:00:00Z"},
		{s("2026-01-02T03:04:05Z"), types.KindTime, "2026-01-02T03:04:05Z"},
	} {
		if got := Cast(c.v, c.k).String(); got != c.want {
			t.Errorf("CAST(%v AS %s) = %s, want %s", c.v, c.k, got, c.want)
		}
	}
}
