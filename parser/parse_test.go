package parser

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/streamsql/streamsql/types"
)

// accepted maps queries to the canonical text they print as. The round-trip
// tests below run over all of them.
var accepted = []struct{ in, want string }{
	// The card query and spellings of it.
	{"SELECT word, COUNT(*) FROM file('logfile') GROUP BY word WINDOW 10s",
		"SELECT word, COUNT(*) FROM file('logfile') GROUP BY word WINDOW 10s"},
	{"select word, count(*) from file('logfile') group by word window 10s",
		"SELECT word, count(*) FROM file('logfile') GROUP BY word WINDOW 10s"},
	{"SeLeCt word, CoUnT(*) FrOm file('logfile') GrOuP bY word WiNdOw 10s;",
		"SELECT word, CoUnT(*) FROM file('logfile') GROUP BY word WINDOW 10s"},
	{"-- count words\nSELECT word, -- the key\n  COUNT(*)\nFROM file('logfile') -- source\nGROUP BY word\nWINDOW 10s -- tumbling\n",
		"SELECT word, COUNT(*) FROM file('logfile') GROUP BY word WINDOW 10s"},
	{"EXPLAIN SELECT word, COUNT(*) FROM file('logfile') GROUP BY word WINDOW 10s",
		"EXPLAIN SELECT word, COUNT(*) FROM file('logfile') GROUP BY word WINDOW 10s"},

	// Clauses.
	{"SELECT DISTINCT a AS x, b y, * FROM f()", "SELECT DISTINCT a AS x, b AS y, * FROM f()"},
	{"SELECT a FROM file('a.log', format => 'jsonl', 3) AS src", "SELECT a FROM file('a.log', 3, format => 'jsonl') AS src"},
	{"SELECT a FROM file(path => 'x') s", "SELECT a FROM file(path => 'x') AS s"},
	{"SELECT a FROM f() WHERE a > 1 AND b <> 'x'", "SELECT a FROM f() WHERE a > 1 AND b <> 'x'"},
	{"SELECT a FROM f() WHERE a != 1", "SELECT a FROM f() WHERE a <> 1"},
	{"SELECT a, SUM(b) FROM f() GROUP BY a HAVING SUM(b) >= 2", "SELECT a, SUM(b) FROM f() GROUP BY a HAVING SUM(b) >= 2"},
	{"SELECT a FROM f() WINDOW '1m30s' SLIDE 500ms", "SELECT a FROM f() WINDOW 1m30s SLIDE 500ms"},
	{"SELECT a FROM f() WINDOW 1h SLIDE '5m'", "SELECT a FROM f() WINDOW 1h SLIDE 5m"},
	{"SELECT a FROM f() WINDOW 90s", "SELECT a FROM f() WINDOW 1m30s"},
	{"SELECT a FROM f() GROUP BY a WINDOW 2s HAVING COUNT(*) > 1", "SELECT a FROM f() GROUP BY a HAVING COUNT(*) > 1 WINDOW 2s"},
	{"SELECT a FROM f() GROUP BY a HAVING COUNT(*) > 1 WINDOW 2s", "SELECT a FROM f() GROUP BY a HAVING COUNT(*) > 1 WINDOW 2s"},
	{"SELECT a FROM f() ORDER BY a DESC NULLS FIRST, b ASC NULLS last, c LIMIT 5",
		"SELECT a FROM f() ORDER BY a DESC NULLS FIRST, b NULLS LAST, c LIMIT 5"},
	{"SELECT a FROM f() WHERE a = 1 GROUP BY a HAVING COUNT(*) > 1 WINDOW 5s ORDER BY a LIMIT 0",
		"SELECT a FROM f() WHERE a = 1 GROUP BY a HAVING COUNT(*) > 1 WINDOW 5s ORDER BY a LIMIT 0"},

	// Names.
	{`SELECT t.a, "my col", "select", "a""b", "Word" FROM f() t`, `SELECT t.a, "my col", "select", "a""b", Word FROM f() AS t`},
	{"SELECT window_start, window_end, word, line, count, sum(x), größe FROM f()",
		"SELECT window_start, window_end, word, line, count, sum(x), größe FROM f()"},

	// Expressions.
	{"SELECT a OR b AND NOT c = 1 FROM f()", "SELECT a OR b AND NOT c = 1 FROM f()"},
	{"SELECT 1 + 2 * 3, (1 + 2) * 3, a - (b - c), a - b - c, a / b % c FROM f()",
		"SELECT 1 + 2 * 3, (1 + 2) * 3, a - (b - c), a - b - c, a / b % c FROM f()"},
	{"SELECT -a, - -a, -(a + b), +a, -1, NOT NOT a, NOT (a AND b), (NOT a) = b FROM f()",
		"SELECT -a, - -a, -(a + b), +a, -1, NOT NOT a, NOT (a AND b), (NOT a) = b FROM f()"},
	{"SELECT a AND (b OR c), (a OR b) AND c, ((a)) FROM f()", "SELECT a AND (b OR c), (a OR b) AND c, a FROM f()"},
	{"SELECT a || b || c, a || (b || c), a + b || c FROM f()", "SELECT a || b || c, a || (b || c), a + b || c FROM f()"},
	{"SELECT a = b = c, a = (b = c), a < b, a <= b, a > b, a >= b FROM f()",
		"SELECT a = b = c, a = (b = c), a < b, a <= b, a > b, a >= b FROM f()"},
	{"SELECT a IS NULL, a IS NOT NULL, a IS NULL IS NULL, a = b IS NULL FROM f()",
		"SELECT a IS NULL, a IS NOT NULL, a IS NULL IS NULL, a = b IS NULL FROM f()"},
	{"SELECT x IN (1, 2), x NOT IN ('a'), x BETWEEN 1 + 1 AND 3, x NOT BETWEEN a AND b, x LIKE 'a%', x NOT LIKE y || '%' FROM f()",
		"SELECT x IN (1, 2), x NOT IN ('a'), x BETWEEN 1 + 1 AND 3, x NOT BETWEEN a AND b, x LIKE 'a%', x NOT LIKE y || '%' FROM f()"},
	{"SELECT x BETWEEN (a = b) AND c, (a = b) BETWEEN c AND d, x LIKE (a = b) FROM f()",
		"SELECT x BETWEEN (a = b) AND c, a = b BETWEEN c AND d, x LIKE (a = b) FROM f()"},
	{"SELECT 'it''s', '', 1.5, 1e3, .5, 2.0, 1E-3, TRUE, false, NULL, 9223372036854775807 FROM f()",
		"SELECT 'it''s', '', 1.5, 1000.0, 0.5, 2.0, 0.001, TRUE, FALSE, NULL, 9223372036854775807 FROM f()"},
	{"SELECT CASE WHEN a THEN 1 ELSE 2 END, case a when 1 then 'x' when 2 then 'y' end FROM f()",
		"SELECT CASE WHEN a THEN 1 ELSE 2 END, CASE a WHEN 1 THEN 'x' WHEN 2 THEN 'y' END FROM f()"},
	{"SELECT CAST(a AS bigint), cast(b as Varchar), CAST(c AS timestamp) FROM f()",
		"SELECT CAST(a AS BIGINT), CAST(b AS VARCHAR), CAST(c AS TIMESTAMP) FROM f()"},
	{"SELECT COUNT(DISTINCT x), count(distinct x), f(), g(1, 'a', b) FROM f()",
		"SELECT COUNT(DISTINCT x), count(DISTINCT x), f(), g(1, 'a', b) FROM f()"},
	{"SELECT 'a;b', '--not a comment' FROM f()", "SELECT 'a;b', '--not a comment' FROM f()"},
	{"SELECT a--b\nFROM f()", "SELECT a FROM f()"},
	{"SELECT 'line\nbreak' FROM f()", "SELECT 'line\nbreak' FROM f()"},
}

