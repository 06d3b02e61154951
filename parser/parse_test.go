package parser

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/streamsql/streamsql/types"
)

// accepted maps queries to the canonical text they print as. The round-trip
// tests below run over all of them.
var accepted = []struct{ in, want string }{
	{"insert into sqlite('wc.db', table => 'counts') select word, count(*) from file('logs') group by word window 10s",
		"INSERT INTO sqlite('wc.db', table => 'counts') SELECT word, count(*) FROM file('logs') GROUP BY word WINDOW 10s"},
	{"EXPLAIN INSERT INTO file('out') SELECT line FROM stdin()", "EXPLAIN INSERT INTO file('out') SELECT line FROM stdin()"},
	{"SELECT insert, into FROM f()", "SELECT insert, into FROM f()"},
	{"SELECT first, last AS first FROM f() ORDER BY first NULLS LAST", "SELECT first, last AS first FROM f() ORDER BY first NULLS LAST"},
	{"SELECT line FROM generate(limit => 10, kind => 'words')", "SELECT line FROM generate(limit => 10, kind => 'words')"},
	// A constant query has no FROM, as in every SQL shell.
	{"select 1 as x;", "SELECT 1 AS x"},
	{"SELECT 1 + 2 AS x, 'a' || 'b' y, upper('q') WHERE 1 = 1", "SELECT 1 + 2 AS x, 'a' || 'b' AS y, upper('q') WHERE 1 = 1"},
	{"EXPLAIN SELECT COUNT(*) AS n", "EXPLAIN SELECT COUNT(*) AS n"},
	{"SELECT 1 AS x UNION ALL SELECT 2", "SELECT 1 AS x UNION ALL SELECT 2"},
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
		"SELECT 'it''s', '', 1.5, 1000e0, 0.5, 2.0, 0.001e0, TRUE, FALSE, NULL, 9223372036854775807 FROM f()"},
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

