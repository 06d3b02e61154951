package sources

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

// testEmitter collects what a source delivers. Chunks are also sent on
// chunks (when non-nil) and log lines on logs, so tests can wait on them.
type testEmitter struct {
	mu        sync.Mutex
	rows      []types.Row
	sizes     []int
	malformed []error
	chunks    chan []types.Row
	logs      chan string
	failEmit  bool // Emit returns an error: the query is stopping
}

func newTestEmitter() *testEmitter {
	return &testEmitter{chunks: make(chan []types.Row, 1000), logs: make(chan string, 1000)}
}

func (e *testEmitter) Emit(rows []types.Row) error {
	e.mu.Lock()
	e.rows = append(e.rows, rows...)
	e.sizes = append(e.sizes, len(rows))
	fail := e.failEmit
	e.mu.Unlock()
	if e.chunks != nil {
		select {
		case e.chunks <- rows:
		default:
		}
	}
	if fail {
		return errors.New("query stopping")
	}
	return nil
}

func (e *testEmitter) Malformed(err error) {
	e.mu.Lock()
	e.malformed = append(e.malformed, err)
	e.mu.Unlock()
}

func (e *testEmitter) Logf(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	select {
	case e.logs <- msg:
	default:
	}
}

func (e *testEmitter) snapshot() (rows []types.Row, malformed []error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]types.Row(nil), e.rows...), append([]error(nil), e.malformed...)
}

// wait is the guard on every channel wait in these tests.
const wait = 10 * time.Second

// formatRows renders rows as "[kind:value ...]" lines for exact comparison.
func formatRows(rows []types.Row) []string {
	out := make([]string, len(rows))
	for i, r := range rows {
		s := "["
		for j, v := range r {
			if j > 0 {
				s += " "
			}
			s += v.Kind().String() + ":" + v.String()
		}
		out[i] = s + "]"
	}
	return out
}

func checkRows(t *testing.T, got []types.Row, want ...string) {
	t.Helper()
	g := formatRows(got)
	if len(g) != len(want) {
		t.Fatalf("got %d rows, want %d:\n got  %q\n want %q", len(g), len(want), g, want)
	}
	for i := range g {
		if g[i] != want[i] {
			t.Fatalf("row %d:\n got  %s\n want %s", i, g[i], want[i])
		}
	}
}

// awaitLog reads log lines until one contains want and returns it, failing
// the test after the guard.
func awaitLog(t *testing.T, em *testEmitter, want string) string {
	t.Helper()
	deadline := time.After(wait)
	for {
		select {
		case msg := <-em.logs:
			if strings.Contains(msg, want) {
				return msg
			}
		case <-deadline:
			t.Fatalf("timed out waiting for a log line containing %q", want)
			return ""
		}
	}
}

// awaitRows waits for chunks until they hold n rows and returns those rows.
func awaitRows(t *testing.T, em *testEmitter, n int) []types.Row {
	t.Helper()
	var rows []types.Row
	deadline := time.After(wait)
	for len(rows) < n {
		select {
		case chunk := <-em.chunks:
			rows = append(rows, chunk...)
		case <-deadline:
			t.Fatalf("timed out waiting for %d rows; got %q", n, formatRows(rows))
		}
	}
	return rows
}

// runLive runs src in the background. stop cancels it and checks that
// Run returns nil.
func runLive(t *testing.T, src Source, em Emitter) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- src.Run(ctx, em) }()
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
		case <-time.After(wait):
			t.Fatal("Run did not return after cancel")
		}
	}
	t.Cleanup(stop)
	return stop
}