func TestParseAccepted(t *testing.T) {
	for _, c := range accepted {
		stmts, err := Parse(c.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", c.in, err)
			continue
		}
		if len(stmts) != 1 {
			t.Errorf("Parse(%q): %d statements, want 1", c.in, len(stmts))
			continue
		}
		if got := stmts[0].String(); got != c.want {
			t.Errorf("Parse(%q).String()\n got %s\nwant %s", c.in, got, c.want)
		}
	}
}

// TestRoundTrip checks the property the planner relies on: printing a
// parse and parsing it again gives a tree that prints the same.
func TestRoundTrip(t *testing.T) {
	for _, c := range accepted {
		checkRoundTrip(t, c.in)
	}
}

func checkRoundTrip(t *testing.T, q string) {
	t.Helper()
	stmts, err := Parse(q)
	if err != nil {
		return
	}
	for _, s := range stmts {
		printed := s.String()
		again, err := Parse(printed)
		if err != nil {
			t.Fatalf("Parse(%q) printed %q, which does not parse: %v", q, printed, err)
		}
		if len(again) != 1 || again[0].String() != printed {
			t.Fatalf("Parse(%q) printed %q, which reparses as %v", q, printed, again)
		}
		if tree(s) != tree(again[0]) {
			t.Fatalf("Parse(%q): tree %s\nreparsed from %q as %s", q, tree(s), printed, tree(again[0]))
		}
	}
}