// acceptedTrees are queries with the exact tree they parse to (positions
// aside: dump leaves them out) and the text they print as. They run through
// the same round-trip tests as accepted.
var acceptedTrees = []struct {
	in, want string
	ast      Statement
}{
	// FROM a named stream or a source call, with aliases.
	{"SELECT a FROM words AS w", "SELECT a FROM words AS w",
		&Select{Items: items(col("a")), From: &From{Stream: "words", Alias: "w"}}},
	{`SELECT a FROM "My Stream" m`, `SELECT a FROM "My Stream" AS m`,
		&Select{Items: items(col("a")), From: &From{Stream: "My Stream", Alias: "m"}}},
	{"SELECT a FROM words", "SELECT a FROM words",
		&Select{Items: items(col("a")), From: &From{Stream: "words"}}},
	{"SELECT a FROM file('x.log', format => 'jsonl') src", "SELECT a FROM file('x.log', format => 'jsonl') AS src",
		&Select{Items: items(col("a")), From: &From{
			Source: &SourceCall{Name: "file", Args: []Expr{text("x.log")}, Named: []*NamedArg{{Name: "format", Value: text("jsonl")}}},
			Alias:  "src",
		}}},
	{"SELECT a FROM f()", "SELECT a FROM f()",
		&Select{Items: items(col("a")), From: &From{Source: &SourceCall{Name: "f"}}}},

	// UNNEST, with and without an alias (the planner names it "unnest").
	{"SELECT w FROM file('x') AS l, UNNEST(split(line, ' ')) AS w",
		"SELECT w FROM file('x') AS l, UNNEST(split(line, ' ')) AS w",
		&Select{Items: items(col("w")), From: &From{
			Source: &SourceCall{Name: "file", Args: []Expr{text("x")}},
			Alias:  "l",
			Unnest: &Unnest{Expr: &Call{Name: "split", Args: []Expr{col("line"), text(" ")}}, Alias: "w"},
		}}},
	{"select unnest from lines, unnest(words)", "SELECT unnest FROM lines, UNNEST(words)",
		&Select{Items: items(col("unnest")), From: &From{Stream: "lines", Unnest: &Unnest{Expr: col("words")}}}},
	{"SELECT w FROM s x, UNNEST(a) w WHERE w <> ''", "SELECT w FROM s AS x, UNNEST(a) AS w WHERE w <> ''",
		&Select{Items: items(col("w")), From: &From{Stream: "s", Alias: "x", Unnest: &Unnest{Expr: col("a"), Alias: "w"}},
			Where: bin("<>", col("w"), text(""))}},

	// Stream statements.
	{"CREATE STREAM words AS SELECT word FROM file('x'), UNNEST(split(line, ' ')) word",
		"CREATE STREAM words AS SELECT word FROM file('x'), UNNEST(split(line, ' ')) AS word",
		&CreateStream{Name: "words", Query: &Select{Items: items(col("word")), From: &From{
			Source: &SourceCall{Name: "file", Args: []Expr{text("x")}},
			Unnest: &Unnest{Expr: &Call{Name: "split", Args: []Expr{col("line"), text(" ")}}, Alias: "word"},
		}}}},
	{`create stream "Big Words" as select w from s where length(w) > 5`,
		`CREATE STREAM "Big Words" AS SELECT w FROM s WHERE length(w) > 5`,
		&CreateStream{Name: "Big Words", Query: &Select{Items: items(col("w")), From: &From{Stream: "s"},
			Where: bin(">", &Call{Name: "length", Args: []Expr{col("w")}}, num(5))}}},
	{"EXPLAIN CREATE STREAM w AS SELECT a FROM s", "EXPLAIN CREATE STREAM w AS SELECT a FROM s",
		&Explain{Stmt: &CreateStream{Name: "w", Query: &Select{Items: items(col("a")), From: &From{Stream: "s"}}}}},
	{"DROP STREAM IF EXISTS words", "DROP STREAM IF EXISTS words", &DropStream{Name: "words", IfExists: true}},
	{"drop stream if exists if", "DROP STREAM IF EXISTS if", &DropStream{Name: "if", IfExists: true}},
	{"Drop Stream words;", "DROP STREAM words", &DropStream{Name: "words"}},
	{"DROP STREAM if", "DROP STREAM if", &DropStream{Name: "if"}},             // IF only with EXISTS
	{"DROP STREAM exists", "DROP STREAM exists", &DropStream{Name: "exists"}}, // no IF, no flag
	{`DROP STREAM "select"`, `DROP STREAM "select"`, &DropStream{Name: "select"}},
	{"SHOW STREAMS", "SHOW STREAMS", &Show{What: "STREAMS"}},
	{"show streams;", "SHOW STREAMS", &Show{What: "STREAMS"}},
	{"ShOw StReAmS", "SHOW STREAMS", &Show{What: "STREAMS"}},

	// TIMESTAMP literals, in UTC.
	{"SELECT TIMESTAMP '2026-01-02T03:04:05Z', timestamp '2026-01-02 03:04:05.25', TIMESTAMP '2026-01-02', Timestamp '2026-01-02T05:04:05.000000001+02:00' FROM f()",
		"SELECT TIMESTAMP '2026-01-02T03:04:05Z', TIMESTAMP '2026-01-02T03:04:05.25Z', TIMESTAMP '2026-01-02T00:00:00Z', TIMESTAMP '2026-01-02T03:04:05.000000001Z' FROM f()",
		&Select{Items: items(
			stamp(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)),
			stamp(time.Date(2026, 1, 2, 3, 4, 5, 250e6, time.UTC)),
			stamp(time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)),
			stamp(time.Date(2026, 1, 2, 3, 4, 5, 1, time.UTC)),
		), From: &From{Source: &SourceCall{Name: "f"}}}},

	// The words given a meaning above are names everywhere else.
	{"SELECT stream, timestamp, streams, if, exists, create, drop, show FROM stream",
		"SELECT stream, timestamp, streams, if, exists, create, drop, show FROM stream",
		&Select{Items: items(col("stream"), col("timestamp"), col("streams"), col("if"), col("exists"), col("create"), col("drop"), col("show")),
			From: &From{Stream: "stream"}}},
	{"SELECT timestamp AS stream FROM streams timestamp WHERE timestamp > TIMESTAMP '2026-01-01' AND stream.timestamp IS NULL",
		"SELECT timestamp AS stream FROM streams AS timestamp WHERE timestamp > TIMESTAMP '2026-01-01T00:00:00Z' AND stream.timestamp IS NULL",
		&Select{Items: []*SelectItem{{Expr: col("timestamp"), Alias: "stream"}}, From: &From{Stream: "streams", Alias: "timestamp"},
			Where: bin("AND", bin(">", col("timestamp"), stamp(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))),
				&IsNull{X: &ColumnRef{Table: "stream", Name: "timestamp"}})}},
	{"SELECT CAST(timestamp AS timestamp), timestamp(x), unnest(a) FROM stream(path => 'p')",
		"SELECT CAST(timestamp AS TIMESTAMP), timestamp(x), unnest(a) FROM stream(path => 'p')",
		&Select{Items: items(&Cast{X: col("timestamp"), Type: "TIMESTAMP"}, &Call{Name: "timestamp", Args: []Expr{col("x")}}, &Call{Name: "unnest", Args: []Expr{col("a")}}),
			From: &From{Source: &SourceCall{Name: "stream", Named: []*NamedArg{{Name: "path", Value: text("p")}}}}}},

	// Windows on event time, session and unbounded windows, EMIT CHANGES.
	{"SELECT word, COUNT(*) FROM s GROUP BY word WINDOW 10s SLIDE 5s EVENT TIME ts LATENESS 5s",
		"SELECT word, COUNT(*) FROM s GROUP BY word WINDOW 10s SLIDE 5s EVENT TIME ts LATENESS 5s",
		&Select{Items: items(col("word"), &Call{Name: "COUNT", Star: true}), From: &From{Stream: "s"}, GroupBy: []Expr{col("word")},
			Window: &Window{Size: 10 * time.Second, Slide: 5 * time.Second, EventTime: col("ts"), Lateness: 5 * time.Second}}},
	{"SELECT a FROM s WINDOW 1m EVENT TIME payload.ts", "SELECT a FROM s WINDOW 1m EVENT TIME payload.ts",
		&Select{Items: items(col("a")), From: &From{Stream: "s"},
			Window: &Window{Size: time.Minute, EventTime: &ColumnRef{Table: "payload", Name: "ts"}}}},
	{"select a from s window '10s' event time to_timestamp(ms) lateness '500ms' emit changes",
		"SELECT a FROM s WINDOW 10s EVENT TIME to_timestamp(ms) LATENESS 500ms EMIT CHANGES",
		&Select{Items: items(col("a")), From: &From{Stream: "s"}, Emit: "CHANGES",
			Window: &Window{Size: 10 * time.Second, EventTime: &Call{Name: "to_timestamp", Args: []Expr{col("ms")}}, Lateness: 500 * time.Millisecond}}},
	{"SELECT a FROM s WINDOW 10s EVENT TIME ts LATENESS 0s", "SELECT a FROM s WINDOW 10s EVENT TIME ts", // zero lateness is the default
		&Select{Items: items(col("a")), From: &From{Stream: "s"}, Window: &Window{Size: 10 * time.Second, EventTime: col("ts")}}},
	{"SELECT a FROM s WINDOW 10s EVENT TIME CAST(ms AS timestamp) + 1 LATENESS '0ms' EMIT CHANGES",
		"SELECT a FROM s WINDOW 10s EVENT TIME CAST(ms AS TIMESTAMP) + 1 EMIT CHANGES",
		&Select{Items: items(col("a")), From: &From{Stream: "s"}, Emit: "CHANGES",
			Window: &Window{Size: 10 * time.Second, EventTime: bin("+", &Cast{X: col("ms"), Type: "TIMESTAMP"}, num(1))}}},
	{"SELECT a FROM s WINDOW 10s EMIT CHANGES", "SELECT a FROM s WINDOW 10s EMIT CHANGES",
		&Select{Items: items(col("a")), From: &From{Stream: "s"}, Window: &Window{Size: 10 * time.Second}, Emit: "CHANGES"}},
	{"SELECT user, COUNT(*) FROM clicks GROUP BY user WINDOW SESSION 30s EVENT TIME ts",
		"SELECT user, COUNT(*) FROM clicks GROUP BY user WINDOW SESSION 30s EVENT TIME ts",
		&Select{Items: items(col("user"), &Call{Name: "COUNT", Star: true}), From: &From{Stream: "clicks"}, GroupBy: []Expr{col("user")},
			Window: &Window{Kind: "SESSION", Size: 30 * time.Second, EventTime: col("ts")}}},
	{"SELECT a FROM s WiNdOw SeSsIoN 90s EvEnT tImE ts LaTeNeSs 1s EmIt ChAnGeS",
		"SELECT a FROM s WINDOW SESSION 1m30s EVENT TIME ts LATENESS 1s EMIT CHANGES",
		&Select{Items: items(col("a")), From: &From{Stream: "s"}, Emit: "CHANGES",
			Window: &Window{Kind: "SESSION", Size: 90 * time.Second, EventTime: col("ts"), Lateness: time.Second}}},
	{"SELECT a FROM s WINDOW SESSION '5m'", "SELECT a FROM s WINDOW SESSION 5m",
		&Select{Items: items(col("a")), From: &From{Stream: "s"}, Window: &Window{Kind: "SESSION", Size: 5 * time.Minute}}},
	{"SELECT k, SUM(v) FROM s GROUP BY k WINDOW UNBOUNDED TIMEOUT 1h", "SELECT k, SUM(v) FROM s GROUP BY k WINDOW UNBOUNDED TIMEOUT 1h",
		&Select{Items: items(col("k"), &Call{Name: "SUM", Args: []Expr{col("v")}}), From: &From{Stream: "s"}, GroupBy: []Expr{col("k")},
			Window: &Window{Kind: "UNBOUNDED", Timeout: time.Hour}}},
	{"select k from s group by k window unbounded emit changes", "SELECT k FROM s GROUP BY k WINDOW UNBOUNDED EMIT CHANGES",
		&Select{Items: items(col("k")), From: &From{Stream: "s"}, GroupBy: []Expr{col("k")}, Window: &Window{Kind: "UNBOUNDED"}, Emit: "CHANGES"}},
	{"SELECT k FROM s GROUP BY k WINDOW Unbounded Timeout 90m HAVING COUNT(*) > 1 EMIT Changes ORDER BY k LIMIT 3",
		"SELECT k FROM s GROUP BY k HAVING COUNT(*) > 1 WINDOW UNBOUNDED TIMEOUT 1h30m EMIT CHANGES ORDER BY k LIMIT 3",
		&Select{Items: items(col("k")), From: &From{Stream: "s"}, GroupBy: []Expr{col("k")},
			Having: bin(">", &Call{Name: "COUNT", Star: true}, num(1)), Window: &Window{Kind: "UNBOUNDED", Timeout: 90 * time.Minute},
			Emit: "CHANGES", OrderBy: []*OrderItem{{Expr: col("k")}}, Limit: &Limit{Count: 3}}},
	{"SELECT k FROM s GROUP BY k HAVING COUNT(*) > 1 WINDOW 5s EVENT TIME ts EMIT CHANGES ORDER BY k",
		"SELECT k FROM s GROUP BY k HAVING COUNT(*) > 1 WINDOW 5s EVENT TIME ts EMIT CHANGES ORDER BY k",
		&Select{Items: items(col("k")), From: &From{Stream: "s"}, GroupBy: []Expr{col("k")},
			Having: bin(">", &Call{Name: "COUNT", Star: true}, num(1)), Window: &Window{Size: 5 * time.Second, EventTime: col("ts")},
			Emit: "CHANGES", OrderBy: []*OrderItem{{Expr: col("k")}}}},
	{"CREATE STREAM totals AS SELECT k, SUM(v) FROM s GROUP BY k WINDOW UNBOUNDED EMIT CHANGES",
		"CREATE STREAM totals AS SELECT k, SUM(v) FROM s GROUP BY k WINDOW UNBOUNDED EMIT CHANGES",
		&CreateStream{Name: "totals", Query: &Select{Items: items(col("k"), &Call{Name: "SUM", Args: []Expr{col("v")}}), From: &From{Stream: "s"},
			GroupBy: []Expr{col("k")}, Window: &Window{Kind: "UNBOUNDED"}, Emit: "CHANGES"}}},

	// The words of the WINDOW clause are names everywhere else, the EVENT
	// TIME expression included.
	{"SELECT time, event, session, emit, changes, lateness, timeout, unbounded FROM events session WHERE time > 0 GROUP BY session, event WINDOW SESSION 30s EVENT TIME time LATENESS 1s EMIT CHANGES",
		"SELECT time, event, session, emit, changes, lateness, timeout, unbounded FROM events AS session WHERE time > 0 GROUP BY session, event WINDOW SESSION 30s EVENT TIME time LATENESS 1s EMIT CHANGES",
		&Select{Items: items(col("time"), col("event"), col("session"), col("emit"), col("changes"), col("lateness"), col("timeout"), col("unbounded")),
			From: &From{Stream: "events", Alias: "session"}, Where: bin(">", col("time"), num(0)), GroupBy: []Expr{col("session"), col("event")},
			Window: &Window{Kind: "SESSION", Size: 30 * time.Second, EventTime: col("time"), Lateness: time.Second}, Emit: "CHANGES"}},
	{"SELECT event AS time FROM s AS event WINDOW 10s EVENT TIME event", "SELECT event AS time FROM s AS event WINDOW 10s EVENT TIME event",
		&Select{Items: []*SelectItem{{Expr: col("event"), Alias: "time"}}, From: &From{Stream: "s", Alias: "event"},
			Window: &Window{Size: 10 * time.Second, EventTime: col("event")}}},
	{"SELECT a FROM s time WINDOW 10s EVENT TIME time.time", "SELECT a FROM s AS time WINDOW 10s EVENT TIME time.time",
		&Select{Items: items(col("a")), From: &From{Stream: "s", Alias: "time"},
			Window: &Window{Size: 10 * time.Second, EventTime: &ColumnRef{Table: "time", Name: "time"}}}},
	{"SELECT a FROM s WINDOW 10s EVENT TIME session LATENESS 2s", "SELECT a FROM s WINDOW 10s EVENT TIME session LATENESS 2s",
		&Select{Items: items(col("a")), From: &From{Stream: "s"}, Window: &Window{Size: 10 * time.Second, EventTime: col("session"), Lateness: 2 * time.Second}}},
	{"SELECT emit FROM f() emit", "SELECT emit FROM f() AS emit", // an alias when CHANGES does not follow
		&Select{Items: items(col("emit")), From: &From{Source: &SourceCall{Name: "f"}, Alias: "emit"}}},
	{"SELECT a FROM s, UNNEST(x) AS emit WINDOW 1s EMIT CHANGES", "SELECT a FROM s, UNNEST(x) AS emit WINDOW 1s EMIT CHANGES",
		&Select{Items: items(col("a")), From: &From{Stream: "s", Unnest: &Unnest{Expr: col("x"), Alias: "emit"}},
			Window: &Window{Size: time.Second}, Emit: "CHANGES"}},
}

