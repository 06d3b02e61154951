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
	"log/slog"
	"os"
	"runtime/debug"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/streamsql/streamsql/clock"
	"github.com/streamsql/streamsql/internal/bytesize"
	"github.com/streamsql/streamsql/parser"
	"github.com/streamsql/streamsql/planner"
	"github.com/streamsql/streamsql/scheduler"
	"github.com/streamsql/streamsql/sinks"
	_ "github.com/streamsql/streamsql/sources/kafka" // registers kafka(): the engine reads Kafka topics
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
	// Partial lets a bounded query whose result is append-only (event-time
	// windows, rows filtered and mapped) hand its rows over as they are
	// computed, in results marked Partial, instead of all at the end: the
	// first rows come at once and memory does not grow with the output.
	// Queries that feed a materialized view or checkpoint do not.
	Partial bool
	// Clock drives batches; nil means the wall clock. Tests pass a
	// *clock.Fake.
	Clock clock.Clock
	// Log receives notices (source ready, skipped records) as lines
	// "streamsql: ..."; nil means os.Stderr.
	Log io.Writer
	// Logger, when set, receives the notices instead of Log, one record
	// each: level Warn for warnings and refused or failed work, Info for
	// the rest. For an embedder with structured logs.
	Logger *slog.Logger
	// Stdout is where INSERT INTO a console sink (table, jsonl, csv)
	// writes; nil means os.Stdout.
	Stdout io.Writer
	// MaxKeys, when positive, ends a query whose state holds more keys
	// (groups per pane and of the open batch, sessions, running keys,
	// DISTINCT rows of the batch, rows a join of two streams keeps), with
	// an error naming the limit. It is checked as the state grows, after
	// every chunk of input, not only after a batch.
	MaxKeys int64
	// StateTTL, when positive, bounds how long an aggregate without
	// WINDOW (an updating table) keeps a key that receives no rows: after
	// that long its row is deleted from the table and its state dropped
	// (Flink's table.exec.state.ttl; a row for it later starts again).
	StateTTL time.Duration
	// MaxQueries, when positive, bounds the queries running at once:
	// starting more fails with ErrTooManyQueries. Every query holds
	// goroutines, buffers and state, so a service that takes queries from
	// the network needs a bound (the HTTP API answers 429).
	MaxQueries int
	// AllowedDirs, when set, confine every path a query names (file()
	// directories, tables, database files, sink directories, dead letter
	// files, checkpoint directories) to these directories, links followed:
	// a query naming another path is refused with ErrPathNotAllowed. For
	// a service that takes queries from the network (--allow-dir).
	AllowedDirs []string
	// MaxMemory, when positive, is a memory limit in bytes for the
	// process (--max-memory): New sets it as the Go runtime's soft limit
	// (runtime/debug.SetMemoryLimit, process-wide), and when the live
	// heap reaches 90% of it the running query whose state holds the
	// most keys is stopped with an error (ErrMemoryLimit),
	// one at a time, instead of the process running out of memory.
	MaxMemory int64
}

// ErrTooManyQueries is the class of the error Start gives when
// Config.MaxQueries queries run already.
var ErrTooManyQueries = errors.New("too many queries")

// Engine runs continuous queries.
type Engine struct {
	cfg     Config
	mu      sync.Mutex
	queries map[int]*Query
	// starting counts the queries between the MaxQueries check and
	// their listing, so concurrent Starts cannot both pass it.
	starting int
	streams  map[string]*stream
	views    map[string]*view // materialized views by lower-case name
	// nextStream numbers the streams in the order they are defined.
	nextStream int
	nextID     int
	paths      *dirPolicy // nil: any path
	pathsErr   error      // AllowedDirs could not be resolved
	logMu      sync.Mutex
	memory     *scheduler.MemoryGuard // nil without MaxMemory
	funcs      functions              // user-defined functions
	pushes     pushSources            // push sources
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
	if cfg.Stdout == nil {
		cfg.Stdout = os.Stdout
	}
	e := &Engine{cfg: cfg, queries: map[int]*Query{}, streams: map[string]*stream{}, views: map[string]*view{}}
	e.paths, e.pathsErr = newDirPolicy(cfg.AllowedDirs)
	if cfg.MaxMemory > 0 {
		debug.SetMemoryLimit(cfg.MaxMemory)
		e.memory = &scheduler.MemoryGuard{Limit: cfg.MaxMemory, Text: bytesize.Format(cfg.MaxMemory)}
	}
	return e
}

