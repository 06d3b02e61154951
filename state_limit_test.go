package streamsql_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/streamsql/streamsql"
	"github.com/streamsql/streamsql/clock"
	"github.com/streamsql/streamsql/formats"
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
	if !errors.Is(err, streamsql.ErrStateLimit) || err.Error() != want {
		t.Errorf("got %v\nwant %s", err, want)
	}
	if got := q.Stats().RowsIn; got != 1024 {
		t.Errorf("%d rows consumed, want 1024 (the first chunk of the file)", got)
	}
}

// TestMaxKeysWordCountOnce: the word count folds on two goroutines; the
// keys of both count, and it still stops within a chunk or two. Its
// chunks are blocks of lines (formats.JoinLines).
func TestMaxKeysWordCountOnce(t *testing.T) {
	const lines = 400_000 // 3.6 MB, 14 blocks
	dir := distinctLines(t, lines)
	eng := streamsql.New(streamsql.Config{Once: true, MaxKeys: 1500, Log: io.Discard})
	q, err := eng.Query(context.Background(), fmt.Sprintf("SELECT word, COUNT(*) FROM file('%s') GROUP BY word", dir))
	if err != nil {
		t.Fatal(err)
	}
	drainResults(q)
	err = q.Wait()
	if !errors.Is(err, streamsql.ErrStateLimit) || !strings.HasSuffix(err.Error(), ", over the limit of 1500"+limitHint) {
		t.Errorf("got %v, want the state limit's error", err)
	}
	perBlock := formats.BlockSize / len("k0000000\n")
	if got := q.Stats().RowsIn; got > int64(3*perBlock) {
		t.Errorf("%d rows consumed of %d, want at most %d (the limit plus a block on each goroutine)", got, lines, 3*perBlock)
	}
}

// TestMaxKeysLiveUnbounded: a running aggregate fails the moment its
// keys pass the limit, within the open batch: the clock never reaches a
// batch boundary here, so a check after the batch would never fire.
func TestMaxKeysLiveUnbounded(t *testing.T) {
	fake := clock.NewFake(time.Unix(0, 0).UTC())
	eng := streamsql.New(streamsql.Config{BatchInterval: time.Second, Clock: fake, MaxKeys: 100, Log: io.Discard})
	src := ptSource(t, eng, "limitkeys", "k TEXT")
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
	if !errors.Is(err, streamsql.ErrStateLimit) || err.Error() != want {
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
	fake := clock.NewFake(time.Unix(0, 0).UTC())
	log := &limitLog{}
	eng := streamsql.New(streamsql.Config{BatchInterval: time.Second, Clock: fake, MaxKeys: 40, Log: log})
	left := ptSource(t, eng, "jsleft", "id BIGINT, ts TIMESTAMP")
	right := ptSource(t, eng, "jsright", "id BIGINT, ts TIMESTAMP")
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
	if !errors.Is(err, streamsql.ErrStateLimit) || err.Error() != want {
		t.Errorf("got %v\nwant %s", err, want)
	}
	warn := "warning: unbounded state: the join of two streams keeps 21 rows of its left side (l): rows are kept until the join's watermark passes their time + 2s, " +
		"and the left side (l) holds the watermark back (its latest event time is 2026-01-01T00:00:00Z); cap the state with --max-keys"
	if got := log.String(); strings.Count(got, warn) != 1 || strings.Count(got, "warning: unbounded state: the join") != 1 {
		t.Errorf("log:\n%s\nwant the warning once:\n%s", got, warn)
	}
}

// TestMaxMemoryStopsLargestState: when the live heap nears --max-memory,
// the query whose state holds the most keys is stopped with an error
// saying so, at its next batch end; the others run on. No second query
// is stopped until a garbage collection has run since the first ended
// (the heap it held is counted until then). The heap is read from a fake.
func TestMaxMemoryStopsLargestState(t *testing.T) {
	const limit = 64 << 30 // far above what the test uses: the runtime's soft limit stays harmless
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(-1))
	fake := clock.NewFake(time.Unix(0, 0).UTC())
	eng := streamsql.New(streamsql.Config{BatchInterval: time.Second, Clock: fake, MaxMemory: limit, Log: io.Discard})
	big := ptSource(t, eng, "membig", "k TEXT")
	small := ptSource(t, eng, "memsmall", "k TEXT")
	if got := debug.SetMemoryLimit(-1); got != limit {
		t.Errorf("runtime soft limit %d, want %d", got, limit)
	}
	var live atomic.Int64
	var cycles atomic.Uint64
	streamsql.SetHeapReader(eng, func() (int64, uint64) { return live.Load(), cycles.Load() })
	qBig := ptQuery(t, eng, "SELECT k, COUNT(*) FROM membig() GROUP BY k WINDOW UNBOUNDED")
	qSmall := ptQuery(t, eng, "SELECT k, COUNT(*) FROM memsmall() GROUP BY k WINDOW UNBOUNDED")
	for i := range 30 {
		ptPush(t, big, fmt.Sprintf("b%d", i))
		if i < 5 {
			ptPush(t, small, fmt.Sprintf("s%d", i))
		}
	}
	waitRows(t, qBig, 30)
	waitRows(t, qSmall, 5)
	// Two batches under the limit: both queries' state sizes are known.
	for s := 1; s <= 2; s++ {
		fake.Set(time.Unix(int64(s), 0))
		ptNext(t, qBig)
		ptNext(t, qSmall)
	}
	live.Store(limit * 95 / 100)
	cycles.Store(1)
	fake.Set(time.Unix(3, 0))
	drainResults(qBig)
	err := qBig.Wait()
	want := "stopped: the process reached --max-memory 64GB (live heap 60.8GB); its state held 30 keys, the most of the 2 running queries; " +
		"bound its state (a window, a TIMEOUT, a filter, --max-keys) or raise the limit"
	if !errors.Is(err, streamsql.ErrMemoryLimit) || err.Error() != want {
		t.Errorf("got %v\nwant %s", err, want)
	}
	// The heap still reads high, but no collection has run since: the
	// small query goes on.
	ptNext(t, qSmall)
	fake.Set(time.Unix(4, 0))
	if r := ptNext(t, qSmall); r.Final {
		t.Fatal("the small query ended too")
	}
	// After a collection, still near the limit: it is the largest now.
	cycles.Store(2)
	fake.Set(time.Unix(5, 0))
	drainResults(qSmall)
	if err := qSmall.Wait(); !errors.Is(err, streamsql.ErrMemoryLimit) || !strings.Contains(err.Error(), "its state held 5 keys, the most of the 1 running queries") {
		t.Errorf("small query: got %v, want it stopped by the memory limit", err)
	}
}