func items(es ...Expr) []*SelectItem {
	out := make([]*SelectItem, len(es))
	for i, e := range es {
		out[i] = &SelectItem{Expr: e}
	}
	return out
}

func text(s string) *Literal     { return &Literal{Value: types.Text(s)} }
func stamp(t time.Time) *Literal { return &Literal{Value: types.Time(t)} }
func allAccepted() []struct{ in, want string } {
	all := append([]struct{ in, want string }{}, accepted...)
	for _, c := range acceptedTrees {
		all = append(all, struct{ in, want string }{c.in, c.want})
	}
	return all
}

// dump prints every exported field of a tree except positions and the
// source text of select items, so that two dumps are equal exactly when
// the trees are (spelling aside).
func dump(v any) string {
	var b strings.Builder
	var walk func(v reflect.Value)
	walk = func(v reflect.Value) {
		if val, ok := v.Interface().(types.Value); ok {
			fmt.Fprintf(&b, "%s:%s", val.Kind(), val)
			return
		}
		switch v.Kind() {
		case reflect.Interface, reflect.Pointer:
			if v.IsNil() {
				b.WriteString("nil")
				return
			}
			walk(v.Elem())
		case reflect.Struct:
			b.WriteString(v.Type().Name() + "{")
			for i := range v.NumField() {
				if f := v.Type().Field(i); f.IsExported() && f.Name != "Pos" && f.Name != "Text" {
					b.WriteString(" " + f.Name + ":")
					walk(v.Field(i))
				}
			}
			b.WriteString(" }")
		case reflect.Slice:
			b.WriteString("[")
			for i := range v.Len() {
				walk(v.Index(i))
				b.WriteString(" ")
			}
			b.WriteString("]")
		default:
			fmt.Fprintf(&b, "%#v", v.Interface())
		}
	}
	walk(reflect.ValueOf(v))
	return b.String()
}

