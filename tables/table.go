package tables

import (
	"context"
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fsnotify/fsnotify"
	"github.com/streamsql/streamsql/formats"
	"github.com/streamsql/streamsql/types"
)

// Version is one complete load of a table.
type Version struct {
	Rows []types.Row // in the order of Table.Columns
	Seq  int         // 1 for the first load, then one more per reload
}

// Table is a bounded table kept in memory. Its columns are read when the
// query is planned (File, Database), which looks at the table's start
// and keeps nothing; its rows are loaded when the query starts (Load)
// and again when the data changes (Run). Every version must still have
// the planned columns, in any order, and may have more.
type Table struct {
	Columns types.Schema
	label   string
	// load reads the table; sum identifies the data read, so a change
	// event that changed nothing reloads nothing. probe reads the
	// columns only (of as few rows as tell their types).
	load  func(ctx context.Context) (cols types.Schema, rows []types.Row, sum [32]byte, err error)
	probe func(ctx context.Context) (types.Schema, error)
	sum   [32]byte
	// watch waits for the next change of the table's data; nil when the
	// table is read once.
	watch func(ctx context.Context, changed func(), logf func(string, ...any)) error
	// refresh says when the table is read again, for EXPLAIN.
	refresh string
	mu      sync.Mutex // serialises reloads
	cur     atomic.Pointer[Version]
}

// Current returns the version rows are joined with now, nil before Load.
func (t *Table) Current() *Version { return t.cur.Load() }

// Describe is the table's line in EXPLAIN.
func (t *Table) Describe() string { return t.label }

// Refresh says when the table is read again.
func (t *Table) Refresh() string {
	if t.watch == nil {
		return "read once"
	}
	return t.refresh
}

// plan reads the columns the query is planned against: an error here
// is a planning error.
func (t *Table) plan(ctx context.Context) error {
	cols, err := t.probe(ctx)
	if err != nil {
		return err
	}
	t.Columns = cols
	return nil
}

// Load reads the first version, when the query starts. A table that
// lost a planned column since is an error.
func (t *Table) Load(ctx context.Context) error {
	v, err := t.reload(ctx, true)
	if err != nil {
		return fmt.Errorf("%s: %w", t.label, err)
	}
	t.cur.Store(v)
	return nil
}

// Reload reads the table again and swaps the new version in, unless the
// data has not changed (then it returns nil, nil). On error the current
// version stays and the error says why.
func (t *Table) Reload(ctx context.Context) (*Version, error) {
	return t.reload(ctx, false)
}

func (t *Table) reload(ctx context.Context, first bool) (*Version, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	cols, rows, sum, err := t.load(ctx)
	if err != nil {
		return nil, err
	}
	if sum == t.sum && !first {
		return nil, nil
	}
	idx := make([]int, len(t.Columns))
	for i, c := range t.Columns {
		idx[i] = cols.Index(c.Name)
		if idx[i] < 0 {
			for j, n := range cols {
				if strings.EqualFold(n.Name, c.Name) {
					idx[i] = j
				}
			}
		}
		if idx[i] < 0 {
			return nil, fmt.Errorf("column %q is missing (the query reads it)", c.Name)
		}
	}
	out := make([]types.Row, len(rows))
	arena := make([]types.Value, len(rows)*len(idx))
	for r, row := range rows {
		o := arena[r*len(idx) : (r+1)*len(idx) : (r+1)*len(idx)]
		for i, j := range idx {
			o[i] = row[j]
		}
		out[r] = o
	}
	v := &Version{Rows: out, Seq: 1}
	if !first {
		v.Seq = t.cur.Load().Seq + 1
		t.cur.Store(v)
	}
	t.sum = sum
	return v, nil
}

// Run keeps the table up to date until ctx is done: after each change of
// its data it is reloaded, and the outcome reported to logf. A table read
// once returns at once.
func (t *Table) Run(ctx context.Context, logf func(string, ...any)) {
	if t.watch == nil {
		return
	}
	changed := func() {
		switch v, err := t.Reload(ctx); {
		case err != nil:
			logf("%s: new version not loaded, keeping version %d: %v", t.label, t.Current().Seq, err)
		case v != nil:
			logf("%s: reloaded version %d (%d rows)", t.label, v.Seq, len(v.Rows))
		}
	}
	err := t.watch(ctx, changed, logf)
	if err != nil && ctx.Err() == nil {
		logf("%s: no longer watched: %v", t.label, err)
	}
}

// settle is how long a table file must stay unchanged after a write
// before it is read, so a file written in place is not read half-written.
// Replacing the file by a rename is read at once.
const settle = 100 * time.Millisecond

// File is a table stored in a file: CSV with a header or JSON lines, the
// format taken from args ("format") or the file's extension (.csv;
// .jsonl, .ndjson, .json). Its columns are read now; with watch the file
// is reloaded whenever it changes once loaded (fsnotify on its
// directory, so a file replaced by a rename is seen too).
func File(path string, args formats.Settings, watch bool) (*Table, error) {
	if _, ok := args["format"]; !ok {
		f, err := formatOf(path)
		if err != nil {
			return nil, err
		}
		named := formats.Settings{"format": types.Text(f)}
		for k, v := range args {
			named[k] = v
		}
		args = named
	}
	if _, err := formats.Open(args); err != nil {
		return nil, err
	}
	t := &Table{label: "table(" + quote(path) + ")"}
	t.load = func(context.Context) (types.Schema, []types.Row, [32]byte, error) {
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, nil, [32]byte{}, err
		}
		cols, rows, err := formats.ReadAll(data, path, args)
		return cols, rows, sha256.Sum256(data), err
	}
	// A table file is read whole for its columns (a JSON field may first
	// appear on any line); the rows are dropped until Load.
	t.probe = func(ctx context.Context) (types.Schema, error) {
		cols, _, _, err := t.load(ctx)
		return cols, err
	}
	if watch {
		t.refresh = "reloaded when it changes"
		t.watch = func(ctx context.Context, changed func(), logf func(string, ...any)) error {
			return watchFile(ctx, path, changed)
		}
	}
	if err := t.plan(context.Background()); err != nil {
		return nil, err
	}
	return t, nil
}

func formatOf(path string) (string, error) {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".csv":
		return "csv", nil
	case ".jsonl", ".ndjson", ".json":
		return "jsonl", nil
	}
	return "", fmt.Errorf("cannot tell the format of %s from its extension; add format => 'csv' or format => 'jsonl'", quote(path))
}

func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// watchFile calls changed after each change of path: at once when it is
// renamed into place, after settle when it is written in place.
func watchFile(ctx context.Context, path string, changed func()) error {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return err
	}
	defer w.Close()
	abs, err := filepath.Abs(path)
	if err != nil {
		return err
	}
	if err := w.Add(filepath.Dir(abs)); err != nil {
		return err
	}
	// A change made between the first load and now had no watch to see
	// it.
	changed()
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case err, ok := <-w.Errors:
			if !ok {
				return nil
			}
			return err
		case ev, ok := <-w.Events:
			if !ok {
				return nil
			}
			if filepath.Clean(ev.Name) != abs {
				continue
			}
			switch {
			case ev.Has(fsnotify.Create):
				// Renamed (or created) into place: complete, unless it
				// is still being written, which later events show.
				timer.Reset(settle / 10)
			case ev.Has(fsnotify.Write):
				timer.Reset(settle)
			}
		case <-timer.C:
			changed()
		}
	}
}
