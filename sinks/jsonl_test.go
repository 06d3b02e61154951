package sinks

import (
	"context"
	"encoding/json"
	"io"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/streamsql/streamsql/types"
)

func TestJSONLMixedTypes(t *testing.T) {
	var rec recorder
	s := open(t, "jsonl", &rec, Options{})
	ts := time.Date(2025, 3, 1, 21, 30, 10, 123_000_000, time.UTC)
	cols := []string{"id", "score", "note", "at", "ok", `we"ird\key`}
	write(t, s,
		&types.Result{Time: batchTime, Emitted: true, Columns: cols, Rows: []types.Row{
			{types.Int(-7), types.Float(3.25), types.Text("say \"hi\"\nnaïve ☃\t\x01"), types.Time(ts), types.Bool(true), types.Text("x")},
			{types.Null, types.Float(1e21), types.Text(""), types.Null, types.Bool(false), types.Float(math.NaN())},
		}},
		&types.Result{Time: batchTime, Emitted: true, Columns: cols}, // no rows: nothing
		&types.Result{Time: batchTime, Emitted: false, Columns: cols, Rows: []types.Row{
			{types.Int(1), types.Null, types.Null, types.Null, types.Null, types.Null},
		}},
		&types.Result{Time: batchTime, Emitted: true, Columns: []string{"n"}, Rows: []types.Row{
			{types.Int(42)},
		}},
	)
	want := []string{
		`{"id":-7,"score":3.25,"note":"say \"hi\"\nnaïve ☃\t\u0001","at":"2025-03-01T21:30:10.123Z","ok":true,"we\"ird\\key":"x"}` + "\n" +
			`{"id":null,"score":1e+21,"note":"","at":null,"ok":false,"we\"ird\\key":null}` + "\n",
		`{"n":42}` + "\n",
	}
	if len(rec.writes) != len(want) {
		t.Fatalf("got %d writes %q, want one per non-empty emitted result: %q", len(rec.writes), rec.writes, want)
	}
	for i := range want {
		if rec.writes[i] != want[i] {
			t.Errorf("write %d:\ngot  %s\nwant %s", i, rec.writes[i], want[i])
		}
	}
	// Every line is valid JSON.
	for line := range strings.Lines(rec.String()) {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Errorf("invalid JSON %q: %v", line, err)
		}
	}
}

func BenchmarkJSONL(b *testing.B) {
	const n = 1000
	r := &types.Result{Time: batchTime, Emitted: true, Columns: []string{"page", "views", "avg_ms"}}
	for i := range n {
		r.Rows = append(r.Rows, types.Row{
			types.Text("page-" + strings.Repeat("x", i%7)), types.Int(int64(i * 37)), types.Float(float64(i) / 8),
		})
	}
	s := open(b, "jsonl", io.Discard, Options{})
	b.ReportAllocs()
	for b.Loop() {
		if err := s.Write(context.Background(), r); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/row")
}
