package sinks

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/streamsql/streamsql/types"
)

// A windowed count per page, keyed as the planner keys GROUP BY page with
// window_start and window_end selected (key order unlike column order).
var (
	countCols  = []string{"window_start", "window_end", "page", "n"}
	countKinds = []types.Kind{types.KindTime, types.KindTime, types.KindText, types.KindInt}
	countKey   = []string{"page", "window_start", "window_end"}
	window2    = &types.Window{Start: batchTime, End: batchTime.Add(10 * time.Second)}
)

func countRow(w *types.Window, page types.Value, n int64) types.Row {
	return types.Row{types.Time(w.Start), types.Time(w.End), page, types.Int(n)}
}

func emission(at time.Time, cols []string, rows ...types.Row) *types.Result {
	return &types.Result{Time: at, Emitted: true, Columns: cols, Rows: rows}
}

func tableOpts(target, table string, cols []string, kinds []types.Kind, key []string) Options {
	return Options{
		Args:    []types.Value{types.Text(target)},
		Named:   map[string]types.Value{"table": types.Text(table)},
		Columns: cols, Kinds: kinds, Key: key,
	}
}

// countLine renders a row of the count table as a test expects it.
func countLine(start, end time.Time, page *string, n int64) string {
	p := "NULL"
	if page != nil {
		p = *page
	}
	return start.UTC().Format("15:04:05") + "|" + end.UTC().Format("15:04:05") + "|" + p + "|" + strconv.FormatInt(n, 10)
}