// tree prints the shape of a node with every operator parenthesised, to
// assert structure independently of String's parenthesis rules.
func tree(n Node) string {
	switch n := n.(type) {
	case *Explain:
		return "(EXPLAIN " + tree(n.Stmt) + ")"
	case *Select:
		s := "(SELECT"
		for _, it := range n.Items {
			if it.Star {
				s += " *"
			} else {
				s += " " + tree(it.Expr)
			}
			if it.Alias != "" {
				s += " AS " + it.Alias
			}
		}
		s += " FROM " + n.From.String()
		if n.Where != nil {
			s += " WHERE " + tree(n.Where)
		}
		for _, g := range n.GroupBy {
			s += " GROUP " + tree(g)
		}
		if n.Having != nil {
			s += " HAVING " + tree(n.Having)
		}
		if n.Window != nil {
			s += fmt.Sprintf(" WINDOW %v/%v", n.Window.Size, n.Window.Slide)
		}
		for _, o := range n.OrderBy {
			s += fmt.Sprintf(" ORDER %s desc=%v nulls=%q", tree(o.Expr), o.Desc, o.Nulls)
		}
		if n.Limit != nil {
			s += fmt.Sprintf(" LIMIT %d", n.Limit.Count)
		}
		return s + ")"
	case *Binary:
		return "(" + n.Op + " " + tree(n.L) + " " + tree(n.R) + ")"
	case *Unary:
		return "(" + n.Op + " " + tree(n.X) + ")"
	case *IsNull:
		return fmt.Sprintf("(ISNULL not=%v %s)", n.Not, tree(n.X))
	case *In:
		s := fmt.Sprintf("(IN not=%v %s", n.Not, tree(n.X))
		for _, e := range n.List {
			s += " " + tree(e)
		}
		return s + ")"
	case *Between:
		return fmt.Sprintf("(BETWEEN not=%v %s %s %s)", n.Not, tree(n.X), tree(n.Lo), tree(n.Hi))
	case *Like:
		return fmt.Sprintf("(LIKE not=%v %s %s)", n.Not, tree(n.X), tree(n.Pattern))
	case *Case:
		s := "(CASE"
		if n.Operand != nil {
			s += " " + tree(n.Operand)
		}
		for _, w := range n.Whens {
			s += " (WHEN " + tree(w.Cond) + " " + tree(w.Then) + ")"
		}
		if n.Else != nil {
			s += " (ELSE " + tree(n.Else) + ")"
		}
		return s + ")"
	case *Cast:
		return "(CAST " + tree(n.X) + " " + n.Type + ")"
	case *Call:
		s := fmt.Sprintf("(CALL %s star=%v distinct=%v", n.Name, n.Star, n.Distinct)
		for _, a := range n.Args {
			s += " " + tree(a)
		}
		return s + ")"
	case *Literal:
		return n.Value.Kind().String() + ":" + n.Value.String()
	case *ColumnRef:
		if n.Table != "" {
			return n.Table + "." + n.Name
		}
		return n.Name
	}
	return fmt.Sprintf("?%T", n)
}

