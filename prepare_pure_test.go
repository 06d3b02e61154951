package streamsql_test

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/streamsql/streamsql"
	"github.com/streamsql/streamsql/sources"
	"github.com/streamsql/streamsql/types"
)

// counted() is a source that counts the receivers built (Spec.Open) and
// the inputs opened (Run, where a source acquires its input).
var countedBuilt, countedOpened atomic.Int64

type countedSource struct{ cols []string }

func init() {
	sources.Register(&sources.Spec{
		Name: "counted", Usage: "counted()",
		Open: func(sources.Args) (sources.Source, error) {
			countedBuilt.Add(1)
			return &countedSource{}, nil
		},
	})
}

func (s *countedSource) Schema() sources.Schema {
	return sources.Schema{Columns: types.Schema{{Name: "city", Type: types.KindText}}, Typed: true}
}
func (s *countedSource) Bind(cols []string) error { s.cols = cols; return nil }
func (s *countedSource) Bounded() bool            { return true }
func (s *countedSource) Describe() string         { return "counted()" }
func (s *countedSource) Run(ctx context.Context, out sources.Emitter) error {
	countedOpened.Add(1)
	return out.Emit([]types.Row{{types.Text("Paris")}, {types.Text("Lima")}})
}

// TestPrepareOpensNothing: Prepare and EXPLAIN open no input and load no
// table; Start opens each once. The table's rows are those there at
// Start, not at Prepare.
func TestPrepareOpensNothing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.db")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`CREATE TABLE cities (name TEXT, country TEXT); INSERT INTO cities VALUES ('Paris', 'FR')`); err != nil {
		t.Fatal(err)
	}
	countedBuilt.Store(0)
	countedOpened.Store(0)
	eng := streamsql.New(streamsql.Config{Once: true, Log: io.Discard})
	defer eng.Stop()
	query := fmt.Sprintf(`SELECT s.city, c.country FROM counted() AS s LEFT JOIN table(sqlite('%s'), 'cities') AS c ON c.name = s.city ORDER BY s.city`, path)
	stmts, err := eng.Prepare(query)
	if err != nil {
		t.Fatal(err)
	}
	explained, err := eng.Prepare("EXPLAIN " + query)
	if err != nil {
		t.Fatal(err)
	}
	if plan := explained[0].Plan(); !strings.Contains(plan, "counted()") || !strings.Contains(plan, "table in memory, read once") {
		t.Fatalf("EXPLAIN:\n%s", plan)
	}
	if n := countedOpened.Load(); n != 0 {
		t.Fatalf("Prepare and EXPLAIN opened the input %d times", n)
	}
	built := countedBuilt.Load() // planning looks at a receiver it never runs

	// The table changes between Prepare and Start: the query joins what
	// is there when it starts.
	if _, err := db.Exec(`INSERT INTO cities VALUES ('Lima', 'PE')`); err != nil {
		t.Fatal(err)
	}
	q, err := stmts[0].Start(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for r := range q.Results() {
		for _, row := range r.Rows {
			got = append(got, row[0].String()+"="+row[1].String())
		}
	}
	if err := q.Wait(); err != nil {
		t.Fatal(err)
	}
	if g := strings.Join(got, " "); g != "Lima=PE Paris=FR" {
		t.Errorf("rows %s, want Lima=PE Paris=FR", g)
	}
	if n := countedOpened.Load(); n != 1 {
		t.Errorf("Start opened the input %d times, want 1", n)
	}
	if n := countedBuilt.Load(); n != built+1 {
		t.Errorf("Start built %d receivers, want 1 fresh one", n-built)
	}
}
