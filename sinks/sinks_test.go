package sinks

import (
	"bytes"
	"context"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/streamsql/streamsql/types"
)

// batchTime is 21:30:10 UTC; window10s is the ten seconds before it.
var (
	batchTime = time.Date(2025, 3, 1, 21, 30, 10, 0, time.UTC)
	window10s = &types.Window{Start: batchTime.Add(-10 * time.Second), End: batchTime}
)

// recorder is an io.Writer that remembers each Write separately.
type recorder struct{ writes []string }

func (r *recorder) Write(p []byte) (int, error) {
	r.writes = append(r.writes, string(p))
	return len(p), nil
}

func (r *recorder) String() string { return strings.Join(r.writes, "") }

func open(t testing.TB, name string, w io.Writer, opts Options) Sink {
	t.Helper()
	spec, ok := Lookup(name)
	if !ok {
		t.Fatalf("sink %q not registered", name)
	}
	s, err := spec.Open(w, opts)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func write(t *testing.T, s Sink, rs ...*types.Result) {
	t.Helper()
	for _, r := range rs {
		if err := s.Write(context.Background(), r); err != nil {
			t.Fatal(err)
		}
	}
}

// consoleSinks are the formats that print to the writer they are opened
// on; the INSERT INTO sinks (file, sqlite, postgres) have tests of their own.
var consoleSinks = []string{"changelog", "csv", "jsonl", "table"}

func TestRegistry(t *testing.T) {
	if got, want := Names(), []string{"changelog", "csv", "file", "jsonl", "kafka", "postgres", "sqlite", "table"}; !slices.Equal(got, want) {
		t.Fatalf("Names() = %q, want %q", got, want)
	}
	for _, n := range Names() {
		s, ok := Lookup(n)
		if !ok || s.Name != n || s.Usage == "" {
			t.Errorf("Lookup(%q) = %+v, %v", n, s, ok)
		}
	}
	if _, ok := Lookup("nosuch"); ok {
		t.Error("Lookup of an unregistered name succeeded")
	}
	defer func() {
		if recover() == nil {
			t.Error("registering a name twice did not panic")
		}
	}()
	Register(&Spec{Name: "table", Open: func(io.Writer, Options) (Sink, error) { return nil, nil }})
}

type failWriter struct{}

var errPipe = errors.New("broken pipe")

func (failWriter) Write([]byte) (int, error) { return 0, errPipe }

func TestWriteErrorsReturned(t *testing.T) {
	r := &types.Result{Time: batchTime, Emitted: true, Columns: []string{"n"}, Rows: []types.Row{{types.Int(1)}}}
	for _, name := range consoleSinks {
		s := open(t, name, failWriter{}, Options{})
		if err := s.Write(context.Background(), r); !errors.Is(err, errPipe) {
			t.Errorf("%s: Write = %v, want %v", name, err, errPipe)
		}
	}
}

func TestNotEmittedWritesNothing(t *testing.T) {
	r := &types.Result{Time: batchTime, Emitted: false, Columns: []string{"n"},
		Stats: types.BatchStats{RowsIn: 5}}
	for _, name := range consoleSinks {
		var rec recorder
		s := open(t, name, &rec, Options{})
		write(t, s, r)
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		if len(rec.writes) != 0 {
			t.Errorf("%s wrote %q for a result that was not emitted", name, rec.String())
		}
	}
}

func TestRowWidthMismatch(t *testing.T) {
	r := &types.Result{Time: batchTime, Emitted: true, Columns: []string{"a", "b"},
		Rows: []types.Row{{types.Int(1), types.Int(2)}, {types.Int(3)}}}
	for _, name := range consoleSinks {
		var rec recorder
		s := open(t, name, &rec, Options{})
		if err := s.Write(context.Background(), r); err == nil || !strings.Contains(err.Error(), "row 1 has 1 values for 2 columns") {
			t.Errorf("%s: Write = %v", name, err)
		}
		if len(rec.writes) != 0 {
			t.Errorf("%s wrote %q for a malformed result", name, rec.String())
		}
	}
}

func TestWriteAfterClose(t *testing.T) {
	r := &types.Result{Time: batchTime, Emitted: true, Columns: []string{"n"}, Rows: []types.Row{{types.Int(1)}}}
	for _, name := range consoleSinks {
		s := open(t, name, io.Discard, Options{})
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		if err := s.Write(context.Background(), r); !errors.Is(err, ErrClosed) {
			t.Errorf("%s: Write after Close = %v, want ErrClosed", name, err)
		}
		if err := s.Close(); err != nil {
			t.Errorf("%s: second Close = %v", name, err)
		}
	}
}

// TestSinksIndependent runs one sink per goroutine on separate writers, as
// the engine does with several queries, so the race detector can see any
// state shared between sinks.
func TestSinksIndependent(t *testing.T) {
	r := &types.Result{Time: batchTime, Emitted: true, Window: window10s, Columns: []string{"k", "n"},
		Rows: []types.Row{{types.Text("a"), types.Int(1)}, {types.Text("b"), types.Float(2.5)}}}
	for _, name := range consoleSinks {
		for i := range 4 {
			t.Run(name+"/"+string(rune('0'+i)), func(t *testing.T) {
				t.Parallel()
				var buf bytes.Buffer
				s := open(t, name, &buf, Options{Location: time.UTC})
				for range 20 {
					write(t, s, r)
				}
				if buf.Len() == 0 {
					t.Error("no output")
				}
			})
		}
	}
}
