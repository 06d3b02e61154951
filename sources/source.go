// Package sources holds the receivers that turn external data into rows:
// files dropped into a watched directory, standard input, sockets, HTTP
// posts and generated data; Kafka lives in sources/kafka. Each source
// registers a Spec by name, so the planner finds `file(...)` in FROM
// through Lookup and adding a source is one new file, in this package or
// in a package of its own (see sources/kafka and examples/source).
//
// A source runs in its own goroutine and hands rows to the scheduler through
// an Emitter; the scheduler decides which batch they belong to. Its Spec's
// Open checks the arguments and may look at the input (a directory's
// files, for a schema), but acquires nothing: Run opens the input and
// releases it when it returns.
//
// Formats (text, csv, jsonl, declared schemas, the framing of records
// and the max_line and dead_letter options) are package formats; this
// package carries the bytes. What a source outside this package needs is
// exported: Args and OpenDecoder, rows in chunks of ChunkRows
// (ReadRecords reads a whole stream), positions for checkpoints (EmitAt,
// Resumer), splits for per-partition watermarks (EmitSplit), and
// rejected records and dead letters (WithRejects, Reject); package
// sourcetest has the test helpers.
package sources

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/streamsql/streamsql/formats"

	"github.com/streamsql/streamsql/types"
)

// Source is a running receiver bound to a query.
type Source interface {
	// Schema is the columns the source yields, in order. Before Bind it is
	// what the source knows (possibly nothing, for schemaless JSON); after
	// Bind it is exactly the bound columns.
	Schema() Schema
	// Bind fixes the columns the query reads, in the order rows must carry
	// them. Sources that decode records skip the fields nobody reads.
	Bind(columns []string) error
	// Bounded reports whether Run returns once the input is exhausted.
	Bounded() bool
	// Run delivers rows until the input ends (bounded sources), ctx is
	// cancelled, or a fatal error occurs. It returns nil at end of input and
	// on cancellation.
	Run(ctx context.Context, out Emitter) error
	// Describe is the one-line summary EXPLAIN prints.
	Describe() string
}

// LineJoiner is a Source whose text lines a query reading nothing but
// their words (the word count) may take many in one row, since the words
// are the same (formats.JoinLines): no row, copy or check per line.
type LineJoiner interface {
	// JoinLines reports whether the source will join lines from now on.
	JoinLines() bool
}

// Schema is what a source knows about its columns before the query
// binds it: its format's (formats.Schema), or one of its own.
type Schema = formats.Schema

// Emitter receives what a source reads.
type Emitter interface {
	// Emit hands over a chunk of rows. The source must not touch rows
	// after the call. It blocks while the query is busy (backpressure) and
	// returns an error once the query has ended. A query that is stopping
	// gracefully cancels the source's context and still takes what the
	// source hands over until Run returns.
	Emit(rows []types.Row) error
	// Malformed reports a record that was skipped because it did not
	// decode; the query counts it and keeps running.
	Malformed(err error)
	// Logf reports something the user should know that is not data: a
	// watch being ready ("watching dir for new files"), a file skipped
	// because it could not be read.
	Logf(format string, args ...any)
}

// Args are the arguments of a source call in FROM, already evaluated to
// constants by the planner.
type Args struct {
	Positional []types.Value
	Named      map[string]types.Value
	// Once asks for bounded reading: a watched directory is read as it is
	// now, then the source ends.
	Once bool
}

// Text returns positional argument i as text, or an error naming the
// source's parameter.
func (a Args) Text(source string, i int, param string) (string, error) {
	if i >= len(a.Positional) {
		return "", fmt.Errorf("%s() needs argument %d (%s)", source, i+1, param)
	}
	v := a.Positional[i]
	if v.Kind() != types.KindText {
		return "", fmt.Errorf("%s(): argument %d (%s) must be a string, got %s", source, i+1, param, v.Kind())
	}
	return v.AsText(), nil
}

// OpenDecoder returns the decoder the format options among args' named
// arguments ask for (formats.Options).
func OpenDecoder(args Args) (formats.Decoder, error) {
	return formats.Open(formats.Settings(args.Named))
}

// Option returns named argument name as text, or def when absent.
func (a Args) Option(name, def string) string {
	if v, ok := a.Named[name]; ok {
		return v.String()
	}
	return def
}

// Spec describes a source for the registry.
type Spec struct {
	Name string
	// Usage is shown in errors and docs, e.g. "file(dir, format => 'text'|'jsonl')".
	Usage string
	// MaxArgs is the number of positional arguments accepted.
	MaxArgs int
	// Options are the named arguments accepted.
	Options []string
	Open    func(Args) (Source, error)
	// Paths lists the files and directories args name (file()'s
	// directory), for a policy on where queries may read (--allow-dir);
	// nil for a source that names none. PathsOf adds the dead letter file
	// every source with a format may name.
	Paths func(Args) []string
}

// firstArg is Spec.Paths for a source whose first argument is its path.
func firstArg(a Args) []string {
	if len(a.Positional) == 0 {
		return nil
	}
	return []string{a.Positional[0].String()}
}

// PathsOf is every file or directory a source opened with args would
// read or write.
func (s *Spec) PathsOf(args Args) []string {
	var out []string
	if s.Paths != nil {
		out = s.Paths(args)
	}
	if v, ok := args.Named["dead_letter"]; ok {
		out = append(out, v.String())
	}
	return out
}

var (
	registryMu sync.RWMutex // sources registered at run time (push sources) race with planning
	registry   = map[string]*Spec{}
)

// Register adds a source. It is called from init functions.
func Register(s *Spec) {
	registryMu.Lock()
	defer registryMu.Unlock()
	if _, dup := registry[s.Name]; dup {
		panic("sources: duplicate source " + s.Name)
	}
	registry[s.Name] = s
}

// Lookup finds a source by name (case-insensitive).
func Lookup(name string) (*Spec, bool) {
	registryMu.RLock()
	defer registryMu.RUnlock()
	s, ok := registry[strings.ToLower(name)]
	return s, ok
}

// Names lists the registered sources, sorted.
func Names() []string {
	registryMu.RLock()
	defer registryMu.RUnlock()
	out := make([]string, 0, len(registry))
	for n := range registry {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Open checks args against the spec, then opens the source.
func (s *Spec) OpenChecked(args Args) (Source, error) {
	if len(args.Positional) > s.MaxArgs {
		return nil, fmt.Errorf("%s() takes at most %d positional argument(s); usage: %s", s.Name, s.MaxArgs, s.Usage)
	}
	for name := range args.Named {
		found := false
		for _, o := range s.Options {
			if o == name {
				found = true
				break
			}
		}
		if !found {
			return nil, fmt.Errorf("%s() has no option %q; usage: %s", s.Name, name, s.Usage)
		}
	}
	return s.Open(args)
}
