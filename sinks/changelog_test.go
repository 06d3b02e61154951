package sinks

import (
	"path/filepath"
	"slices"
	"time"

	"testing"

	"github.com/streamsql/streamsql/types"
)

// Two batches of an updating word count: new keys, then an update of
// "home", a deleted "old" and a new "cart".
var updates = []*types.Result{
	{Time: batchTime, Emitted: true, Updating: true, Columns: []string{"page", "views"},
		Rows: []types.Row{{types.Text("home"), types.Int(1)}, {types.Text("old"), types.Int(5)}}},
	{Time: batchTime.Add(time.Second), Emitted: true, Updating: true, Columns: []string{"page", "views"},
		Deletes: []types.Row{{types.Text("home"), types.Int(1)}, {types.Text("old"), types.Int(5)}},
		Rows:    []types.Row{{types.Text("home"), types.Int(2)}, {types.Text("cart"), types.Int(1)}}},
}

func TestChangelogOps(t *testing.T) {
	var rec recorder
	s := open(t, "changelog", &rec, Options{Key: []string{"page"}})
	write(t, s, updates...)
	want := `{"op":"+I","page":"home","views":1}
{"op":"+I","page":"old","views":5}
{"op":"-U","page":"home","views":1}
{"op":"-D","page":"old","views":5}
{"op":"+U","page":"home","views":2}
{"op":"+I","page":"cart","views":1}
`
	if got := rec.String(); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

// TestTableShowsTheTable: the console table of an updating result is the
// whole table as it stands after each batch, not the batch's changes.
func TestTableShowsTheTable(t *testing.T) {
	got := tableOutput(t, Options{Location: time.UTC}, updates...)
	want := "" +
		"── 21:30:10 ──\n" +
		"┌──────┬───────┐\n" +
		"│ page │ views │\n" +
		"├──────┼───────┤\n" +
		"│ home │     1 │\n" +
		"│ old  │     5 │\n" +
		"└──────┴───────┘\n" +
		"\n" +
		"── 21:30:11 ──\n" +
		"┌──────┬───────┐\n" +
		"│ page │ views │\n" +
		"├──────┼───────┤\n" +
		"│ home │     2 │\n" +
		"│ cart │     1 │\n" +
		"└──────┴───────┘\n" +
		"\n"
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

// tableChanges are an updating result's batches for a table sink keyed by
// page: new keys (one NULL), updates of a and of the NULL key, then a
// delete of b; and a global aggregate's one row (no key) updated twice.
func tableChanges() (keyed, global []*types.Result) {
	cols, one := []string{"page", "n"}, []string{"n"}
	row := func(p types.Value, n int64) types.Row { return types.Row{p, types.Int(n)} }
	a, b := types.Text("a"), types.Text("b")
	keyed = []*types.Result{
		{Time: batchTime, Emitted: true, Updating: true, Columns: cols, Rows: []types.Row{row(a, 1), row(b, 1), row(types.Null, 1)}},
		{Time: batchTime, Emitted: true, Updating: true, Columns: cols,
			Deletes: []types.Row{row(a, 1), row(types.Null, 1)}, Rows: []types.Row{row(a, 2), row(types.Null, 2)}},
		{Time: batchTime, Emitted: true, Updating: true, Columns: cols, Deletes: []types.Row{row(b, 1)}},
	}
	global = []*types.Result{
		{Time: batchTime, Emitted: true, Updating: true, Columns: one, Rows: []types.Row{{types.Int(0)}}},
		{Time: batchTime, Emitted: true, Updating: true, Columns: one, Deletes: []types.Row{{types.Int(0)}}, Rows: []types.Row{{types.Int(3)}}},
		{Time: batchTime, Emitted: true, Updating: true, Columns: one, Deletes: []types.Row{{types.Int(3)}}, Rows: []types.Row{{types.Int(5)}}},
	}
	return keyed, global
}

func TestSQLiteAppliesChanges(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.db")
	keyed, global := tableChanges()
	kinds := []types.Kind{types.KindText, types.KindInt}
	s := open(t, "sqlite", nil, tableOpts(path, "counts", []string{"page", "n"}, kinds, []string{"page"}))
	write(t, s, keyed...)
	s.Close()
	g := open(t, "sqlite", nil, tableOpts(path, "total", []string{"n"}, []types.Kind{types.KindInt}, []string{}))
	write(t, g, global...)
	g.Close()
	db := sqliteDB(t, path)
	if got, want := sqliteRows(t, db, `SELECT page, n FROM counts ORDER BY page`), []string{"NULL|2", "a|2"}; !slices.Equal(got, want) {
		t.Errorf("counts %q, want %q", got, want)
	}
	if got, want := sqliteRows(t, db, `SELECT n FROM total`), []string{"5"}; !slices.Equal(got, want) {
		t.Errorf("total %q, want %q", got, want)
	}
}

func TestPostgresAppliesChanges(t *testing.T) {
	url, conn := pgTest(t, "ch_counts", "ch_total")
	keyed, global := tableChanges()
	kinds := []types.Kind{types.KindText, types.KindInt}
	s := open(t, "postgres", nil, tableOpts(url, "ch_counts", []string{"page", "n"}, kinds, []string{"page"}))
	write(t, s, keyed...)
	s.Close()
	g := open(t, "postgres", nil, tableOpts(url, "ch_total", []string{"n"}, []types.Kind{types.KindInt}, []string{}))
	write(t, g, global...)
	g.Close()
	if got, want := pgRows(t, conn, `SELECT page, n FROM ch_counts ORDER BY page NULLS FIRST`), []string{"NULL|2", "a|2"}; !slices.Equal(got, want) {
		t.Errorf("counts %q, want %q", got, want)
	}
	if got, want := pgRows(t, conn, `SELECT n FROM ch_total`), []string{"5"}; !slices.Equal(got, want) {
		t.Errorf("total %q, want %q", got, want)
	}
}
