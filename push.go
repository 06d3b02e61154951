package streamsql

import (
	"context"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strings"
	"sync"
	"time"

	"github.com/streamsql/streamsql/expr"
	"github.com/streamsql/streamsql/formats"
	"github.com/streamsql/streamsql/parser"
	"github.com/streamsql/streamsql/sources"
	"github.com/streamsql/streamsql/types"
)

// PushSource is a source a Go program feeds itself, row by row (Spark
// Streaming's queueStream). Engine.NewPushSource gives it a name, and the
// engine's SQL reads it by calling that name in FROM:
//
//	orders, err := eng.NewPushSource("orders", "id BIGINT, region TEXT, amount DOUBLE, ts TIMESTAMP")
//	q, err := eng.Query(ctx, "SELECT region, SUM(amount) FROM orders() GROUP BY region WINDOW 10s")
//	err = orders.Push(1, "eu", 9.5, time.Now())
//	orders.Close() // end of input: the query emits its final result and ends
//
// One push source feeds one running query graph: the first query started
// on it reads everything pushed, and another query that starts reading it
// while that one runs ends at once with an error (its Wait says why). To
// feed several queries from one push source, read it through a named
// stream and start the queries together, so they share one receiver:
//
//	CREATE STREAM o AS SELECT * FROM orders();
//	SELECT COUNT(*) FROM o;
//	SELECT region, SUM(amount) FROM o GROUP BY region;
//
// Push blocks until a query reads the source (so start the query before
// pushing, or push from another goroutine), and while that query is busy
// (backpressure: the query's Results are not being received). Once the
// query has stopped, Push fails with ErrPushStopped; after Close it fails
// with ErrPushClosed. A push source is not reused: after Close (or once its
// query has stopped), NewPushSource may give its name to a new one, which
// queries prepared from then on read.
//
// Push, PushRow and Close may be called from several goroutines; rows
// pushed concurrently arrive in some order. A Push racing with the query's
// Stop may return nil for a row the stopping query no longer counts.
type PushSource struct {
	name   string
	schema types.Schema

	mu       sync.Mutex
	idle     sync.Cond       // signalled when inflight drops to zero
	reader   *pushReader     // the receiver reading, once one has started
	out      sources.Emitter // its emitter
	runCtx   context.Context // its context, done once its query stops
	ended    bool            // that receiver has stopped: pushes fail
	closed   bool            // Close was called
	inflight int             // pushes handing rows to the receiver
	ready    chan struct{}   // closed when a receiver starts
	done     chan struct{}   // closed by Close
}

// ErrPushClosed is returned by Push after Close.
var ErrPushClosed = errors.New("push source is closed")

// ErrPushStopped is returned by Push once the query reading the source has
// stopped (Query.Stop, Engine.Stop, its context cancelled).
var ErrPushStopped = errors.New("the query reading the push source has stopped")

// pushSources are an engine's push sources by name, the current one of
// each name (planner.SourceSet).
type pushSources struct {
	mu     sync.Mutex
	byName map[string]*PushSource
}

func (p *pushSources) Source(name string) (*sources.Spec, bool) {
	p.mu.Lock()
	cur, ok := p.byName[name]
	p.mu.Unlock()
	if !ok {
		return nil, false
	}
	return &sources.Spec{
		Name:  name,
		Usage: name + "()",
		Open:  func(a sources.Args) (sources.Source, error) { return cur.open(a), nil },
	}, true
}

func (p *pushSources) SourceNames() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	names := make([]string, 0, len(p.byName))
	for n := range p.byName {
		names = append(names, n)
	}
	return names
}

