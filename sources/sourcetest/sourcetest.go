// Package sourcetest helps test a source (package sources' Source): a
// Recorder stands in for the query a source emits to, and the Await
// functions wait for what it records, with a guard instead of sleeps.
// It imports nothing of sources, so sources' own tests use it too; a
// source in a package of its own tests itself the same way.
package sourcetest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/streamsql/streamsql/types"
)

// Wait is the guard on every wait in these helpers.
const Wait = 10 * time.Second

// Recorder collects what a source delivers; it is a sources.Emitter.
// Chunks are also sent on Chunks and log lines on Logs (both buffered;
// dropped when full), so tests can wait on them.
type Recorder struct {
	Chunks chan []types.Row
	Logs   chan string

	mu        sync.Mutex
	rows      []types.Row
	sizes     []int
	malformed []error
	failEmit  bool
}

// NewRecorder returns an empty Recorder.
func NewRecorder() *Recorder {
	return &Recorder{Chunks: make(chan []types.Row, 1000), Logs: make(chan string, 1000)}
}

func (e *Recorder) Emit(rows []types.Row) error {
	e.mu.Lock()
	e.rows = append(e.rows, rows...)
	e.sizes = append(e.sizes, len(rows))
	fail := e.failEmit
	e.mu.Unlock()
	select {
	case e.Chunks <- rows:
	default:
	}
	if fail {
		return errors.New("query stopping")
	}
	return nil
}

func (e *Recorder) Malformed(err error) {
	e.mu.Lock()
	e.malformed = append(e.malformed, err)
	e.mu.Unlock()
}

func (e *Recorder) Logf(format string, args ...any) {
	select {
	case e.Logs <- fmt.Sprintf(format, args...):
	default:
	}
}

// FailEmit makes every later Emit return an error, as a query that is
// stopping does.
func (e *Recorder) FailEmit() {
	e.mu.Lock()
	e.failEmit = true
	e.mu.Unlock()
}

// Snapshot returns the rows and the malformed-record errors so far.
func (e *Recorder) Snapshot() (rows []types.Row, malformed []error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]types.Row(nil), e.rows...), append([]error(nil), e.malformed...)
}

// Rows returns the rows emitted so far.
func (e *Recorder) Rows() []types.Row {
	rows, _ := e.Snapshot()
	return rows
}

// Sizes returns the length of each chunk emitted so far.
func (e *Recorder) Sizes() []int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]int(nil), e.sizes...)
}

// DrainLogs takes the log lines already recorded and not yet read from
// Logs.
func (e *Recorder) DrainLogs() []string {
	var out []string
	for {
		select {
		case l := <-e.Logs:
			out = append(out, l)
		default:
			return out
		}
	}
}

// FormatRows renders rows as "[kind:value ...]" lines for exact comparison.
func FormatRows(rows []types.Row) []string {
	out := make([]string, len(rows))
	for i, r := range rows {
		var b strings.Builder
		b.WriteByte('[')
		for j, v := range r {
			if j > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(v.Kind().String() + ":" + v.String())
		}
		out[i] = b.String() + "]"
	}
	return out
}

// CheckRows fails the test unless got renders (FormatRows) as want.
func CheckRows(t testing.TB, got []types.Row, want ...string) {
	t.Helper()
	g := FormatRows(got)
	if len(g) != len(want) {
		t.Fatalf("got %d rows, want %d:\n got  %q\n want %q", len(g), len(want), g, want)
	}
	for i := range g {
		if g[i] != want[i] {
			t.Fatalf("row %d:\n got  %s\n want %s", i, g[i], want[i])
		}
	}
}

// AwaitLog reads log lines until one contains want and returns it,
// failing the test after Wait.
func AwaitLog(t testing.TB, em *Recorder, want string) string {
	t.Helper()
	deadline := time.After(Wait)
	for {
		select {
		case msg := <-em.Logs:
			if strings.Contains(msg, want) {
				return msg
			}
		case <-deadline:
			t.Fatalf("timed out waiting for a log line containing %q", want)
			return ""
		}
	}
}

// AwaitRows waits for chunks until they hold n rows and returns those
// rows, failing the test after Wait.
func AwaitRows(t testing.TB, em *Recorder, n int) []types.Row {
	t.Helper()
	var rows []types.Row
	deadline := time.After(Wait)
	for len(rows) < n {
		select {
		case chunk := <-em.Chunks:
			rows = append(rows, chunk...)
		case <-deadline:
			t.Fatalf("timed out waiting for %d rows; got %q", n, FormatRows(rows))
		}
	}
	return rows
}

// RunLive runs a source's Run (run is src.Run bound to its Emitter) in the
// background. The returned stop, also called at cleanup, cancels it and
// checks that Run returned nil.
func RunLive(t testing.TB, run func(context.Context) error) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx) }()
	stopped := false
	stop = func() {
		t.Helper()
		if stopped {
			return
		}
		stopped = true
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run = %v, want nil", err)
			}
		case <-time.After(Wait):
			t.Fatal("Run did not return after cancel")
		}
	}
	t.Cleanup(stop)
	return stop
}
