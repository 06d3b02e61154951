package expr

import (
	"math"
	"testing"

	"github.com/streamsql/streamsql/types"
)

func TestStringFunctions(t *testing.T) {
	runCases(t, []fcase{
		// lower / upper: ASCII letters only, as SQLite.
		c("lower", s("hello"), s("HeLLo")),
		c("lower", s("École"), s("ÉCOLE")),
		c("lower", s(""), s("")),
		c("lower", s("12"), i(12)),
		c("lower", n, n),
		c("upper", s("HéLLO"), s("héllo")),
		c("upper", s("ABC 1"), s("abc 1")),
		c("upper", s("TRUE"), b(true)),
		c("upper", n, n),

		// length counts characters.
		c("length", i(5), s("héllo")),
		c("length", i(3), s("日本語")),
		c("length", i(0), s("")),
		c("length", i(5), i(12345)),
		c("length", i(4), f(-1.5)),
		c("length", i(3), arr("a", "b", "c")),
		c("length", n, n),

		// trim family: spaces by default, else the given characters.
		c("trim", s("a b"), s("  a b  ")),
		c("trim", s("\ta"), s("\ta ")),
		c("trim", s("hi"), s("xxhixx"), s("x")),
		c("trim", s("a"), s("ééaé"), s("é")),
		c("trim", s("abc"), s("abc"), s("")),
		c("trim", s(""), s(""), s("x")),
		c("trim", s("2332"), i(123321), i(1)),
		c("trim", n, n, s("x")),
		c("trim", n, s("abc"), n),
		c("ltrim", s("hi  "), s("  hi  ")),
		c("ltrim", s("a"), s("xyxa"), s("xy")),
		c("rtrim", s("hi"), s("hi!!"), s("!")),
		c("rtrim", s("  hi"), s("  hi  ")),
		c("rtrim", n, n),

		// substr: SQLite's rules (checked against sqlite3 3.40).
		c("substr", s("ell"), s("hello"), i(2), i(3)),
		c("substr", s("h"), s("hello"), i(0), i(2)),
		c("substr", s("o"), s("hello"), i(-1), i(3)),
		c("substr", s("h"), s("hello"), i(2), i(-1)),
		c("substr", s("lo"), s("hello"), i(-2)),
		c("substr", s("hello"), s("hello"), i(0)),
		c("substr", s(""), s("hello"), i(10)),
		c("substr", s("he"), s("hello"), i(3), i(-5)),
		c("substr", s(""), s("hello"), i(-10), i(3)),
		c("substr", s("he"), s("hello"), i(-7), i(4)),
		c("substr", s("e"), s("hello"), f(2.7), f(1.9)),
		c("substr", s("él"), s("héllo"), i(2), i(2)),
		c("substr", s(""), s("hello"), i(2), i(0)),
		c("substr", s(""), s("hello"), i(0), i(0)),
		c("substr", s(""), s("hello"), i(0), i(-1)),
		c("substr", s("llo"), s("hello"), i(6), i(-3)),
		c("substr", s(""), s("hello"), i(-5), i(-2)),
		c("substr", s("el"), s("hello"), s("2"), s("2")),
		c("substr", s(""), s(""), i(1), i(1)),
		c("substr", s(""), s("hello"), i(math.MaxInt64)),
		c("substr", s(""), s("hello"), i(math.MinInt64), i(3)),
		c("substr", s("hello"), s("hello"), i(1), f(9e18)),
		// Extremes, checked against SQLite 3.54 (64-bit arithmetic that wraps).
		c("substr", s("hell"), s("hello"), i(math.MinInt64), i(math.MaxInt64)),
		c("substr", s("hell"), s("hello"), i(math.MinInt64)),
		c("substr", s("hello"), s("hello"), i(math.MinInt64+1)),
		c("substr", s(""), s("hello"), i(4294967297)),
		c("substr", s("ello"), s("hello"), i(2), i(4294967296)),
		c("substr", s("hello"), s("hello"), i(-4294967296), i(4294967300)),
		c("substr", s("h"), s("hello"), i(-2000000000), i(1999999996)),
		c("substr", s("hello"), s("hello"), f(1e300), f(-1e300)),
		c("substr", s(""), s("hello"), i(math.MinInt64), i(math.MinInt64)),
		c("substr", s("he"), s("hello"), i(3), i(math.MinInt64)),
		c("substr", s("hello"), s("hello"), i(math.MaxInt64), i(math.MinInt64)),
		c("substr", s("23"), i(12345), i(2), i(2)),
		c("substr", n, s("hello"), s("x")),
		c("substr", n, n, i(1)),
		c("substr", n, s("hello"), n),
		c("substr", n, s("hello"), i(1), n),
		c("substring", s("llo"), s("hello"), i(-3)),

		c("replace", s("a+b+c"), s("a-b-c"), s("-"), s("+")),
		c("replace", s("abc"), s("abc"), s(""), s("x")),
		c("replace", s(""), s("aaa"), s("a"), s("")),
		c("replace", s("hehe"), s("héhé"), s("é"), s("e")),
		c("replace", s("193"), i(123), i(2), i(9)),
		c("replace", n, n, s("a"), s("b")),
		c("replace", n, s("abc"), s("b"), n),
		c("replace", s("abc"), s("abc"), s(""), n), // as SQLite
		c("replace", n, s("abc"), n, s("x")),
		c("replace", n, n, s(""), s("x")),

		// concat ignores NULLs.
		c("concat", s("a1"), s("a"), n, i(1)),
		c("concat", s(""), n),
		c("concat", s(""), n, n),
		c("concat", s("éx"), s("é"), s("x")),
		c("concat", s("1.5true"), f(1.5), b(true)),

		c("split", arr("a", "b", "", "c"), s("a,b,,c"), s(",")),
		c("split", arr(), s(""), s(",")),
		c("split", arr(), s(""), s("")),
		c("split", arr("a", "b", "c"), s("abc"), s("")),
		c("split", arr("h", "é", "l", "l", "o"), s("héllo"), s("")),
		c("split", arr("a", "b"), s("a::b"), s("::")),
		c("split", arr("abc"), s("abc"), s(",")),
		c("split", arr("", ""), s(","), s(",")),
		c("split", arr("1", "5"), f(1.5), s(".")),
		c("split", n, n, s(",")),
		c("split", n, s("a"), n),

		c("split_part", s("b"), s("a,b,c"), s(","), i(2)),
		c("split_part", s(""), s("a,b,c"), s(","), i(4)),
		c("split_part", s(""), s("a,b,c"), s(","), i(0)),
		c("split_part", s("c"), s("a,b,c"), s(","), i(-1)),
		c("split_part", s("a"), s("a,b,c"), s(","), i(-3)),
		c("split_part", s(""), s("a,b,c"), s(","), i(-4)),
		c("split_part", s(""), s(""), s(","), i(1)),
		c("split_part", s("abc"), s("abc"), s(""), i(1)),
		c("split_part", s(""), s("abc"), s(""), i(2)),
		c("split_part", s("abc"), s("abc"), s(""), i(-1)),
		c("split_part", s("c"), s("a::b::c"), s("::"), i(3)),
		c("split_part", s("a"), s("a,b"), s(","), f(1.9)),
		c("split_part", s("é"), s("à,é"), s(","), s("2")),
		c("split_part", s(""), s("a,b"), s(","), i(math.MaxInt64)),
		c("split_part", s(""), s("a,b"), s(","), i(math.MinInt64)),
		c("split_part", n, s("a,b"), s(","), s("x")),
		c("split_part", n, s("a,b"), s(","), n),
		c("split_part", n, n, s(","), i(1)),

		c("starts_with", b(true), s("hello"), s("he")),
		c("starts_with", b(true), s("hello"), s("")),
		c("starts_with", b(false), s(""), s("a")),
		c("starts_with", b(true), s("héllo"), s("hé")),
		c("starts_with", b(false), s("hello"), s("He")),
		c("starts_with", n, n, s("a")),

		c("strpos", i(3), s("héllo"), s("l")),
		c("strpos", i(0), s("hello"), s("z")),
		c("strpos", i(1), s("hello"), s("")),
		c("strpos", i(1), s(""), s("")),
		c("strpos", n, n, s("a")),
		c("instr", i(4), s("hello"), s("lo")),

		c("regexp_match", b(true), s("abc123"), s("[0-9]+$")),
		c("regexp_match", b(false), s("abc"), s("^b")),
		c("regexp_match", b(true), s("héllo"), s("^h.l")),
		c("regexp_match", b(true), s(""), s("")),
		c("regexp_match", b(true), s("ABC"), s("(?i)abc")),
		c("regexp_match", n, n, s("a")),
		c("regexp_match", n, s("abc"), n),

		c("regexp_extract", s("42"), s("id=42;"), s("id=([0-9]+)"), i(1)),
		c("regexp_extract", s("42"), s("id=42;"), s("[0-9]+")),
		c("regexp_extract", s("id=42"), s("id=42;"), s("id=([0-9]+)"), i(0)),
		c("regexp_extract", n, s("abc"), s("[0-9]+")),
		c("regexp_extract", n, s("abc"), s("(x)?abc"), i(1)),
		c("regexp_extract", s("a"), s("aXbX"), s("(.)X"), i(1)),
		c("regexp_extract", s("語"), s("日本語"), s("本(.)"), i(1)),
		c("regexp_extract", s(""), s("a"), s(""), i(0)),
		c("regexp_extract", s("b"), s("abc"), s("(b)"), s("1")),
		c("regexp_extract", n, n, s("a")),
		c("regexp_extract", n, s("a"), s("a"), n),
	})
}

