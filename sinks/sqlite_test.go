package sinks

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/streamsql/streamsql/types"
)

// sqliteDB opens the database file for the test to read and prepare.
func sqliteDB(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func sqliteExec(t *testing.T, db *sql.DB, query string) {
	t.Helper()
	if _, err := db.Exec(query); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

// sqliteRows returns each row of query as its values joined by '|'.
func sqliteRows(t *testing.T, db *sql.DB, query string) []string {
	t.Helper()
	rows, err := db.Query(query)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out []string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		parts := make([]string, len(vals))
		for i, v := range vals {
			if v == nil {
				parts[i] = "NULL"
			} else {
				parts[i] = fmt.Sprint(v)
			}
		}
		out = append(out, strings.Join(parts, "|"))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestSQLiteUpsertsWindows(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.db")
	s := open(t, "sqlite", nil, tableOpts(path, "counts", countCols, countKinds, countKey))
	db := sqliteDB(t, path)
	testUpsert(t, s, func() []string {
		rows, err := db.Query(`SELECT window_start, window_end, page, n FROM counts`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out []string
		for rows.Next() {
			var start, end string
			var page *string
			var n int64
			if err := rows.Scan(&start, &end, &page, &n); err != nil {
				t.Fatal(err)
			}
			ts, err1 := time.Parse(time.RFC3339Nano, start)
			te, err2 := time.Parse(time.RFC3339Nano, end)
			if err1 != nil || err2 != nil {
				t.Fatalf("stored times %q, %q do not parse as RFC 3339", start, end)
			}
			out = append(out, countLine(ts, te, page, n))
		}
		return out
	})
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	// The table, as created: typed columns, UNIQUE on the key.
	schema := sqliteRows(t, db, `SELECT sql FROM sqlite_master WHERE name = 'counts'`)
	want := `CREATE TABLE "counts" ("window_start" TEXT, "window_end" TEXT, "page" TEXT, "n" INTEGER, UNIQUE ("page", "window_start", "window_end"))`
	if len(schema) != 1 || schema[0] != want {
		t.Errorf("schema %q, want %q", schema, want)
	}
	// Opening again on the table it made works, and keeps upserting.
	s = open(t, "sqlite", nil, tableOpts(path, "counts", countCols, countKinds, countKey))
	write(t, s, emission(window2.End, countCols, countRow(window2, types.Text("a"), 7)))
	s.Close()
	if got := sqliteRows(t, db, `SELECT count(*), sum(n) FROM counts`); !slices.Equal(got, []string{"4|18"}) {
		t.Errorf("count, sum = %q, want 4|18", got)
	}
}

func TestSQLiteAppendsWithoutKey(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.db")
	cols := []string{"page", "n"}
	s := open(t, "sqlite", nil, tableOpts(path, "hits", cols, []types.Kind{types.KindText, types.KindInt}, nil))
	row := types.Row{types.Text("a"), types.Int(1)}
	write(t, s, emission(batchTime, cols, row, row), emission(batchTime, cols, row))
	s.Close()
	db := sqliteDB(t, path)
	if got := sqliteRows(t, db, `SELECT page, n FROM hits`); !slices.Equal(got, []string{"a|1", "a|1", "a|1"}) {
		t.Errorf("rows %q, want three a|1", got)
	}
	if got := sqliteRows(t, db, `SELECT count(*) FROM pragma_index_list('hits')`); !slices.Equal(got, []string{"0"}) {
		t.Errorf("a table without key has indexes: %q", got)
	}
}

func TestSQLiteTypes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "types.db")
	cols := []string{"t", "b", "i", "f", "s", "a", "any", `we"ird col`}
	kinds := []types.Kind{types.KindTime, types.KindBool, types.KindInt, types.KindFloat, types.KindText, types.KindArray, types.KindNull, types.KindText}
	s := open(t, "sqlite", nil, tableOpts(path, "select", cols, kinds, nil))
	ts := time.Date(2026, 11, 28, 22, 30, 10, 123456789, time.FixedZone("CET", 3600))
	write(t, s, emission(batchTime, cols,
		types.Row{types.Time(ts), types.Bool(true), types.Int(math.MaxInt64), types.Float(2.5), types.Text("héllo"),
			types.Array([]types.Value{types.Int(1), types.Text("x"), types.Null}), types.Int(7), types.Text("q")},
		types.Row{types.Time(time.Unix(0, 0)), types.Bool(false), types.Int(-1), types.Float(-0.25), types.Text(""),
			types.Array(nil), types.Text("seven"), types.Null},
		types.Row{types.Null, types.Null, types.Null, types.Null, types.Null, types.Null, types.Null, types.Null},
	))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	db := sqliteDB(t, path)
	got := sqliteRows(t, db, `SELECT t, typeof(t), b, typeof(b), i, f, s, a, "any", typeof("any"), "we""ird col",
		datetime(t) FROM "select" ORDER BY rowid`)
	want := []string{
		"2026-11-28T21:30:10.123456789Z|text|1|integer|9223372036854775807|2.5|héllo|[1,\"x\",null]|7|integer|q|2026-11-28 21:30:10",
		"1970-01-01T00:00:00.000000000Z|text|0|integer|-1|-0.25||[]|seven|text|NULL|1970-01-01 00:00:00",
		"NULL|null|NULL|null|NULL|NULL|NULL|NULL|NULL|null|NULL|NULL",
	}
	if !slices.Equal(got, want) {
		t.Errorf("rows:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	decl := sqliteRows(t, db, `SELECT name, type FROM pragma_table_info('select')`)
	wantDecl := []string{"t|TEXT", "b|INTEGER", "i|INTEGER", "f|REAL", "s|TEXT", "a|TEXT", "any|", `we"ird col|TEXT`}
	if !slices.Equal(decl, wantDecl) {
		t.Errorf("declared types %q, want %q", decl, wantDecl)
	}
}

func TestSQLiteExistingTable(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.db")
	db := sqliteDB(t, path)
	sqliteExec(t, db, `CREATE TABLE bad (page INTEGER, window_start TEXT, n TEXT, other BLOB)`)
	spec, _ := Lookup("sqlite")
	_, err := spec.Open(nil, tableOpts(path, "bad", countCols, countKinds, countKey))
	if err == nil {
		t.Fatal("Open on an incompatible table succeeded")
	}
	for _, want := range []string{`table "bad"`, `column "window_end" is missing`, `column "page" is INTEGER`,
		`column "n" is TEXT, the query's BIGINT column needs INTEGER`, "no UNIQUE constraint or PRIMARY KEY on exactly the key columns (page, window_start, window_end)"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}

	// A table made by hand that fits: other type names of the same
	// affinity, extra columns, the key as a PRIMARY KEY in another order,
	// names in another case.
	sqliteExec(t, db, `CREATE TABLE good (id INTEGER, Page VARCHAR(20), window_end DATETIME, window_start DATETIME, n BIGINT,
		note TEXT DEFAULT 'x', PRIMARY KEY (window_end, page, window_start))`)
	s := open(t, "sqlite", nil, tableOpts(path, "good", countCols, countKinds, countKey))
	write(t, s,
		emission(window10s.End, countCols, countRow(window10s, types.Text("a"), 1)),
		emission(window10s.End, countCols, countRow(window10s, types.Text("a"), 2)))
	s.Close()
	if got := sqliteRows(t, db, `SELECT page, n, typeof(n), note, typeof(window_start) FROM good`); !slices.Equal(got, []string{"a|2|integer|x|text"}) {
		t.Errorf("rows %q", got)
	}
	// A key with only a non-unique index is refused.
	sqliteExec(t, db, `CREATE TABLE noidx (window_start, window_end, page, n)`)
	sqliteExec(t, db, `CREATE INDEX noidx_i ON noidx (page, window_start, window_end)`)
	if _, err := spec.Open(nil, tableOpts(path, "noidx", countCols, countKinds, countKey)); err == nil || !strings.Contains(err.Error(), "no UNIQUE constraint") {
		t.Errorf("Open with a non-unique index = %v", err)
	}
}

// An emission the database refuses part way is rolled back whole and
// reported naming the row; the sink goes on with the next emission.
func TestSQLiteRefusedEmissionRollsBack(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.db")
	db := sqliteDB(t, path)
	sqliteExec(t, db, `CREATE TABLE capped (page TEXT, n INTEGER CHECK (n < 100))`)
	cols := []string{"page", "n"}
	s := open(t, "sqlite", nil, tableOpts(path, "capped", cols, []types.Kind{types.KindText, types.KindInt}, nil))
	err := s.Write(context.Background(), emission(batchTime, cols, types.Row{types.Text("a"), types.Int(1)}, types.Row{types.Text("b"), types.Int(1000)}))
	if err == nil || !strings.Contains(err.Error(), "row 2 of 2") || !strings.Contains(err.Error(), "CHECK constraint failed") {
		t.Fatalf("Write = %v, want a CHECK constraint error naming row 2", err)
	}
	write(t, s, emission(batchTime, cols, types.Row{types.Text("c"), types.Int(2)}))
	s.Close()
	if got := sqliteRows(t, db, `SELECT page, n FROM capped`); !slices.Equal(got, []string{"c|2"}) {
		t.Errorf("rows %q, want only c|2", got)
	}
}

// A locked database: Write fails after busy_timeout naming the problem,
// and works again once the lock is gone.
func TestSQLiteLocked(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.db")
	opts := tableOpts(path, "counts", countCols, countKinds, countKey)
	opts.Named["busy_timeout"] = types.Int(50)
	s := open(t, "sqlite", nil, opts)
	defer s.Close()

	db := sqliteDB(t, path)
	db.SetMaxOpenConns(1)
	sqliteExec(t, db, `BEGIN EXCLUSIVE`)
	err := s.Write(context.Background(), emission(window10s.End, countCols, countRow(window10s, types.Text("a"), 1)))
	if err == nil || !strings.Contains(err.Error(), "locked") || !strings.Contains(err.Error(), path) {
		t.Fatalf("Write to a locked database = %v, want an error naming the lock and the file", err)
	}
	sqliteExec(t, db, `COMMIT`)
	write(t, s, emission(window10s.End, countCols, countRow(window10s, types.Text("a"), 2)))
	if got := sqliteRows(t, db, `SELECT page, n FROM counts`); !slices.Equal(got, []string{"a|2"}) {
		t.Errorf("rows %q, want a|2", got)
	}
}

// A database opened read-only refuses the write; Write says so.
func TestSQLiteReadOnly(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "ro.db")
	cols := []string{"page", "n"}
	kinds := []types.Kind{types.KindText, types.KindInt}
	s := open(t, "sqlite", nil, tableOpts(path, "t", cols, kinds, nil))
	s.Close()
	if err := os.Chmod(path, 0o444); err != nil {
		t.Fatal(err)
	}
	// mode=ro: read-only even for root, whom the file mode does not stop.
	s = open(t, "sqlite", nil, tableOpts("file:"+path+"?mode=ro", "t", cols, kinds, nil))
	err := s.Write(context.Background(), emission(batchTime, cols, types.Row{types.Text("a"), types.Int(1)}))
	if err == nil || !strings.Contains(err.Error(), "readonly") {
		t.Errorf("Write to a read-only database = %v, want a readonly error", err)
	}
	s.Close()

	// Nor can a table be made there, nor in a directory.
	spec, _ := Lookup("sqlite")
	if _, err := spec.Open(nil, tableOpts("file:"+path+"?mode=ro", "other", cols, kinds, nil)); err == nil || !strings.Contains(err.Error(), "readonly") {
		t.Errorf("Open creating a table in a read-only database = %v", err)
	}
	if _, err := spec.Open(nil, tableOpts(dir, "t", cols, kinds, nil)); err == nil || !strings.Contains(err.Error(), dir) {
		t.Errorf("Open on a directory = %v, want an error naming it", err)
	} else {
		t.Logf("directory: %v", err)
	}
}

func TestSQLiteOptions(t *testing.T) {
	spec, _ := Lookup("sqlite")
	path := filepath.Join(t.TempDir(), "x.db")
	cols := []string{"n"}
	kinds := []types.Kind{types.KindInt}
	noTable := tableOpts(path, "t", cols, kinds, nil)
	delete(noTable.Named, "table")
	badTimeout := tableOpts(path, "t", cols, kinds, nil)
	badTimeout.Named["busy_timeout"] = types.Text("soon")
	for _, c := range []struct {
		opts Options
		want string
	}{
		{noTable, "option table => '...' is required"},
		{badTimeout, "busy_timeout must be a number"},
		{tableOpts(path, "", cols, kinds, nil), "required"},
		{tableOpts(path, "t", nil, nil, nil), "no columns"},
	} {
		_, err := spec.Open(nil, c.opts)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Open(%+v) = %v, want an error containing %q", c.opts, err, c.want)
		}
	}
	// A result with other columns than planned is refused.
	s := open(t, "sqlite", nil, tableOpts(path, "t", cols, kinds, nil))
	defer s.Close()
	if err := s.Write(context.Background(), emission(batchTime, []string{"m"}, types.Row{types.Int(1)})); err == nil || !strings.Contains(err.Error(), "differ") {
		t.Errorf("Write with other columns = %v", err)
	}
}

// A write whose context is done gives up with the context's error and
// writes nothing; the sink takes the next write.
func TestSQLiteWriteContext(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ctx.db")
	cols := []string{"page", "n"}
	kinds := []types.Kind{types.KindText, types.KindInt}
	s := open(t, "sqlite", nil, tableOpts(path, "t", cols, kinds, nil))
	defer s.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.Write(ctx, emission(batchTime, cols, types.Row{types.Text("a"), types.Int(1)})); !errors.Is(err, context.Canceled) {
		t.Fatalf("Write with a cancelled context = %v, want context.Canceled", err)
	}
	if err := s.Write(context.Background(), emission(batchTime, cols, types.Row{types.Text("b"), types.Int(2)})); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if got := sqliteRows(t, db, `SELECT page, n FROM t`); !slices.Equal(got, []string{"b|2"}) {
		t.Errorf("rows %q, want only b|2", got)
	}
}