// checkPath is the planner's CheckPath under Config.AllowedDirs.
func (e *Engine) checkPath(path string) error {
	if e.pathsErr != nil {
		return e.pathsErr
	}
	return e.paths.check(path)
}

// pathCheck is planner.Options.CheckPath: nil when any path will do.
func (e *Engine) pathCheck() func(string) error {
	if e.paths == nil && e.pathsErr == nil {
		return nil
	}
	return e.checkPath
}

func (e *Engine) logf(format string, args ...any) {
	if l := e.cfg.Logger; l != nil {
		msg := fmt.Sprintf(format, args...)
		level := slog.LevelInfo
		if isWarning(msg) {
			level = slog.LevelWarn
		}
		l.Log(context.Background(), level, msg)
		return
	}
	e.logMu.Lock()
	defer e.logMu.Unlock()
	fmt.Fprintf(e.cfg.Log, "streamsql: "+format+"\n", args...)
}

// isWarning tells the notices worth a Warn record: warnings, and work
// refused, failed or lost.
func isWarning(msg string) bool {
	for _, w := range []string{"warning", "error", "failed", "cannot", "skipped", "refused", "lost", "stopped"} {
		if strings.Contains(msg, w) {
			return true
		}
	}
	return false
}

// Kind says what a statement does.
type Kind int

const (
	KindQuery        Kind = iota // a SELECT: Start runs it
	KindExplain                  // EXPLAIN: Output is the plan
	KindCreateStream             // CREATE STREAM: defines a named stream
	KindDropStream               // DROP STREAM
	KindShow                     // SHOW STREAMS: Output is the listing
	KindInsert                   // INSERT INTO: a query whose results go to a sink
	KindCreateView               // CREATE MATERIALIZED VIEW: a query whose results the engine keeps
	KindDropView                 // DROP MATERIALIZED VIEW
	KindPull                     // SELECT ... FROM a view: Pull answers it from the view now
	KindSubscribe                // SUBSCRIBE: Subscribe follows a view's or a query's changes
)

// Statement is one planned statement of a script.
type Statement struct {
	// Text is the statement as written (normalised).
	Text string
	Kind Kind
	// Output is what to show the user for SHOW and DDL statements (the
	// plan of an EXPLAIN is Plan(), printed once the whole script is
	// planned).
	Output string
	plan   *planner.Plan
	target *planner.Target // INSERT INTO only
	view   *view           // CREATE MATERIALIZED VIEW only
	// pullView is the view a pull query reads, lookup the key it fixes
	// (nil: every row).
	pullView *view
	lookup   []lookupTerm
	params   *[]types.Value // a pull query's parameters, as its plan reads them
	subView  *view          // SUBSCRIBE TO a view
	// resumed is a CREATE MATERIALIZED VIEW of a view RestoreViews
	// started already, with the same definition: Start skips it.
	resumed bool
	eng     *Engine
	started bool
	ckpt    checkpointOpts
	// readers counts the queries of the script reading each named
	// stream, for EXPLAIN.
	readers map[*planner.Plan]int
}

// Plan returns the operator DAG as EXPLAIN prints it, "" for statements
// that are not queries.
func (s *Statement) Plan() string {
	if s.plan == nil {
		return ""
	}
	if s.target != nil {
		return s.target.Describe() + "\n" + s.plan.ExplainShared(s.readers)
	}
	return s.plan.ExplainShared(s.readers)
}

// Columns are the names of the result columns of a query.
func (s *Statement) Columns() []string {
	if s.plan == nil {
		return nil
	}
	return s.plan.Columns
}

// stream is a named stream: its defining query and the text it came from.
type stream struct {
	name string
	def  *parser.Select
	text string
	seq  int // definition order: a stream may read an earlier one
	// restored: defined by RestoreViews, so a script that defines it
	// again the same way leaves it be.
	restored bool
}

// catalog resolves named streams for one Prepare: each stream is planned
// once, so the queries of one script that read it share its receiver.
type catalog struct {
	e     *Engine
	opts  planner.Options
	plans map[string]*planner.Plan
}