// testUpsert runs the windowed-count scenario against a table sink: a
// window emitted again replaces its rows (the NULL page group included),
// the next window adds rows. read returns the table as countLines.
func testUpsert(t *testing.T, s Sink, read func() []string) {
	t.Helper()
	write(t, s,
		emission(window10s.End, countCols,
			countRow(window10s, types.Text("a"), 1),
			countRow(window10s, types.Text("b"), 2),
			countRow(window10s, types.Null, 3)),
		// Not emitted, or no rows: nothing happens.
		&types.Result{Time: window10s.End, Columns: countCols, Rows: []types.Row{countRow(window10s, types.Text("x"), 1)}},
		emission(window10s.End, countCols),
	)
	want := []string{"21:30:00|21:30:10|NULL|3", "21:30:00|21:30:10|a|1", "21:30:00|21:30:10|b|2"}
	if got := sortedLines(read()); !slices.Equal(got, want) {
		t.Fatalf("after the first emission:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	write(t, s,
		// EMIT CHANGES: the window again with new counts.
		emission(window10s.End, countCols,
			countRow(window10s, types.Text("a"), 5),
			countRow(window10s, types.Null, 4)),
		emission(window2.End, countCols, countRow(window2, types.Text("a"), 1)),
	)
	want = []string{"21:30:00|21:30:10|NULL|4", "21:30:00|21:30:10|a|5", "21:30:00|21:30:10|b|2", "21:30:10|21:30:20|a|1"}
	if got := sortedLines(read()); !slices.Equal(got, want) {
		t.Fatalf("after re-emitting the window:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func sortedLines(s []string) []string {
	slices.Sort(s)
	return s
}

func TestTablePlanSQL(t *testing.T) {
	opts := tableOpts("x", `my "t"`, []string{"k", "select", "v"},
		[]types.Kind{types.KindText, types.KindInt, types.KindNull}, []string{"select", "k"})
	p, err := newTablePlan("test", "x", `my "t"`, opts, false, func(i int) string { return "$" + strconv.Itoa(i) })
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ got, want string }{
		{p.createSQL(postgresType), `CREATE TABLE IF NOT EXISTS "my ""t""" ("k" TEXT, "select" BIGINT, "v" TEXT, UNIQUE ("select", "k"))`},
		{p.createSQL(sqliteType), `CREATE TABLE IF NOT EXISTS "my ""t""" ("k" TEXT, "select" INTEGER, "v", UNIQUE ("select", "k"))`},
		{p.insertSQL(), `INSERT INTO "my ""t""" ("k", "select", "v") VALUES ($1, $2, $3)`},
		{p.upsertSQL(), `INSERT INTO "my ""t""" ("k", "select", "v") VALUES ($1, $2, $3) ON CONFLICT ("select", "k") DO UPDATE SET "v" = excluded."v"`},
		{p.deleteSQL([]bool{false, true}), `DELETE FROM "my ""t""" WHERE "select" = $1 AND "k" IS NULL`},
	} {
		if c.got != c.want {
			t.Errorf("got  %s\nwant %s", c.got, c.want)
		}
	}
	// A row whose key holds a NULL: delete by IS NULL, then insert.
	st := p.rowStatements([]any{nil, int64(1), "v"}, nil)
	if len(st) != 2 || !strings.HasPrefix(st[0].sql, "DELETE") || !slices.Equal(st[0].args, []any{int64(1)}) || !strings.HasPrefix(st[1].sql, "INSERT") || strings.Contains(st[1].sql, "CONFLICT") {
		t.Errorf("NULL key statements = %+v", st)
	}
	// Every column in the key: nothing to update.
	opts.Key = []string{"k", "select", "v"}
	p, _ = newTablePlan("test", "x", "t", opts, false, func(i int) string { return "?" })
	if got := p.upsertSQL(); !strings.HasSuffix(got, `ON CONFLICT ("k", "select", "v") DO NOTHING`) {
		t.Errorf("all-key upsert: %s", got)
	}

	for _, c := range []struct {
		cols []string
		key  []string
		fold bool
		want string
	}{
		{[]string{"a", "b"}, []string{"c"}, false, `key column "c" is not among`},
		{[]string{"a", "A"}, nil, true, `column "A" appears twice`},
		{[]string{"a", "b\x00"}, nil, false, "NUL"},
		{nil, nil, false, "no columns"},
	} {
		_, err := newTablePlan("test", "x", "t", Options{Columns: c.cols, Key: c.key}, c.fold, nil)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("newTablePlan(%q, key %q) = %v, want %q", c.cols, c.key, err, c.want)
		}
	}
}

// insertSink opens an INSERT INTO sink on a target of its own; count
// reports how many rows the target holds.
type insertSink struct {
	open  func(testing.TB) Sink
	count func() int
}

// insertSinks makes one of each INSERT INTO sink for a query with columns
// k (TEXT, the key) and n (BIGINT), writing to table. postgres is left out
// when no test server is given and none is required.
func insertSinks(t *testing.T, table string) map[string]insertSink {
	t.Helper()
	cols, kinds, key := []string{"k", "n"}, []types.Kind{types.KindText, types.KindInt}, []string{"k"}
	dir := t.TempDir()
	path := filepath.Join(dir, "x.db")
	files := filepath.Join(dir, "files")
	out := map[string]insertSink{
		"file": {
			func(t testing.TB) Sink { return open(t, "file", nil, fileOpts(files, nil)) },
			func() int {
				n := 0
				for _, f := range listDir(t, files) {
					n += strings.Count(readOutFile(t, filepath.Join(files, f)), "\n")
				}
				return n
			},
		},
		"sqlite": {
			func(t testing.TB) Sink { return open(t, "sqlite", nil, tableOpts(path, table, cols, kinds, key)) },
			func() int {
				got := sqliteRows(t, sqliteDB(t, path), `SELECT count(*) FROM "`+table+`"`)
				n, _ := strconv.Atoi(got[0])
				return n
			},
		},
	}
	if os.Getenv("STREAMSQL_TEST_POSTGRES") != "" || postgresRequired() {
		url, conn := pgTest(t, table)
		out["postgres"] = insertSink{
			func(t testing.TB) Sink { return open(t, "postgres", nil, tableOpts(url, table, cols, kinds, key)) },
			func() int {
				got := pgRows(t, conn, `SELECT count(*) FROM "`+table+`"`)
				n, _ := strconv.Atoi(got[0])
				return n
			},
		}
	}
	return out
}

// What every sink promises (see sinks_test.go for the console formats).
func TestInsertSinksContract(t *testing.T) {
	cols := []string{"k", "n"}
	for name, sk := range insertSinks(t, "contract") {
		s := sk.open(t)
		// Not emitted: nothing written.
		write(t, s, &types.Result{Time: batchTime, Columns: cols, Rows: []types.Row{{types.Text("a"), types.Int(1)}},
			Stats: types.BatchStats{RowsIn: 5}})
		// A malformed result: an error, nothing written.
		err := s.Write(context.Background(), emission(batchTime, cols, types.Row{types.Text("a"), types.Int(1)}, types.Row{types.Text("b")}))
		if err == nil || !strings.Contains(err.Error(), "row 1 has 1 values for 2 columns") {
			t.Errorf("%s: Write of a malformed result = %v", name, err)
		}
		if n := sk.count(); n != 0 {
			t.Errorf("%s: %d rows written for results not emitted or malformed", name, n)
		}
		write(t, s, emission(batchTime, cols, types.Row{types.Text("a"), types.Int(1)}))
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		if err := s.Write(context.Background(), emission(batchTime, cols, types.Row{types.Text("a"), types.Int(2)})); !errors.Is(err, ErrClosed) {
			t.Errorf("%s: Write after Close = %v, want ErrClosed", name, err)
		}
		if err := s.Close(); err != nil {
			t.Errorf("%s: second Close = %v", name, err)
		}
		if n := sk.count(); n != 1 {
			t.Errorf("%s: %d rows, want 1", name, n)
		}
	}
}

// Sinks of several queries run at once, each on its own target, so the
// race detector can see state shared between them.
func TestInsertSinksIndependent(t *testing.T) {
	cols := []string{"k", "n"}
	for i := range 3 {
		for name, sk := range insertSinks(t, "indep"+strconv.Itoa(i)) {
			t.Run(name+"/"+strconv.Itoa(i), func(t *testing.T) {
				t.Parallel()
				s := sk.open(t)
				defer s.Close()
				for j := range 10 {
					write(t, s, emission(batchTime.Add(time.Duration(j)*time.Second), cols,
						types.Row{types.Text("a"), types.Int(int64(j))}, types.Row{types.Text("b"), types.Int(int64(j))}))
				}
			})
		}
	}
}
