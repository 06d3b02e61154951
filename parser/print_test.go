package parser

import (
	"math"
	"testing"
	"time"

	"github.com/streamsql/streamsql/types"
)

func col(name string) *ColumnRef { return &ColumnRef{Name: name} }
func num(i int64) *Literal       { return &Literal{Value: types.Int(i)} }
func bin(op string, l, r Expr) *Binary {
	return &Binary{Op: op, L: l, R: r}
}

// TestPrintBuilt prints trees built by hand, the way a planner might
// rewrite them, and checks the text reads back as the same tree.
func TestPrintBuilt(t *testing.T) {
	a, b, c := col("a"), col("b"), col("c")
	for _, tc := range []struct {
		e    Expr
		want string
	}{
		{bin("+", a, bin("*", b, c)), "a + b * c"},
		{bin("*", bin("+", a, b), c), "(a + b) * c"},
		{bin("-", a, bin("-", b, c)), "a - (b - c)"},
		{bin("-", bin("-", a, b), c), "a - b - c"},
		{bin("AND", bin("OR", a, b), c), "(a OR b) AND c"},
		{bin("OR", a, bin("AND", b, c)), "a OR b AND c"},
		{bin("=", &Unary{Op: "NOT", X: a}, b), "(NOT a) = b"},
		{&Unary{Op: "NOT", X: bin("=", a, b)}, "NOT a = b"},
		{&Unary{Op: "NOT", X: bin("AND", a, b)}, "NOT (a AND b)"},
		{&Unary{Op: "-", X: bin("+", a, b)}, "-(a + b)"},
		{&Unary{Op: "-", X: &Unary{Op: "-", X: a}}, "- -a"},
		{bin("||", a, bin("||", b, c)), "a || (b || c)"},
		{bin("=", a, &IsNull{X: b}), "a = (b IS NULL)"},
		{&IsNull{X: bin("OR", a, b), Not: true}, "(a OR b) IS NOT NULL"},
		{&In{X: bin("+", a, b), List: []Expr{bin("OR", a, b), num(1)}, Not: true}, "a + b NOT IN (a OR b, 1)"},
		{&Between{X: a, Lo: bin("AND", b, c), Hi: bin("||", b, c)}, "a BETWEEN (b AND c) AND b || c"},
		{&Like{X: &Like{X: a, Pattern: b}, Pattern: bin("=", b, c), Not: true}, "a LIKE b NOT LIKE (b = c)"},
		{&Case{Whens: []*When{{Cond: a, Then: num(1)}}}, "CASE WHEN a THEN 1 END"},
		{&Case{Operand: bin("+", a, b), Whens: []*When{{Cond: num(1), Then: a}, {Cond: num(2), Then: b}}, Else: c}, "CASE a + b WHEN 1 THEN a WHEN 2 THEN b ELSE c END"},
		{&Cast{X: bin("+", a, b), Type: "DOUBLE"}, "CAST(a + b AS DOUBLE)"},
		{&Call{Name: "count", Star: true}, "count(*)"},
		{&Call{Name: "COUNT", Distinct: true, Args: []Expr{a}}, "COUNT(DISTINCT a)"},
		{&Call{Name: "SUM", Args: []Expr{a}}, "SUM(a)"},
		{&Call{Name: "count", Star: true, Filter: bin("OR", a, b)}, "count(*) FILTER (WHERE a OR b)"},
		{&Call{Name: "f"}, "f()"},
		{&Call{Name: "my func", Args: []Expr{a, b}}, `"my func"(a, b)`},
		{&ColumnRef{Table: "t", Name: "x"}, "t.x"},
		{&ColumnRef{Table: "from", Name: "my col"}, `"from"."my col"`},
		{col(`say "hi"`), `"say ""hi"""`},
		{col("1st"), `"1st"`},
		{col("Größe"), "Größe"},
		{col("window_start"), "window_start"},
		{&Literal{Value: types.Text("it's")}, "'it''s'"},
		{&Literal{Value: types.Float(1)}, "1e0"},
		{&Literal{Value: types.Float(0.1)}, "0.1e0"},
		{&Literal{Value: types.DecimalText("0.908")}, "0.908"},
		{&Literal{Value: types.Float(1e21)}, "1e+21"},
		{&Literal{Value: types.Float(1.5e-7)}, "1.5e-07"},
		{&Literal{Value: types.Bool(false)}, "FALSE"},
		{&Literal{Value: types.Null}, "NULL"},
		{stamp(time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)), "TIMESTAMP '2024-01-02T03:04:05Z'"},
		{stamp(time.Date(2024, 1, 2, 3, 4, 5, 120, time.FixedZone("", 3600))), "TIMESTAMP '2024-01-02T02:04:05.00000012Z'"},
		{stamp(time.Unix(0, math.MinInt64)), "TIMESTAMP '1677-09-21T00:12:43.145224192Z'"},
		{&Unary{Op: "-", X: stamp(time.Unix(0, 0))}, "-TIMESTAMP '1970-01-01T00:00:00Z'"},
		{bin("=", col("timestamp"), stamp(time.Unix(1, 0))), "timestamp = TIMESTAMP '1970-01-01T00:00:01Z'"},
	} {
		if got := tc.e.String(); got != tc.want {
			t.Errorf("got %s, want %s", got, tc.want)
			continue
		}
		back, err := ParseExpr(tc.want)
		if err != nil {
			t.Errorf("ParseExpr(%q): %v", tc.want, err)
		} else if tree(back) != tree(tc.e) {
			t.Errorf("%q reads back as %s, want %s", tc.want, tree(back), tree(tc.e))
		}
	}
}

