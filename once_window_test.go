package streamsql_test

import (
	"bytes"
	"context"
	"io"
	"testing"
	"time"

	"github.com/streamsql/streamsql"
	"github.com/streamsql/streamsql/clock"
	"github.com/streamsql/streamsql/sinks"
)

// TestOnceWindowIsWholeInput: in a bounded run a processing-time window
// is the whole input. The console says so, with when the run read it, and
// window_start/window_end are that span: from the start of the run to the
// end of its input (3 s here, on the test's clock).
func TestOnceWindowIsWholeInput(t *testing.T) {
	t0 := time.Date(2026, 11, 28, 21, 58, 46, 0, time.UTC)
	fake := clock.NewFake(t0)
	eng := streamsql.New(streamsql.Config{Once: true, Clock: fake, Log: io.Discard})
	src, err := eng.NewPushSource("oncewords", "word TEXT")
	if err != nil {
		t.Fatal(err)
	}
	q, err := eng.Query(context.Background(),
		"SELECT word, COUNT(*) AS n, window_start, window_end FROM oncewords() GROUP BY word WINDOW 10s")
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		src.Push("a")
		src.Push("b")
		src.Push("a")
		fake.Set(t0.Add(3 * time.Second))
		src.Close()
	}()
	spec, _ := sinks.Lookup("table")
	var out bytes.Buffer
	sink, err := spec.Open(&out, sinks.Options{Location: time.UTC})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for r := range q.Results() {
		if r.Emitted {
			n++
			if r.Window == nil || !r.Window.Whole || !r.Window.Start.Equal(t0) || !r.Window.End.Equal(t0.Add(3*time.Second)) {
				t.Errorf("window %+v, want the whole input read from %v to 3s later", r.Window, t0)
			}
		}
		if err := sink.Write(context.Background(), r); err != nil {
			t.Fatal(err)
		}
	}
	if err := q.Wait(); err != nil {
		t.Fatal(err)
	}
	want := "── 21:58:49 whole input, read from 21:58:46 to 21:58:49 (final) ──\n" +
		"┌──────┬───┬──────────────────────┬──────────────────────┐\n" +
		"│ word │ n │     window_start     │      window_end      │\n" +
		"├──────┼───┼──────────────────────┼──────────────────────┤\n" +
		"│ a    │ 2 │ 2026-11-28T21:58:46Z │ 2026-11-28T21:58:49Z │\n" +
		"│ b    │ 1 │ 2026-11-28T21:58:46Z │ 2026-11-28T21:58:49Z │\n" +
		"└──────┴───┴──────────────────────┴──────────────────────┘\n\n"
	if n != 1 || out.String() != want {
		t.Errorf("%d emissions, printed\n%s\nwant\n%s", n, out.String(), want)
	}
}
