package streamsql_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/streamsql/streamsql"
	"github.com/streamsql/streamsql/clock"
	"github.com/streamsql/streamsql/scheduler"
)

const limitHint = "; bound it with a window, a TIMEOUT or a filter, or raise the limit (--max-keys)"

// distinctLines writes a file of n lines, each a key of its own.
func distinctLines(t *testing.T, n int) string {
	t.Helper()
	dir := t.TempDir()
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "k%07d\n", i)
	}
	if err := os.WriteFile(filepath.Join(dir, "keys.txt"), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// drainResults receives a query's results until they end and returns how
// many were emitted.
func drainResults(q *streamsql.Query) int {
	n := 0
	for r := range q.Results() {
		if r.Emitted {
			n++
		}
	}
	return n
}

// TestMaxKeysOnceStopsAsKeysAreAdded: a bounded run over far more keys
// than --max-keys stops at the first chunk of input that takes the state
// over the limit, not after reading everything (it used to read all 100 k
// rows, holding them all, and end without an error).
func TestMaxKeysOnceStopsAsKeysAreAdded(t *testing.T) {
	dir := distinctLines(t, 100_000)
	eng := streamsql.New(streamsql.Config{Once: true, MaxKeys: 1000, Log: io.Discard})
	q, err := eng.Query(context.Background(), fmt.Sprintf("SELECT line, COUNT(*) FROM file('%s') GROUP BY line", dir))
	if err != nil {
		t.Fatal(err)
	}
	if n := drainResults(q); n != 0 {
		t.Errorf("%d results emitted, want none: the run stopped part way", n)
	}
	err = q.Wait()
	want := "state limit exceeded: the query's state holds 1024 keys after 1024 rows of input, over the limit of 1000" + limitHint
	if !errors.Is(err, scheduler.ErrStateLimit) || err.Error() != want {
		t.Errorf("got %v\nwant %s", err, want)
	}
	if got := q.Stats().RowsIn; got != 1024 {
		t.Errorf("%d rows consumed, want 1024 (the first chunk of the file)", got)
	}
}

// TestMaxKeysWordCountOnce: the word count folds on two goroutines; the
// keys of both count, and it still stops within a chunk or two.
func TestMaxKeysWordCountOnce(t *testing.T) {
	dir := distinctLines(t, 100_000)
	eng := streamsql.New(streamsql.Config{Once: true, MaxKeys: 1500, Log: io.Discard})
	q, err := eng.Query(context.Background(), fmt.Sprintf("SELECT word, COUNT(*) FROM file('%s') GROUP BY word", dir))
	if err != nil {
		t.Fatal(err)
	}
	drainResults(q)
	err = q.Wait()
	if !errors.Is(err, scheduler.ErrStateLimit) || !strings.HasSuffix(err.Error(), ", over the limit of 1500"+limitHint) {
		t.Errorf("got %v, want the state limit's error", err)
	}
	if got := q.Stats().RowsIn; got > 4*1024 {
		t.Errorf("%d rows consumed, want at most 4096 (the limit plus a chunk on each goroutine)", got)
	}
}

// TestMaxKeysLiveUnbounded: a running aggregate fails the moment its
// keys pass the limit, within the open batch: the clock never reaches a
// batch boundary here, so a check after the batch would never fire.
func TestMaxKeysLiveUnbounded(t *testing.T) {
	src := ptSource(t, "limitkeys", "k TEXT")
	fake := clock.NewFake(time.Unix(0, 0).UTC())
	eng := streamsql.New(streamsql.Config{BatchInterval: time.Second, Clock: fake, MaxKeys: 100, Log: io.Discard})
	q := ptQuery(t, eng, "SELECT k, COUNT(*) FROM limitkeys() GROUP BY k WINDOW UNBOUNDED TIMEOUT 1h")
	pushed := 0
	for i := range 10_000 {
		if err := src.Push(fmt.Sprintf("k%d", i)); err != nil {
			if !errors.Is(err, streamsql.ErrPushStopped) {
				t.Fatal(err)
			}
			break
		}
		pushed++
	}
	if pushed == 10_000 {
		t.Fatal("every push was taken: the query did not stop at its limit")
	}
	drainResults(q)
	err := q.Wait()
	want := "state limit exceeded: the query's state holds 101 keys after 101 rows of the batch of 1970-01-01T00:00:01Z, over the limit of 100" + limitHint
	if !errors.Is(err, scheduler.ErrStateLimit) || err.Error() != want {
		t.Errorf("got %v\nwant %s", err, want)
	}
	if got := q.Stats().RowsIn; got != 101 {
		t.Errorf("%d rows consumed, want 101", got)
	}
}

// limitLog is a concurrency-safe Log that keeps what was written.
type limitLog struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *limitLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *limitLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestJoinStateBounded: one side of an event-time join of two streams
// keeps sending the same old time, so the join's watermark stays there
// and neither side's rows can be evicted. The join warns once a side
// passes half the limit, naming the side that holds the watermark back,
// and the query fails at the limit, within the open batch (it used to
// grow without a warning and ignore --max-keys).
func TestJoinStateBounded(t *testing.T) {
	left := ptSource(t, "jsleft", "id BIGINT, ts TIMESTAMP")
	right := ptSource(t, "jsright", "id BIGINT, ts TIMESTAMP")
	fake := clock.NewFake(time.Unix(0, 0).UTC())
	log := &limitLog{}
	eng := streamsql.New(streamsql.Config{BatchInterval: time.Second, Clock: fake, MaxKeys: 40, Log: log})
	q := ptQuery(t, eng, `SELECT l.id, r.id FROM jsleft() AS l JOIN jsright() AS r WITHIN 1s
		EVENT TIME l.ts, r.ts ON l.id = r.id`)
	old := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	stopped := false
	for i := 0; i < 1000 && !stopped; i++ {
		// The right side moves on; the left repeats its one old time.
		for _, p := range []struct {
			src *streamsql.PushSource
			ts  time.Time
		}{{left, old}, {right, old.Add(time.Duration(i) * time.Second)}} {
			if err := p.src.Push(int64(i), p.ts); err != nil {
				if !errors.Is(err, streamsql.ErrPushStopped) {
					t.Fatal(err)
				}
				stopped = true
				break
			}
		}
	}
	if !stopped {
		t.Fatal("every push was taken: the join's state was not bounded")
	}
	drainResults(q)
	err := q.Wait()
	want := "state limit exceeded: the query's state holds 41 keys after 41 rows of the batch of 1970-01-01T00:00:01Z, over the limit of 40 " +
		"(the join of two streams keeps 21 rows of its left side (l) and 20 of its right side (r): rows are kept until the join's watermark passes their time + 2s, " +
		"and the left side (l) holds the watermark back (its latest event time is 2026-01-01T00:00:00Z))" + limitHint
	if !errors.Is(err, scheduler.ErrStateLimit) || err.Error() != want {
		t.Errorf("got %v\nwant %s", err, want)
	}
	warn := "warning: unbounded state: the join of two streams keeps 21 rows of its left side (l): rows are kept until the join's watermark passes their time + 2s, " +
		"and the left side (l) holds the watermark back (its latest event time is 2026-01-01T00:00:00Z); cap the state with --max-keys"
	if got := log.String(); strings.Count(got, warn) != 1 || strings.Count(got, "warning: unbounded state: the join") != 1 {
		t.Errorf("log:\n%s\nwant the warning once:\n%s", got, warn)
	}
}