func TestParseStructure(t *testing.T) {
	for _, c := range []struct{ expr, tree string }{
		{"a OR b AND NOT c = 1", "(OR a (AND b (NOT (= c BIGINT:1))))"},
		{"1 + 2 * 3", "(+ BIGINT:1 (* BIGINT:2 BIGINT:3))"},
		{"(1 + 2) * 3", "(* (+ BIGINT:1 BIGINT:2) BIGINT:3)"},
		{"a - b - c", "(- (- a b) c)"},
		{"a || b + c", "(|| a (+ b c))"},
		{"a = b || c", "(= a (|| b c))"},
		{"-a * b", "(* (- a) b)"},
		{"NOT a AND b", "(AND (NOT a) b)"},
		{"NOT a = b", "(NOT (= a b))"},
		{"a != b", "(<> a b)"},
		{"a = b IS NOT NULL", "(ISNULL not=true (= a b))"},
		{"x NOT IN (1, 'a', NULL)", "(IN not=true x BIGINT:1 TEXT:a NULL:NULL)"},
		{"x BETWEEN 1 AND 2 AND y", "(AND (BETWEEN not=false x BIGINT:1 BIGINT:2) y)"},
		{"x NOT LIKE 'a%' OR y", "(OR (LIKE not=true x TEXT:a%) y)"},
		{"CASE x WHEN 1 THEN 'a' ELSE 'b' END", "(CASE x (WHEN BIGINT:1 TEXT:a) (ELSE TEXT:b))"},
		{"CAST(x AS int)", "(CAST x INT)"},
		{"COUNT(*)", "(CALL COUNT star=true distinct=false)"},
		{"count(DISTINCT t.x)", "(CALL count star=false distinct=true t.x)"},
		{"1.5e1 + 2", "(+ DOUBLE:15 BIGINT:2)"},
		{"'it''s'", "TEXT:it's"},
		{"TRUE AND false", "(AND BOOLEAN:true BOOLEAN:false)"},
	} {
		e, err := ParseExpr(c.expr)
		if err != nil {
			t.Errorf("ParseExpr(%q): %v", c.expr, err)
			continue
		}
		if got := tree(e); got != c.tree {
			t.Errorf("ParseExpr(%q)\n got %s\nwant %s", c.expr, got, c.tree)
		}
	}
}

func parseOne(t *testing.T, q string) *Select {
	t.Helper()
	stmts, err := Parse(q)
	if err != nil {
		t.Fatalf("Parse(%q): %v", q, err)
	}
	s, ok := stmts[0].(*Select)
	if !ok {
		t.Fatalf("Parse(%q) = %T, want *Select", q, stmts[0])
	}
	return s
}

func TestParseClauses(t *testing.T) {
	s := parseOne(t, "SELECT a FROM file('x.log', 2, format => 'jsonl', 'y', follow => TRUE) WINDOW 1m30s SLIDE '500ms' ORDER BY a DESC NULLS FIRST, b LIMIT 7")
	if s.Window.Size != 90*time.Second || s.Window.Slide != 500*time.Millisecond {
		t.Errorf("window = %v slide %v", s.Window.Size, s.Window.Slide)
	}
	if got := exprList(s.From.Args); got != "'x.log', 2, 'y'" {
		t.Errorf("positional args = %s", got)
	}
	if len(s.From.Named) != 2 || s.From.Named[0].Name != "format" || s.From.Named[0].Value.String() != "'jsonl'" ||
		s.From.Named[1].Name != "follow" || s.From.Named[1].Value.String() != "TRUE" {
		t.Errorf("named args = %v", s.From.Named)
	}
	if s.Limit.Count != 7 {
		t.Errorf("limit = %d", s.Limit.Count)
	}
	o := s.OrderBy
	if len(o) != 2 || !o[0].Desc || o[0].Nulls != "FIRST" || o[1].Desc || o[1].Nulls != "" {
		t.Errorf("order by = %v", o)
	}

	s = parseOne(t, "SELECT * FROM f()")
	if !s.Items[0].Star || s.Items[0].Expr != nil || s.Window != nil || s.Limit != nil || s.Where != nil {
		t.Errorf("SELECT * = %+v", s)
	}

	stmts, err := Parse("EXPLAIN SELECT a FROM f()")
	if err != nil {
		t.Fatal(err)
	}
	if e, ok := stmts[0].(*Explain); !ok || e.Stmt.(*Select).Items[0].Expr.String() != "a" {
		t.Errorf("EXPLAIN = %#v", stmts[0])
	}

	lit, err := ParseExpr("9223372036854775807")
	if err != nil || lit.(*Literal).Value != types.Int(9223372036854775807) {
		t.Errorf("max int = %v, %v", lit, err)
	}
}

func TestParseScript(t *testing.T) {
	script := "-- two queries\nSELECT a FROM f();;\n\n  select b\n  from g() ;\n"
	stmts, err := Parse(script)
	if err != nil {
		t.Fatal(err)
	}
	if len(stmts) != 2 || stmts[0].String() != "SELECT a FROM f()" || stmts[1].String() != "SELECT b FROM g()" {
		t.Fatalf("got %v", stmts)
	}
	s := stmts[1].(*Select)
	want := Pos{Offset: strings.Index(script, "select"), Line: 4, Column: 3}
	if s.Pos != want {
		t.Errorf("second SELECT at %+v, want %+v", s.Pos, want)
	}
	if p := s.From.Pos; p.Line != 5 || p.Column != 8 {
		t.Errorf("FROM source at %v, want 5:8", p)
	}
}

