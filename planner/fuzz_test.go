package planner_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/streamsql/streamsql/operators"
	"github.com/streamsql/streamsql/parser"
	"github.com/streamsql/streamsql/planner"
	"github.com/streamsql/streamsql/sources"
	"github.com/streamsql/streamsql/types"
)

// fzName is the source FuzzPlan plans against. Every other registered
// source named in a fuzzed query (file, socket, kafka, ...) is renamed to
// it before planning, so planning never touches the file system or the
// network; unknown names are left alone for the "unknown source" error.
const fzName = "fz"

// fzSchema is the fixed, typed schema of fz().
var fzSchema = types.Schema{
	{Name: "line", Type: types.KindText},
	{Name: "n", Type: types.KindInt},
	{Name: "x", Type: types.KindFloat},
	{Name: "ok", Type: types.KindBool},
	{Name: "ts", Type: types.KindTime},
	{Name: "tags", Type: types.KindArray},
}

// fzRows are the rows pushed through every plan: typical values, NULLs,
// extremes and text that spells numbers or times. Each row holds one value
// per column of fzSchema.
var fzRows = []types.Row{
	{types.Text("to be or not to be"), types.Int(3), types.Float(2.5), types.Bool(true),
		types.Time(time.Unix(9, 500_000_000).UTC()), types.Array([]types.Value{types.Text("a"), types.Text("b")})},
	{types.Null, types.Null, types.Null, types.Null, types.Null, types.Null},
	{types.Text(""), types.Int(-1 << 63), types.Float(math.Copysign(0, -1)), types.Bool(false),
		types.Time(time.Unix(0, 0).UTC()), types.Array(nil)},
	{types.Text("  12  é\x00\xff 2026-01-02T03:04:05Z"), types.Int(1<<63 - 1), types.Float(1e308), types.Bool(true),
		types.Time(time.Unix(10, 0).UTC()), types.Array([]types.Value{types.Null, types.Int(7), types.Text("a")})},
	{types.Text("be"), types.Int(0), types.Float(0), types.Bool(false),
		types.Time(time.Unix(-5, 0).UTC()), types.Array([]types.Value{types.Text("be")})},
}

// fzSource is the source behind fz(): fzSchema, typed, and rows built from
// fzRows in the bound order. It takes up to one positional argument and an
// option opt, both ignored, so argument checks are exercised too.
type fzSource struct {
	cols  []int // bound columns: indexes into fzSchema
	bound bool
}

func init() {
	sources.Register(&sources.Spec{
		Name: fzName, Usage: "fz([anything], opt => anything)", MaxArgs: 1, Options: []string{"opt"},
		Open: func(sources.Args) (sources.Source, error) { return &fzSource{}, nil },
	})
}

func (s *fzSource) Schema() sources.Schema {
	if !s.bound {
		return sources.Schema{Columns: fzSchema, Typed: true}
	}
	cols := make(types.Schema, len(s.cols))
	for i, c := range s.cols {
		cols[i] = fzSchema[c]
	}
	return sources.Schema{Columns: cols, Typed: true}
}

func (s *fzSource) Bind(columns []string) error {
	s.cols = s.cols[:0]
	for _, c := range columns {
		i := fzSchema.Index(c)
		if i < 0 {
			return fmt.Errorf("fz() has no column %q", c)
		}
		s.cols = append(s.cols, i)
	}
	s.bound = true
	return nil
}

func (s *fzSource) Bounded() bool                              { return false }
func (s *fzSource) Describe() string                           { return "fz()" }
func (s *fzSource) Run(context.Context, sources.Emitter) error { return nil }

// rows returns fresh copies of fzRows in the bound column order (all
// columns when unbound).
func (s *fzSource) rows() []types.Row {
	cols := s.cols
	if !s.bound {
		cols = make([]int, len(fzSchema))
		for i := range cols {
			cols[i] = i
		}
	}
	out := make([]types.Row, len(fzRows))
	for i, r := range fzRows {
		row := make(types.Row, len(cols))
		for j, c := range cols {
			row[j] = r[c]
		}
		out[i] = row
	}
	return out
}

// fzCatalog holds the streams CREATE STREAM defined earlier in the script
// being fuzzed, as the engine's catalog does for one Prepare.
type fzCatalog map[string]*planner.Plan

func (c fzCatalog) Stream(name string) (*planner.Plan, bool, error) {
	p, ok := c[strings.ToLower(name)]
	return p, ok, nil
}

func (c fzCatalog) Names() []string {
	var out []string
	for n := range c {
		out = append(out, n)
	}
	return out
}

// discard is the sink of every built DAG.
type discard struct{}