func (c *catalog) Stream(name string) (*planner.Plan, bool, error) {
	key := strings.ToLower(name)
	if p, ok := c.plans[key]; ok {
		return p, true, nil
	}
	c.e.mu.Lock()
	st, ok := c.e.streams[key]
	v := c.e.views[key]
	c.e.mu.Unlock()
	if v != nil {
		return nil, true, fmt.Errorf("materialized view %s is read by a pull query, SELECT ... FROM %s alone (its rows now), or followed with SUBSCRIBE TO %s; a continuous query reads the streams it is defined over", v.name, v.name, v.name)
	}
	if !ok {
		return nil, false, nil
	}
	p, err := planner.PlanStream(st.def, st.text, c.opts)
	if err != nil {
		return nil, true, err
	}
	c.plans[key] = p
	return p, true, nil
}

func (c *catalog) Names() []string {
	c.e.mu.Lock()
	defer c.e.mu.Unlock()
	var out []string
	for _, s := range c.e.streams {
		out = append(out, s.name)
	}
	sort.Strings(out)
	return out
}

// Prepare parses and plans every statement of a script, in order: a
// CREATE STREAM is visible to the statements after it. Errors are
// *parser.Error values carrying the line:column of the offending token.
// Queries are planned, not started: Start them together with Start so
// those reading the same stream share its receiver.
func (e *Engine) Prepare(sql string) ([]*Statement, error) {
	return e.PrepareContext(context.Background(), sql)
}