func TestParseTrees(t *testing.T) {
	for _, c := range acceptedTrees {
		stmts, err := Parse(c.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", c.in, err)
			continue
		}
		if len(stmts) != 1 {
			t.Errorf("Parse(%q): %d statements, want 1", c.in, len(stmts))
			continue
		}
		if got, want := dump(stmts[0]), dump(c.ast); got != want {
			t.Errorf("Parse(%q)\n got %s\nwant %s", c.in, got, want)
		}
		if got := stmts[0].String(); got != c.want {
			t.Errorf("Parse(%q).String()\n got %s\nwant %s", c.in, got, c.want)
		}
		if got := c.ast.String(); got != c.want {
			t.Errorf("the tree of %q prints as\n%s, want\n%s", c.in, got, c.want)
		}
	}
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
	for _, c := range allAccepted() {
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
	case *CreateStream:
		return "(CREATE " + n.Name + " " + tree(n.Query) + ")"
	case *DropStream:
		return fmt.Sprintf("(DROP %s ifexists=%v)", n.Name, n.IfExists)
	case *Show:
		return "(SHOW " + n.What + ")"
	case *From:
		s := "(FROM"
		if n.Source != nil {
			s += " " + n.Source.String()
		} else {
			s += " stream=" + n.Stream
		}
		if n.Alias != "" {
			s += " AS " + n.Alias
		}
		if n.Unnest != nil {
			s += " (UNNEST " + tree(n.Unnest.Expr) + " AS " + n.Unnest.Alias + ")"
		}
		return s + ")"
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
		if n.From != nil {
			s += " " + tree(n.From)
		}
		if n.Where != nil {
			s += " WHERE " + tree(n.Where)
		}
		for _, g := range n.GroupBy {
			s += " GROUP " + tree(g)
		}
		if n.Having != nil {
			s += " HAVING " + tree(n.Having)
		}
		if w := n.Window; w != nil {
			s += fmt.Sprintf(" WINDOW %q %v/%v timeout=%v", w.Kind, w.Size, w.Slide, w.Timeout)
			if w.EventTime != nil {
				s += fmt.Sprintf(" EVENTTIME %s lateness=%v", tree(w.EventTime), w.Lateness)
			}
		}
		if n.Emit != "" {
			s += " EMIT " + n.Emit
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
	if got := exprList(s.From.Source.Args); got != "'x.log', 2, 'y'" {
		t.Errorf("positional args = %s", got)
	}
	if len(s.From.Source.Named) != 2 || s.From.Source.Named[0].Name != "format" || s.From.Source.Named[0].Value.String() != "'jsonl'" ||
		s.From.Source.Named[1].Name != "follow" || s.From.Source.Named[1].Value.String() != "TRUE" {
		t.Errorf("named args = %v", s.From.Source.Named)
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
	if err != nil || !types.Equal(lit.(*Literal).Value, types.Int(9223372036854775807)) || lit.(*Literal).Value.Kind() != types.KindInt {
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

// A stream is made and read in one script; every statement knows its line.
func TestParseStreamScript(t *testing.T) {
	script := "CREATE STREAM w AS SELECT word FROM file('x'), UNNEST(split(line, ' ')) AS word;\n" +
		"-- count them\n" +
		"SELECT word, COUNT(*) FROM w GROUP BY word WINDOW 10s;\n" +
		"EXPLAIN CREATE STREAM v AS SELECT word\n  FROM w;\n" +
		"SHOW STREAMS; DROP STREAM IF EXISTS w;\n"
	stmts, err := Parse(script)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		line, col int
		text      string
	}{
		{1, 1, "CREATE STREAM w AS SELECT word FROM file('x'), UNNEST(split(line, ' ')) AS word"},
		{3, 1, "SELECT word, COUNT(*) FROM w GROUP BY word WINDOW 10s"},
		{4, 1, "EXPLAIN CREATE STREAM v AS SELECT word FROM w"},
		{6, 1, "SHOW STREAMS"},
		{6, 15, "DROP STREAM IF EXISTS w"},
	}
	if len(stmts) != len(want) {
		t.Fatalf("got %d statements: %v", len(stmts), stmts)
	}
	for i, w := range want {
		p := stmts[i].Position()
		if p.Line != w.line || p.Column != w.col || p != endPos(script[:p.Offset]) {
			t.Errorf("statement %d at %+v, want %d:%d", i, p, w.line, w.col)
		}
		if got := stmts[i].String(); got != w.text {
			t.Errorf("statement %d = %s, want %s", i, got, w.text)
		}
	}
	sel := stmts[1].(*Select)
	if sel.From.Stream != "w" || sel.From.Source != nil || sel.From.Pos.Line != 3 || sel.From.Pos.Column != 28 {
		t.Errorf("FROM w = %+v", sel.From)
	}
	create := stmts[2].(*Explain).Stmt.(*CreateStream)
	if create.Name != "v" || create.Pos.Line != 4 || create.Pos.Column != 9 || create.Query.From.Pos.Line != 5 {
		t.Errorf("explained CREATE = %+v, its FROM at %v", create, create.Query.From.Pos)
	}
}

// Every node is at its first token; a binary operation at its left operand.
func TestPositions(t *testing.T) {
	q := "SELECT a,\n  -b * (c + 1) AS x\nFROM f(k => 'v')\nWHERE NOT d IS NULL WINDOW 5s ORDER BY a LIMIT 3"
	s := parseOne(t, q)
	at := positionChecker(t, q)
	at("select", s, 1, 1)
	at("item", s.Items[1], 2, 3)
	mul := s.Items[1].Expr.(*Binary)
	at("binary", mul, 2, 3)
	at("unary", mul.L, 2, 3)
	at("parenthesised sum", mul.R, 2, 9)
	at("from", s.From, 3, 6)
	at("source", s.From.Source, 3, 6)
	at("named arg", s.From.Source.Named[0], 3, 8)
	at("not", s.Where, 4, 7)
	at("is null", s.Where.(*Unary).X, 4, 11)
	at("window", s.Window, 4, 21)
	at("order item", s.OrderBy[0], 4, 40)
	at("limit", s.Limit, 4, 42)
}

// positionChecker returns a function that checks n is at line:col of q.
func positionChecker(t *testing.T, q string) func(what string, n Node, line, col int) {
	return func(what string, n Node, line, col int) {
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
}

func TestPositionsWindows(t *testing.T) {
	q := "SELECT a FROM s\n  WINDOW 10s SLIDE 5s\n  EVENT TIME\n    payload.ts LATENESS 1s EMIT CHANGES;\nSELECT b FROM s WINDOW SESSION 1m EVENT TIME to_timestamp(ms)"
	stmts, err := Parse(q)
	if err != nil {
		t.Fatal(err)
	}
	at := positionChecker(t, q)
	w := stmts[0].(*Select).Window
	at("window", w, 2, 3)
	at("event time", w.EventTime, 4, 5)
	w = stmts[1].(*Select).Window
	at("session window", w, 5, 17)
	at("event time call", w.EventTime, 5, 46)
	at("event time argument", w.EventTime.(*Call).Args[0], 5, 59)
}

func TestPositionsStreams(t *testing.T) {
	q := "EXPLAIN\n  CREATE STREAM s AS SELECT\n TIMESTAMP '2026-01-01'\nFROM \"in\" AS i, UNNEST(a) w"
	stmts, err := Parse(q)
	if err != nil {
		t.Fatal(err)
	}
	at := positionChecker(t, q)
	e := stmts[0].(*Explain)
	at("explain", e, 1, 1)
	c := e.Stmt.(*CreateStream)
	at("create", c, 2, 3)
	at("select", c.Query, 2, 22)
	at("timestamp", c.Query.Items[0].Expr, 3, 2)
	at("from", c.Query.From, 4, 6)
	at("unnest", c.Query.From.Unnest, 4, 17)
	at("unnest expr", c.Query.From.Unnest.Expr, 4, 24)

	q = "SELECT 1 FROM f();\n  DROP STREAM IF EXISTS x; SHOW STREAMS"
	stmts, err = Parse(q)
	if err != nil {
		t.Fatal(err)
	}
	at = positionChecker(t, q)
	at("drop", stmts[1], 2, 3)
	at("show", stmts[2], 2, 28)
}

func TestSelectItemText(t *testing.T) {
	st, err := Parse("SELECT price*qty, count( * ) ,  a -- note\n , CAST(x as integer) AS c, 'it''s' FROM f()")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, it := range st[0].(*Select).Items {
		got = append(got, it.Text)
	}
	want := []string{"price*qty", "count( * )", "a", "CAST(x as integer)", "'it''s'"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("item texts %q, want %q", got, want)
	}
}

func TestParseInsert(t *testing.T) {
	stmts, err := Parse("SELECT 1 FROM f();\nINSERT INTO kafka('127.0.0.1:9092', topic => 'out') SELECT a FROM s")
	if err != nil {
		t.Fatal(err)
	}
	ins, ok := stmts[1].(*Insert)
	if !ok {
		t.Fatalf("got %T", stmts[1])
	}
	if ins.Pos.Line != 2 || ins.Pos.Column != 1 || ins.Sink.Name != "kafka" || len(ins.Sink.Args) != 1 ||
		ins.Sink.Named[0].Name != "topic" || ins.Query.From.Stream != "s" {
		t.Errorf("insert parsed as %+v / sink %+v", ins, ins.Sink)
	}
	for _, c := range []struct{ in, want string }{
		{"INSERT file('x') SELECT a FROM f()", `1:8: syntax error: unexpected "file"; expected INTO`},
		{"INSERT INTO file('x')", `1:22: syntax error: unexpected end of input; expected SELECT`},
	} {
		_, err := Parse(c.in)
		if err == nil || err.Error() != c.want {
			t.Errorf("Parse(%q) = %v, want %s", c.in, err, c.want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"SELEC word FROM file('x')", `1:1: syntax error: unexpected "SELEC"; expected SELECT, EXPLAIN, CREATE, DROP, SHOW, INSERT or SUBSCRIBE (did you mean SELECT?)`},
		{"SELECT word FORM file('x')", `1:13: syntax error: unexpected "FORM"; expected FROM (did you mean FROM?)`},
		{"SELECT word, COUNT(*) FORM file('x')", `1:23: syntax error: unexpected "FORM"; expected FROM (did you mean FROM?)`},
		{"SELECT a FROM f() GRUOP BY a", `1:19: syntax error: unexpected "GRUOP"; expected GROUP BY (did you mean GROUP?)`},
		{"SELECT a FROM f() WHERE x = 1 GRUOP BY a", `1:31: syntax error: unexpected "GRUOP"; expected GROUP BY, HAVING, WINDOW, ORDER BY, LIMIT or end of statement (did you mean GROUP?)`},
		{"SELECT FROM file('x')", `1:8: syntax error: unexpected "FROM"; expected a column name or expression`},
		{"SELECT a FROM", `1:14: syntax error: unexpected end of input; expected a source such as file('path') or a stream name`},
		{"SELECT a FROM file WHERE", `1:25: syntax error: unexpected end of input; expected an expression`}, // file is a stream here
		{"SELECT a FROM file(", `1:20: syntax error: unexpected end of input; expected an expression or ")"`},
		{"SELECT a FROM f(1", `1:18: syntax error: unexpected end of input; expected "," or ")"`},
		{"SELECT a FROM f() WINDOW 10x", `1:26: syntax error: invalid duration "10x"; expected a number and unit (ms, s, m or h) such as 10s or 1m30s`},
		{"SELECT a FROM f() WINDOW '5 s'", `1:26: syntax error: invalid duration '5 s'; expected a number and unit (ms, s, m or h) such as 10s or 1m30s`},
		{"SELECT a FROM f() WINDOW 0s", `1:26: syntax error: invalid duration "0s"; expected a duration greater than zero`},
		{"SELECT a FROM f() WINDOW 10s SLIDE 0ms", `1:36: syntax error: invalid duration "0ms"; expected a duration greater than zero`},
		{"SELECT a FROM f() WINDOW -10s", `1:26: syntax error: unexpected "-"; expected a duration such as 10s, SESSION or UNBOUNDED`},
		{"SELECT a FROM f() WINDOW 10", `1:26: syntax error: duration "10" needs a unit; expected 10ms, 10s, 10m or 10h`},
		{"SELECT a FROM f() WINDOW 10s SLDE 5s", `1:30: syntax error: unexpected "SLDE"; expected SLIDE, EVENT TIME, HAVING, EMIT CHANGES, ORDER BY, LIMIT or end of statement (did you mean SLIDE?)`},
		{"SELECT a FROM f() HAVING a WINDOW 1s HAVING b", `1:38: syntax error: unexpected "HAVING"; expected SLIDE, EVENT TIME, EMIT CHANGES, ORDER BY, LIMIT or end of statement`},
		// Event time, session and unbounded windows, EMIT CHANGES.
		{"SELECT a FROM f() WINDOW", `1:25: syntax error: unexpected end of input; expected a duration such as 10s, SESSION or UNBOUNDED`},
		{"SELECT a FROM f() WINDOW SESSION", `1:33: syntax error: unexpected end of input; expected a duration such as 10s`},
		{"SELECT a FROM f() WINDOW SESSION EVENT TIME ts", `1:34: syntax error: unexpected "EVENT"; expected a duration such as 10s`},
		{"SELECT a FROM f() WINDOW SESSION 0s", `1:34: syntax error: invalid duration "0s"; expected a duration greater than zero`},
		{"SELECT a FROM f() WINDOW SESION 10s", `1:26: syntax error: unexpected "SESION"; expected a duration such as 10s, SESSION or UNBOUNDED (did you mean SESSION?)`},
		{"SELECT a FROM f() WINDOW 10s EVENT ts", `1:36: syntax error: unexpected "ts"; expected TIME`},
		{"SELECT a FROM f() WINDOW 10s EVENT", `1:35: syntax error: unexpected end of input; expected TIME`},
		{"SELECT a FROM f() WINDOW 10s EVENT TIME", `1:40: syntax error: unexpected end of input; expected an expression`},
		{"SELECT a FROM f() WINDOW 10s EVNT TIME ts", `1:30: syntax error: unexpected "EVNT"; expected SLIDE, EVENT TIME, HAVING, EMIT CHANGES, ORDER BY, LIMIT or end of statement (did you mean EVENT?)`},
		{"SELECT a FROM f() WINDOW 10s EVENT TIME ts LATNESS 5s", `1:44: syntax error: unexpected "LATNESS"; expected LATENESS, HAVING, EMIT CHANGES, ORDER BY, LIMIT or end of statement (did you mean LATENESS?)`},
		{"SELECT a FROM f() WINDOW 10s EVENT TIME ts LATENESS", `1:52: syntax error: unexpected end of input; expected a duration such as 10s`},
		{"SELECT a FROM f() WINDOW 10s EVENT TIME ts LATENESS -1s", `1:53: syntax error: unexpected "-"; expected a duration such as 10s`},
		{"SELECT a FROM f() WINDOW 10s EVENT TIME ts LATENESS 5", `1:53: syntax error: duration "5" needs a unit; expected 5ms, 5s, 5m or 5h`},
		{"SELECT a FROM f() WINDOW 10s EVENT TIME ts LATENESS 1s LATENESS 2s", `1:56: syntax error: unexpected "LATENESS"; expected HAVING, EMIT CHANGES, ORDER BY, LIMIT or end of statement`},
		{"SELECT a FROM f() WINDOW 10s TIMEOUT 1h", `1:30: syntax error: unexpected "TIMEOUT"; expected SLIDE, EVENT TIME, HAVING, EMIT CHANGES, ORDER BY, LIMIT or end of statement`},
		{"SELECT a FROM f() WINDOW UNBOUNDED SLIDE 1s", `1:36: syntax error: an UNBOUNDED window does not slide; SLIDE goes with a window size, as in WINDOW 10s SLIDE 5s`},
		{"SELECT a FROM f() WINDOW UNBOUNDED TIMEOUT 1h SLIDE 1s", `1:47: syntax error: an UNBOUNDED window does not slide; SLIDE goes with a window size, as in WINDOW 10s SLIDE 5s`},
		{"SELECT a FROM f() WINDOW SESSION 5s SLIDE 1s", `1:37: syntax error: a SESSION window does not slide; SLIDE goes with a window size, as in WINDOW 10s SLIDE 5s`},
		{"SELECT a FROM f() WINDOW UNBOUNDED 10s", `1:36: syntax error: unexpected "10s"; expected TIMEOUT, HAVING, EMIT CHANGES, ORDER BY, LIMIT or end of statement`},
		{"SELECT a FROM f() WINDOW UNBOUNDED EVENT TIME ts", `1:36: syntax error: unexpected "EVENT"; expected TIMEOUT, HAVING, EMIT CHANGES, ORDER BY, LIMIT or end of statement`},
		{"SELECT a FROM f() WINDOW UNBOUNDED TIMEOUT", `1:43: syntax error: unexpected end of input; expected a duration such as 10s`},
		{"SELECT a FROM f() WINDOW UNBOUNDED TIMEOUT 0s", `1:44: syntax error: invalid duration "0s"; expected a duration greater than zero`},
		{"SELECT a FROM f() WINDOW UNBOUNDD", `1:26: syntax error: unexpected "UNBOUNDD"; expected a duration such as 10s, SESSION or UNBOUNDED (did you mean UNBOUNDED?)`},
		{"SELECT a FROM f() WINDOW 10s EMIT", `1:34: syntax error: unexpected end of input; expected CHANGES`},
		{"SELECT a FROM f() WINDOW 10s EMIT ts", `1:35: syntax error: unexpected "ts"; expected CHANGES`},
		{"SELECT a FROM f() WINDOW 10s EMIT CHANGS", `1:35: syntax error: unexpected "CHANGS"; expected CHANGES (did you mean CHANGES?)`},
		{"SELECT a FROM f() WINDOW 10s EMT CHANGES", `1:30: syntax error: unexpected "EMT"; expected SLIDE, EVENT TIME, HAVING, EMIT CHANGES, ORDER BY, LIMIT or end of statement (did you mean EMIT?)`},
		{"SELECT a FROM f() WINDOW 10s EMIT CHANGES HAVING a", `1:43: syntax error: unexpected "HAVING"; expected ORDER BY, LIMIT or end of statement`},
		{"SELECT a FROM f() WINDOW 10s EMIT CHANGES EMIT CHANGES", `1:43: syntax error: unexpected "EMIT"; expected ORDER BY, LIMIT or end of statement`},
		{"SELECT a FROM f() EMIT CHANGES", `1:19: syntax error: EMIT CHANGES needs a WINDOW clause`}, // EMIT parses as an alias
		{"SELECT a FROM s, UNNEST(x) emit changes", `1:28: syntax error: EMIT CHANGES needs a WINDOW clause`},
		{"SELECT a FROM f() WHERE a EMIT CHANGES", `1:27: syntax error: EMIT CHANGES needs a WINDOW clause`},
		{"SELECT a FROM f() GROUP BY a EMIT CHANGES", `1:30: syntax error: EMIT CHANGES needs a WINDOW clause`},
		{"SELECT a FROM f() GROUP BY a HAVING b\n  emit", `2:3: syntax error: EMIT CHANGES needs a WINDOW clause`},
		{"SELECT a FROM f() WINDOW 9999999999h", `1:26: syntax error: duration "9999999999h" is too long`},
		{"SELECT 'abc FROM f()", `1:8: syntax error: unterminated string literal`},
		{`SELECT "abc FROM f()`, `1:8: syntax error: unterminated quoted name`},
		{`SELECT "" FROM f()`, `1:8: syntax error: empty quoted name ""`},
		{"SELECT a § FROM f()", `1:10: syntax error: unexpected character "§"`},
		{"SELEC a FROM f('x", `1:1: syntax error: unexpected "SELEC"; expected SELECT, EXPLAIN, CREATE, DROP, SHOW, INSERT or SUBSCRIBE (did you mean SELECT?)`},
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
		{"SELECT CAST(a AS blob) FROM f()", `1:18: syntax error: unknown type "blob"; expected BOOLEAN, BIGINT, DOUBLE, DECIMAL, TEXT or TIMESTAMP`},
		{"SELECT a AS FROM f()", `1:13: syntax error: unexpected "FROM"; expected an alias`},
		{"SELECT t. FROM f()", `1:11: syntax error: unexpected "FROM"; expected a column name or *`},
		{"SELECT a FROM f() ORDER a", `1:25: syntax error: unexpected "a"; expected BY`},
		{"SELECT a FROM f() ORDER BY a NULLS", `1:35: syntax error: unexpected end of input; expected FIRST or LAST`},
		// Stream statements, FROM and TIMESTAMP.
		{"CREATE STREAM words SELECT word FROM f()", `1:21: syntax error: unexpected "SELECT"; expected AS`},
		{"CREATE STREAM", `1:14: syntax error: unexpected end of input; expected a stream name`},
		{"CREATE STREAM AS SELECT a FROM f()", `1:15: syntax error: unexpected "AS"; expected a stream name`},
		{"CREATE STREAM w AS", `1:19: syntax error: unexpected end of input; expected SELECT`},
		{"CREATE STREM w AS SELECT a FROM f()", `1:8: syntax error: unexpected "STREM"; expected STREAM or MATERIALIZED (did you mean STREAM?)`},
		{"CRATE STREAM w AS SELECT a FROM f()", `1:1: syntax error: unexpected "CRATE"; expected SELECT, EXPLAIN, CREATE, DROP, SHOW, INSERT or SUBSCRIBE (did you mean CREATE?)`},
		{"DROP words", `1:6: syntax error: unexpected "words"; expected STREAM or MATERIALIZED`},
		{"DROP STREAM", `1:12: syntax error: unexpected end of input; expected a stream name`},
		{"DROP STREAM IF EXISTS", `1:22: syntax error: unexpected end of input; expected a stream name`},
		{"DROP STREAM IF EXIST w", `1:16: syntax error: unexpected "EXIST"; expected EXISTS or end of statement (did you mean EXISTS?)`},
		{"DROP STREAM a, b", `1:14: syntax error: unexpected ","; expected end of statement`},
		{"SHOW", `1:5: syntax error: unexpected end of input; expected STREAMS, MATERIALIZED or VIEWS`},
		{"SHOW STREAM", `1:6: syntax error: unexpected "STREAM"; expected STREAMS, MATERIALIZED or VIEWS (did you mean STREAMS?)`},
		{"SHOW tables", `1:6: syntax error: unexpected "tables"; expected STREAMS, MATERIALIZED or VIEWS`},
		{"EXPLAIN DROP STREAM w", `1:9: syntax error: unexpected "DROP"; expected SELECT, CREATE or INSERT`},
		{"EXPLAIN SHOW STREAMS", `1:9: syntax error: unexpected "SHOW"; expected SELECT, CREATE or INSERT`},
		{"SELECT * FROM file('x'), 3", `1:26: syntax error: unexpected "3"; expected "("`},
		{"SELECT * FROM s, UNNEST()", `1:25: syntax error: unexpected ")"; expected an expression`},
		{"SELECT * FROM s, UNNEST(a, b)", `1:26: syntax error: unexpected ","; expected ")"`},
		{"SELECT * FROM s, UNNEST(a) AS", `1:30: syntax error: unexpected end of input; expected an alias`},
		{"SELECT * FROM s, UNNEST(a), UNNEST(b)", `1:27: syntax error: unexpected ","; expected WHERE, GROUP BY, HAVING, WINDOW, ORDER BY, LIMIT or end of statement`},
		{"SELECT * FROM s 5", `1:17: syntax error: unexpected "5"; expected WHERE, GROUP BY, HAVING, WINDOW, ORDER BY, LIMIT, "," or end of statement`},
		// CREATE, DROP and SHOW are not reserved, so a missing ";" makes
		// them an alias; the error is still put on them.
		{"SELECT a FROM f()\nCREATE STREAM s AS SELECT a FROM f()", `2:1: syntax error: unexpected "CREATE"; expected WHERE, GROUP BY, HAVING, WINDOW, ORDER BY, LIMIT, "," or end of statement`},
		{"SELECT a FROM s, UNNEST(x) drop stream w", `1:28: syntax error: unexpected "drop"; expected WHERE, GROUP BY, HAVING, WINDOW, ORDER BY, LIMIT or end of statement`},
		{"DROP STREAM w\nSHOW STREAMS", `2:1: syntax error: unexpected "SHOW"; expected end of statement`},
		{"SELECT TIMESTAMP 'yesterday' FROM f()", `1:18: syntax error: invalid timestamp 'yesterday'; expected 'YYYY-MM-DD', 'YYYY-MM-DD HH:MM:SS' or RFC 3339 such as '2026-01-02T03:04:05Z'`},
		{"SELECT a FROM f() WHERE t > TIMESTAMP '2026-01-02 03:04'", `1:39: syntax error: invalid timestamp '2026-01-02 03:04'; expected 'YYYY-MM-DD', 'YYYY-MM-DD HH:MM:SS' or RFC 3339 such as '2026-01-02T03:04:05Z'`},
		{"SELECT TIMESTAMP '2026-13-01' FROM f()", `1:18: syntax error: invalid timestamp '2026-13-01': month out of range`},
		{"SELECT TIMESTAMP '2026-02-30 12:00:00' FROM f()", `1:18: syntax error: invalid timestamp '2026-02-30 12:00:00': day out of range`},
		{"SELECT TIMESTAMP '3000-01-01' FROM f()", `1:18: syntax error: timestamp '3000-01-01' is out of range; expected a time between 1677-09-21 and 2262-04-11`},
		{"SELECT TIMESTAMP 5 FROM f()", `1:18: syntax error: unexpected "5"; expected FROM, WHERE, GROUP BY, HAVING, WINDOW, ORDER BY, LIMIT, "," or end of statement`},
		{"SELECT a FROM f() LIMIT x", `1:25: syntax error: unexpected "x"; expected an integer`},
		{"SELECT a FROM f() LIMIT 99999999999999999999", `1:25: syntax error: number 99999999999999999999 is too large`},
		{"SELECT 99999999999999999999 FORM f()", `1:8: syntax error: number 99999999999999999999 is too large`},
		{"SELECT 1e999 FROM f()", `1:8: syntax error: number 1e999 is too large`},
		{"SELECT a FROM f() x y", `1:21: syntax error: unexpected "y"; expected WHERE, GROUP BY, HAVING, WINDOW, ORDER BY, LIMIT, "," or end of statement`},
		{"SELECT a FROM f() SELECT b FROM g()", `1:19: syntax error: unexpected "SELECT"; expected WHERE, GROUP BY, HAVING, WINDOW, ORDER BY, LIMIT, "," or end of statement`},
		{"", `1:1: syntax error: unexpected end of input; expected SELECT, EXPLAIN, CREATE, DROP, SHOW, INSERT or SUBSCRIBE`},
		{" ;; -- nothing", `1:15: syntax error: unexpected end of input; expected SELECT, EXPLAIN, CREATE, DROP, SHOW, INSERT or SUBSCRIBE`},
		{"EXPLAIN", `1:8: syntax error: unexpected end of input; expected SELECT, CREATE or INSERT`},
		{"SELECT a FROM f();\nSELECT b\n  FROM g()\n  WHERE b = = 1;", `4:13: syntax error: unexpected "="; expected an expression`},
		{"SELECT a FROM f();\nSELECT b FROM g()\nWHRE b = 1", `3:1: syntax error: unexpected "WHRE"; expected WHERE (did you mean WHERE?)`},
		// The first error in the text wins, whatever kind it is.
		{"SELECT a FROM f() WINDOW 0s;\nSELEC b", `1:26: syntax error: invalid duration "0s"; expected a duration greater than zero`},
		{"SELECT a FROM f() WHERE = 1;\nSELECT 'oops", `1:25: syntax error: unexpected "="; expected an expression`},
		{"SELECT " + strings.Repeat("(", 101) + "1" + strings.Repeat(")", 101) + " FROM f()", `1:108: syntax error: expression nested too deeply (the limit is 100 levels)`},
		// Found while lexing: the rest of a huge text is never looked at.
		{"SELECT " + strings.Repeat("(", 450000) + "1" + strings.Repeat(")", 450000) + " FROM f()", `1:108: syntax error: expression nested too deeply (the limit is 100 levels)`},
		// Statements are limited, not scripts: the second is too long.
		{"SELECT 1 IN (" + strings.Repeat("1,", 40000) + "1) AS x FROM f();\nSELECT 1 IN (" + strings.Repeat("1,", 60000) + "1) AS x FROM f()",
			`2:100010: syntax error: statement too long: more than 100000 tokens (the limit); split it up, or put a long IN list in a table and join it`},
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

// A snippet of a long line shows the part around the caret.
func TestErrorSnippetLongLine(t *testing.T) {
	q := "SELECT " + strings.Repeat("a + ", 1000) + "= 1 FROM f()"
	_, err := Parse(q)
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("got %v", err)
	}
	want := "  ..." + strings.Repeat("a + ", 25) + "= 1 FROM f()\n" + strings.Repeat(" ", 105) + "^"
	if got := e.Snippet(); got != want {
		t.Errorf("Snippet()\n%s\nwant\n%s", got, want)
	}
	// Beyond maxProbeTokens the message is not explained by probing,
	// which would parse the statement a hundred times.
	if want := `1:4008: syntax error: unexpected "="`; e.Error() != want {
		t.Errorf("Error() = %s, want %s", e.Error(), want)
	}
}

// FuzzParse checks that no input panics, that errors point inside the
// text, and that whatever parses survives a print/parse round trip.
func FuzzParse(f *testing.F) {
	for _, c := range allAccepted() {
		f.Add(c.in)
	}
	for _, s := range []string{
		"SELECT a FROM f() WINDOW 10x", "SELEC a", "SELECT (((1", "SELECT 'x", "SELECT \"\"\"\" FROM f()",
		"CREATE STREAM w AS SELECT a FROM s;\nDROP STREAM IF EXISTS w; SHOW STREAMS",
		"SELECT TIMESTAMP '2262-04-11T23:47:16.854775807Z' FROM s, UNNEST(TIMESTAMP '1677-09-21 00:12:43.145224192')",
		"SELECT TIMESTAMP '2026-02-30' FROM f()", "DROP STREAM if", "CREATE STREAM s SELECT", "SELECT a FROM f() show streams",
		"SELECT a FROM f() WINDOW SESSION", "SELECT a FROM f() WINDOW 10s EVENT ts", "SELECT a FROM f() WINDOW UNBOUNDED SLIDE 1s",
		"SELECT a FROM f() WINDOW 10s EMIT", "SELECT a FROM f() EMIT CHANGES", "SELECT a FROM f() WINDOW 1s EVENT TIME t LATNESS 5s",
		"SELECT a FROM f() WINDOW 1s EVENT TIME t LATENESS 0s EMIT CHANGES;\nSELECT b FROM g() WINDOW SESSION 1ms EVENT TIME time",
		"SELECT time FROM event session WINDOW UNBOUNDED TIMEOUT 1h HAVING emit EMIT CHANGES ORDER BY changes LIMIT 1",
	} {
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