func (discard) Push([]types.Row) error             { return nil }
func (discard) EndBatch(*operators.BatchEnd) error { return nil }
func (discard) Retract([]types.Row) error          { return nil }

// renameSources points every registered source of sel at fz().
func renameSources(sel *parser.Select) {
	if sel == nil || sel.From == nil || sel.From.Source == nil {
		return
	}
	if _, ok := sources.Lookup(sel.From.Source.Name); ok {
		sel.From.Source.Name = fzName
	}
}

var fzSeeds = []string{
	// The README's queries and their variations.
	"SELECT word, COUNT(*) FROM file('logfile') GROUP BY word WINDOW 10s",
	"SELECT word, COUNT(*) FROM file('logfile') GROUP BY word WINDOW 30s SLIDE 10s",
	"EXPLAIN SELECT word, COUNT(*) FROM file('examples/logfile') GROUP BY word WINDOW 30s SLIDE 10s",
	"SELECT w, COUNT(*) FROM file('logs'), UNNEST(split(lower(line), ' ')) AS w GROUP BY w",
	"CREATE STREAM words AS SELECT lower(word) AS w FROM file('logs');\nSELECT w, COUNT(*) FROM words GROUP BY w WINDOW 10s;\nSELECT COUNT(*) AS total FROM words;",
	"INSERT INTO sqlite('wc.db', table => 'wordcount')\nSELECT word, window_start, COUNT(*) AS n FROM file('logs') GROUP BY word WINDOW 10s;",
	"INSERT INTO nosuchsink('x') SELECT line FROM fz()",
	"INSERT INTO file('out', format => 'jsonl') SELECT DISTINCT line FROM fz() WHERE n > 0",
	// Event time, lateness, sessions, running totals, EMIT CHANGES.
	"SELECT line, COUNT(*), AVG(x), MAX(n) FROM fz() GROUP BY line WINDOW 10s EVENT TIME ts LATENESS 5s HAVING COUNT(*) > 0 ORDER BY 3 DESC LIMIT 5",
	"SELECT line, window_start, window_end, SUM(n) FROM fz() GROUP BY line WINDOW 10s SLIDE 2s EVENT TIME ts",
	"SELECT line, COUNT(*) FROM fz() GROUP BY line WINDOW SESSION 3s",
	"SELECT line, COUNT(*) FROM fz() GROUP BY 1 WINDOW SESSION 2s EVENT TIME ts LATENESS 1s EMIT CHANGES",
	"SELECT line, SUM(x) FROM fz() GROUP BY line WINDOW UNBOUNDED TIMEOUT 1h",
	"SELECT line, SUM(x) FROM fz() GROUP BY line WINDOW UNBOUNDED",
	"SELECT n % 3 AS k, COUNT(*) FROM fz() GROUP BY k WINDOW 4s EMIT CHANGES ORDER BY k NULLS LAST",
	"SELECT COUNT(*) FROM fz() WINDOW 10s EVENT TIME epoch_ms(ts) LATENESS 0s",
	"SELECT COUNT(*) FROM fz() WINDOW 10s EVENT TIME to_timestamp(line)",
	"SELECT COUNT(*) FROM fz() WINDOW 10s EVENT TIME ok",
	"SELECT COUNT(*) FROM fz() WINDOW 1500ms",
	"SELECT COUNT(*) FROM fz() WINDOW 10s SLIDE 3s",
	"SELECT COUNT(*) FROM fz() WINDOW 0s",
	"SELECT line FROM fz() WINDOW 10s",
	// Aggregates.
	"SELECT COUNT(*), COUNT(n), COUNT(DISTINCT line), SUM(DISTINCT n), AVG(DISTINCT x), MIN(line), MAX(ts), approx_count_distinct(line) FROM fz()",
	"SELECT SUM(line) FROM fz()",
	"SELECT COUNT(SUM(n)) FROM fz()",
	"SELECT line FROM fz() WHERE COUNT(*) > 1",
	"SELECT line, n FROM fz() GROUP BY line",
	"SELECT n FROM fz() GROUP BY COUNT(*)",
	"SELECT line, COUNT(*) AS c FROM fz() GROUP BY line HAVING c > 1 AND MAX(x) < 10 ORDER BY c DESC, 1 LIMIT 0",
	"SELECT line FROM fz() HAVING line = 'a'",
	"SELECT line FROM fz() EMIT CHANGES",
	// Expressions and functions.
	"SELECT CASE WHEN n > 2 THEN 'big' WHEN n IS NULL THEN NULL ELSE 'small' END AS size, CASE line WHEN 'be' THEN 1 ELSE 0 END FROM fz()",
	"SELECT CAST(line AS BIGINT), CAST(x AS TEXT), CAST(ts AS BIGINT), CAST('x' AS TIMESTAMP), line || '!' FROM fz()",
	"SELECT n / 0, n % 0, n * 9223372036854775807, -n, x + n, '12' + 1, 'abc' + 1 FROM fz()",
	"SELECT line FROM fz() WHERE line",
	"SELECT n / 0, n % 0, n * 9223372036854775807, -n, x + n, '12' + 1, x / 0.0, -(-9223372036854775807 - 1) FROM fz()",
	"SELECT regexp_match(line, 'b+'), regexp_extract(line, 'b(e)', 1), round(x, 1), floor(x), ceil(x), sqrt(n), power(n, x), abs(n) FROM fz() WHERE line LIKE '%' ORDER BY 1, 6 DESC",
	"SELECT line, COUNT(*) AS c FROM fz() GROUP BY line HAVING COUNT(*) > 1 OR MAX(x) < 10 ORDER BY c DESC, 1 LIMIT 0",
	"SELECT ok, MIN(ts), MAX(line), COUNT(*) FROM fz() WHERE ok OR NOT ok IS NULL GROUP BY ok WINDOW 2s SLIDE 1s ORDER BY 2 NULLS FIRST",
	"SELECT line FROM fz() WHERE n BETWEEN 1 AND 3 OR x NOT IN (1, 2.5, NULL) AND line NOT LIKE '%b_' AND ts IS NOT NULL",
	"SELECT upper(line), length(line), trim(line), substr(line, 2, 3), replace(line, 'be', 'is'), concat(line, n, x), split_part(line, ' ', 2), starts_with(line, 'to') FROM fz()",
	"SELECT regexp_match(line, '(b+'), regexp_extract(line, 'b(e)', 1), round(x, 1), floor(x), ceil(x), sqrt(n), power(n, x), abs(n) FROM fz()",
	"SELECT coalesce(line, 'none'), nullif(n, 0), greatest(n, x, 1), least(line, 'b') FROM fz()",
	"SELECT now(), date_trunc('minute', ts), date_part('second', ts), format_timestamp(ts, '%Y'), parse_timestamp(line, '%Y'), epoch_ms(ts), TIMESTAMP '2026-01-02 03:04:05' FROM fz()",
	"SELECT lowr(line) FROM fz()",
	"SELECT lower(line, 1, 2) FROM fz()",
	"SELECT t.line, t.n FROM fz() AS t WHERE t.ok",
	"SELECT wrod FROM fz()",
	"SELECT * FROM fz() ORDER BY 2 DESC NULLS FIRST, 7 LIMIT 3",
	"SELECT DISTINCT word FROM stdin() ORDER BY word",
	"SELECT u, COUNT(*) FROM fz(), UNNEST(tags) AS u GROUP BY u",
	"SELECT unnest FROM fz(), UNNEST(split(line, ''))",
	"SELECT u FROM fz(), UNNEST(n) u",
	// Sources, streams and arguments.
	"SELECT line FROM nosuch('x')",
	"SELECT line FROM fz('a', 'b')",
	"SELECT line FROM fz(opt => line)",
	"SELECT line FROM fz(bogus => 1)",
	"SELECT line FROM words",
	"CREATE STREAM s AS SELECT line, n FROM fz() WHERE ok;\nCREATE STREAM t AS SELECT line, COUNT(*) AS c FROM s GROUP BY line;\nSELECT * FROM t;\nSELECT c FROM t WHERE c > 1;\nSELECT n FROM s;\nDROP STREAM IF EXISTS s; SHOW STREAMS",
	"CREATE STREAM s AS SELECT * FROM s",
	"EXPLAIN CREATE STREAM s AS SELECT word FROM fz()",
	"SELECT \"select\", time FROM fz()",
	"-- comment\nSELECT\tline\r\nFROM fz() ;;",
	"SELECT 'it''s', 1e3, 4.2, TRUE, NULL FROM fz()",
	// Constant queries (no FROM).
	"SELECT 0",
	"SELECT 1 AS x, upper('a') AS y WHERE 1 = 1 ORDER BY x LIMIT 1",
	"SELECT COUNT(*) AS n, SUM(2) WINDOW 10s HAVING COUNT(*) > 0",
	"SELECT x",
	"CREATE STREAM c AS SELECT 1 AS v; SELECT v, COUNT(*) FROM c GROUP BY v",
}