// PrepareContext is Prepare that gives up, with ctx's error, once ctx is
// done: between parsing and planning, and between statements (a
// statement's parse and plan are bounded by the parser's limits, at most
// about a second). The HTTP API passes the request's context, so a client
// that goes away stops costing.
func (e *Engine) PrepareContext(ctx context.Context, sql string) ([]*Statement, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	stmts, err := parser.Parse(sql)
	if err != nil {
		return nil, err
	}
	c := &catalog{e: e, plans: map[string]*planner.Plan{}}
	c.opts = e.planOptions(ctx, c)
	var out []*Statement
	for _, st := range stmts {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		s, err := e.prepare(st, sql, c)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	// Count the queries reading each stream, for EXPLAIN.
	readers := map[*planner.Plan]int{}
	for _, s := range out {
		if s.Kind == KindQuery || s.Kind == KindInsert {
			planner.CountReaders(s.plan, readers)
		}
	}
	for _, s := range out {
		s.readers = readers
	}
	return out, nil
}

// planOptions are what the planner needs of the engine: its settings,
// path policy, functions, push sources and the catalog c of streams.
func (e *Engine) planOptions(ctx context.Context, c *catalog) planner.Options {
	return planner.Options{Batch: e.BatchInterval(), Once: e.cfg.Once, StateTTL: e.cfg.StateTTL, Streams: c, CheckPath: e.pathCheck(),
		Context: ctx, Functions: &e.funcs, Sources: &e.pushes}
}

func (e *Engine) prepare(st parser.Statement, text string, c *catalog) (*Statement, error) {
	s := &Statement{Text: st.String(), eng: e}
	switch st := st.(type) {
	case *parser.Select:
		if v := e.pullOf(st); v != nil {
			return s, e.preparePull(st, text, v, c, s)
		}
		plan, err := planner.PlanSelect(st, text, c.opts)
		if err != nil {
			return nil, err
		}
		s.Kind, s.plan = KindQuery, plan
	case *parser.Insert:
		plan, target, err := planner.PlanInsert(st, text, c.opts)
		if err != nil {
			return nil, err
		}
		s.Kind, s.plan, s.target = KindInsert, plan, target
	case *parser.Explain:
		sel, ok := st.Stmt.(*parser.Select)
		switch inner := st.Stmt.(type) {
		case *parser.CreateStream:
			sel, ok = inner.Query, true
		case *parser.CreateView:
			sel, ok = inner.Query, true
		case *parser.Insert:
			plan, target, err := planner.PlanInsert(inner, text, c.opts)
			if err != nil {
				return nil, err
			}
			s.Kind, s.plan, s.target = KindExplain, plan, target
			return s, nil
		}
		if !ok {
			return nil, &parser.Error{Pos: st.Pos, Msg: "EXPLAIN takes a SELECT or CREATE STREAM", Query: text, Err: planner.ErrUnsupported}
		}
		plan, err := planner.PlanSelect(sel, text, c.opts)
		if err != nil {
			return nil, err
		}
		s.Kind, s.plan = KindExplain, plan
	case *parser.CreateView:
		if err := e.prepareView(st, text, c, s); err != nil {
			return nil, err
		}
	case *parser.DropView:
		out, err := e.dropView(st, text)
		if err != nil {
			return nil, err
		}
		s.Kind, s.Output = KindDropView, out
	case *parser.Subscribe:
		s.Kind = KindSubscribe
		if st.Query != nil {
			plan, err := planner.PlanSelect(st.Query, text, c.opts)
			if err != nil {
				return nil, err
			}
			s.plan = plan
			break
		}
		if s.subView = e.lookupView(st.View); s.subView == nil {
			msg := fmt.Sprintf("materialized view %q does not exist", st.View)
			if names := e.viewNames(); len(names) > 0 {
				msg += " (views: " + strings.Join(names, ", ") + ")"
			}
			return nil, &parser.Error{Pos: st.Pos, Msg: msg, Query: text, Err: planner.ErrSourceNotFound}
		}
	case *parser.CreateStream:
		key := strings.ToLower(st.Name)
		e.mu.Lock()
		old := e.streams[key]
		e.mu.Unlock()
		if old != nil && old.restored && old.def.String() == st.Query.String() {
			plan, _, err := c.Stream(st.Name)
			if err != nil {
				return nil, err
			}
			s.Kind, s.plan = KindCreateStream, plan
			s.Output = fmt.Sprintf("stream %s resumed from its checkpoint\n", st.Name)
			break
		}
		if err := e.nameFree(st.Name, st.Pos, text); err != nil {
			return nil, err
		}
		plan, err := planner.PlanStream(st.Query, text, c.opts)
		if err != nil {
			return nil, err
		}
		e.mu.Lock()
		e.nextStream++
		e.streams[key] = &stream{name: st.Name, def: st.Query, text: text, seq: e.nextStream}
		e.mu.Unlock()
		c.plans[key] = plan
		s.Kind, s.plan = KindCreateStream, plan
		s.Output = fmt.Sprintf("stream %s created (%s)\n", st.Name, strings.Join(plan.Columns, ", "))
		if plan.Open {
			s.Output = fmt.Sprintf("stream %s created (its source has no data to show its columns yet: it has the columns the queries reading it name)\n", st.Name)
		}
	case *parser.DropStream:
		key := strings.ToLower(st.Name)
		e.mu.Lock()
		_, exists := e.streams[key]
		delete(e.streams, key)
		e.mu.Unlock()
		delete(c.plans, key)
		if !exists && !st.IfExists {
			return nil, &parser.Error{Pos: st.Pos, Msg: fmt.Sprintf("stream %q does not exist", st.Name), Query: text, Err: planner.ErrSourceNotFound}
		}
		s.Kind = KindDropStream
		s.Output = fmt.Sprintf("stream %s dropped\n", st.Name)
		if !exists {
			s.Output = fmt.Sprintf("stream %s does not exist; nothing dropped\n", st.Name)
		}
	case *parser.Show:
		s.Kind, s.Output = KindShow, e.showStreams()
		if st.What == "VIEWS" {
			s.Output = e.showViews()
		}
	default:
		return nil, &parser.Error{Pos: st.Position(), Msg: "unsupported statement", Query: text, Err: planner.ErrUnsupported}
	}
	return s, nil
}

// ErrStreamExists is the class of the error CREATE STREAM gives for a name
// already taken.
var ErrStreamExists = errors.New("stream exists")

func (e *Engine) showStreams() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.streams) == 0 {
		return "no streams (define one with CREATE STREAM name AS SELECT ...)\n"
	}
	names := make([]string, 0, len(e.streams))
	for k := range e.streams {
		names = append(names, k)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, k := range names {
		st := e.streams[k]
		fmt.Fprintf(&b, "%s AS %s\n", st.name, st.def)
	}
	return b.String()
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
	if len(stmts) != 1 || stmts[0].Kind != KindQuery {
		return nil, ErrNotOneQuery
	}
	return stmts[0].Start(ctx)
}