// NewPushSource creates a push source and makes it readable in the
// engine's FROM as name() (names are case-insensitive); other engines do
// not see it. schema declares its columns as the schema option of the
// other sources does: "id BIGINT, region TEXT, amount DOUBLE, ok BOOLEAN,
// ts TIMESTAMP" (also INT, INTEGER, FLOAT, REAL, VARCHAR, STRING, BOOL).
//
// It fails when the name is not a valid SQL name, belongs to a built-in
// source, or belongs to a push source of the engine that is neither
// closed nor done. It is safe to call from several goroutines, alongside
// planning.
func (e *Engine) NewPushSource(name, schema string) (*PushSource, error) {
	key := strings.ToLower(name)
	if err := checkSourceName(key); err != nil {
		return nil, err
	}
	cols, err := formats.ParseSchema(schema)
	if err != nil {
		return nil, fmt.Errorf("streamsql: push source %s: %w", key, err)
	}
	if _, builtin := sources.Lookup(key); builtin {
		return nil, fmt.Errorf("streamsql: push source %s: a built-in source has that name", key)
	}
	s := &PushSource{name: key, schema: cols, ready: make(chan struct{}), done: make(chan struct{})}
	s.idle.L = &s.mu

	p := &e.pushes
	p.mu.Lock()
	defer p.mu.Unlock()
	if old, ok := p.byName[key]; ok && !old.finished() {
		return nil, fmt.Errorf("streamsql: push source %s already exists; Close it before creating another of that name", key)
	}
	if p.byName == nil {
		p.byName = map[string]*PushSource{}
	}
	p.byName[key] = s
	return s, nil
}

// checkSourceName accepts the names SQL can call in FROM.
func checkSourceName(name string) error {
	stmts, err := parser.Parse("SELECT * FROM " + name + "()")
	if err == nil && len(stmts) == 1 {
		if sel, ok := stmts[0].(*parser.Select); ok && sel.From != nil && sel.From.Source != nil &&
			strings.EqualFold(sel.From.Source.Name, name) {
			return nil
		}
	}
	return fmt.Errorf("streamsql: push source name %q cannot be written in FROM (use letters, digits and _, not a reserved word)", name)
}

// Name is the name queries call in FROM (lower case).
func (s *PushSource) Name() string { return s.name }

// Schema returns the columns rows are pushed with, in order.
func (s *PushSource) Schema() types.Schema { return append(types.Schema(nil), s.schema...) }

// Push sends one row, one Go value per column in schema order. Values are
// converted to the column's type:
//
//   - BIGINT: any Go integer (an unsigned one above the BIGINT range is
//     an error);
//   - DOUBLE: float32, float64 or any integer (NaN becomes NULL);
//   - TEXT: string or []byte;
//   - BOOLEAN: bool;
//   - TIMESTAMP: time.Time;
//   - any column: nil (NULL), or a types.Value of the column's type.
//
// Named types over these (type OrderID int64) convert as their base type.
// A value that does not fit, or a wrong number of values, is an error and
// nothing is sent. Otherwise Push blocks until the row has been handed to
// the query reading the source (see PushSource for when that waits).
func (s *PushSource) Push(values ...any) error {
	if len(values) != len(s.schema) {
		return fmt.Errorf("streamsql: push source %s: got %d values for %d columns (%s)", s.name, len(values), len(s.schema), s.columnList())
	}
	row := make(types.Row, len(values))
	for i, v := range values {
		val, err := toValue(v, s.schema[i].Type)
		if err != nil {
			return fmt.Errorf("streamsql: push source %s: column %s %s: %w", s.name, s.schema[i].Name, s.schema[i].Type, err)
		}
		row[i] = val
	}
	return s.send(row)
}

// PushRow sends a row of values already converted, one per column in
// schema order. Each value must be NULL or of its column's type (a BIGINT
// is accepted for a DOUBLE column). The row is copied.
func (s *PushSource) PushRow(row types.Row) error {
	if len(row) != len(s.schema) {
		return fmt.Errorf("streamsql: push source %s: got %d values for %d columns (%s)", s.name, len(row), len(s.schema), s.columnList())
	}
	out := make(types.Row, len(row))
	for i, v := range row {
		val, err := toValue(v, s.schema[i].Type)
		if err != nil {
			return fmt.Errorf("streamsql: push source %s: column %s %s: %w", s.name, s.schema[i].Name, s.schema[i].Type, err)
		}
		out[i] = val
	}
	return s.send(out)
}

// Close ends the input: the query reading the source closes its open batch
// as its final result and ends (a query started after Close ends at once
// with an empty final result). Rows pushed before Close returns are not
// lost. Close never blocks and may be called more than once; it always
// returns nil.
func (s *PushSource) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.closed {
		s.closed = true
		close(s.done)
	}
	return nil
}

