package sinks

import (
	"testing"
	"time"

	"github.com/streamsql/streamsql/types"
)

func tableOutput(t *testing.T, opts Options, rs ...*types.Result) string {
	t.Helper()
	var rec recorder
	s := open(t, "table", &rec, opts)
	write(t, s, rs...)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if len(rec.writes) > len(rs) {
		t.Errorf("%d writes for %d results", len(rec.writes), len(rs))
	}
	return rec.String()
}

func TestTableWindow(t *testing.T) {
	got := tableOutput(t, Options{Location: time.UTC}, &types.Result{
		Time: batchTime, Emitted: true, Window: window10s,
		Columns: []string{"page", "views", "avg_ms"},
		Rows: []types.Row{
			{types.Text("home"), types.Int(12), types.Float(3.25)},
			{types.Text("checkout"), types.Int(1234), types.Null},
		},
	})
	want := "" +
		"── 21:30:10 window [21:30:00, 21:30:10) ──\n" +
		"┌──────────┬───────┬────────┐\n" +
		"│   page   │ views │ avg_ms │\n" +
		"├──────────┼───────┼────────┤\n" +
		"│ home     │    12 │   3.25 │\n" +
		"│ checkout │  1234 │   NULL │\n" +
		"└──────────┴───────┴────────┘\n" +
		"\n"
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

func TestTableEmpty(t *testing.T) {
	got := tableOutput(t, Options{Location: time.UTC}, &types.Result{
		Time: batchTime, Emitted: true, Window: window10s, Columns: []string{"page", "views"},
	})
	want := "── 21:30:10 window [21:30:00, 21:30:10) ──\n(no rows)\n\n"
	if got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestTableNotEmitted(t *testing.T) {
	got := tableOutput(t, Options{Location: time.UTC},
		&types.Result{Time: batchTime, Emitted: false, Window: window10s, Columns: []string{"page"}},
		&types.Result{Time: batchTime.Add(time.Second), Emitted: false, Columns: []string{"page"}, Final: true},
	)
	if got != "" {
		t.Errorf("got %q, want no output", got)
	}
}

func TestTableFinalLabelMillis(t *testing.T) {
	got := tableOutput(t, Options{Label: "query 2", Location: time.UTC}, &types.Result{
		Time: batchTime.Add(1500 * time.Millisecond), Emitted: true, Final: true,
		Columns: []string{"user", "ok", "seen"},
		Rows: []types.Row{
			{types.Text(" ann"), types.Bool(true), types.Time(batchTime)},
		},
	})
	// Text keeps its leading blank; booleans and timestamps stay left.
	want := "" +
		"── query 2 · 21:30:11.500 (final) ──\n" +
		"┌──────┬──────┬──────────────────────┐\n" +
		"│ user │  ok  │         seen         │\n" +
		"├──────┼──────┼──────────────────────┤\n" +
		"│  ann │ true │ 2025-03-01T21:30:10Z │\n" +
		"└──────┴──────┴──────────────────────┘\n" +
		"\n"
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

func TestTableHeaderTimes(t *testing.T) {
	paris := time.FixedZone("CET", 3600)
	start := time.Date(2025, 3, 1, 21, 29, 59, 250_000_000, time.UTC)
	cases := []struct {
		name string
		opts Options
		r    types.Result
		want string
	}{
		{"zone", Options{Location: paris},
			types.Result{Time: batchTime, Window: window10s},
			"── 22:30:10 window [22:30:00, 22:30:10) ──\n"},
		{"window millis", Options{Location: time.UTC},
			types.Result{Time: batchTime, Window: &types.Window{Start: start, End: batchTime}},
			"── 21:30:10 window [21:29:59.250, 21:30:10) ──\n"},
		{"label window final", Options{Label: "q", Location: time.UTC},
			types.Result{Time: batchTime, Window: window10s, Final: true},
			"── q · 21:30:10 window [21:30:00, 21:30:10) (final) ──\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.r.Emitted = true
			got := tableOutput(t, c.opts, &c.r)
			if want := c.want + "(no rows)\n\n"; got != want {
				t.Errorf("got %q, want %q", got, want)
			}
		})
	}
}

func TestTableDefaultLocationIsLocal(t *testing.T) {
	got := tableOutput(t, Options{}, &types.Result{Time: batchTime, Emitted: true})
	want := "── " + batchTime.In(time.Local).Format("15:04:05") + " ──\n(no rows)\n\n"
	if got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