// Start runs the statement as a continuous query.
func (s *Statement) Start(ctx context.Context) (*Query, error) {
	qs, err := s.eng.Start(ctx, []*Statement{s})
	if err != nil {
		return nil, err
	}
	return qs[0], nil
}

// Start runs the given query statements (from one Prepare) together:
// queries reading the same named stream share its receiver. Statements
// that are not queries are skipped.
func (e *Engine) Start(ctx context.Context, stmts []*Statement) ([]*Query, error) {
	var run []*Statement
	for _, s := range stmts {
		if s.Kind != KindQuery && s.Kind != KindInsert && s.Kind != KindCreateView || s.resumed {
			continue
		}
		if s.started {
			return nil, fmt.Errorf("statement already started: %s", s.Text)
		}
		if s.ckpt.dir != "" && e.pathCheck() != nil {
			if err := e.checkPath(s.ckpt.dir); err != nil {
				return nil, fmt.Errorf("checkpoint: %w", err)
			}
		}
		run = append(run, s)
	}
	held, err := e.reserve(len(run))
	if err != nil {
		return nil, err
	}
	defer held.release() // a Start that failed
	// Open every sink and receiver and load every table before anything
	// runs, so one that cannot open stops the script before any query
	// does. A query that does not start is not listed, holds nothing and
	// takes no number.
	qs := make([]*Query, len(run))
	plans := make([]*planner.Plan, len(run))
	for i, s := range run {
		qs[i] = &Query{SQL: s.Text, Columns: s.plan.Columns, Updating: s.plan.Updating, Key: s.plan.Key, eng: e, target: s.target, view: s.view}
		plans[i] = s.plan
	}
	groups := planner.Group(plans)
	graphs, err := e.open(ctx, qs, groups, run)
	if err != nil {
		return nil, err
	}
	e.mu.Lock()
	for i, q := range qs {
		run[i].started = true
		e.nextID++
		q.ID = e.nextID
	}
	e.mu.Unlock()
	for i, q := range qs {
		for _, w := range run[i].Warnings() {
			e.logf("query %d: warning: %s", q.ID, w)
		}
	}
	byPlan := map[*planner.Plan]*Query{}
	for i, p := range plans {
		byPlan[p] = qs[i]
	}
	byStmt := map[*planner.Plan]*Statement{}
	for _, s := range stmts {
		if s.plan != nil {
			byStmt[s.plan] = s
		}
	}
	var jobs []*scheduler.Job
	for gi, g := range groups {
		cfg := scheduler.Config{Batch: e.BatchInterval(), Clock: e.cfg.Clock, Logf: e.logf, MaxKeys: e.cfg.MaxKeys, Memory: e.memory}
		cfg.Checkpoint = checkpointFor(g, byStmt, func(p *planner.Plan) int { return byPlan[p].ID })
		if e.cfg.Partial {
			cfg.Stream = make([]bool, len(g.Queries))
			for i, p := range g.Queries {
				cfg.Stream[i] = byPlan[p].view == nil
			}
		}
		job := scheduler.Start(ctx, graphs[gi], cfg)
		jobs = append(jobs, job)
		for i, p := range g.Queries {
			byPlan[p].attach(ctx, job.Outputs()[i])
		}
	}
	e.list(qs, jobs, held)
	for _, q := range qs {
		if q.view != nil {
			q.view.mu.Lock()
			q.view.q = q
			dir := q.view.dir
			q.view.mu.Unlock()
			if dir != "" {
				if err := e.saveCatalog(dir); err != nil {
					e.logf("materialized view %s: saving %s: %v", q.view.name, catalogFile(dir), err)
				}
			}
		}
	}
	return qs, nil
}

// reservation is the places a Start holds under Config.MaxQueries, from
// the check until its queries are listed, so concurrent Starts cannot
// both pass the check.
type reservation struct {
	e *Engine
	n int
}

