package sources

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/fsnotify/fsnotify"
)

// defaultSettle is how long a new file must stay quiet (no Create or Write
// event) before it is read, so a file written in place is not read
// half-written.
const defaultSettle = 100 * time.Millisecond

// sampleBytes bounds how much of the files present at Open is read to infer
// a jsonl or csv schema.
const sampleBytes = 16 << 20

func init() {
	Register(&Spec{
		Name:    "file",
		Usage:   "file(dir [, " + FormatUsage + "])",
		MaxArgs: 1,
		Options: FormatOptions,
		Open:    openFile,
	})
}

// fileSource reads the files of a directory. Live, it reads every file
// created in or moved into the directory after Run starts, once, completely
// (Spark's textFileStream: write elsewhere, then move in). Bounded (Once),
// it reads the files present now in name order and ends.
type fileSource struct {
	dir    string
	once   bool
	dec    Decoder
	settle time.Duration
}

func openFile(args Args) (Source, error) {
	dir, err := args.Text("file", 0, "dir")
	if err != nil {
		return nil, err
	}
	fi, err := os.Stat(dir)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("file(): directory %q does not exist", dir)
		}
		return nil, fmt.Errorf("file(): %v", err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("file(): %q is not a directory", dir)
	}
	dec, err := OpenDecoder(args)
	if err != nil {
		return nil, fmt.Errorf("file(): %v", err)
	}
	s := &fileSource{dir: dir, once: args.Once, dec: dec, settle: defaultSettle}
	if sm, ok := dec.(Sampler); ok {
		sm.SampleSchema(s.sample())
	}
	return s, nil
}

func (s *fileSource) Schema() Schema              { return s.dec.Schema() }
func (s *fileSource) Bind(columns []string) error { return s.dec.Bind(columns) }
func (s *fileSource) Bounded() bool               { return s.once }

func (s *fileSource) Describe() string {
	mode := "live"
	if s.once {
		mode = "bounded"
	}
	return fmt.Sprintf("file(%s) format=%s %s", sqlQuote(s.dir), s.dec.Name(), mode)
}

func sqlQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

// ignored reports whether a file name is skipped: hidden files and the
// temporary names editors and copy tools write before renaming.
func ignored(name string) bool {
	return strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") || strings.HasSuffix(name, ".tmp")
}

// listFiles returns the names of the directory's entries that are not
// ignored, in name order. Whether they are regular files is checked when
// they are read.
func (s *fileSource) listFiles() ([]string, error) {
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		if !ignored(e.Name()) && !e.IsDir() {
			names = append(names, e.Name())
		}
	}
	return names, nil
}

// sample returns the first non-blank records of the files now in the
// directory (name order), one slice per file, up to sampleLines records
// and about sampleBytes in all. A record cut short by the byte limit is
// dropped. Unreadable files are passed over; Run reports them.
func (s *fileSource) sample() [][][]byte {
	names, err := s.listFiles()
	if err != nil {
		return nil
	}
	var streams [][][]byte
	n, total := 0, 0
	for _, name := range names {
		if n >= sampleLines || total >= sampleBytes {
			break
		}
		f, err := openRegular(filepath.Join(s.dir, name))
		if err != nil || f == nil {
			continue
		}
		lim := &io.LimitedReader{R: f, N: int64(sampleBytes - total)}
		rr := newRecordReader(s.dec, lim)
		var recs [][]byte
		for n < sampleLines {
			rec, _, err := rr.next()
			if err != nil || lim.N == 0 {
				break
			}
			total += len(rec) + 1
			if !isBlank(rec) {
				recs = append(recs, append([]byte(nil), rec...))
				n++
			}
		}
		f.Close()
		if len(recs) > 0 {
			streams = append(streams, recs)
		}
	}
	return streams
}

// openRegular opens path if it is a regular file; it returns nil, nil for
// anything else (a directory, a pipe).
func openRegular(path string) (*os.File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, nil
	}
	return f, nil
}

