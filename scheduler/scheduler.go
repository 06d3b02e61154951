// Package scheduler runs a planned query: it starts the source's receiver
// goroutine, cuts what arrives into micro-batches on the batch interval of
// its clock, pushes each chunk of rows through the operator DAG and closes
// the batch at every boundary, sending the query's Result for it. This is
// Spark Streaming's JobGenerator and ReceiverTracker in one small loop.
package scheduler

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/streamsql/streamsql/clock"
	"github.com/streamsql/streamsql/internal/ratelog"
	"github.com/streamsql/streamsql/operators"
	"github.com/streamsql/streamsql/sources"
	"github.com/streamsql/streamsql/tables"
	"github.com/streamsql/streamsql/types"
)

// Config are the settings of one run.
type Config struct {
	Batch time.Duration // batch interval (ignored by bounded runs)
	Clock clock.Clock
	// Logf receives the sources' notices and skipped-record reports.
	Logf func(format string, args ...any)
	// Checkpoint, when set, makes the job restartable (see Checkpoint).
	Checkpoint *Checkpoint
	// MaxKeys, when positive, ends the job with an error once its state
	// holds more keys (groups per pane and of the open batch, sessions,
	// running keys, DISTINCT rows of the batch, rows a join of two
	// streams keeps). It is checked after every chunk of input pushed
	// through the operators, so the state stops growing within a chunk
	// of the limit, and again after every batch.
	MaxKeys int64
	// Memory, when set, is the process's memory guard: when the live
	// heap nears its limit, the job with the largest state among those
	// sharing it ends with a MemoryLimitError.
	Memory *MemoryGuard
	// Stream[i] lets output i of a bounded job that does not checkpoint
	// hand its rows over as they are computed (Result.Partial), when its
	// result is append-only.
	Stream []bool
}

// Stats are a run's running totals.
type Stats struct {
	RowsIn    int64 // rows the source delivered
	Malformed int64 // records skipped: undecodable, or without a usable event time
	Late      int64 // rows dropped behind the watermark
	Batches   int64
}

// Graph is what a job runs, opened and ready: the receivers, the tables
// the queries join with (loaded), and how to build the operators the
// receivers feed. The engine makes it from a plan when the queries
// start; the scheduler knows nothing of planning.
type Graph struct {
	Sources []sources.Source
	Tables  []*tables.Table
	// Bounded is true when every source's input ends by itself.
	Bounded bool
	// Columns are the result columns of each query, in the order of the
	// sinks Heads is given.
	Columns [][]string
	// Updating says, per query, that its result is a table that keeps
	// changing: its Results carry deletions besides insertions.
	Updating []bool
	// Heads builds fresh operators feeding sinks (sinks[i] receives the
	// rows of query i) and returns the head each source's rows are
	// pushed into: Sources[i]'s into heads[i].
	Heads func(sinks []operators.Operator) []operators.Operator
}

// Job runs one receiver and the queries it feeds.
type Job struct {
	graph   *Graph
	cfg     Config
	outputs []*Output
	in      chan chunk
	// rejected logs malformed records, rate-limited.
	rejected *ratelog.Limiter
	// splitters are, per head, the operators keeping event time per split.
	splitters [][]operators.Splitter
	stop      chan struct{}
	stopped   sync.Once
	done      chan struct{}
	err       error

	rowsIn, malformed, batches atomic.Int64
	batchRows, batchMalformed  atomic.Int64

	// Set by endBatch for send, on the job's goroutine.
	abandon <-chan struct{}
	pending types.BatchStats
	began   time.Time

	ckpt *checkpointer // nil without Config.Checkpoint

	// With Config.MaxKeys: the operators whose state is counted after
	// every chunk, and those holding side state to merge before a count
	// over the limit is believed.
	holders  []operators.KeyHolder
	settlers []operators.Settler
	// batchTime is the end of the open batch (zero in a bounded run), for
	// the state limit's error.
	batchTime time.Time

	// With Config.Memory: the state's size as last counted, the error
	// the guard gave this job, and chunks pushed since the last check.
	stateKeys atomic.Int64
	memErr    atomic.Pointer[error]
	chunks    int
}

