package sinks

import (
	"context"
	"fmt"
	"math"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/streamsql/streamsql/types"
)

// postgresURL is the server the postgres tests use: STREAMSQL_TEST_POSTGRES,
// which ./test.sh sets from scripts/pg.sh. Without it the tests are
// skipped on a developer's machine, but fail in CI (CI set) or when
// STREAMSQL_REQUIRE_POSTGRES=1 (test.sh sets it): there a missing server
// is a broken setup, not a reason to pass.
func postgresURL(t *testing.T) string {
	t.Helper()
	if u := os.Getenv("STREAMSQL_TEST_POSTGRES"); u != "" {
		return u
	}
	msg := `STREAMSQL_TEST_POSTGRES is not set; run ./test.sh, or eval "$(sh scripts/pg.sh start)" first`
	if postgresRequired() {
		t.Fatal(msg + " (a server is required: CI or STREAMSQL_REQUIRE_POSTGRES=1 is set)")
	}
	t.Skip(msg)
	return ""
}

// postgresRequired reports whether the postgres tests must run: in CI (CI
// set, as CI services set it) or when STREAMSQL_REQUIRE_POSTGRES=1.
func postgresRequired() bool {
	ci := os.Getenv("CI")
	return ci != "" && ci != "false" && ci != "0" || os.Getenv("STREAMSQL_REQUIRE_POSTGRES") == "1"
}

