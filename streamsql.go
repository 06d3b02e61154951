// Package streamsql is the embedding API of the streamsql continuous query
// engine. A program creates an Engine, submits SQL, and ranges over the
// results each query emits per micro-batch:
//
//	eng := streamsql.New(streamsql.Config{BatchInterval: time.Second})
//	q, err := eng.Query(ctx, "SELECT word, COUNT(*) FROM file('logs') GROUP BY word WINDOW 10s")
//	if err != nil { ... }
//	for res := range q.Results() {
//		if res.Emitted { fmt.Println(res.Window, res.Rows) }
//	}
//
// The pipeline behind it: parser (SQL → AST), planner (AST → logical plan
// → operator DAG), scheduler (micro-batches over the sources' rows), with
// sources/ reading data and sinks/ writing results. See ARCHITECTURE.md.
package streamsql

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/streamsql/streamsql/clock"
	"github.com/streamsql/streamsql/parser"
	"github.com/streamsql/streamsql/planner"
	"github.com/streamsql/streamsql/scheduler"
	"github.com/streamsql/streamsql/types"
)

// Result is what a query emits for one batch.
type Result = types.Result

// Config configures an Engine.
type Config struct {
	// BatchInterval is the micro-batch interval; default 1s.
	BatchInterval time.Duration
	// Once makes sources bounded: a watched directory is read as it is
	// now, all input is one batch, and queries end after their result.
	Once bool
	// Clock drives batches; nil means the wall clock. Tests pass a
	// *clock.Fake.
	Clock clock.Clock
	// Log receives notices (source ready, skipped records); nil means
	// os.Stderr.
	Log io.Writer
}

// Engine runs continuous queries.
type Engine struct {
	cfg     Config
	mu      sync.Mutex
	queries map[int]*Query
	nextID  int
	logMu   sync.Mutex
}

// New returns an engine with cfg's settings.
func New(cfg Config) *Engine {
	if cfg.BatchInterval <= 0 {
		cfg.BatchInterval = time.Second
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.Real{}
	}
	if cfg.Log == nil {
		cfg.Log = os.Stderr
	}
	return &Engine{cfg: cfg, queries: map[int]*Query{}}
}

func (e *Engine) logf(format string, args ...any) {
	e.logMu.Lock()
	defer e.logMu.Unlock()
	fmt.Fprintf(e.cfg.Log, "streamsql: "+format+"\n", args...)
}

// Statement is one planned statement of a script.
type Statement struct {
	// Text is the statement as written.
	Text string
	// Explain is set for EXPLAIN statements: print Plan, do not Start.
	Explain bool
	plan    *planner.Plan
	eng     *Engine
}

// Plan returns the operator DAG as EXPLAIN prints it.
func (s *Statement) Plan() string { return s.plan.Explain() }

// Columns are the names of the result columns.
func (s *Statement) Columns() []string { return s.plan.Columns }

// Prepare parses and plans every statement of a script. Errors are
// *parser.Error values carrying the line:column of the offending token.
func (e *Engine) Prepare(sql string) ([]*Statement, error) {
	stmts, err := parser.Parse(sql)
	if err != nil {
		return nil, err
	}
	opts := planner.Options{Batch: e.cfg.BatchInterval, Once: e.cfg.Once}
	var out []*Statement
	for _, st := range stmts {
		explain := false
		if ex, ok := st.(*parser.Explain); ok {
			explain, st = true, ex.Stmt
		}
		sel, ok := st.(*parser.Select)
		if !ok {
			return nil, &parser.Error{Pos: st.Position(), Msg: "only SELECT statements can run", Query: sql, Err: planner.ErrUnsupported}
		}
		plan, err := planner.PlanSelect(sel, sql, opts)
		if err != nil {
			return nil, err
		}
		out = append(out, &Statement{Text: st.String(), Explain: explain, plan: plan, eng: e})
	}
	return out, nil
}

// ErrNotOneQuery is returned by Query for text that is not exactly one
// runnable SELECT.
var ErrNotOneQuery = errors.New("streamsql: Query takes exactly one SELECT statement; use Prepare for scripts and EXPLAIN")

// Query plans and starts one SELECT.
func (e *Engine) Query(ctx context.Context, sql string) (*Query, error) {
	stmts, err := e.Prepare(sql)
	if err != nil {
		return nil, err
	}
	if len(stmts) != 1 || stmts[0].Explain {
		return nil, ErrNotOneQuery
	}
	return stmts[0].Start(ctx)
}

// Start runs the statement as a continuous query.
func (s *Statement) Start(ctx context.Context) (*Query, error) {
	if s.Explain {
		return nil, fmt.Errorf("streamsql: an EXPLAIN statement does not run")
	}
	e := s.eng
	e.mu.Lock()
	e.nextID++
	q := &Query{ID: e.nextID, SQL: s.Text, Columns: s.plan.Columns, eng: e}
	e.queries[q.ID] = q
	e.mu.Unlock()
	q.job = scheduler.Start(ctx, s.plan, scheduler.Config{Batch: e.cfg.BatchInterval, Clock: e.cfg.Clock, Logf: e.logf})
	go func() {
		q.job.Wait()
		e.mu.Lock()
		delete(e.queries, q.ID)
		e.mu.Unlock()
	}()
	return q, nil
}

// Stop stops every running query (each emits its final result) and waits
// for them to end.
func (e *Engine) Stop() {
	e.mu.Lock()
	qs := make([]*Query, 0, len(e.queries))
	for _, q := range e.queries {
		qs = append(qs, q)
	}
	e.mu.Unlock()
	for _, q := range qs {
		q.Stop()
	}
	for _, q := range qs {
		q.job.Wait()
	}
}

// Query is a running continuous query.
type Query struct {
	ID      int
	SQL     string
	Columns []string
	job     *scheduler.Job
	eng     *Engine
}

// Results delivers one Result per batch and closes when the query ends.
// Results with Emitted false carry only batch statistics. Keep receiving
// until the channel closes: a reader that stops holds the query back.
func (q *Query) Results() <-chan *Result { return q.job.Results() }

// Stop ends the query after closing the open batch as its final result.
func (q *Query) Stop() { q.job.Stop() }

// Wait blocks until the query has ended and returns why, nil when its
// input ended or it was stopped.
func (q *Query) Wait() error { return q.job.Wait() }

// Stats are a query's running totals.
type Stats = scheduler.Stats

// Stats returns the totals so far: rows read, malformed records skipped.
func (q *Query) Stats() Stats { return q.job.Stats() }