// Every node is at its first token; a binary operation at its left operand.
func TestPositions(t *testing.T) {
	q := "SELECT a,\n  -b * (c + 1) AS x\nFROM f(k => 'v')\nWHERE NOT d IS NULL WINDOW 5s ORDER BY a LIMIT 3"
	s := parseOne(t, q)
	at := func(what string, n Node, line, col int) {
		t.Helper()
		p := n.Position()
		if p.Line != line || p.Column != col {
			t.Errorf("%s at %v, want %d:%d", what, p, line, col)
		}
		lines := strings.Split(q, "\n")
		if off := len(strings.Join(lines[:line-1], "\n")) + col; line > 1 && p.Offset != off || line == 1 && p.Offset != col-1 {
			t.Errorf("%s at offset %d, inconsistent with %v", what, p.Offset, p)
		}
	}
	at("select", s, 1, 1)
	at("item", s.Items[1], 2, 3)
	mul := s.Items[1].Expr.(*Binary)
	at("binary", mul, 2, 3)
	at("unary", mul.L, 2, 3)
	at("parenthesised sum", mul.R, 2, 9)
	at("source", s.From, 3, 6)
	at("named arg", s.From.Named[0], 3, 8)
	at("not", s.Where, 4, 7)
	at("is null", s.Where.(*Unary).X, 4, 11)
	at("window", s.Window, 4, 21)
	at("order item", s.OrderBy[0], 4, 40)
	at("limit", s.Limit, 4, 42)
}