// chunk is rows handed over by the source, with its position after them
// when it reports one.
// Output is one query of a job: where its results go.
type Output struct {
	job      *Job
	columns  []string
	updating bool
	results  chan *types.Result
	stop     atomic.Bool // Stop was called for this query alone
	closed   bool        // its final result was sent (job goroutine only)

	late, malformed atomic.Int64 // rows this query's operators dropped

	// Checkpointing: results held for the next checkpoint, how many were
	// handed over and how many the consumer acknowledged.
	held   []*types.Result
	ended  bool // its final result is made (held or sent)
	sent   int64
	acked  atomic.Int64
	ackSig chan struct{}
	ackMu  sync.Mutex
	ackErr error
}

// Ack tells a checkpointing job that r was written to its sink (err nil)
// or refused (the job then ends with err). With Config.Checkpoint every
// result received must be acknowledged, in order: the next checkpoint
// waits until the results before it are written. Without, it does
// nothing.
func (o *Output) Ack(r *types.Result, err error) {
	if o.job.ckpt == nil {
		return
	}
	if err != nil {
		o.ackMu.Lock()
		if o.ackErr == nil {
			o.ackErr = fmt.Errorf("the sink refused the result of batch %s: %w", r.Time.UTC().Format(time.RFC3339Nano), err)
		}
		o.ackMu.Unlock()
	}
	o.acked.Add(1)
	select {
	case o.ackSig <- struct{}{}:
	default:
	}
}

// Stats are the job's totals with this query's own drops added.
func (o *Output) Stats() Stats {
	s := o.job.Stats()
	s.Late += o.late.Load()
	s.Malformed += o.malformed.Load()
	return s
}

// Results delivers one Result per batch (Emitted false when no window
// closed) and closes after the final one. The caller must keep receiving
// until then: a slow reader holds the query back (backpressure) rather
// than losing results.
func (o *Output) Results() <-chan *types.Result { return o.results }

// Stop ends this query: at the next batch boundary it gets its final
// result. When it is the job's last running query, the job stops.
func (o *Output) Stop() {
	o.stop.Store(true)
	for _, other := range o.job.outputs {
		if !other.stop.Load() {
			return
		}
	}
	o.job.Stop()
}

// Job returns the job feeding this query.
func (o *Output) Job() *Job { return o.job }

// Start runs the graph until its input ends, Stop is called or ctx is
// done. Each query's results arrive on its Output.
func Start(ctx context.Context, g *Graph, cfg Config) *Job {
	if cfg.Clock == nil {
		cfg.Clock = clock.Real{}
	}
	if cfg.Batch <= 0 {
		cfg.Batch = time.Second
	}
	if cfg.Logf == nil {
		cfg.Logf = func(string, ...any) {}
	}
	j := &Job{
		graph: g,
		cfg:   cfg,
		in:    make(chan chunk, 16),
		stop:  make(chan struct{}),
		done:  make(chan struct{}),
	}
	for i, cols := range g.Columns {
		j.outputs = append(j.outputs, &Output{job: j, columns: cols, updating: i < len(g.Updating) && g.Updating[i], results: make(chan *types.Result, 16), ackSig: make(chan struct{}, 1)})
	}
	if cfg.Checkpoint != nil {
		j.ckpt = &checkpointer{cfg: cfg.Checkpoint}
	}
	j.rejected = &ratelog.Limiter{Logf: cfg.Logf, Now: cfg.Clock.Now, Burst: malformedShown, Every: malformedEvery,
		What: "malformed records", Prefix: "skipped malformed record: "}
	j.abandon = ctx.Done()
	// Read the start time now, not in the goroutine, so a test that moves
	// its fake clock right after Start cannot skip the first batches.
	go j.run(ctx, cfg.Clock.Now())
	return j
}

// Outputs are the job's queries, in the order of the graph's.
func (j *Job) Outputs() []*Output { return j.outputs }

// Stop ends the job: the open batch is closed as the final one, so what was
// read is not lost. It does not wait; range over Results or call Wait.
func (j *Job) Stop() { j.stopped.Do(func() { close(j.stop) }) }

// Wait blocks until the job has ended and returns its error.
func (j *Job) Wait() error {
	<-j.done
	return j.err
}

// Stats returns the totals so far.
func (j *Job) Stats() Stats {
	return Stats{RowsIn: j.rowsIn.Load(), Malformed: j.malformed.Load(), Batches: j.batches.Load()}
}

