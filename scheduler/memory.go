package scheduler

import (
	"errors"
	"fmt"
	"runtime/metrics"
	"sync"

	"github.com/streamsql/streamsql/internal/bytesize"
)

// MemoryGuard keeps the process under a memory limit by stopping queries
// rather than letting it die: when the live heap nears the limit, the job
// whose state holds the most keys ends with a MemoryLimitError. Jobs
// sharing one guard (Config.Memory) check it at every batch end and every
// memoryCheckChunks chunks of input, on their own goroutine: the check is
// driven by the batch loop (and so by the clock the job runs on), not by a
// timer of its own.
//
// The guard does not set the Go runtime's soft limit
// (runtime/debug.SetMemoryLimit); whoever owns the process does (the
// engine, for Config.MaxMemory).
type MemoryGuard struct {
	// Limit is the limit in bytes; Text how the user wrote it ("2GB"),
	// for the error.
	Limit int64
	Text  string
	// Read returns the live heap in bytes (what the last garbage
	// collection found reachable) and how many collections have
	// completed. nil reads runtime/metrics.
	Read func() (live int64, cycles uint64)

	mu   sync.Mutex
	jobs map[*Job]bool
	// victim is the job told to stop and not ended yet; after it ends,
	// no other is chosen until a collection has completed (before, the
	// live heap still counts what it held).
	victim     *Job
	waitCycles uint64
}

// memoryCheckChunks is how many chunks of input a job pushes between two
// checks of the memory guard, besides the check at each batch end (a
// bounded run has a single batch).
const memoryCheckChunks = 64

// memoryNear is the share of the limit, in percent, the live heap may
// reach before the guard stops a query.
const memoryNear = 90

// ErrMemoryLimit is the class of the error of a query stopped by a
// MemoryGuard.
var ErrMemoryLimit = errors.New("the process reached its memory limit")

// MemoryLimitError is the error of the query a MemoryGuard stopped.
type MemoryLimitError struct {
	Limit   string // as the user wrote it
	Live    int64  // the live heap, bytes
	Keys    int64  // the keys the query's state held
	Running int    // queries (jobs) running when it was chosen
}

func (e *MemoryLimitError) Error() string {
	return fmt.Sprintf("stopped: the process reached --max-memory %s (live heap %s); its state held %d keys, the most of the %d running queries; "+
		"bound its state (a window, a TIMEOUT, a filter, --max-keys) or raise the limit",
		e.Limit, bytesize.Format(e.Live), e.Keys, e.Running)
}

func (e *MemoryLimitError) Unwrap() error { return ErrMemoryLimit }

func readHeap() (int64, uint64) {
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}, {Name: "/gc/cycles/total:gc-cycles"}}
	metrics.Read(s)
	var live int64
	var cycles uint64
	if s[0].Value.Kind() == metrics.KindUint64 {
		live = int64(s[0].Value.Uint64())
	}
	if s[1].Value.Kind() == metrics.KindUint64 {
		cycles = s[1].Value.Uint64()
	}
	return live, cycles
}

func (g *MemoryGuard) join(j *Job) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.jobs == nil {
		g.jobs = map[*Job]bool{}
	}
	g.jobs[j] = true
}

func (g *MemoryGuard) leave(j *Job) {
	g.mu.Lock()
	defer g.mu.Unlock()
	delete(g.jobs, j)
	if g.victim == j {
		g.victim = nil
		_, g.waitCycles = g.read()
	}
}

func (g *MemoryGuard) read() (int64, uint64) {
	if g.Read != nil {
		return g.Read()
	}
	return readHeap()
}

// check is called by job j: when the live heap is near the limit, it
// chooses the job with the largest state and tells it to stop. It
// returns j's error if j is that job (now or earlier).
func (g *MemoryGuard) check(j *Job) error {
	if err := j.memErr.Load(); err != nil {
		return *err
	}
	live, cycles := g.read()
	if live*100 < g.Limit*memoryNear {
		return nil
	}
	g.mu.Lock()
	if g.victim == nil && cycles > g.waitCycles {
		var most *Job
		for k := range g.jobs {
			if most == nil || k.stateKeys.Load() > most.stateKeys.Load() {
				most = k
			}
		}
		if most != nil {
			var err error = &MemoryLimitError{Limit: g.Text, Live: live, Keys: most.stateKeys.Load(), Running: len(g.jobs)}
			most.memErr.Store(&err)
			g.victim = most
		}
	}
	g.mu.Unlock()
	if err := j.memErr.Load(); err != nil {
		return *err
	}
	return nil
}
