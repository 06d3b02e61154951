package streamsql_test

import (
	"context"
	"io"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/streamsql/streamsql"
)

// TestFailedStartLeavesNothing starts a script whose INSERT INTO cannot
// open its sink next to a query that could run: Start fails with the
// sink's error, no query is listed or left half started (Stop, Queries and
// a later query work), and no goroutine stays behind.
func TestFailedStartLeavesNothing(t *testing.T) {
	db := filepath.Join(t.TempDir(), "missing", "x.db") // its directory does not exist
	eng := streamsql.New(streamsql.Config{BatchInterval: time.Second, Log: io.Discard})
	stmts, err := eng.Prepare(`SELECT COUNT(*) AS n FROM generate(rate => 1);
		INSERT INTO sqlite('` + db + `', table => 't') SELECT line FROM generate(rate => 1)`)
	if err != nil {
		t.Fatal(err)
	}
	before := runtime.NumGoroutine()
	qs, err := eng.Start(context.Background(), stmts)
	want := "INSERT INTO sqlite('" + db + "', table => 't'): sqlite sink " + db +
		`, table "t": opening the database: unable to open database file (14)`
	if err == nil || err.Error() != want {
		t.Fatalf("Start error\n got: %v\nwant: %s", err, want)
	}
	if qs != nil {
		t.Errorf("Start returned queries %v with its error", qs)
	}
	if got := eng.Queries(); len(got) != 0 {
		t.Errorf("Queries() after a failed start lists %d queries", len(got))
	}
	if _, ok := eng.QueryByID(1); ok {
		t.Error("QueryByID(1) finds the query that did not start")
	}
	eng.Stop() // panicked on the half-started queries

	// Nothing runs: the goroutines are those of before (the sink's
	// database handle closed, no receiver, no batch loop).
	deadline := time.Now().Add(10 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		buf := make([]byte, 1<<16)
		t.Fatalf("%d goroutines after the failed start, %d before:\n%s", n, before, buf[:runtime.Stack(buf, true)])
	}

	// The statements can be started once the sink is fixed, and the
	// first query to run is query 1.
	q, err := eng.Query(context.Background(), "SELECT COUNT(*) AS n FROM generate(rate => 0, limit => 3)")
	if err != nil {
		t.Fatal(err)
	}
	if q.ID != 1 {
		t.Errorf("the first query that runs is query %d, want 1", q.ID)
	}
	q.Stop()
	for range q.Results() {
	}
	if err := q.Wait(); err != nil {
		t.Fatal(err)
	}
	if s := q.Stats(); s.RowsIn > 3 {
		t.Errorf("stats %+v", s)
	}
}