// chunk is rows handed over by source number side of the graph, with the
// source's position after them (checkpointing sources only).
type chunk struct {
	rows  []types.Row
	pos   sources.Position
	side  int
	split int32 // the source's split of the rows (a Kafka partition); -1: none
	// records is how many records the rows were read from, when not one
	// each (lines joined for a word count); 0: len(rows).
	records int64
}

// emitter is what source number side sees of the job.
type emitter struct {
	j    *Job
	side int
}

func (e emitter) Emit(rows []types.Row) error { return e.EmitAt(rows, nil) }

func (e emitter) EmitAt(rows []types.Row, pos sources.Position) error {
	return e.EmitSplit(-1, rows, pos)
}

func (e emitter) EmitSplit(split int32, rows []types.Row, pos sources.Position) error {
	return e.emit(chunk{rows: rows, pos: pos, side: e.side, split: split})
}

func (e emitter) EmitRecords(rows []types.Row, records int64, pos sources.Position) error {
	return e.emit(chunk{rows: rows, pos: pos, side: e.side, split: -1, records: records})
}

func (e emitter) emit(c chunk) error {
	// Not j.stop: a stopping job still takes what its sources hand over
	// until they return (see drainSources); only a job that has ended
	// refuses.
	select {
	case e.j.in <- c:
		return nil
	case <-e.j.done:
		return errStopping
	}
}

func (e emitter) Malformed(err error) {
	e.j.malformed.Add(1)
	e.j.batchMalformed.Add(1)
	e.j.rejected.Printf("%v", err)
}

func (e emitter) Logf(format string, args ...any) { e.j.cfg.Logf(format, args...) }

var errStopping = fmt.Errorf("query is stopping")

func (j *Job) run(ctx context.Context, start time.Time) {
	defer close(j.done)
	defer func() {
		for _, o := range j.outputs {
			if !o.closed {
				close(o.results)
			}
		}
	}()
	defer j.rejected.Flush()
	srcCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	// Sources stuck in Emit are unblocked by close(j.done), the first
	// deferred call and so the last to run.

	sinks := make([]operators.Operator, len(j.outputs))
	for i, o := range j.outputs {
		o := o
		c := &operators.Collect{Out: func(b *operators.BatchEnd, rows, deletes []types.Row) error {
			return j.send(o, b, rows, deletes)
		}}
		if i < len(j.cfg.Stream) && j.cfg.Stream[i] && j.graph.Bounded && j.cfg.Checkpoint == nil && !o.updating {
			c.Stream = func(rows []types.Row) error { return j.sendPartial(o, rows) }
		}
		sinks[i] = c
	}
	heads := j.graph.Heads(sinks)
	defer j.wire(heads)()
	clk := j.cfg.Clock
	bounded := j.graph.Bounded
	var tick <-chan time.Time
	var next time.Time
	if !bounded {
		next = start.Truncate(j.cfg.Batch).Add(j.cfg.Batch)
		tick = clk.At(next)
	}
	batchStart := next.Add(-j.cfg.Batch)
	if bounded {
		batchStart = start
	}
	if j.ckpt != nil && len(heads) > 1 {
		j.err = ErrCheckpointSources
		return
	}
	head := heads[0] // the one head of a checkpointed query
	if j.ckpt != nil {
		release, err := j.ckpt.lock()
		if err != nil {
			j.err = err
			return
		}
		defer release()
		resumed, err := j.restore(head)
		if err != nil {
			j.err = err
			return
		}
		if resumed != nil && !bounded {
			// Batches whose boundaries passed while the query was down
			// are run now, empty, so windows due then are emitted with
			// what they held; rows read from here on belong to batches
			// after them.
			batchStart, next = *resumed, resumed.Add(j.cfg.Batch)
			if err := j.catchUp(head, &batchStart, &next); err != nil {
				j.err = err
				return
			}
			tick = clk.At(next)
		}
	}
	// Sources start once a checkpoint has told them where to resume.
	srcs := j.graph.Sources
	srcDone := make(chan error, len(srcs))
	for i, src := range srcs {
		go func() { srcDone <- src.Run(srcCtx, emitter{j, i}) }()
	}
	remaining := len(srcs)
	// Tables joined with are reloaded while the job runs.
	var watchers sync.WaitGroup
	defer watchers.Wait()
	defer cancel()
	for _, t := range j.graph.Tables {
		watchers.Add(1)
		go func() {
			defer watchers.Done()
			t.Run(srcCtx, j.cfg.Logf)
		}()
	}

	final := func(srcErr error) {
		j.drain(heads, -1)
		if stopsNow(j.err) {
			// The query stopped part way through the batch: no result
			// is made of the state it had.
			return
		}
		if j.err != nil && srcErr == nil {
			srcErr = j.err
		}
		end := clk.Now()
		if end.Before(batchStart) {
			end = batchStart
		}
		b := &operators.BatchEnd{Start: batchStart, Time: end, Final: true, Bounded: bounded, Emitted: true}
		if err := j.endBatch(heads, b); err != nil && srcErr == nil {
			srcErr = err
		}
		if j.ckpt != nil && srcErr == nil {
			srcErr = j.finish(head, end)
		}
		j.err = srcErr
	}

	for {
		j.batchTime = next
		select {
		case c := <-j.in:
			if err := j.push(heads, c); err != nil {
				j.err = err
				return
			}
		case <-tick:
			// Rows handed over before the boundary belong to this batch.
			j.drain(heads, len(j.in))
			if j.err != nil {
				return
			}
			b := &operators.BatchEnd{Start: batchStart, Time: next, Emitted: true}
			if err := j.endBatch(heads, b); err != nil {
				j.err = err
				return
			}
			if err := j.afterBatch(head, next); err != nil {
				j.err = err
				return
			}
			batchStart, next = next, next.Add(j.cfg.Batch)
			tick = clk.At(next)
		case err := <-srcDone:
			// An input ended (bounded run, or stdin at EOF); the query
			// ends with the last one, or at the first that fails.
			if remaining--; remaining > 0 && err == nil {
				continue
			}
			final(err)
			return
		case <-j.stop:
			cancel()
			if j.ckpt != nil {
				// The last checkpoint stands: what was read since is read
				// again by the next run, and open windows stay open for
				// it rather than being emitted half full now.
				j.closeOutputs(clk.Now())
				return
			}
			j.drainSources(heads, srcDone, remaining)
			final(nil)
			return
		case <-ctx.Done():
			// Cancelling the context abandons the query; Stop is the
			// way to end it with a final result.
			j.err = ctx.Err()
			return
		}
	}
}

