// Package sinks holds the destinations a query's results are written to.
//
// A sink format registers a Spec from an init function in its own file, so
// adding one (a file, SQLite or Kafka sink) means adding one file. The
// console formats table, jsonl and csv live here.
package sinks

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
	"time"

	"github.com/streamsql/streamsql/types"
)

// Sink writes the results a query emits.
//
// A Sink is used from one goroutine. Sinks that share a writer (several
// queries printing to stdout) must be serialised by the caller.
type Sink interface {
	// Write is called once per batch. Results with Emitted == false carry
	// only statistics and are ignored. An error writing to the underlying
	// writer is returned. ctx bounds the write: a sink that waits (a
	// database, a broker) gives up when it is done.
	Write(ctx context.Context, r *types.Result) error
	// Close flushes what the sink buffers. It does not close the writer the
	// sink was opened on; that belongs to the caller.
	Close() error
}

// Options tune how a sink presents results and, for INSERT INTO sinks,
// where they go.
type Options struct {
	// Label names the query when several share one output; formats that
	// show a header put it there.
	Label string
	// Location is the time zone batch and window times are shown in;
	// nil means time.Local.
	Location *time.Location

	// Args and Named are the arguments of `INSERT INTO name(args...)`,
	// evaluated to constants: file('out', format => 'csv') has Args
	// ['out'] and Named {format: 'csv'}. Console sinks get none.
	Args  []types.Value
	Named map[string]types.Value
	// Columns and Kinds are the result schema (Kinds: KindNull when only
	// known at run time).
	Columns []string
	Kinds   []types.Kind
	// Key names the columns that identify a result row: the GROUP BY keys
	// and window_start/window_end when selected (always, for a windowed
	// aggregate into a sink with WindowBounds). Table sinks upsert by it,
	// so a window emitted again (EMIT CHANGES, a restart) replaces its
	// row. Empty for queries that do not aggregate: rows are appended.
	Key []string
}

func (o Options) location() *time.Location {
	if o.Location == nil {
		return time.Local
	}
	return o.Location
}

// Spec describes one sink format.
type Spec struct {
	Name  string // as given on the command line, e.g. "table"
	Usage string // one line for help output
	Open  func(w io.Writer, opts Options) (Sink, error)
	// WindowBounds marks a sink that keeps rows by key (a database
	// table): the planner adds window_start and window_end to a windowed
	// aggregate that does not select them, so the key tells windows apart
	// and one window's rows never replace another's.
	WindowBounds bool
	// Paths lists the files and directories opts name (a directory, a
	// database), for a policy on where queries may write (--allow-dir);
	// nil for a sink that names none.
	Paths func(Options) []string
}

// firstArg is Spec.Paths for a sink whose first argument is its path.
func firstArg(o Options) []string {
	if len(o.Args) == 0 {
		return nil
	}
	return []string{o.Args[0].String()}
}

// ErrClosed is returned by Write on a sink that was closed.
var ErrClosed = errors.New("sinks: write to closed sink")

var registry struct {
	sync.RWMutex
	specs map[string]*Spec
}

// Register makes a sink format available under s.Name. It panics if the
// name is empty or taken or Open is nil, as these are programming errors
// made in an init function.
func Register(s *Spec) {
	if s == nil || s.Name == "" || s.Open == nil {
		panic("sinks: Register of incomplete Spec")
	}
	registry.Lock()
	defer registry.Unlock()
	if _, dup := registry.specs[s.Name]; dup {
		panic("sinks: Register called twice for " + s.Name)
	}
	if registry.specs == nil {
		registry.specs = make(map[string]*Spec)
	}
	registry.specs[s.Name] = s
}

// Lookup returns the format registered under name.
func Lookup(name string) (*Spec, bool) {
	registry.RLock()
	defer registry.RUnlock()
	s, ok := registry.specs[name]
	return s, ok
}

// Names returns the registered format names, sorted.
func Names() []string {
	registry.RLock()
	defer registry.RUnlock()
	names := make([]string, 0, len(registry.specs))
	for n := range registry.specs {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// checkRows reports a row whose width does not match the columns, before
// anything of the result is written.
// admit is the check every row-writing sink starts Write with: a closed
// sink refuses, a result with nothing to write is skipped, and rows must
// match the columns.
func admit(r *types.Result, closed bool) (skip bool, err error) {
	switch {
	case closed:
		return true, ErrClosed
	case !r.Emitted || len(r.Rows)+len(r.Deletes) == 0:
		return true, nil
	}
	return false, checkRows(r)
}

func checkRows(r *types.Result) error {
	for i, row := range r.Rows {
		if len(row) != len(r.Columns) {
			return fmt.Errorf("sinks: row %d has %d values for %d columns", i, len(row), len(r.Columns))
		}
	}
	return nil
}