func (s *PushSource) columnList() string {
	parts := make([]string, len(s.schema))
	for i, c := range s.schema {
		parts[i] = c.Name + " " + c.Type.String()
	}
	return strings.Join(parts, ", ")
}

// finished reports whether the source can no longer take rows.
func (s *PushSource) finished() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed || s.stopped()
}

// stopped reports whether the receiver has stopped, or its query has (its
// Run may not have noticed yet). s.mu must be held.
func (s *PushSource) stopped() bool {
	return s.ended || (s.runCtx != nil && s.runCtx.Err() != nil)
}

// send hands a full row to the running receiver.
func (s *PushSource) send(row types.Row) error {
	select {
	case <-s.ready:
	case <-s.done:
	}
	s.mu.Lock()
	switch {
	case s.closed:
		s.mu.Unlock()
		return fmt.Errorf("streamsql: push source %s: %w", s.name, ErrPushClosed)
	case s.stopped():
		s.mu.Unlock()
		return fmt.Errorf("streamsql: push source %s: %w", s.name, ErrPushStopped)
	}
	r, out := s.reader, s.out
	s.inflight++
	s.mu.Unlock()

	err := out.Emit([]types.Row{r.project(row)})

	s.mu.Lock()
	s.inflight--
	if s.inflight == 0 {
		s.idle.Broadcast()
	}
	s.mu.Unlock()
	if err != nil {
		return fmt.Errorf("streamsql: push source %s: %w", s.name, ErrPushStopped)
	}
	return nil
}

// open makes the receiver for one planned query.
func (s *PushSource) open(a sources.Args) sources.Source {
	return &pushReader{src: s, once: a.Once, schema: s.schema}
}

// pushReader is the sources.Source of one planned query over a push source.
// Only the one whose Run starts first reads it.
type pushReader struct {
	src    *PushSource
	once   bool
	schema types.Schema // the bound columns (all of them before Bind)
	cols   []int        // for each bound column, its index in src.schema; nil: all, in order
}

func (r *pushReader) Schema() sources.Schema {
	return sources.Schema{Columns: r.schema, Typed: true}
}

func (r *pushReader) Bind(columns []string) error {
	cols := make([]int, len(columns))
	bound := make(types.Schema, len(columns))
	for i, name := range columns {
		j := r.src.schema.Index(name)
		if j < 0 {
			for k, c := range r.src.schema {
				if strings.EqualFold(c.Name, name) {
					j = k
					break
				}
			}
		}
		if j < 0 {
			return fmt.Errorf("push source %s has no column %s (columns: %s)", r.src.name, name, r.src.columnList())
		}
		cols[i], bound[i] = j, r.src.schema[j]
	}
	r.cols, r.schema = cols, bound
	if len(cols) == len(r.src.schema) {
		identity := true
		for i, j := range cols {
			identity = identity && i == j
		}
		if identity {
			r.cols = nil // rows go through as pushed
		}
	}
	return nil
}

func (r *pushReader) Bounded() bool { return r.once }

func (r *pushReader) Describe() string { return r.src.name + "() push" }

// project cuts a full row down to the bound columns.
func (r *pushReader) project(row types.Row) types.Row {
	if r.cols == nil {
		return row
	}
	out := make(types.Row, len(r.cols))
	for i, j := range r.cols {
		out[i] = row[j]
	}
	return out
}

// Run claims the push source for this query, then waits: the pushing
// goroutines emit the rows themselves. It returns when the source is
// closed (end of input) or the query stops, once no push is half done.
func (r *pushReader) Run(ctx context.Context, out sources.Emitter) error {
	s := r.src
	s.mu.Lock()
	switch {
	case s.reader != nil && s.closed:
		s.mu.Unlock()
		return nil // end of input
	case s.reader != nil && s.stopped():
		s.mu.Unlock()
		return fmt.Errorf("push source %s() fed a query that has stopped; create a new one with NewPushSource", s.name)
	case s.reader != nil:
		s.mu.Unlock()
		return fmt.Errorf("push source %s() is already read by another running query; to feed several queries, read it through one CREATE STREAM and start them together", s.name)
	}
	s.reader, s.out, s.runCtx = r, out, ctx
	close(s.ready)
	s.mu.Unlock()

	select {
	case <-s.done:
	case <-ctx.Done():
	}

	s.mu.Lock()
	s.ended = true
	for s.inflight > 0 {
		s.idle.Wait()
	}
	s.mu.Unlock()
	return nil
}