// wire connects the operators of heads to the job: state counting for
// the limits, warnings of joins that keep growing, and the reporting of
// rows dropped for want of an event time. The returned function undoes
// it when the job ends.
func (j *Job) wire(heads []operators.Operator) (unwire func()) {
	var undo []func()
	if j.cfg.MaxKeys > 0 || j.cfg.Memory != nil {
		j.holders, j.settlers = operators.KeyHolders(heads)
	}
	if m := j.cfg.Memory; m != nil {
		m.join(j)
		undo = append(undo, func() { m.leave(j) })
	}
	// Joins of two streams warn when a side keeps more rows than the
	// default, or than half the state limit.
	operators.Visit(heads, func(op any) {
		if w, ok := op.(operators.Warner); ok {
			w.SetLogf(j.cfg.Logf)
			if j.cfg.MaxKeys > 0 {
				w.SetWarnRows(max(1, j.cfg.MaxKeys/2))
			}
		}
	})
	// Rows the operators drop for want of an event time are reported as
	// their source's malformed records are (stderr, dead letter).
	for i, h := range heads {
		if rs := operators.Rejecters(h); len(rs) > 0 && i < len(j.graph.Sources) {
			rj := sources.NewRowRejects(j.graph.Sources[i], j.rejected.Printf)
			undo = append(undo, rj.Close)
			for _, r := range rs {
				r.SetReject(rj.Reject)
			}
		}
	}
	return func() {
		for i := len(undo) - 1; i >= 0; i-- {
			undo[i]()
		}
	}
}

// A flood of malformed records is logged as its first malformedShown
// records, then a count at most every malformedEvery (of the job's clock);
// every one is counted in the stats either way.
const (
	malformedShown = 100
	malformedEvery = 10 * time.Second
)

// sourceStopTimeout bounds how long a stopping job waits for its sources
// to hand over what they hold and return.
const sourceStopTimeout = 15 * time.Second

