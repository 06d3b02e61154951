package sources

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/streamsql/streamsql/formats"

	"github.com/fsnotify/fsnotify"
	"github.com/streamsql/streamsql/types"
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
		Usage:   "file(dir [, start => 'latest'|'earliest', tail => false, " + formats.Usage + "])",
		MaxArgs: 1,
		Options: append([]string{"start", "tail"}, formats.Options...),
		Open:    openFile,
		Paths:   firstArg,
	})
}

// fileSource reads the files of a directory. Live, it reads every file
// created in or moved into the directory after Run starts, once, completely
// (Spark's textFileStream: write elsewhere, then move in). The files
// present when Run starts are skipped, and how many is reported, unless
// start => 'earliest': then they are read first, in name order. Bounded
// (Once), it reads the files present now in name order and ends, whatever
// start says.
//
// With tail => true it follows the files as they grow, like tail -F (see
// fileSource.follow); start => 'earliest' reads the files present from
// their start instead of their end. Under Once the tail option changes
// nothing: the files present are read completely.
//
// Checkpointed (Resume), the directory's files are the input: every file
// not done is read, present at the first start or not; start =>
// 'earliest' changes nothing and start => 'latest' is refused.
type fileSource struct {
	dir    string
	once   bool
	tail   bool
	start  string          // "earliest", "latest", or "" when not given (latest)
	args   Args            // to make a decoder per followed file (tail)
	dec    formats.Decoder // bound to the query's columns
	settle time.Duration
	// progress is set by Resume when the query checkpoints.
	progress *fileProgress
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
		return nil, fmt.Errorf("file(): %w", err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("file(): %q is not a directory", dir)
	}
	tail := false
	if _, ok := args.Named["tail"]; ok {
		v := args.Option("tail", "")
		if tail, err = strconv.ParseBool(strings.ToLower(strings.TrimSpace(v))); err != nil {
			return nil, fmt.Errorf("file(): tail must be true or false, got %s", formats.Quote(v))
		}
	}
	start := ""
	if _, ok := args.Named["start"]; ok {
		start = strings.ToLower(strings.TrimSpace(args.Option("start", "")))
		if start != "earliest" && start != "latest" {
			return nil, fmt.Errorf("file(): start must be 'latest' (only files that arrive after the query starts) or 'earliest' (the files already there too), got %s",
				formats.Quote(args.Option("start", "")))
		}
	}
	dec, err := OpenDecoder(args)
	if err != nil {
		return nil, fmt.Errorf("file(): %w", err)
	}
	s := &fileSource{dir: dir, once: args.Once, tail: tail && !args.Once, start: start, args: args, dec: dec, settle: defaultSettle}
	if sm, ok := dec.(formats.Sampler); ok {
		sm.SampleSchema(s.sample())
	}
	return s, nil
}

func (s *fileSource) Schema() Schema              { return s.dec.Schema() }
func (s *fileSource) Bind(columns []string) error { return s.dec.Bind(columns) }
func (s *fileSource) Bounded() bool               { return s.once }