// readFile reads one file completely. A file that is gone or unreadable is
// logged and skipped. It returns errStopped when the query is stopping.
func (s *fileSource) readFile(ctx context.Context, name string, out Emitter) error {
	path := filepath.Join(s.dir, name)
	f, err := openRegular(path)
	if err != nil {
		out.Logf("file(): warning: skipping %s: %v", path, err)
		return nil
	}
	if f == nil {
		return nil
	}
	defer f.Close()
	err = readRecords(ctx, f, path, s.dec, out)
	if err == errStopped {
		return err
	}
	if err != nil {
		out.Logf("file(): warning: reading %s: %v", path, err)
	}
	return nil
}

func (s *fileSource) Run(ctx context.Context, out Emitter) error {
	if s.once {
		return s.readAll(ctx, out)
	}
	return s.watch(ctx, out)
}

func (s *fileSource) readAll(ctx context.Context, out Emitter) error {
	names, err := s.listFiles()
	if err != nil {
		return fmt.Errorf("file(): %v", err)
	}
	for _, name := range names {
		if ctx.Err() != nil {
			return nil
		}
		if s.readFile(ctx, name, out) == errStopped {
			return nil
		}
	}
	return nil
}

// pendingFile is a new file waiting to settle before it is read.
type pendingFile struct {
	seq uint64    // order of its Create event
	due time.Time // settle time after its last Create/Write event
}

func (s *fileSource) watch(ctx context.Context, out Emitter) error {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return fmt.Errorf("file(): cannot watch %q: %v", s.dir, err)
	}
	defer w.Close()
	if err := w.Add(s.dir); err != nil {
		return fmt.Errorf("file(): cannot watch %q: %v", s.dir, err)
	}
	out.Logf("watching %s for new files", s.dir)

	self := filepath.Clean(s.dir)
	pending := map[string]*pendingFile{}
	var seq uint64
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	armed := false
	// Every new due time is now+settle, so never earlier than one already
	// pending: an armed timer stays correct and only needs setting when
	// idle or after it fired.
	arm := func() {
		if armed || len(pending) == 0 {
			return
		}
		first := time.Time{}
		for _, p := range pending {
			if first.IsZero() || p.due.Before(first) {
				first = p.due
			}
		}
		timer.Reset(time.Until(first))
		armed = true
	}
	defer timer.Stop()

	for {
		select {
		case <-ctx.Done():
			return nil

		case ev, ok := <-w.Events:
			if !ok {
				return nil
			}
			if filepath.Clean(ev.Name) == self {
				if ev.Has(fsnotify.Remove) || ev.Has(fsnotify.Rename) {
					return fmt.Errorf("file(): directory %q was removed", s.dir)
				}
				continue
			}
			name := filepath.Base(ev.Name)
			if ignored(name) {
				continue
			}
			switch {
			case ev.Has(fsnotify.Remove) || ev.Has(fsnotify.Rename):
				delete(pending, name) // gone before it settled
			case ev.Has(fsnotify.Create):
				if p, ok := pending[name]; ok {
					p.due = time.Now().Add(s.settle)
				} else {
					seq++
					pending[name] = &pendingFile{seq: seq, due: time.Now().Add(s.settle)}
				}
				arm()
			case ev.Has(fsnotify.Write):
				// Only files seen created are read: writes to files that
				// were there before Run, or already read, are ignored.
				if p, ok := pending[name]; ok {
					p.due = time.Now().Add(s.settle)
				}
			}

		case err, ok := <-w.Errors:
			if !ok {
				return nil
			}
			if errors.Is(err, fsnotify.ErrEventOverflow) {
				out.Logf("file(): warning: %s: too many file events at once; some new files may have been missed", s.dir)
			} else {
				out.Logf("file(): warning: watching %s: %v", s.dir, err)
			}

		case <-timer.C:
			armed = false
			now := time.Now()
			var due []string
			for name, p := range pending {
				if !p.due.After(now) {
					due = append(due, name)
				}
			}
			sort.Slice(due, func(i, j int) bool { return pending[due[i]].seq < pending[due[j]].seq })
			for _, name := range due {
				delete(pending, name)
			}
			for _, name := range due {
				if s.readFile(ctx, name, out) == errStopped {
					return nil
				}
			}
			arm()
		}
	}
}