func TestStringPlanErrors(t *testing.T) {
	runPlanErrors(t, []planErrCase{
		{"regexp_match", []types.Value{s("abc"), s("a(")}, "regexp_match: invalid regular expression 'a(': missing closing )"},
		{"regexp_match", []types.Value{s("abc"), s("x**")}, "invalid nested repetition operator"},
		{"regexp_extract", []types.Value{s("abc"), s("[z-a]")}, "invalid character class range"},
		{"regexp_extract", []types.Value{s("abc"), s("(b)"), i(2)}, "group 2 out of range"},
		{"regexp_extract", []types.Value{s("abc"), s("(b)"), i(-1)}, "group must be a non-negative integer"},
		{"regexp_extract", []types.Value{s("abc"), s("(b)"), s("x")}, "group must be a non-negative integer"},
	})
}

// TestRegexpVaryingPattern checks the per-site cache of a pattern that is
// not constant: each row uses its own pattern, a bad one gives NULL.
func TestRegexpVaryingPattern(t *testing.T) {
	sc, _ := LookupScalar("regexp_extract")
	fn := Call(sc, []Func{Column(0), Column(1)})
	for _, tc := range []struct{ s, pat, want string }{
		{"a1b22", "[0-9]+", "1"}, {"a1b22", "[0-9]+", "1"}, {"a1b22", "[0-9]{2}", "22"},
		{"a1b22", "(", "NULL"}, {"a1b22", "(", "NULL"}, {"a1b22", "b", "b"},
	} {
		if got := fn(types.Row{s(tc.s), s(tc.pat)}).String(); got != tc.want {
			t.Errorf("regexp_extract(%q, %q) = %s, want %s", tc.s, tc.pat, got, tc.want)
		}
	}
}