// Trees the parser never makes still print as SQL meaning the same.
func TestPrintUnparsed(t *testing.T) {
	for _, tc := range []struct {
		e    Expr
		want string
	}{
		{&Literal{Value: types.Int(-5)}, "-5"},
		{&Unary{Op: "-", X: &Literal{Value: types.Int(-5)}}, "- -5"}, // not "--5", a comment
		{bin("-", col("a"), &Literal{Value: types.Float(-1.5)}), "a - -1.5e0"},
		{&Literal{Value: types.Float(math.Inf(1))}, "CAST('+Inf' AS DOUBLE)"},
	} {
		if got := tc.e.String(); got != tc.want {
			t.Errorf("got %s, want %s", got, tc.want)
		}
	}
}

func TestPrintSelect(t *testing.T) {
	s := &Select{
		Distinct: true,
		Items: []*SelectItem{
			{Star: true},
			{Expr: &Call{Name: "count", Star: true}, Alias: "n"},
			{Expr: col("w"), Alias: "order"},
		},
		From: &From{
			Source: &SourceCall{Name: "file", Args: []Expr{&Literal{Value: types.Text("x.log")}}, Named: []*NamedArg{{Name: "format", Value: &Literal{Value: types.Text("jsonl")}}}},
			Alias:  "src",
		},
		Where:   bin(">", col("a"), num(1)),
		GroupBy: []Expr{col("w"), col("a")},
		Having:  bin(">", &Call{Name: "count", Star: true}, num(2)),
		Window:  &Window{Size: 90 * time.Second, Slide: 500 * time.Millisecond},
		OrderBy: []*OrderItem{{Expr: col("n"), Desc: true, Nulls: "LAST"}, {Expr: col("w")}},
		Limit:   &Limit{Count: 10},
	}
	want := `SELECT DISTINCT *, count(*) AS n, w AS "order" FROM file('x.log', format => 'jsonl') AS src WHERE a > 1 GROUP BY w, a HAVING count(*) > 2 WINDOW 1m30s SLIDE 500ms ORDER BY n DESC NULLS LAST, w LIMIT 10`
	if got := s.String(); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	checkRoundTrip(t, want)
	if got := (&Explain{Stmt: s}).String(); got != "EXPLAIN "+want {
		t.Errorf("EXPLAIN: %s", got)
	}
	if got := (&Window{Size: time.Hour}).String(); got != "WINDOW 1h" {
		t.Errorf("tumbling window: %s", got)
	}
}