// reserve holds n places under Config.MaxQueries.
func (e *Engine) reserve(n int) (*reservation, error) {
	r := &reservation{e: e}
	if n == 0 || e.cfg.MaxQueries <= 0 {
		return r, nil
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	running := len(e.queries) + e.starting
	if running+n > e.cfg.MaxQueries {
		return nil, fmt.Errorf("%w: %d running, %d more would pass the limit of %d (--max-queries); stop one first (STOP QUERY n)",
			ErrTooManyQueries, running, n, e.cfg.MaxQueries)
	}
	e.starting += n
	r.n = n
	return r, nil
}

// release gives the places back; e.mu must not be held.
func (r *reservation) release() {
	r.e.mu.Lock()
	defer r.e.mu.Unlock()
	r.releaseLocked()
}

func (r *reservation) releaseLocked() {
	r.e.starting -= r.n
	r.n = 0
}

// open opens the sinks of qs and what the graphs read; on an error it
// closes the sinks already open.
func (e *Engine) open(ctx context.Context, qs []*Query, groups []*planner.Graph, run []*Statement) ([]*scheduler.Graph, error) {
	closeSinks := func() {
		for _, q := range qs {
			if q.sink != nil {
				q.sink.Close()
			}
		}
	}
	for i, q := range qs {
		if q.view != nil {
			if dir := run[i].ckpt.dir; dir != "" && q.view.store == nil {
				// The view's table as saved, before its query resumes.
				q.view.mu.Lock()
				err := q.view.load(viewFiles(dir, q.view.name))
				q.view.dir = dir
				q.view.mu.Unlock()
				if err != nil {
					closeSinks()
					return nil, fmt.Errorf("materialized view %s: %w", q.view.name, err)
				}
			}
			q.sink = q.view
			continue
		}
		if q.target == nil {
			continue
		}
		sink, err := q.target.Spec.Open(e.cfg.Stdout, q.target.Options) // console sinks print; others ignore it
		if err != nil {
			closeSinks()
			return nil, fmt.Errorf("INSERT INTO %s: %w", q.target.Call, err)
		}
		q.sink = sink
	}
	graphs := make([]*scheduler.Graph, len(groups))
	for i, g := range groups {
		sg, err := openGraph(ctx, g)
		if err != nil {
			closeSinks()
			return nil, err
		}
		graphs[i] = sg
	}
	return graphs, nil
}

// attach connects q to the job output that carries its results, and
// starts feeding its sink.
func (q *Query) attach(ctx context.Context, out *scheduler.Output) {
	q.ctx, q.out = ctx, out
	q.drained = make(chan struct{})
	if q.sink != nil {
		q.progress = make(chan *Result, 64)
		go q.feedSink()
	} else {
		close(q.drained)
	}
}

// list lists the queries only once they run, so no one sees a query half
// set up; each leaves the list when its job ends.
func (e *Engine) list(qs []*Query, jobs []*scheduler.Job, held *reservation) {
	e.mu.Lock()
	for _, q := range qs {
		e.queries[q.ID] = q
	}
	held.releaseLocked()
	e.mu.Unlock()
	for _, job := range jobs {
		go func() {
			job.Wait()
			e.mu.Lock()
			for _, o := range job.Outputs() {
				for _, q := range qs {
					if q.out == o {
						delete(e.queries, q.ID)
					}
				}
			}
			e.mu.Unlock()
		}()
	}
}

// openGraph opens what the plans of g read, for one start: a fresh
// receiver per source and the first version of each table, under ctx.
func openGraph(ctx context.Context, g *planner.Graph) (*scheduler.Graph, error) {
	sg := &scheduler.Graph{Tables: g.Tables, Bounded: g.Bounded, Heads: g.Heads}
	for _, c := range g.Sources {
		src, err := c.Open()
		if err != nil {
			return nil, err
		}
		sg.Sources = append(sg.Sources, src)
	}
	for _, t := range g.Tables {
		if err := t.Load(ctx); err != nil {
			return nil, err
		}
	}
	for _, q := range g.Queries {
		sg.Columns = append(sg.Columns, q.Columns)
		sg.Updating = append(sg.Updating, q.Updating)
	}
	return sg, nil
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
		q.Wait()
	}
}

