package sinks

import (
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
