package tables

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/streamsql/streamsql/sources"
	"github.com/streamsql/streamsql/types"
)

func rowsText(v *Version) string {
	var out []string
	for _, r := range v.Rows {
		var cells []string
		for _, c := range r {
			cells = append(cells, c.String())
		}
		out = append(out, strings.Join(cells, ","))
	}
	return strings.Join(out, ";")
}

func write(t *testing.T, path, data string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

// A new version replaces the old one whole; a broken one, or one without
// a column the query was planned with, leaves the old one in place.
func TestFileReload(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.csv")
	write(t, path, "name,pop\nParis,2\n")
	tb, err := OpenFile(path, sources.Args{}, false)
	if err != nil {
		t.Fatal(err)
	}
	if got := tb.Columns.Names(); strings.Join(got, ",") != "name,pop" {
		t.Fatalf("columns %v", got)
	}
	if v := tb.Current(); v.Seq != 1 || rowsText(v) != "Paris,2" {
		t.Fatalf("first version %d: %s", v.Seq, rowsText(v))
	}
	if v, err := tb.Reload(); v != nil || err != nil {
		t.Fatalf("reload of unchanged data: %v, %v", v, err)
	}
	write(t, path, "pop,name,extra\n3,Lyon,x\n4,Paris,y\n")
	if v, err := tb.Reload(); err != nil || v.Seq != 2 || rowsText(v) != "Lyon,3;Paris,4" {
		t.Fatalf("reload: %v, %v", v, err)
	}
	write(t, path, "name,pop\nRome,\"5\n")
	if _, err := tb.Reload(); err == nil || !strings.Contains(err.Error(), "c.csv:2: field 2: quoted field is not closed") {
		t.Fatalf("broken version: %v", err)
	}
	write(t, path, "name\nRome\n")
	if _, err := tb.Reload(); err == nil || err.Error() != `column "pop" is missing (the query reads it)` {
		t.Fatalf("version without a column: %v", err)
	}
	os.Remove(path)
	if _, err := tb.Reload(); err == nil {
		t.Fatal("reload of a removed file succeeded")
	}
	if v := tb.Current(); v.Seq != 2 || rowsText(v) != "Lyon,3;Paris,4" {
		t.Fatalf("after failed reloads: version %d: %s", v.Seq, rowsText(v))
	}
}

func TestFileFormat(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "t.jsonl"), `{"k": 1, "v": "one"}`+"\n"+`{"k": 2, "v": null, "w": true}`+"\n")
	tb, err := OpenFile(filepath.Join(dir, "t.jsonl"), sources.Args{}, false)
	if err != nil {
		t.Fatal(err)
	}
	if got := rowsText(tb.Current()); got != "1,one,NULL;2,NULL,true" {
		t.Fatalf("jsonl table: %s", got)
	}
	write(t, filepath.Join(dir, "t.txt"), "a,b\n1,2\n")
	if _, err := OpenFile(filepath.Join(dir, "t.txt"), sources.Args{}, false); err == nil || !strings.Contains(err.Error(), "add format => 'csv' or format => 'jsonl'") {
		t.Fatalf("unknown extension: %v", err)
	}
	tb, err = OpenFile(filepath.Join(dir, "t.txt"), sources.Args{Named: map[string]types.Value{"format": types.Text("csv")}}, false)
	if err != nil || rowsText(tb.Current()) != "1,2" {
		t.Fatalf("format option: %v", err)
	}
}

// A SQLite table is read whole and read again on Reload (the refresh
// ticker calls it).
func TestSQLiteTable(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.db")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, s := range []string{
		`CREATE TABLE cities (name TEXT, pop INTEGER, area REAL)`,
		`INSERT INTO cities VALUES ('Paris', 2100000, 105.4), ('Oslo', NULL, 454)`,
	} {
		if _, err := db.Exec(s); err != nil {
			t.Fatal(err)
		}
	}
	tb, err := OpenDatabase("sqlite", path, "cities", 0)
	if err != nil {
		t.Fatal(err)
	}
	if got := rowsText(tb.Current()); got != "Paris,2100000,105.4;Oslo,NULL,454" {
		t.Fatalf("rows: %s", got)
	}
	if k := tb.Columns[1].Type; k != types.KindInt {
		t.Fatalf("pop is %s", k)
	}
	tb, err = OpenDatabase("sqlite", path, "cities", 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO cities VALUES ('Lima', 10, 2.5)`); err != nil {
		t.Fatal(err)
	}
	if v, err := tb.Reload(); err != nil || v.Seq != 2 || len(v.Rows) != 3 {
		t.Fatalf("reload: %v, %v", v, err)
	}
	if _, err := OpenDatabase("sqlite", path, "nope", 0); err == nil || !strings.Contains(err.Error(), "no such table") {
		t.Fatalf("missing table: %v", err)
	}
	if _, err := OpenDatabase("sqlite", filepath.Join(t.TempDir(), "none.db"), "cities", 0); err == nil {
		t.Fatal("a missing database file opened")
	}
	tb.Run(canceled(), func(string, ...any) {})
}

func canceled() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}

// A PostgreSQL table, when a server is given (./test.sh starts one).
func TestPostgresTable(t *testing.T) {
	url := os.Getenv("STREAMSQL_TEST_POSTGRES")
	if url == "" {
		if os.Getenv("STREAMSQL_REQUIRE_POSTGRES") == "1" {
			t.Fatal("STREAMSQL_TEST_POSTGRES is not set")
		}
		t.Skip("STREAMSQL_TEST_POSTGRES is not set; run ./test.sh")
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	for _, s := range []string{
		`DROP TABLE IF EXISTS join_cities`,
		`CREATE TABLE join_cities (name TEXT, pop BIGINT, area DOUBLE PRECISION, ok BOOLEAN)`,
		`INSERT INTO join_cities VALUES ('Paris', 2100000, 105.4, true), ('Oslo', NULL, 454, false)`,
	} {
		if _, err := conn.Exec(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	tb, err := OpenDatabase("postgres", url, "join_cities", 0)
	if err != nil {
		t.Fatal(err)
	}
	if got := rowsText(tb.Current()); got != "Paris,2100000,105.4,true;Oslo,NULL,454,false" {
		t.Fatalf("rows: %s", got)
	}
}
