package sinks

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/streamsql/streamsql/types"
)

// The file sink writes each emission to a file of its own in a directory,
// as Spark's saveAsTextFiles does, named by the batch time:
//
//	part-20261128T213010.000Z.jsonl
//
// that is prefix, '-', the batch time in UTC as yyyyMMdd'T'HHmmss.SSS'Z'
// (fixed width, so names sort in time order), then .jsonl or .csv. Rows are
// rendered by the jsonl or csv console format (csv: a header per file).
//
// A file appears whole or not at all: it is written under a temporary name
// in the same directory starting with '.' (which directory watchers, this
// project's file source included, skip), synced, then renamed into place.
// A result emitted again for the same batch time replaces the file. An
// emission with no rows writes no file.
func init() {
	Register(&Spec{
		Name: "file",
		Usage: "file('dir', format => 'jsonl'|'csv', prefix => 'part'): one file per emission, " +
			"dir/prefix-yyyyMMddTHHmmss.SSSZ.format, written atomically",
		Open:  openFile,
		Paths: firstArg,
	})
}

// fileTimeLayout names a file by its batch time (UTC, a 'Z' is appended).
const fileTimeLayout = "20060102T150405.000"

var fileFormats = map[string]string{"jsonl": ".jsonl", "csv": ".csv"}

type fileSink struct {
	dir    string
	prefix string
	format string // a console sink: jsonl or csv
	ext    string
	opts   Options
	buf    bytes.Buffer
	closed bool
}

func openFile(_ io.Writer, opts Options) (Sink, error) {
	pos, named, err := insertArgs("file", opts, []string{"dir"},
		map[string]string{"format": "jsonl", "prefix": "part"})
	if err != nil {
		return nil, err
	}
	dir, prefix, format := pos[0], named["prefix"], strings.ToLower(named["format"])
	if dir == "" {
		return nil, errors.New("file(): the directory is empty")
	}
	ext, ok := fileFormats[format]
	if !ok {
		return nil, fmt.Errorf("file(): format must be 'jsonl' or 'csv', got %q", named["format"])
	}
	if prefix == "" || strings.HasPrefix(prefix, ".") || strings.ContainsAny(prefix, `/\`) || strings.IndexByte(prefix, 0) >= 0 {
		return nil, fmt.Errorf("file(): prefix %q must be a plain file name not starting with '.'", prefix)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("file sink: %w", err)
	}
	return &fileSink{dir: dir, prefix: prefix, format: format, ext: ext, opts: opts}, nil
}

// name is the file a result emitted at batch time t goes to.
func (s *fileSink) name(t time.Time) string {
	return s.prefix + "-" + t.UTC().Format(fileTimeLayout) + "Z" + s.ext
}

func (s *fileSink) Write(ctx context.Context, r *types.Result) error {
	if skip, err := admit(r, s.closed); skip || err != nil {
		return err
	}
	s.buf.Reset()
	spec, _ := Lookup(s.format)
	render, err := spec.Open(&s.buf, Options{Label: s.opts.Label, Location: s.opts.Location})
	if err != nil {
		return err
	}
	if err := render.Write(ctx, r); err != nil {
		return err
	}
	if err := render.Close(); err != nil {
		return err
	}
	err = s.writeFile(s.name(r.Time), s.buf.Bytes())
	if s.buf.Cap() > 1<<20 {
		s.buf = bytes.Buffer{} // do not pin one huge result's memory
	}
	return err
}

// writeFile replaces dir/name with data atomically: a temporary file
// beside it, synced, renamed over it, and the directory synced so the
// rename survives a crash.
func (s *fileSink) writeFile(name string, data []byte) (err error) {
	tmp, err := os.CreateTemp(s.dir, "."+name+".*.tmp")
	if err != nil {
		return fmt.Errorf("file sink: %w", err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
			err = fmt.Errorf("file sink: writing %s: %w", filepath.Join(s.dir, name), err)
		}
	}()
	if _, err = tmp.Write(data); err != nil {
		return err
	}
	if err = tmp.Chmod(0o644); err != nil {
		return err
	}
	if err = tmp.Sync(); err != nil {
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	if err = os.Rename(tmp.Name(), filepath.Join(s.dir, name)); err != nil {
		return err
	}
	return syncDir(s.dir)
}

// syncDir makes a rename in dir durable. Systems that cannot sync a
// directory (an EINVAL or a permission error opening it) are let be.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return nil
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, syscall.EINVAL) {
		return err
	}
	return nil
}

func (s *fileSink) Close() error {
	s.closed = true
	return nil
}