// Statements and FROM clauses built by hand print as SQL that reads back
// as the same tree.
func TestPrintStatements(t *testing.T) {
	sel := func(from *From) *Select { return &Select{Items: items(col("a")), From: from} }
	for _, tc := range []struct {
		s    Statement
		want string
	}{
		{sel(&From{Stream: "words"}), "SELECT a FROM words"},
		{sel(&From{Stream: "select", Alias: "from"}), `SELECT a FROM "select" AS "from"`},
		{sel(&From{Stream: "stream", Alias: "timestamp"}), "SELECT a FROM stream AS timestamp"},
		{sel(&From{Source: &SourceCall{Name: "file", Args: []Expr{text("x")}}, Alias: "l", Unnest: &Unnest{Expr: col("w")}}),
			"SELECT a FROM file('x') AS l, UNNEST(w)"},
		{sel(&From{Stream: "s", Unnest: &Unnest{Expr: &Call{Name: "split", Args: []Expr{col("l"), text(" ")}}, Alias: "unnest"}}),
			"SELECT a FROM s, UNNEST(split(l, ' ')) AS unnest"},
		{sel(&From{Source: &SourceCall{Name: "unnest"}}), "SELECT a FROM unnest()"},
		{&CreateStream{Name: "big words", Query: sel(&From{Stream: "words"})}, `CREATE STREAM "big words" AS SELECT a FROM words`},
		{&Explain{Stmt: &CreateStream{Name: "w", Query: sel(&From{Stream: "s"})}}, "EXPLAIN CREATE STREAM w AS SELECT a FROM s"},
		{&DropStream{Name: "words"}, "DROP STREAM words"},
		{&DropStream{Name: "words", IfExists: true}, "DROP STREAM IF EXISTS words"},
		{&DropStream{Name: "if"}, "DROP STREAM if"},
		{&DropStream{Name: "exists", IfExists: true}, "DROP STREAM IF EXISTS exists"},
		{&DropStream{Name: "Where"}, `DROP STREAM "Where"`},
		{&Show{What: "STREAMS"}, "SHOW STREAMS"},

		// Windows print only the parts their kind has, and no zero LATENESS.
		{win(&Window{Size: time.Minute, Slide: 10 * time.Second, EventTime: &ColumnRef{Table: "payload", Name: "ts"}, Lateness: 1500 * time.Millisecond}, ""),
			"SELECT a FROM s WINDOW 1m SLIDE 10s EVENT TIME payload.ts LATENESS 1s500ms"},
		{win(&Window{Size: time.Second, EventTime: col("time")}, "CHANGES"), "SELECT a FROM s WINDOW 1s EVENT TIME time EMIT CHANGES"},
		{win(&Window{Kind: "SESSION", Size: 30 * time.Second, EventTime: col("session"), Lateness: time.Hour}, ""),
			"SELECT a FROM s WINDOW SESSION 30s EVENT TIME session LATENESS 1h"},
		{win(&Window{Kind: "SESSION", Size: 30 * time.Second}, "CHANGES"), "SELECT a FROM s WINDOW SESSION 30s EMIT CHANGES"},
		{win(&Window{Kind: "UNBOUNDED", Timeout: 24 * time.Hour}, "CHANGES"), "SELECT a FROM s WINDOW UNBOUNDED TIMEOUT 24h EMIT CHANGES"},
		{win(&Window{Kind: "UNBOUNDED"}, ""), "SELECT a FROM s WINDOW UNBOUNDED"},
		{win(&Window{Size: time.Second, EventTime: &Call{Name: "to_timestamp", Args: []Expr{bin("*", col("s"), num(1000))}}}, ""),
			"SELECT a FROM s WINDOW 1s EVENT TIME to_timestamp(s * 1000)"},
		{win(&Window{Size: time.Second, EventTime: bin("OR", col("a"), col("b"))}, ""), "SELECT a FROM s WINDOW 1s EVENT TIME a OR b"},
		{&CreateStream{Name: "t", Query: win(&Window{Kind: "UNBOUNDED"}, "CHANGES")}, "CREATE STREAM t AS SELECT a FROM s WINDOW UNBOUNDED EMIT CHANGES"},
	} {
		if got := tc.s.String(); got != tc.want {
			t.Errorf("got %s, want %s", got, tc.want)
			continue
		}
		back, err := Parse(tc.want)
		if err != nil {
			t.Errorf("Parse(%q): %v", tc.want, err)
		} else if len(back) != 1 || dump(back[0]) != dump(tc.s) {
			t.Errorf("%q reads back as %s, want %s", tc.want, dump(back[0]), dump(tc.s))
		}
	}
}

// win is `SELECT a FROM s` with window w and EMIT emit.
func win(w *Window, emit string) *Select {
	return &Select{Items: items(col("a")), From: &From{Stream: "s"}, Window: w, Emit: emit}
}

// The result column of an unaliased item is its String, so the spelling of
// the query must survive.
func TestPrintColumnNames(t *testing.T) {
	s := parseOne(t, "SELECT count(*), SUM(x), Count(DISTINCT w), a+b*2, lower( w ), count(*) filter (where x>1), count(*) filter FROM f()")
	want := []string{"count(*)", "SUM(x)", "Count(DISTINCT w)", "a + b * 2", "lower(w)", "count(*) FILTER (WHERE x > 1)", "count(*)"}
	for i, it := range s.Items {
		if got := it.Expr.String(); got != want[i] {
			t.Errorf("item %d: %s, want %s", i, got, want[i])
		}
	}
}