func TestParseErrors(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"SELEC word FROM file('x')", `1:1: syntax error: unexpected "SELEC"; expected SELECT or EXPLAIN (did you mean SELECT?)`},
		{"SELECT word FORM file('x')", `1:13: syntax error: unexpected "FORM"; expected FROM (did you mean FROM?)`},
		{"SELECT word, COUNT(*) FORM file('x')", `1:23: syntax error: unexpected "FORM"; expected FROM (did you mean FROM?)`},
		{"SELECT a FROM f() GRUOP BY a", `1:19: syntax error: unexpected "GRUOP"; expected GROUP BY (did you mean GROUP?)`},
		{"SELECT a FROM f() WHERE x = 1 GRUOP BY a", `1:31: syntax error: unexpected "GRUOP"; expected GROUP BY, HAVING, WINDOW, ORDER BY, LIMIT or end of statement (did you mean GROUP?)`},
		{"SELECT word", `1:12: syntax error: unexpected end of input; expected FROM or ","`},
		{"SELECT word WHERE x = 1", `1:13: syntax error: unexpected "WHERE"; expected FROM or ","`},
		{"SELECT FROM file('x')", `1:8: syntax error: unexpected "FROM"; expected a column name or expression`},
		{"SELECT a FROM", `1:14: syntax error: unexpected end of input; expected a source such as file('path')`},
		{"SELECT a FROM file WHERE", `1:20: syntax error: unexpected "WHERE"; expected "("`},
		{"SELECT a FROM f(1", `1:18: syntax error: unexpected end of input; expected "," or ")"`},
		{"SELECT a FROM f() WINDOW 10x", `1:26: syntax error: invalid duration "10x"; expected a number and unit (ms, s, m or h) such as 10s or 1m30s`},
		{"SELECT a FROM f() WINDOW '5 s'", `1:26: syntax error: invalid duration '5 s'; expected a number and unit (ms, s, m or h) such as 10s or 1m30s`},
		{"SELECT a FROM f() WINDOW 0s", `1:26: syntax error: invalid duration "0s"; expected a duration greater than zero`},
		{"SELECT a FROM f() WINDOW 10s SLIDE 0ms", `1:36: syntax error: invalid duration "0ms"; expected a duration greater than zero`},
		{"SELECT a FROM f() WINDOW -10s", `1:26: syntax error: unexpected "-"; expected a duration such as 10s`},
		{"SELECT a FROM f() WINDOW 10", `1:26: syntax error: duration "10" needs a unit; expected 10ms, 10s, 10m or 10h`},
		{"SELECT a FROM f() WINDOW 10s SLDE 5s", `1:30: syntax error: unexpected "SLDE"; expected HAVING, SLIDE, ORDER BY, LIMIT or end of statement (did you mean SLIDE?)`},
		{"SELECT a FROM f() HAVING a WINDOW 1s HAVING b", `1:38: syntax error: unexpected "HAVING"; expected SLIDE, ORDER BY, LIMIT or end of statement`},
		{"SELECT a FROM f() WINDOW 9999999999h", `1:26: syntax error: duration "9999999999h" is too long`},
		{"SELECT 'abc FROM f()", `1:8: syntax error: unterminated string literal`},
		{`SELECT "abc FROM f()`, `1:8: syntax error: unterminated quoted name`},
		{`SELECT "" FROM f()`, `1:8: syntax error: empty quoted name ""`},
		{"SELECT a § FROM f()", `1:10: syntax error: unexpected character "§"`},
		{"SELEC a FROM f('x", `1:1: syntax error: unexpected "SELEC"; expected SELECT or EXPLAIN (did you mean SELECT?)`},
		{"SELECT a + FROM f()", `1:12: syntax error: unexpected "FROM"; expected an expression`},
		{"SELECT a FROM f() WHERE a *", `1:28: syntax error: unexpected end of input; expected an expression`},
		{"SELECT a FROM f() WHERE x = = 1", `1:29: syntax error: unexpected "="; expected an expression`},
		{"SELECT (a FROM f()", `1:11: syntax error: unexpected "FROM"; expected ")"`},
		{"SELECT a NOT b FROM f()", `1:14: syntax error: unexpected "b"; expected IN, BETWEEN or LIKE`},
		{"SELECT a FROM f() WHERE a BETWEEN 1 2", `1:37: syntax error: unexpected "2"; expected AND`},
		{"SELECT a FROM f() WHERE a IS 5", `1:30: syntax error: unexpected "5"; expected NULL`},
		{"SELECT CASE a FROM f()", `1:15: syntax error: unexpected "FROM"; expected WHEN`},
		{"SELECT CAST(a BIGINT) FROM f()", `1:15: syntax error: unexpected "BIGINT"; expected AS`},
		{"SELECT CAST(a AS) FROM f()", `1:17: syntax error: unexpected ")"; expected a type name such as BIGINT`},
		{"SELECT CAST(a AS blob) FROM f()", `1:18: syntax error: unknown type "blob"; expected BOOLEAN, BIGINT, DOUBLE, TEXT or TIMESTAMP`},
		{"SELECT a AS FROM f()", `1:13: syntax error: unexpected "FROM"; expected an alias`},
		{"SELECT t. FROM f()", `1:11: syntax error: unexpected "FROM"; expected a column name`},
		{"SELECT first FROM f()", `1:8: syntax error: unexpected "first"; expected a column name or expression (FIRST is a reserved word; write "first" to use it as a name)`},
		{"SELECT a FROM f() ORDER a", `1:25: syntax error: unexpected "a"; expected BY`},
		{"SELECT a FROM f() ORDER BY a NULLS", `1:35: syntax error: unexpected end of input; expected FIRST or LAST`},
		{"SELECT a FROM f() LIMIT x", `1:25: syntax error: unexpected "x"; expected an integer`},
		{"SELECT a FROM f() LIMIT 99999999999999999999", `1:25: syntax error: number 99999999999999999999 is too large`},
		{"SELECT 99999999999999999999 FORM f()", `1:8: syntax error: number 99999999999999999999 is too large`},
		{"SELECT 1e999 FROM f()", `1:8: syntax error: number 1e999 is too large`},
		{"SELECT a FROM f() x y", `1:21: syntax error: unexpected "y"; expected WHERE, GROUP BY, HAVING, WINDOW, ORDER BY, LIMIT or end of statement`},
		{"SELECT a FROM f() SELECT b FROM g()", `1:19: syntax error: unexpected "SELECT"; expected WHERE, GROUP BY, HAVING, WINDOW, ORDER BY, LIMIT or end of statement`},
		{"", `1:1: syntax error: unexpected end of input; expected SELECT or EXPLAIN`},
		{" ;; -- nothing", `1:15: syntax error: unexpected end of input; expected SELECT or EXPLAIN`},
		{"EXPLAIN", `1:8: syntax error: unexpected end of input; expected SELECT`},
		{"SELECT a FROM f();\nSELECT b\n  FROM g()\n  WHERE b = = 1;", `4:13: syntax error: unexpected "="; expected an expression`},
		{"SELECT a FROM f();\nSELECT b FROM g()\nWHRE b = 1", `3:1: syntax error: unexpected "WHRE"; expected WHERE (did you mean WHERE?)`},
		// The first error in the text wins, whatever kind it is.
		{"SELECT a FROM f() WINDOW 0s;\nSELEC b", `1:26: syntax error: invalid duration "0s"; expected a duration greater than zero`},
		{"SELECT a FROM f() WHERE = 1;\nSELECT 'oops", `1:25: syntax error: unexpected "="; expected an expression`},
		{"SELECT " + strings.Repeat("(", 101) + "1" + strings.Repeat(")", 101) + " FROM f()", `1:108: syntax error: expression nested too deeply (the limit is 100 levels)`},
	} {
		_, err := Parse(c.in)
		var e *Error
		if !errors.As(err, &e) {
			t.Errorf("Parse(%q) = %v, want *Error", c.in, err)
			continue
		}
		if e.Error() != c.want {
			t.Errorf("Parse(%q)\n got %s\nwant %s", c.in, e.Error(), c.want)
		}
		if e.Kind != "syntax error" || e.Query != c.in {
			t.Errorf("Parse(%q): Kind %q, Query %q", c.in, e.Kind, e.Query)
		}
		if e.Pos.Offset < 0 || e.Pos.Offset > len(c.in) || endPos(c.in[:e.Pos.Offset]) != e.Pos {
			t.Errorf("Parse(%q): position %+v does not match its offset", c.in, e.Pos)
		}
	}
}

