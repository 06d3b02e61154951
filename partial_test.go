package streamsql_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/streamsql/streamsql"
)

// TestPartialResults: a bounded run with Config.Partial hands the rows of
// event-time windows over as the windows close, in Partial results, then
// a last result that is not; together they are exactly the rows of the
// same run without Partial, in the same order. An aggregate over the whole
// input (no window) still answers once, at the end.
func TestPartialResults(t *testing.T) {
	dir := t.TempDir()
	var b strings.Builder
	// 800 seconds of readings from 100 sensors, one per 10 ms: 80 windows
	// of 10 s, 8000 rows, each window closing as the watermark passes it.
	for i := range 80000 {
		fmt.Fprintf(&b, `{"sensor": "s%02d", "temp": %d, "ts": %d}`+"\n", i%100, i%37, 1767225600000+int64(i)*10)
	}
	if err := os.WriteFile(filepath.Join(dir, "r.jsonl"), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	run := func(partial bool, sql string) (rows []string, partials int, last *streamsql.Result) {
		eng := streamsql.New(streamsql.Config{Once: true, Partial: partial, Log: io.Discard})
		q, err := eng.Query(context.Background(), sql)
		if err != nil {
			t.Fatal(err)
		}
		for r := range q.Results() {
			if r.Partial {
				partials++
				if r.Final || r.Window != nil || len(r.Rows) == 0 {
					t.Errorf("partial result: final %v, window %v, %d rows", r.Final, r.Window, len(r.Rows))
				}
			} else {
				last = r
			}
			for _, row := range r.Rows {
				rows = append(rows, fmt.Sprint(row))
			}
		}
		if err := q.Wait(); err != nil {
			t.Fatal(err)
		}
		return rows, partials, last
	}

	windows := fmt.Sprintf("SELECT sensor, window_start, COUNT(*), MAX(temp) FROM file('%s', format => 'jsonl') GROUP BY sensor WINDOW 10s EVENT TIME ts", dir)
	want, n, _ := run(false, windows)
	if n != 0 || len(want) != 80*100 {
		t.Fatalf("without Partial: %d partial results, %d rows; want none and 8000", n, len(want))
	}
	got, n, last := run(true, windows)
	if n < 5 {
		t.Errorf("%d partial results, want the windows handed over as they close (8000 rows, 1024 at a time or more)", n)
	}
	if last == nil || !last.Final {
		t.Errorf("the last result is %+v, want the final one", last)
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("partial results hold %d rows, not the %d rows of the run without Partial, in order", len(got), len(want))
	}

	whole := fmt.Sprintf("SELECT sensor, COUNT(*) AS n FROM file('%s', format => 'jsonl') GROUP BY sensor", dir)
	got, n, _ = run(true, whole)
	if n != 0 || len(got) != 100 || got[0] != "[s00 800]" {
		t.Errorf("aggregate over the whole input: %d partial results, rows %v", n, got)
	}
}