// FuzzPlan checks that no text, once parsed, makes the planner panic, and
// that neither does building the DAG and running two batches of fixed rows
// through it. Errors are fine, but must be *parser.Error values pointing
// inside the text.
func FuzzPlan(f *testing.F) {
	for _, s := range fzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		if len(text) > 4096 {
			return
		}
		stmts, err := parser.Parse(text)
		if err != nil {
			checkError(t, text, err)
			return
		}
		cat := fzCatalog{}
		opts := planner.Options{Batch: time.Second, Streams: cat}
		var queries []*planner.Plan
		var plan func(st parser.Statement, run bool)
		plan = func(st parser.Statement, run bool) {
			var p *planner.Plan
			var err error
			switch st := st.(type) {
			case *parser.Select:
				renameSources(st)
				p, err = planner.PlanSelect(st, text, opts)
			case *parser.Insert:
				renameSources(st.Query)
				p, _, err = planner.PlanInsert(st, text, opts)
			case *parser.CreateStream:
				renameSources(st.Query)
				p, err = planner.PlanSelect(st.Query, text, opts)
				if err == nil && run {
					cat[strings.ToLower(st.Name)] = p
				}
				run = false // a stream runs through the queries reading it
			case *parser.Explain:
				plan(st.Stmt, false)
				return
			default:
				return
			}
			if err != nil {
				checkError(t, text, err)
				return
			}
			_ = p.Explain()
			if run {
				queries = append(queries, p)
			}
		}
		for _, st := range stmts {
			plan(st, true)
		}
		for _, g := range planner.Group(queries) {
			runGraph(t, text, g)
		}
	})
}