// pgTest connects to the test server and drops the tables the test uses,
// left from an earlier run.
func pgTest(t *testing.T, tables ...string) (string, *pgx.Conn) {
	t.Helper()
	url := postgresURL(t)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatalf("connecting to the test server: %v", err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	for _, tb := range tables {
		q, _ := quoteIdent(tb)
		pgExec(t, conn, "DROP TABLE IF EXISTS "+q)
	}
	return url, conn
}

func pgExec(t *testing.T, conn *pgx.Conn, query string) {
	t.Helper()
	if _, err := conn.Exec(context.Background(), query); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

// pgRows returns each row of query as its values, rendered by fmt, joined
// by '|'.
func pgRows(t *testing.T, conn *pgx.Conn, query string) []string {
	t.Helper()
	rows, err := conn.Query(context.Background(), query)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			t.Fatal(err)
		}
		parts := make([]string, len(vals))
		for i, v := range vals {
			switch v := v.(type) {
			case nil:
				parts[i] = "NULL"
			case time.Time:
				parts[i] = v.UTC().Format(time.RFC3339Nano)
			default:
				parts[i] = fmt.Sprint(v)
			}
		}
		out = append(out, strings.Join(parts, "|"))
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return out
}

func TestPostgresUpsertsWindows(t *testing.T) {
	url, conn := pgTest(t, "counts")
	s := open(t, "postgres", nil, tableOpts(url, "counts", countCols, countKinds, countKey))
	testUpsert(t, s, func() []string {
		rows, err := conn.Query(context.Background(), `SELECT window_start, window_end, page, n FROM counts`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out []string
		for rows.Next() {
			var start, end time.Time
			var page *string
			var n int64
			if err := rows.Scan(&start, &end, &page, &n); err != nil {
				t.Fatal(err)
			}
			out = append(out, countLine(start, end, page, n))
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		return out
	})
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	got := pgRows(t, conn, `SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'counts' ORDER BY ordinal_position`)
	want := []string{"window_start|timestamp with time zone", "window_end|timestamp with time zone", "page|text", "n|bigint"}
	if !slices.Equal(got, want) {
		t.Errorf("columns %q, want %q", got, want)
	}
	// Opening again on the table it made works, and keeps upserting.
	s = open(t, "postgres", nil, tableOpts(url, "counts", countCols, countKinds, countKey))
	write(t, s, emission(window2.End, countCols, countRow(window2, types.Text("a"), 7)))
	s.Close()
	if got := pgRows(t, conn, `SELECT count(*), sum(n)::bigint FROM counts`); !slices.Equal(got, []string{"4|18"}) {
		t.Errorf("count, sum = %q, want 4|18", got)
	}
}

func TestPostgresAppendsWithoutKey(t *testing.T) {
	url, conn := pgTest(t, "hits")
	cols := []string{"page", "n"}
	s := open(t, "postgres", nil, tableOpts(url, "hits", cols, []types.Kind{types.KindText, types.KindInt}, nil))
	row := types.Row{types.Text("a"), types.Int(1)}
	write(t, s, emission(batchTime, cols, row, row), emission(batchTime, cols, row))
	s.Close()
	if got := pgRows(t, conn, `SELECT page, n FROM hits`); !slices.Equal(got, []string{"a|1", "a|1", "a|1"}) {
		t.Errorf("rows %q, want three a|1", got)
	}
}

func TestPostgresTypes(t *testing.T) {
	url, conn := pgTest(t, "select")
	cols := []string{"t", "b", "i", "f", "s", "a", "any", `we"ird col`}
	kinds := []types.Kind{types.KindTime, types.KindBool, types.KindInt, types.KindFloat, types.KindText, types.KindArray, types.KindNull, types.KindText}
	s := open(t, "postgres", nil, tableOpts(url, "select", cols, kinds, nil))
	ts := time.Date(2026, 11, 28, 22, 30, 10, 123456000, time.FixedZone("CET", 3600))
	write(t, s, emission(batchTime, cols,
		types.Row{types.Time(ts), types.Bool(true), types.Int(math.MaxInt64), types.Float(2.5), types.Text("héllo"),
			types.Array([]types.Value{types.Int(1), types.Text("x"), types.Null}), types.Int(7), types.Text("q")},
		types.Row{types.Time(time.Unix(0, 0)), types.Bool(false), types.Int(-1), types.Float(-0.25), types.Text(""),
			types.Array(nil), types.Time(ts), types.Null},
		types.Row{types.Null, types.Null, types.Null, types.Null, types.Null, types.Null, types.Null, types.Null},
	))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	got := pgRows(t, conn, `SELECT t, b, i, f, s, a::text, "any", "we""ird col" FROM "select" ORDER BY t NULLS LAST`)
	want := []string{
		"1970-01-01T00:00:00Z|false|-1|-0.25||[]|2026-11-28T21:30:10.123456000Z|NULL",
		"2026-11-28T21:30:10.123456Z|true|9223372036854775807|2.5|héllo|[1, \"x\", null]|7|q",
		"NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL",
	}
	if !slices.Equal(got, want) {
		t.Errorf("rows:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	got = pgRows(t, conn, `SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'select' ORDER BY ordinal_position`)
	wantCols := []string{"t|timestamp with time zone", "b|boolean", "i|bigint", "f|double precision", "s|text", "a|jsonb", "any|text", `we"ird col|text`}
	if !slices.Equal(got, wantCols) {
		t.Errorf("columns %q, want %q", got, wantCols)
	}
}

func TestPostgresExistingTable(t *testing.T) {
	url, conn := pgTest(t, "bad", "good", "noidx")
	pgExec(t, conn, `CREATE TABLE bad (page BIGINT, window_start TIMESTAMP, n TEXT, other BYTEA)`)
	spec, _ := Lookup("postgres")
	_, err := spec.Open(nil, tableOpts(url, "bad", countCols, countKinds, countKey))
	if err == nil {
		t.Fatal("Open on an incompatible table succeeded")
	}
	for _, want := range []string{`table "bad"`, `column "window_end" is missing`,
		`column "page" is bigint, the query's TEXT column needs text or varchar`,
		`column "window_start" is timestamp without time zone, the query's TIMESTAMP column needs timestamptz`,
		`column "n" is text, the query's BIGINT column needs bigint`,
		"no UNIQUE constraint or PRIMARY KEY on exactly the key columns (page, window_start, window_end)"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "password") {
		t.Errorf("error shows the URL's password: %v", err)
	}

	// A table made by hand that fits: varchar, extra columns, the key as a
	// PRIMARY KEY in another order; a column of unknown type typed.
	cols := append(slices.Clone(countCols), "extra")
	kinds := append(slices.Clone(countKinds), types.KindNull)
	pgExec(t, conn, `CREATE TABLE good (id SERIAL, page VARCHAR(20), window_end TIMESTAMPTZ, window_start TIMESTAMPTZ, n BIGINT,
		extra DOUBLE PRECISION, note TEXT DEFAULT 'x', PRIMARY KEY (window_end, page, window_start))`)
	s := open(t, "postgres", nil, tableOpts(url, "good", cols, kinds, countKey))
	write(t, s,
		emission(window10s.End, cols, append(countRow(window10s, types.Text("a"), 1), types.Int(3))),
		emission(window10s.End, cols, append(countRow(window10s, types.Text("a"), 2), types.Float(0.5))))
	// A value that does not fit the column is refused, naming it.
	err = s.Write(context.Background(), emission(window10s.End, cols, append(countRow(window10s, types.Text("a"), 2), types.Text("many"))))
	if err == nil || !strings.Contains(err.Error(), `column "extra"`) || !strings.Contains(err.Error(), "does not fit a float8 column") {
		t.Errorf("Write of text to a double column = %v", err)
	}
	s.Close()
	if got := pgRows(t, conn, `SELECT page, n, extra, note FROM good`); !slices.Equal(got, []string{"a|2|0.5|x"}) {
		t.Errorf("rows %q", got)
	}

	pgExec(t, conn, `CREATE TABLE noidx (window_start TIMESTAMPTZ, window_end TIMESTAMPTZ, page TEXT, n BIGINT)`)
	pgExec(t, conn, `CREATE INDEX ON noidx (page, window_start, window_end)`)
	if _, err := spec.Open(nil, tableOpts(url, "noidx", countCols, countKinds, countKey)); err == nil || !strings.Contains(err.Error(), "no UNIQUE constraint") {
		t.Errorf("Open with a non-unique index = %v", err)
	}
}

// An emission the server refuses part way is rolled back whole and
// reported naming the row; the sink goes on with the next emission.
func TestPostgresRefusedEmissionRollsBack(t *testing.T) {
	url, conn := pgTest(t, "capped")
	pgExec(t, conn, `CREATE TABLE capped (page TEXT, n BIGINT CONSTRAINT n_small CHECK (n < 100))`)
	cols := []string{"page", "n"}
	s := open(t, "postgres", nil, tableOpts(url, "capped", cols, []types.Kind{types.KindText, types.KindInt}, nil))
	defer s.Close()
	err := s.Write(context.Background(), emission(batchTime, cols, types.Row{types.Text("a"), types.Int(1)}, types.Row{types.Text("b"), types.Int(1000)}))
	if err == nil || !strings.Contains(err.Error(), "row 2 of 2") || !strings.Contains(err.Error(), "n_small") {
		t.Fatalf("Write = %v, want a check constraint error naming row 2", err)
	}
	write(t, s, emission(batchTime, cols, types.Row{types.Text("c"), types.Int(2)}))
	if got := pgRows(t, conn, `SELECT page, n FROM capped`); !slices.Equal(got, []string{"c|2"}) {
		t.Errorf("rows %q, want only c|2", got)
	}

	// A connection lost while idle: Write reconnects.
	pgExec(t, conn, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`)
	write(t, s, emission(batchTime, cols, types.Row{types.Text("d"), types.Int(3)}))
	if got := pgRows(t, conn, `SELECT page, n FROM capped ORDER BY page`); !slices.Equal(got, []string{"c|2", "d|3"}) {
		t.Errorf("rows after reconnecting %q, want c|2 d|3", got)
	}
}

func TestPostgresOptions(t *testing.T) {
	spec, _ := Lookup("postgres")
	_, err := spec.Open(nil, tableOpts("postgres://u:secret@127.0.0.1:1/db?sslmode=disable&connect_timeout=2", "t",
		[]string{"n"}, []types.Kind{types.KindInt}, nil))
	if err == nil {
		t.Fatal("Open of a server that is not there succeeded")
	}
	if strings.Contains(err.Error(), "secret") {
		t.Errorf("the error shows the password: %v", err)
	}
	if !strings.Contains(err.Error(), "postgres://u@127.0.0.1:1/db") {
		t.Errorf("the error does not name the server: %v", err)
	}
	noTable := tableOpts("postgres://x", "t", []string{"n"}, nil, nil)
	delete(noTable.Named, "table")
	if _, err := spec.Open(nil, noTable); err == nil || !strings.Contains(err.Error(), "table => '...' is required") {
		t.Errorf("Open without table = %v", err)
	}
}
