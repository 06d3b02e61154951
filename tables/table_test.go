package tables

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/streamsql/streamsql/formats"
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

// openFile and openDatabase are File and Database then Load, as a
// query's planning and its start do.
func openFile(path string, args formats.Settings, watch bool) (*Table, error) {
	tb, err := File(path, args, watch)
	if err != nil {
		return nil, err
	}
	return tb, tb.Load(context.Background())
}

func openDatabase(kind, dsn, name string, refresh time.Duration) (*Table, error) {
	tb, err := Database(context.Background(), kind, dsn, name, refresh)
	if err != nil {
		return nil, err
	}
	return tb, tb.Load(context.Background())
}

// Planning a table reads its columns and keeps no rows: the rows are
// those there when the query starts (Load), and a column dropped in
// between is an error then.
func TestPlanThenLoad(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.db")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`CREATE TABLE cities (name TEXT, pop INTEGER); INSERT INTO cities VALUES ('Paris', 2)`); err != nil {
		t.Fatal(err)
	}
	tb, err := Database(context.Background(), "sqlite", path, "cities", 0)
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(tb.Columns); got != "[{name TEXT} {pop BIGINT}]" || tb.Current() != nil {
		t.Fatalf("planned: columns %s, current %v", got, tb.Current())
	}
	if _, err := db.Exec(`INSERT INTO cities VALUES ('Lima', 10)`); err != nil {
		t.Fatal(err)
	}
	if err := tb.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	if v := tb.Current(); v.Seq != 1 || rowsText(v) != "Paris,2;Lima,10" {
		t.Fatalf("loaded version %d: %s", v.Seq, rowsText(v))
	}
	if _, err := db.Exec(`ALTER TABLE cities DROP COLUMN pop`); err != nil {
		t.Fatal(err)
	}
	want := `table(sqlite('` + path + `'), 'cities'): column "pop" is missing (the query reads it)`
	if err := tb.Load(context.Background()); err == nil || err.Error() != want {
		t.Fatalf("load without a planned column: %v, want %s", err, want)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Database(ctx, "sqlite", path, "cities", 0); !errors.Is(err, context.Canceled) {
		t.Fatalf("planning under a cancelled context: %v", err)
	}
}

// A new version replaces the old one whole; a broken one, or one without
// a column the query was planned with, leaves the old one in place.
func TestFileReload(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.csv")
	write(t, path, "name,pop\nParis,2\n")
	tb, err := openFile(path, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	if got := tb.Columns.Names(); strings.Join(got, ",") != "name,pop" {
		t.Fatalf("columns %v", got)
	}
	if v := tb.Current(); v.Seq != 1 || rowsText(v) != "Paris,2" {
		t.Fatalf("first version %d: %s", v.Seq, rowsText(v))
	}
	if v, err := tb.Reload(context.Background()); v != nil || err != nil {
		t.Fatalf("reload of unchanged data: %v, %v", v, err)
	}
	write(t, path, "pop,name,extra\n3,Lyon,x\n4,Paris,y\n")
	if v, err := tb.Reload(context.Background()); err != nil || v.Seq != 2 || rowsText(v) != "Lyon,3;Paris,4" {
		t.Fatalf("reload: %v, %v", v, err)
	}
	write(t, path, "name,pop\nRome,\"5\n")
	if _, err := tb.Reload(context.Background()); err == nil || !strings.Contains(err.Error(), "c.csv:2: field 2: quoted field is not closed") {
		t.Fatalf("broken version: %v", err)
	}
	write(t, path, "name\nRome\n")
	if _, err := tb.Reload(context.Background()); err == nil || err.Error() != `column "pop" is missing (the query reads it)` {
		t.Fatalf("version without a column: %v", err)
	}
	os.Remove(path)
	if _, err := tb.Reload(context.Background()); err == nil {
		t.Fatal("reload of a removed file succeeded")
	}
	if v := tb.Current(); v.Seq != 2 || rowsText(v) != "Lyon,3;Paris,4" {
		t.Fatalf("after failed reloads: version %d: %s", v.Seq, rowsText(v))
	}
}

func TestFileFormat(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "t.jsonl"), `{"k": 1, "v": "one"}`+"\n"+`{"k": 2, "v": null, "w": true}`+"\n")
	tb, err := openFile(filepath.Join(dir, "t.jsonl"), nil, false)
	if err != nil {
		t.Fatal(err)
	}
	if got := rowsText(tb.Current()); got != "1,one,NULL;2,NULL,true" {
		t.Fatalf("jsonl table: %s", got)
	}
	write(t, filepath.Join(dir, "t.txt"), "a,b\n1,2\n")
	if _, err := openFile(filepath.Join(dir, "t.txt"), nil, false); err == nil || !strings.Contains(err.Error(), "add format => 'csv' or format => 'jsonl'") {
		t.Fatalf("unknown extension: %v", err)
	}
	tb, err = openFile(filepath.Join(dir, "t.txt"), formats.Settings{"format": types.Text("csv")}, false)
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
	tb, err := openDatabase("sqlite", path, "cities", 0)
	if err != nil {
		t.Fatal(err)
	}
	if got := rowsText(tb.Current()); got != "Paris,2100000,105.4;Oslo,NULL,454" {
		t.Fatalf("rows: %s", got)
	}
	if k := tb.Columns[1].Type; k != types.KindInt {
		t.Fatalf("pop is %s", k)
	}
	tb, err = openDatabase("sqlite", path, "cities", 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO cities VALUES ('Lima', 10, 2.5)`); err != nil {
		t.Fatal(err)
	}
	if v, err := tb.Reload(context.Background()); err != nil || v.Seq != 2 || len(v.Rows) != 3 {
		t.Fatalf("reload: %v, %v", v, err)
	}
	if _, err := openDatabase("sqlite", path, "nope", 0); err == nil || !strings.Contains(err.Error(), "no such table") {
		t.Fatalf("missing table: %v", err)
	}
	if _, err := openDatabase("sqlite", filepath.Join(t.TempDir(), "none.db"), "cities", 0); err == nil {
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
	tb, err := openDatabase("postgres", url, "join_cities", 0)
	if err != nil {
		t.Fatal(err)
	}
	if got := rowsText(tb.Current()); got != "Paris,2100000,105.4,true;Oslo,NULL,454,false" {
		t.Fatalf("rows: %s", got)
	}
}