// checkError fails unless err is a *parser.Error positioned inside text.
func checkError(t *testing.T, text string, err error) {
	t.Helper()
	var e *parser.Error
	if !errors.As(err, &e) {
		t.Fatalf("%q: error %T is not a *parser.Error: %v", text, err, err)
	}
	if e.Pos.Line < 1 || e.Pos.Column < 1 || e.Pos.Offset < 0 || e.Pos.Offset > len(text) {
		t.Fatalf("%q: error %q has a position outside the text: %+v", text, err, e.Pos)
	}
}

// runGraph builds g with discarding sinks and pushes fzRows through two
// batches, the second one final.
func runGraph(t *testing.T, text string, g *planner.Graph) {
	t.Helper()
	sinks := make([]operators.Operator, len(g.Queries))
	for i := range sinks {
		sinks[i] = discard{}
	}
	head := g.Build(sinks)
	if head == nil {
		t.Fatalf("%q: Graph.Build returned no head", text)
	}
	var rows func() []types.Row
	opened, err := g.Source.Open()
	if err != nil {
		t.Fatalf("%q: opening the source: %v", text, err)
	}
	if src, ok := opened.(*fzSource); ok {
		rows = src.rows
	} else if len(g.Source.Schema().Columns) == 0 && g.Source.Bounded() {
		rows = func() []types.Row { return []types.Row{{}} } // a query without FROM: one row, no columns
	} else {
		t.Fatalf("%q: graph reads %T, not fz()", text, g.Source)
	}
	start := time.Unix(9, 0).UTC()
	for i, final := range []bool{false, true} {
		if err := head.Push(rows()); err != nil {
			t.Fatalf("%q: Push into a discarding sink failed: %v", text, err)
		}
		b := &operators.BatchEnd{
			Start:   start.Add(time.Duration(i) * time.Second),
			Time:    start.Add(time.Duration(i+1) * time.Second),
			Final:   final,
			Emitted: true,
		}
		if err := head.EndBatch(b); err != nil {
			t.Fatalf("%q: EndBatch into a discarding sink failed: %v", text, err)
		}
	}
}

// BenchmarkPlan measures parsing and planning typical queries against
// fz(), a typed source that touches neither files nor the network.
func BenchmarkPlan(b *testing.B) {
	for _, q := range []struct{ name, sql string }{
		{"card", "SELECT word, COUNT(*) FROM fz() GROUP BY word WINDOW 10s"},
		{"event-time", "SELECT line, COUNT(*), AVG(x), MAX(x), window_start FROM fz() WHERE x IS NOT NULL GROUP BY line WINDOW 1m SLIDE 10s EVENT TIME ts LATENESS 5s HAVING COUNT(*) > 2 ORDER BY line LIMIT 100"},
		{"expressions", "SELECT upper(line) AS u, CASE WHEN n > 2 THEN 'big' ELSE 'small' END, n * 2 + 1, CAST(x AS BIGINT) FROM fz() WHERE line LIKE 'a%' AND n BETWEEN 1 AND 10"},
	} {
		b.Run(q.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				st, err := parser.Parse(q.sql)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := planner.PlanSelect(st[0].(*parser.Select), q.sql, planner.Options{Batch: time.Second}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
