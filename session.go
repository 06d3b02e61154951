package streamsql

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/streamsql/streamsql/planner"
	"github.com/streamsql/streamsql/types"
)

// This file holds what an interactive session (the REPL, a server) asks of
// an engine besides running statements: the queries running, the streams
// defined and their columns, and settings that change between queries.

// Queries returns the queries running now, in the order they were
// started. A query leaves the list once its job has ended.
func (e *Engine) Queries() []*Query {
	e.mu.Lock()
	qs := make([]*Query, 0, len(e.queries))
	for _, q := range e.queries {
		qs = append(qs, q)
	}
	e.mu.Unlock()
	sort.Slice(qs, func(i, j int) bool { return qs[i].ID < qs[j].ID })
	return qs
}

// QueryByID returns the running query with the given ID.
func (e *Engine) QueryByID(id int) (*Query, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	q, ok := e.queries[id]
	return q, ok
}

// StreamNames returns the names of the defined streams, as written in
// their CREATE STREAM, sorted.
func (e *Engine) StreamNames() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]string, 0, len(e.streams))
	for _, s := range e.streams {
		out = append(out, s.name)
	}
	sort.Strings(out)
	return out
}

// DescribeStream returns the columns of a named stream and the types they
// are known to hold (KindNull: known only at run time). The stream's
// query is planned, not run. An unknown name is an error wrapping
// ErrNotFound.
func (e *Engine) DescribeStream(name string) ([]types.Column, error) {
	c := &catalog{e: e, plans: map[string]*planner.Plan{}}
	c.opts = e.planOptions(context.Background(), c)
	p, ok, err := c.Stream(name)
	if !ok {
		msg := fmt.Sprintf("stream %q does not exist", name)
		if names := c.Names(); len(names) > 0 {
			msg += " (streams: " + strings.Join(names, ", ") + ")"
		}
		return nil, notFound(msg)
	}
	if err != nil {
		return nil, err
	}
	cols := make([]types.Column, len(p.Columns))
	for i, n := range p.Columns {
		cols[i].Name = n
		if i < len(p.Kinds) {
			cols[i].Type = p.Kinds[i]
		}
	}
	return cols, nil
}

// SetBatchInterval changes the micro-batch interval of the queries
// prepared and started from now on; running queries keep theirs.
func (e *Engine) SetBatchInterval(d time.Duration) error {
	if d <= 0 {
		return fmt.Errorf("streamsql: batch interval must be positive, got %s", d)
	}
	e.mu.Lock()
	e.cfg.BatchInterval = d
	e.mu.Unlock()
	return nil
}

// BatchInterval returns the micro-batch interval new queries get.
func (e *Engine) BatchInterval() time.Duration {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.cfg.BatchInterval
}

// notFound is an error saying what does not exist, of the class
// ErrNotFound.
type notFound string

func (e notFound) Error() string { return string(e) }
func (e notFound) Unwrap() error { return planner.ErrSourceNotFound }