// endPos is the line and column just after text.
func endPos(text string) Pos {
	last := text[strings.LastIndex(text, "\n")+1:]
	return Pos{Offset: len(text), Line: strings.Count(text, "\n") + 1, Column: len([]rune(last)) + 1}
}

func TestParseExprErrors(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"", `1:1: syntax error: unexpected end of input; expected an expression`},
		{"1 +", `1:4: syntax error: unexpected end of input; expected an expression`},
		{"a b", `1:3: syntax error: unexpected "b"; expected end of input`},
		{"(1", `1:3: syntax error: unexpected end of input; expected ")"`},
		{"f(1,)", `1:5: syntax error: unexpected ")"; expected an expression`},
	} {
		_, err := ParseExpr(c.in)
		if err == nil || err.Error() != c.want {
			t.Errorf("ParseExpr(%q)\n got %v\nwant %s", c.in, err, c.want)
		}
	}
}

func TestErrorSnippet(t *testing.T) {
	_, err := Parse("SELECT word\nFROM file('x')\nWHERE word = = 'a'")
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("got %v", err)
	}
	want := "  WHERE word = = 'a'\n               ^"
	if got := e.Snippet(); got != want {
		t.Errorf("Snippet()\n%s\nwant\n%s", got, want)
	}
	if e.Error() != `3:14: syntax error: unexpected "="; expected an expression` {
		t.Errorf("Error() = %s", e.Error())
	}
}

// FuzzParse checks that no input panics, that errors point inside the
// text, and that whatever parses survives a print/parse round trip.
func FuzzParse(f *testing.F) {
	for _, c := range accepted {
		f.Add(c.in)
	}
	for _, s := range []string{"SELECT a FROM f() WINDOW 10x", "SELEC a", "SELECT (((1", "SELECT 'x", "SELECT \"\"\"\" FROM f()"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		if e, err := ParseExpr(q); err == nil {
			printed := e.String()
			again, err := ParseExpr(printed)
			if err != nil || again.String() != printed || tree(again) != tree(e) {
				t.Fatalf("ParseExpr(%q) printed %q, which reparses as %v, %v", q, printed, again, err)
			}
		}
		_, err := Parse(q)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Parse(%q) returned %T", q, err)
			}
			if e.Pos.Line < 1 || e.Pos.Column < 1 || e.Pos.Offset < 0 || e.Pos.Offset > len(q) {
				t.Fatalf("Parse(%q): bad position %+v", q, e.Pos)
			}
			return
		}
		checkRoundTrip(t, q)
	})
}

func BenchmarkParseCard(b *testing.B) {
	for b.Loop() {
		if _, err := Parse("SELECT word, COUNT(*) FROM file('logfile') GROUP BY word WINDOW 10s"); err != nil {
			b.Fatal(err)
		}
	}
}
