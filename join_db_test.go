package streamsql_test

import (
	"context"
	"database/sql"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/streamsql/streamsql"
)

// A stream joined with a table kept in SQLite, through the engine.
func TestJoinSQLiteTable(t *testing.T) {
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "x.db")
	db, err := sql.Open("sqlite", dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, s := range []string{
		`CREATE TABLE cities (name TEXT, country TEXT)`,
		`INSERT INTO cities VALUES ('Paris', 'FR'), ('Oslo', 'NO'), ('Oslo', 'NO2')`,
	} {
		if _, err := db.Exec(s); err != nil {
			t.Fatal(err)
		}
	}
	in := filepath.Join(dir, "in")
	os.Mkdir(in, 0o755)
	if err := os.WriteFile(filepath.Join(in, "a.jsonl"), []byte(`{"id": 1, "city": "Oslo"}`+"\n"+`{"id": 2, "city": "Rome"}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	eng := streamsql.New(streamsql.Config{Once: true, Log: io.Discard})
	q, err := eng.Query(context.Background(), "SELECT o.id, c.country FROM file('"+in+"', format => 'jsonl') AS o LEFT JOIN table(sqlite('"+dbPath+"'), 'cities', refresh => '10s') AS c ON o.city = c.name")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for r := range q.Results() {
		for _, row := range r.Rows {
			got = append(got, row[0].String()+" "+row[1].String())
		}
	}
	if err := q.Wait(); err != nil {
		t.Fatal(err)
	}
	if s := strings.Join(got, ", "); s != "1 NO, 1 NO2, 2 NULL" {
		t.Errorf("rows: %s", s)
	}
	_, err = eng.Query(context.Background(), "SELECT o.id FROM file('"+in+"', format => 'jsonl') AS o JOIN table(mysql('x'), 'cities') AS c ON o.city = c.name")
	if err == nil || !strings.Contains(err.Error(), "a database table is written table(sqlite('file.db'), 'table'") {
		t.Errorf("unknown database: %v", err)
	}
}