// Query is a running continuous query.
type Query struct {
	ID      int
	SQL     string
	Columns []string
	// Updating says the query's result is a table that keeps changing
	// (an aggregate without WINDOW, or what reads one): each Result says
	// how it changed, deleting its Deletes and inserting its Rows.
	// types.View rebuilds the table; Key names the columns that identify
	// a row of it.
	Updating bool
	Key      []string
	out      *scheduler.Output
	eng      *Engine

	target   *planner.Target // INSERT INTO: where results go
	view     *view           // CREATE MATERIALIZED VIEW: the view it keeps
	sink     sinks.Sink
	ctx      context.Context // Start's: a sink write gives up when it is done
	drained  chan struct{}   // closed when the sink has written the last result
	progress chan *Result    // results the sink has handled, for monitoring
	mu       sync.Mutex
	sinkErr  error // the last write the sink refused
	refused  int64 // emissions the sink refused
}

// Changelog lists how r changed the query's table, in order: each
// deleted row (-D, or -U when a row with the same key replaces it), then
// each inserted row (+I, or +U). A result of a query that is not
// Updating lists its rows as inserts.
func (q *Query) Changelog(r *Result) []types.Change {
	return types.Changelog(r, types.KeyColumns(q.Columns, q.Key))
}

// IsInsert reports whether the query writes to a sink (INSERT INTO): the
// engine then writes its results itself, and Results is not for reading;
// Progress tells what has been written.
func (q *Query) IsInsert() bool { return q.target != nil || q.view != nil }

// dest names where an INSERT INTO or a view's query writes, for notices.
func (q *Query) dest() string {
	if q.view != nil {
		return "materialized view " + q.view.name
	}
	return "INSERT INTO " + q.target.Call.String()
}

// Progress delivers, for an INSERT INTO query, each Result once its sink
// has handled it (Stats say how the write went), and closes when the query
// ends. It is for monitoring: when more than 64 results wait unread, the
// newest are dropped rather than holding the query back. Nil for queries
// without a sink.
func (q *Query) Progress() <-chan *Result { return q.progress }

// SinkErrors returns how many emissions the sink refused and the last
// refusal.
func (q *Query) SinkErrors() (int64, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.refused, q.sinkErr
}

// feedSink writes an INSERT query's results to its sink. A write the sink
// refuses (a database that is down, a disk that is full) is reported and
// counted, and the query keeps running: the next emission may succeed.
func (q *Query) feedSink() {
	defer close(q.drained)
	defer close(q.progress)
	for res := range q.out.Results() {
		err := q.sink.Write(q.ctx, res)
		q.out.Ack(res, err)
		if err != nil {
			q.mu.Lock()
			q.sinkErr = err
			q.refused++
			q.mu.Unlock()
			q.eng.logf("query %d: %s: %v", q.ID, q.dest(), err)
		}
		select {
		case q.progress <- res:
		default: // nobody is watching closely enough: drop, never block
		}
	}
	if err := q.sink.Close(); err != nil {
		q.eng.logf("query %d: closing %s: %v", q.ID, q.dest(), err)
	}
}

// Ack tells a checkpointing query (Statement.Checkpoint) that res was
// written where it goes (err nil) or could not be (the query then ends
// with err, and a restart replays from its last checkpoint). A
// checkpointing query needs every result it delivers acknowledged: its
// next checkpoint waits for them. Without a checkpoint it does nothing.
// INSERT INTO queries are acknowledged by the engine's own sink writer.
func (q *Query) Ack(res *Result, err error) { q.out.Ack(res, err) }

// Results delivers one Result per batch and closes when the query ends.
// Results with Emitted false carry only batch statistics. Keep receiving
// until the channel closes: a reader that stops holds the query back.
func (q *Query) Results() <-chan *Result { return q.out.Results() }

// Stop ends the query after closing the open batch as its final result.
func (q *Query) Stop() { q.out.Stop() }

// Wait blocks until the query's job has ended and returns why, nil when
// its input ended or it was stopped.
func (q *Query) Wait() error {
	err := q.out.Job().Wait()
	<-q.drained
	return err
}

// Stats are a query's running totals. The type is the engine's own, so
// the scheduler's can change without changing this API.
type Stats struct {
	RowsIn    int64 // rows the sources delivered
	Malformed int64 // records skipped: undecodable, or without a usable event time
	Late      int64 // rows dropped behind the watermark
	Batches   int64 // batches closed
}

// Stats returns the totals so far: rows read, malformed records skipped,
// late rows dropped.
func (q *Query) Stats() Stats {
	s := q.out.Stats()
	return Stats{RowsIn: s.RowsIn, Malformed: s.Malformed, Late: s.Late, Batches: s.Batches}
}