// drainSources takes the rows the sources still hand over after their
// context was cancelled, until all remaining of them have returned: a
// source that acknowledged rows to a client (http) delivers them before a
// graceful stop ends the query. A source that does not return in
// sourceStopTimeout is left behind, with a warning.
func (j *Job) drainSources(heads []operators.Operator, srcDone <-chan error, remaining int) {
	timeout := time.NewTimer(sourceStopTimeout) // real time: goroutines, not batches
	defer timeout.Stop()
	for remaining > 0 {
		select {
		case c := <-j.in:
			if !j.take(heads, c) {
				return
			}
		case <-srcDone:
			remaining--
		case <-timeout.C:
			j.cfg.Logf("warning: %d source(s) did not stop within %s; rows they still hold are lost", remaining, sourceStopTimeout)
			return
		}
	}
}

// take pushes c, keeping the first error in j.err; false when the job
// must stop at once (pushing more would grow the state further).
func (j *Job) take(heads []operators.Operator, c chunk) bool {
	err := j.push(heads, c)
	if err != nil && j.err == nil {
		j.err = err
	}
	return !stopsNow(err)
}

// drain pushes up to n queued chunks (all that can be had, if n < 0)
// without blocking.
func (j *Job) drain(heads []operators.Operator, n int) {
	for n != 0 {
		select {
		case c := <-j.in:
			if !j.take(heads, c) {
				return
			}
			n--
		default:
			return
		}
	}
}

func (j *Job) push(heads []operators.Operator, c chunk) error {
	n := c.records
	if n == 0 {
		n = int64(len(c.rows))
	}
	j.rowsIn.Add(n)
	j.batchRows.Add(n)
	if c.pos != nil && j.ckpt != nil {
		j.ckpt.pos = c.pos
	}
	if c.split >= 0 {
		if j.splitters == nil {
			j.splitters = make([][]operators.Splitter, len(heads))
			for i, h := range heads {
				j.splitters[i] = operators.Splitters(h)
			}
		}
		for _, s := range j.splitters[c.side] {
			s.SetSplit(c.split)
		}
	}
	if len(c.rows) == 0 {
		return nil // a position or a split announced alone
	}
	if err := heads[c.side].Push(c.rows); err != nil {
		return err
	}
	if j.cfg.MaxKeys > 0 {
		if err := j.checkKeys(); err != nil {
			return err
		}
	}
	if m := j.cfg.Memory; m != nil {
		// The state's size is published after every chunk (a few
		// counters read), so the guard compares jobs as they are.
		j.stateKeys.Store(j.heldKeys())
		if j.chunks++; j.chunks%memoryCheckChunks == 0 {
			return m.check(j)
		}
	}
	return nil
}

// stopsNow reports whether err ends the job at once, part way through a
// batch: its state outgrew a limit.
func stopsNow(err error) bool {
	return errors.Is(err, ErrStateLimit) || errors.Is(err, ErrMemoryLimit)
}

// heldKeys is what the job's state holds now, open batch included.
func (j *Job) heldKeys() int64 {
	var n int64
	for _, h := range j.holders {
		n += h.HeldKeys()
	}
	return n
}

// checkKeys ends the job once its state holds more than Config.MaxKeys,
// as the state grows: after each chunk, not only after the batch. Side
// state (a helper goroutine's partial aggregate, whose keys may repeat
// the main table's) is merged before an excess is believed.
func (j *Job) checkKeys() error {
	n := j.heldKeys()
	if n <= j.cfg.MaxKeys {
		return nil
	}
	for _, s := range j.settlers {
		s.Settle()
	}
	if n = j.heldKeys(); n <= j.cfg.MaxKeys {
		return nil
	}
	where := "after " + rowsOf(j.rowsIn.Load()) + " of input"
	if !j.graph.Bounded {
		where = fmt.Sprintf("after %s of the batch of %s", rowsOf(j.batchRows.Load()), j.batchTime.UTC().Format(time.RFC3339))
	}
	return fmt.Errorf("%w: the query's state holds %d keys %s, over the limit of %d%s; "+
		"bound it with a window, a TIMEOUT or a filter, or raise the limit (--max-keys)",
		ErrStateLimit, n, where, j.cfg.MaxKeys, j.stateDetail())
}

func rowsOf(n int64) string {
	if n == 1 {
		return "1 row"
	}
	return fmt.Sprintf("%d rows", n)
}