// toValue converts a pushed Go value to a value of kind k.
func toValue(v any, k types.Kind) (types.Value, error) {
	if k == types.KindDecimal {
		// A DECIMAL column takes any number (a DOUBLE by its shortest
		// text), or text spelling one.
		switch x := v.(type) {
		case nil:
			return types.Null, nil
		case types.Value:
			if x.IsNull() || x.Kind() == types.KindDecimal {
				return x, nil
			}
			if x.Kind().Numeric() {
				return expr.Cast(x, types.KindDecimal), nil
			}
		case string:
			if d, ok := types.ParseDecimal(strings.TrimSpace(x)); ok {
				return d, nil
			}
		default:
			if n, err := toValue(v, types.KindInt); err == nil {
				return expr.Cast(n, types.KindDecimal), nil
			}
			if n, err := toValue(v, types.KindFloat); err == nil && !n.IsNull() {
				return expr.Cast(n, types.KindDecimal), nil
			}
		}
		return types.Null, fmt.Errorf("cannot take %T %v as a DECIMAL", v, v)
	}
	switch x := v.(type) {
	case nil:
		return types.Null, nil
	case types.Value:
		switch {
		case x.IsNull() || x.Kind() == k:
			return x, nil
		case k == types.KindFloat && x.Kind() == types.KindInt:
			return types.Float(float64(x.AsInt())), nil
		}
		return types.Null, fmt.Errorf("cannot take a %s value", x.Kind())
	case time.Time:
		if k == types.KindTime {
			return types.Time(x), nil
		}
	case []byte:
		if k == types.KindText {
			return types.Text(string(x)), nil
		}
	default:
		rv := reflect.ValueOf(v)
		switch rv.Kind() {
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
			switch k {
			case types.KindInt:
				return types.Int(rv.Int()), nil
			case types.KindFloat:
				return types.Float(float64(rv.Int())), nil
			}
		case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
			u := rv.Uint()
			switch k {
			case types.KindInt:
				if u > math.MaxInt64 {
					return types.Null, fmt.Errorf("%d is out of the BIGINT range", u)
				}
				return types.Int(int64(u)), nil
			case types.KindFloat:
				return types.Float(float64(u)), nil
			}
		case reflect.Float32, reflect.Float64:
			if k == types.KindFloat {
				f := rv.Float()
				if math.IsNaN(f) {
					return types.Null, nil
				}
				return types.Float(f), nil
			}
		case reflect.String:
			if k == types.KindText {
				return types.Text(rv.String()), nil
			}
		case reflect.Bool:
			if k == types.KindBool {
				return types.Bool(rv.Bool()), nil
			}
		}
	}
	return types.Null, fmt.Errorf("cannot take %#v (%T)", v, v)
}

// Each calls fn with every emitted Result of the query (those with
// Emitted true; per-batch statistics alone are skipped), in order, on the
// calling goroutine, and returns when the query has ended: with Wait's
// error, or with fn's first error, after which the query is stopped and
// its remaining results are discarded. Run it in a goroutine to be called
// back while doing other work:
//
//	go func() { errc <- q.Each(func(r *streamsql.Result) error { ...; return nil }) }()
//
// Each reads Results, so a query is read either by Each or by Results,
// never both. It cannot be used on an INSERT INTO query, whose results go
// to its sink (see Progress).
func (q *Query) Each(fn func(*Result) error) error {
	if q.IsInsert() {
		return fmt.Errorf("streamsql: query %d writes to a sink (INSERT INTO); watch it with Progress", q.ID)
	}
	for res := range q.Results() {
		if !res.Emitted {
			continue
		}
		if err := fn(res); err != nil {
			q.Stop()
			for range q.Results() {
			}
			q.Wait()
			return err
		}
	}
	return q.Wait()
}