func (s *fileSource) Describe() string {
	mode := "live"
	switch {
	case s.once:
		mode = "bounded"
	case s.tail:
		mode = "tail"
	}
	if s.start == "earliest" && !s.once {
		mode += " start=earliest"
	}
	return fmt.Sprintf("file(%s) format=%s %s", formats.Quote(s.dir), s.dec.Name(), mode)
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
// directory (name order), one slice per file, up to formats.SampleLines records
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
		if n >= formats.SampleLines || total >= sampleBytes {
			break
		}
		f, err := openRegular(filepath.Join(s.dir, name))
		if err != nil || f == nil {
			continue
		}
		lim := &io.LimitedReader{R: f, N: int64(sampleBytes - total)}
		rr := formats.NewRecordReader(s.dec, lim)
		var recs [][]byte
		for n < formats.SampleLines {
			rec, _, err := rr.Next()
			if formats.IsTooLong(err) {
				continue
			}
			if err != nil || lim.N == 0 {
				break
			}
			total += len(rec) + 1
			if !formats.IsBlank(rec) {
				recs = append(recs, bytes.Clone(formats.ValidUTF8(rec)))
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
	if p := s.progress; p != nil {
		if p.doneSet[name] {
			return nil
		}
		err := s.readOnce(ctx, name, out)
		if err != errStopped {
			p.markDone(name)
		}
		return err
	}
	return s.readOnce(ctx, name, out)
}

func (s *fileSource) readOnce(ctx context.Context, name string, out Emitter) error {
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
	if p := s.progress; p != nil {
		var skip int64
		if p.resuming && name == p.resume {
			skip, p.resuming = p.skip, false
		}
		done := p.done
		err = readWhole(ctx, f, path, s.dec, out, skip, func(n int64) Position {
			return filePos{done: done, file: name, records: n}
		})
	} else {
		err = readWhole(ctx, f, path, s.dec, out, 0, nil)
	}
	if err == errStopped {
		return err
	}
	if err != nil {
		out.Logf("file(): warning: reading %s: %v", path, err)
	}
	return nil
}

// label names the source in dead letters: file('dir').
func (s *fileSource) Label() string { return "file(" + formats.Quote(s.dir) + ")" }

// plural is "1 file" or "2 files".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

// JoinLines hands a query that reads nothing but the words of the lines
// runs of whole lines in one row (formats.JoinLines); followed files
// (tail => true) keep one row per line, read as they grow.
func (s *fileSource) JoinLines() bool {
	return !s.tail && formats.JoinLines(s.dec)
}

func (s *fileSource) Run(ctx context.Context, out Emitter) error {
	out, done := WithRejects(out, s.dec, s.Label())
	defer done()
	if s.once {
		return s.readAll(ctx, out)
	}
	if s.tail {
		return s.follow(ctx, out)
	}
	return s.watch(ctx, out)
}

func (s *fileSource) readAll(ctx context.Context, out Emitter) error {
	names, err := s.listFiles()
	if s.progress != nil {
		names, err = s.backlog()
	}
	if err != nil {
		return fmt.Errorf("file(): %w", err)
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
		return fmt.Errorf("file(): cannot watch %q: %w", s.dir, err)
	}
	defer w.Close()
	if err := w.Add(s.dir); err != nil {
		return fmt.Errorf("file(): cannot watch %q: %w", s.dir, err)
	}
	// existing are the files read before watching (start => 'earliest'):
	// their Create events, if they arrived during the listing, are not
	// news.
	var existing map[string]os.FileInfo
	if s.progress == nil {
		names, err := s.listFiles()
		if err != nil {
			return fmt.Errorf("file(): %w", err)
		}
		if s.start != "earliest" {
			if len(names) > 0 {
				out.Logf("%s: skipped %s; use start => 'earliest' to read them", s.Label(), plural(len(names), "existing file", "existing files"))
			}
		} else {
			existing = map[string]os.FileInfo{}
			for _, name := range names {
				if fi, err := os.Stat(filepath.Join(s.dir, name)); err == nil {
					existing[name] = fi
				}
				if s.readFile(ctx, name, out) == errStopped {
					return nil
				}
			}
		}
	}
	if s.progress != nil {
		// Watching began first, so a file arriving now is either listed
		// here or seen as an event (and then skipped as done).
		names, err := s.backlog()
		if err != nil {
			return fmt.Errorf("file(): %w", err)
		}
		for _, name := range names {
			if s.readFile(ctx, name, out) == errStopped {
				return nil
			}
		}
	}
	// Said once the directory was listed: a test (or a user) that waits
	// for it knows every later file is seen.
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
			name, ok, err := s.eventName(ev, self)
			if err != nil {
				return err
			}
			if !ok {
				continue
			}
			switch {
			case ev.Has(fsnotify.Remove) || ev.Has(fsnotify.Rename):
				delete(pending, name) // gone before it settled
			case ev.Has(fsnotify.Create):
				if fi, ok := existing[name]; ok {
					delete(existing, name)
					if now, err := os.Stat(filepath.Join(s.dir, name)); err == nil && os.SameFile(fi, now) {
						continue // read already, as a file present at start
					}
				}
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

// tailGrace is how long a followed file renamed away is kept open, in case
// it shows up under another name in the directory (log rotation within the
// directory), before it is finished and closed.
const tailGrace = time.Second

// tailFile is a file followed by tail => true.
type tailFile struct {
	path string
	info os.FileInfo // identity, for os.SameFile
	f    *os.File    // nil until first read (files present at start)
	// size0 is the size of a file present at start, followed from the end
	// of its last complete line at that size; -1 for a file read from 0
	// (0 for a file present at start read from 0: start => 'earliest').
	size0  int64
	start  int64 // offset reading began at
	dec    formats.Decoder
	gate   *lineGate
	rr     formats.RecordReader
	broken bool      // could not be read: reported once, then left alone
	moved  time.Time // when it was renamed away
}

// pos is the offset of the next byte to read from the file.
func (t *tailFile) pos() int64 { return t.start + t.gate.n }

// label names the file in malformed-record reports. Line numbers count
// from where reading began, so a file followed from its end says so.
func (t *tailFile) Label() string {
	if t.start > 0 {
		return fmt.Sprintf("%s (from byte %d)", t.path, t.start)
	}
	return t.path
}

// follow runs file(dir, tail => true): like tail -F on every file of the
// directory (but for ignored names and subdirectories).
//
//   - Files present when Run starts are followed from their end (the end of
//     their last complete line): what they hold is not read, lines
//     appended later are. For a csv file the header is still taken from
//     its first record.
//   - Files created in or moved into the directory later are read from
//     their start, then followed.
//   - Appended lines are read as they arrive; a last line without its
//     newline waits for it. A csv record with a quoted newline must be
//     written whole: cut at a momentary end of the file it is malformed.
//   - Rotation by rename: the old file's remaining bytes are read from the
//     open handle; if it reappears under another name in the directory
//     (app.log -> app.log.1) it goes on being followed there without being
//     read again, else it is finished a second later (its last line counts
//     even without a newline) and closed. The new file at the watched name
//     is read from 0.
//   - A file shorter than what was read of it was truncated: it is read
//     again from 0, which is reported through Logf. (A file truncated and
//     then grown past the old offset before the next read cannot be told
//     from one appended to, as with tail.)
//   - A removed file is finished from the open handle.
//
// Each file has its own decoder, so csv headers are per file. Malformed
// records are labelled with the file and the line counted from where
// reading began ("app.log (from byte 1234):3: ..." for a file followed from
// its end).
func (s *fileSource) follow(ctx context.Context, out Emitter) error {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return fmt.Errorf("file(): cannot watch %q: %w", s.dir, err)
	}
	defer w.Close()
	if err := w.Add(s.dir); err != nil {
		return fmt.Errorf("file(): cannot watch %q: %w", s.dir, err)
	}
	names, err := s.listFiles()
	if err != nil {
		return fmt.Errorf("file(): %w", err)
	}
	files := map[string]*tailFile{}
	var moved []*tailFile
	defer func() {
		for _, t := range files {
			t.close()
		}
		for _, t := range moved {
			t.close()
		}
	}()
	from := "end"
	if s.start == "earliest" {
		from = "start"
	}
	var present []*tailFile
	for _, name := range names {
		path := filepath.Join(s.dir, name)
		fi, err := os.Stat(path)
		if err != nil || !fi.Mode().IsRegular() {
			continue
		}
		t := &tailFile{path: path, info: fi, size0: fi.Size()}
		if s.start == "earliest" {
			t.size0 = 0 // read from its start, then followed
		}
		files[name] = t
		present = append(present, t)
	}
	out.Logf("following %s for appended lines (%d existing file(s) from their %s)", s.dir, len(files), from)

	c := newChunker(len(s.dec.Schema().Columns), out.Emit)
	if s.start == "earliest" {
		for _, t := range present {
			if s.drainTail(ctx, t, c, out) != nil {
				return nil
			}
		}
		if c.flush() != nil {
			return nil
		}
	}
	self := filepath.Clean(s.dir)
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	armed := false
	for {
		select {
		case <-ctx.Done():
			return nil

		case ev, ok := <-w.Events:
			if !ok {
				return nil
			}
			name, ok, err := s.eventName(ev, self)
			if err != nil {
				return err
			}
			if !ok {
				continue
			}
			err = s.tailEvent(ctx, ev, name, files, &moved, c, out)
			if err == nil {
				err = c.flush()
			}
			if err != nil {
				return nil // the query is stopping
			}
			if !armed && len(moved) > 0 {
				timer.Reset(tailGrace)
				armed = true
			}

		case err, ok := <-w.Errors:
			if !ok {
				return nil
			}
			if errors.Is(err, fsnotify.ErrEventOverflow) {
				out.Logf("file(): warning: %s: too many file events at once; some appended lines may be read late or missed", s.dir)
			} else {
				out.Logf("file(): warning: watching %s: %v", s.dir, err)
			}

		case <-timer.C:
			armed = false
			now := time.Now()
			keep := moved[:0]
			for _, t := range moved {
				if now.Sub(t.moved) < tailGrace {
					keep = append(keep, t)
					continue
				}
				if s.finishTail(ctx, t, c, out) != nil {
					return nil
				}
			}
			clear(moved[len(keep):])
			moved = keep
			if c.flush() != nil {
				return nil
			}
			if len(moved) > 0 {
				timer.Reset(tailGrace - now.Sub(moved[0].moved))
				armed = true
			}
		}
	}
}

// tailEvent handles one event about a file of the directory. It returns
// errStopped when the query is stopping.
func (s *fileSource) tailEvent(ctx context.Context, ev fsnotify.Event, name string, files map[string]*tailFile, moved *[]*tailFile, c *chunker, out Emitter) error {
	t := files[name]
	switch {
	case ev.Has(fsnotify.Remove):
		if t != nil {
			delete(files, name)
			return s.finishTail(ctx, t, c, out)
		}
	case ev.Has(fsnotify.Rename):
		// Renamed away: read what was written before, then wait a moment
		// for it to show up under its new name.
		if t != nil {
			delete(files, name)
			t.moved = time.Now()
			*moved = append(*moved, t)
			if t.f != nil { // else it was never read: nothing written since start
				return s.drainTail(ctx, t, c, out)
			}
		}
	case ev.Has(fsnotify.Create) || ev.Has(fsnotify.Write):
		path := filepath.Join(s.dir, name)
		if t == nil || ev.Has(fsnotify.Create) {
			fi, err := os.Stat(path)
			if err != nil || !fi.Mode().IsRegular() {
				break // gone already, or not a file
			}
			if t != nil && !os.SameFile(t.info, fi) {
				// Replaced by a rename we did not see: finish the old one.
				delete(files, name)
				if err := s.finishTail(ctx, t, c, out); err != nil {
					return err
				}
				t = nil
			}
			if t == nil {
				for i, m := range *moved {
					if os.SameFile(m.info, fi) { // renamed within the directory
						t = m
						*moved = append((*moved)[:i], (*moved)[i+1:]...)
						t.path = path
						break
					}
				}
			}
			if t == nil {
				t = &tailFile{path: path, info: fi, size0: -1}
			}
			files[name] = t
		}
		return s.drainTail(ctx, t, c, out)
	}
	return nil
}

// newDecoder returns a decoder like s.dec, bound to the same columns, for
// one followed file. It is not sampled: sampling only informs Schema and
// what Bind accepts, and s.dec's Bind already passed.
func (s *fileSource) newDecoder() (formats.Decoder, error) {
	dec, err := OpenDecoder(s.args)
	if err != nil {
		return nil, err
	}
	if err := dec.Bind(s.dec.Schema().Columns.Names()); err != nil {
		return nil, err
	}
	return dec, nil
}

// openTail opens t on first use and positions it: a file present at start
// at the end of its last complete line then, any other at 0. A file that
// cannot be read is reported and marked broken.
func (s *fileSource) openTail(t *tailFile, out Emitter) {
	f, err := openRegular(t.path)
	if err == nil && f == nil {
		err = errors.New("not a regular file")
	}
	var fi os.FileInfo
	if err == nil {
		if fi, err = f.Stat(); err != nil {
			f.Close()
		}
	}
	if err == nil && t.dec == nil {
		if t.dec, err = s.newDecoder(); err != nil {
			f.Close()
		}
	}
	if err != nil {
		out.Logf("file(): warning: cannot follow %s: %v", t.path, err)
		t.broken = true
		return
	}
	t.f = f
	start := int64(0)
	if !os.SameFile(fi, t.info) {
		t.info, t.size0 = fi, -1 // another file has the name now: it is new
	} else if t.size0 > 0 {
		start = lastLineEnd(f, t.size0)
	}
	s.readFrom(t, start)
}

// readFrom (re)starts reading t at offset start, as a new stream: a
// partial line held is dropped, line numbers start over, and a file
// followed from past its start has its first record replayed to the
// decoder so per-file state (the csv header) is as if it had been read.
func (s *fileSource) readFrom(t *tailFile, start int64) {
	t.start = start
	t.gate = &lineGate{r: t.f, max: formats.MaxRecord(t.dec)}
	t.rr = formats.NewRecordReader(t.dec, t.gate)
	ss, ok := t.dec.(formats.StreamStarter)
	if ok {
		ss.StartStream()
	}
	if ok && start > 0 {
		rr := formats.NewRecordReader(t.dec, io.NewSectionReader(t.f, 0, start))
		row := make(types.Row, len(t.dec.Schema().Columns))
		for {
			rec, _, err := rr.Next()
			if err != nil {
				break
			}
			if len(rec) > 0 {
				t.dec.Decode(rec, row) // the header, or the record setting the field count
				break
			}
		}
	}
	if _, err := t.f.Seek(start, io.SeekStart); err != nil {
		t.broken = true
	}
}

// lastLineEnd returns the offset just past the last newline in f's first
// size bytes, 0 if there is none or f is now shorter.
func lastLineEnd(f *os.File, size int64) int64 {
	buf := make([]byte, min(size, formats.ReadBufSize))
	for end := size; end > 0; {
		n := min(int64(len(buf)), end)
		b := buf[:n]
		if _, err := f.ReadAt(b, end-n); err != nil {
			return 0
		}
		if i := bytes.LastIndexByte(b, '\n'); i >= 0 {
			return end - n + int64(i) + 1
		}
		end -= n
	}
	return 0
}

// drainTail reads t's complete lines up to its current end. It returns
// errStopped when the query is stopping.
func (s *fileSource) drainTail(ctx context.Context, t *tailFile, c *chunker, out Emitter) error {
	if t.f == nil && !t.broken {
		s.openTail(t, out)
	}
	if t.broken {
		return nil
	}
	if fi, err := t.f.Stat(); err == nil && fi.Size() < t.pos() {
		out.Logf("file(): %s was truncated; reading it again from the start", t.path)
		s.readFrom(t, 0)
		if t.broken {
			return nil
		}
	}
	for n := 1; ; n++ {
		rec, line, err := t.rr.Next()
		if err == io.EOF {
			return nil
		}
		if formats.IsTooLong(err) {
			Reject(out, fmt.Sprintf("%s:%d", t.Label(), line), err.Error(), rec)
			continue
		}
		if err != nil {
			out.Logf("file(): warning: reading %s: %v; no longer following it", t.path, err)
			t.broken = true
			return nil
		}
		if err := c.decode(t.dec, rec); err != nil {
			reportDecode(out, t.dec, t.Label(), line, err, rec)
		} else if c.full() {
			if err := c.flush(); err != nil {
				return err
			}
		}
		if n%ChunkRows == 0 && ctx.Err() != nil {
			return errStopped
		}
	}
}

// finishTail reads the rest of a file that is gone from the directory,
// its last line counting even without a newline, and closes it.
func (s *fileSource) finishTail(ctx context.Context, t *tailFile, c *chunker, out Emitter) error {
	defer t.close()
	if t.f == nil {
		return nil // never read, and no longer at its name
	}
	if err := s.drainTail(ctx, t, c, out); err != nil {
		return err
	}
	if last := t.gate.takePartial(); len(last) > 0 && !t.broken {
		decodeLast(out, t.dec, c, t.Label(), t.rr.Lines()+1, last)
		if c.full() {
			return c.flush()
		}
	}
	return nil
}

func (t *tailFile) close() {
	if t.f != nil {
		t.f.Close()
		t.f = nil
		t.broken = true
	}
}

// eventName is the file an fsnotify event is about, ok false for events
// to skip (the directory itself, ignored names); an error when the
// watched directory itself went away.
func (s *fileSource) eventName(ev fsnotify.Event, self string) (name string, ok bool, err error) {
	if filepath.Clean(ev.Name) == self {
		if ev.Has(fsnotify.Remove) || ev.Has(fsnotify.Rename) {
			return "", false, fmt.Errorf("file(): directory %q was removed", s.dir)
		}
		return "", false, nil
	}
	name = filepath.Base(ev.Name)
	return name, !ignored(name), nil
}