// stateDetail says which operators hold the state, when one can say more
// than its count (a join of two streams: which side, and why it is kept).
func (j *Job) stateDetail() string {
	var parts []string
	for _, h := range j.holders {
		if d, ok := h.(operators.StateDescriber); ok {
			if s := d.DescribeState(); s != "" {
				parts = append(parts, s)
			}
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return " (" + strings.Join(parts, "; ") + ")"
}

// endBatch closes the batch through every head; operators reading
// several sources pass it on once all have closed it.
func (j *Job) endBatch(heads []operators.Operator, b *operators.BatchEnd) error {
	clk := j.cfg.Clock
	began := clk.Now()
	delay := began.Sub(b.Time)
	if delay < 0 || b.Final {
		delay = 0
	}
	j.batches.Add(1)
	j.pending = types.BatchStats{
		RowsIn:          j.batchRows.Swap(0),
		Malformed:       j.batchMalformed.Swap(0),
		SchedulingDelay: delay,
	}
	j.began = began
	keys := int64(0)
	if len(heads) == 1 {
		if err := heads[0].EndBatch(b); err != nil {
			return err
		}
		keys = b.StateKeys
	} else {
		for _, h := range heads {
			// The copy that passes the last input of a join or union
			// travels on through the rest of the query.
			c := *b
			if err := h.EndBatch(&c); err != nil {
				return err
			}
			keys = max(keys, c.StateKeys)
		}
	}
	if j.holders != nil {
		// The copy a join passes on is its own: its state and what
		// follows it are counted here.
		keys = max(keys, j.heldKeys())
	}
	if j.cfg.MaxKeys > 0 && keys > j.cfg.MaxKeys {
		return fmt.Errorf("%w: the query's state holds %d keys after the batch of %s, over the limit of %d; "+
			"bound it with a window, a TIMEOUT or a filter, or raise the limit (--max-keys)",
			ErrStateLimit, keys, b.Time.UTC().Format(time.RFC3339), j.cfg.MaxKeys)
	}
	if m := j.cfg.Memory; m != nil {
		j.stateKeys.Store(keys)
		return m.check(j)
	}
	return nil
}

// ErrCheckpointSources is the error of a checkpointed query that reads
// several sources (a join of two streams, UNION ALL): its positions would
// have to be kept per source, which checkpoints do not do yet.
var ErrCheckpointSources = errors.New("checkpoints are not supported yet for a query that reads several sources (a join of two streams, UNION ALL)")

// ErrStateLimit is the class of the error of a query whose state grew over
// Config.MaxKeys.
var ErrStateLimit = errors.New("state limit exceeded")

// send is the tail of a query's branch: it turns a closed batch into a
// Result. A query stopped on its own gets this batch as its final one.
func (j *Job) send(o *Output, b *operators.BatchEnd, rows, deletes []types.Row) error {
	if o.closed || o.ended {
		return nil
	}
	r := &types.Result{
		Time:     b.Time,
		Emitted:  b.Emitted,
		Window:   b.Window,
		Final:    b.Final || o.stop.Load(),
		Columns:  o.columns,
		Rows:     rows,
		Updating: o.updating,
		Deletes:  deletes,
		Stats:    j.pending,
	}
	r.Stats.ProcessingTime = j.cfg.Clock.Now().Sub(j.began)
	r.Stats.Late = b.Late
	r.Stats.StateKeys = b.StateKeys
	r.Stats.Malformed += b.Malformed
	o.late.Add(b.Late)
	o.malformed.Add(b.Malformed)
	if r.Final {
		o.ended = true
	}
	if j.ckpt != nil {
		if b.Recovering && !r.Emitted {
			return nil // a long downtime must not pile up empty results
		}
		o.held = append(o.held, r) // handed over after the checkpoint holding it
		return nil
	}
	return j.deliver(o, r)
}

// sendPartial hands rows of the open batch to o's consumer before the
// batch closes (Config.Stream).
func (j *Job) sendPartial(o *Output, rows []types.Row) error {
	if o.closed || o.ended {
		return nil
	}
	return j.deliver(o, &types.Result{Time: j.cfg.Clock.Now(), Emitted: true, Partial: true, Columns: o.columns, Rows: rows})
}

// deliver hands r to the query's consumer.
func (j *Job) deliver(o *Output, r *types.Result) error {
	if o.closed {
		return nil
	}
	select {
	case o.results <- r:
	case <-j.abandon:
		return context.Canceled
	}
	o.sent++
	if r.Final {
		o.closed = true
		close(o.results)
	}
	return nil
}
