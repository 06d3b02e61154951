package sources

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/streamsql/streamsql/formats"

	"github.com/streamsql/streamsql/types"
)

// deadLetterFlush is the longest a dead letter waits in memory when no
// chunk of rows comes along to flush it.
const deadLetterFlush = time.Second

// Reject reports a record that carries no row: counted through
// out.Malformed as "where: reason", and kept in the dead letter file when
// out is a rejects with one. rec is only read during the call.
func Reject(out Emitter, where, reason string, rec []byte) {
	if r, ok := out.(*rejects); ok {
		r.reject(where, reason, rec)
		return
	}
	out.Malformed(fmt.Errorf("%s: %s", where, reason))
}

// countRejected counts n rejected records that were not kept, as one
// reason (logged like any malformed record, and written once to the dead
// letter file when there is one).
func countRejected(out Emitter, n int, reason string) {
	err := errors.New(reason)
	if r, ok := out.(*rejects); ok {
		r.letter("", reason, nil)
	}
	for i := 0; i < n; i++ {
		out.Malformed(err)
	}
}

// rejects wraps the Emitter of a source with a dead_letter file. Records
// rejected through reject are appended to it; it is flushed before each
// chunk of rows is handed on, a second after a rejection at the latest,
// and when the source ends. The file is opened (created if missing) when
// the source starts; a file that cannot be opened or written is reported
// once through Logf and left alone: the records are still counted, and the
// query keeps running. Safe for concurrent use (http).
type rejects struct {
	Emitter
	source string // the source as the query calls it: file('in')
	path   string

	mu     sync.Mutex
	f      *os.File // nil when failed or closed
	w      *bufio.Writer
	enc    *json.Encoder
	timer  *time.Timer // pending flush
	closed bool
	// size is the file's length as far as this writer knows (it may
	// share the file with another writer); max its cap; overflow the
	// letters not written because of it.
	size, max int64
	overflow  int64
	line      bytes.Buffer // one letter, encoded before it is written
}

// deadLetter is one line of a dead letter file.
type deadLetter struct {
	Time   string `json:"time"`
	Source string `json:"source"`
	Where  string `json:"where"`
	Reason string `json:"reason"`
	Record string `json:"record"`
}

// WithRejects returns the Emitter a source running with dec's options
// should report to, and a function to call when the source ends. source
// names the source in dead letters (file('in')). Without dead_letter it
// is out itself.
func WithRejects(out Emitter, dec formats.Decoder, source string) (Emitter, func()) {
	path, max := formats.DeadLetter(dec)
	if path == "" {
		return out, func() {}
	}
	r := &rejects{Emitter: out, source: source, path: path}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		out.Logf("%s: warning: dead_letter: %v; rejected records are counted but not kept", source, err)
	} else {
		r.f = f
		r.w = bufio.NewWriter(f)
		r.enc = json.NewEncoder(&r.line)
		r.enc.SetEscapeHTML(false)
		if fi, err := f.Stat(); err == nil {
			r.size = fi.Size()
		}
	}
	r.max = max
	return r, r.close
}

func (r *rejects) reject(where, reason string, rec []byte) {
	r.Emitter.Malformed(fmt.Errorf("%s: %s", where, reason))
	r.letter(where, reason, rec)
}

// letter appends one dead letter.
func (r *rejects) letter(where, reason string, rec []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.f == nil {
		return
	}
	r.line.Reset()
	err := r.enc.Encode(deadLetter{
		Time:   time.Now().UTC().Format(time.RFC3339),
		Source: r.source,
		Where:  where,
		Reason: reason,
		Record: string(formats.Keep(rec)),
	})
	if err != nil {
		r.fail(err)
		return
	}
	if r.size+int64(r.line.Len()) > r.max {
		if r.overflow == 0 {
			r.Emitter.Logf("%s: warning: dead_letter %s reached dead_letter_max (%s); further rejected records are counted but not kept", r.source, r.path, formats.SizeText(int(r.max)))
		}
		r.overflow++
		return
	}
	r.size += int64(r.line.Len())
	if _, err := r.w.Write(r.line.Bytes()); err != nil {
		r.fail(err)
		return
	}
	if r.timer == nil && !r.closed {
		r.timer = time.AfterFunc(deadLetterFlush, r.flush)
	}
}

// Emit flushes the dead letters of the records before rows, then hands
// rows on.
func (r *rejects) Emit(rows []types.Row) error {
	r.flush()
	return r.Emitter.Emit(rows)
}

// EmitAt is Emit for a query that checkpoints.
func (r *rejects) EmitAt(rows []types.Row, pos Position) error {
	r.flush()
	return EmitAt(r.Emitter, rows, pos)
}

// EmitRecords is EmitAt for rows holding records records.
func (r *rejects) EmitRecords(rows []types.Row, records int64, pos Position) error {
	r.flush()
	return EmitRecords(r.Emitter, rows, records, pos)
}

// EmitSplit is Emit for rows of one split.
func (r *rejects) EmitSplit(split int32, rows []types.Row, pos Position) error {
	r.flush()
	return EmitSplit(r.Emitter, split, rows, pos)
}

// Malformed without the record (not reported through reject) is only
// counted.
func (r *rejects) Malformed(err error) { r.Emitter.Malformed(err) }

func (r *rejects) flush() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.flushLocked()
}

func (r *rejects) flushLocked() {
	if r.timer != nil {
		r.timer.Stop()
		r.timer = nil
	}
	if r.f == nil || r.w.Buffered() == 0 {
		return
	}
	if err := r.w.Flush(); err != nil {
		r.fail(err)
	}
}

// fail reports a write error once and stops writing.
func (r *rejects) fail(err error) {
	r.Emitter.Logf("%s: warning: writing dead_letter %s: %v; rejected records from now on are counted but not kept", r.source, r.path, err)
	r.f.Close()
	r.f, r.w, r.enc = nil, nil, nil
}

func (r *rejects) close() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.flushLocked()
	r.closed = true
	if r.overflow > 0 {
		r.Emitter.Logf("%s: %d rejected records were not kept in dead_letter %s (over dead_letter_max)", r.source, r.overflow, r.path)
	}
	if r.f != nil {
		if err := r.f.Close(); err != nil {
			r.Emitter.Logf("%s: warning: closing dead_letter %s: %v", r.source, r.path, err)
		}
		r.f, r.w, r.enc = nil, nil, nil
	}
}

// RowRejects reports the rows a query's operators drop for want of a
// usable value (an event time that does not parse), as the source's own
// malformed records are reported: "source: where: reason: row" through
// logf (which says "skipped malformed record: " before it) and, when the source has a dead_letter file, a dead letter in it
// (opened by the RowRejects itself, appending, so it outlives the source's
// own handle: the last rows read are processed after the source ends).
// The rows are counted by the operators, not here.
type RowRejects struct {
	source string
	logf   func(format string, args ...any)
	r      *rejects // nil without dead_letter
}

// NewRowRejects returns where the operators reading src report rows they
// drop. Close it when the query ends.
func NewRowRejects(src Source, logf func(format string, args ...any)) *RowRejects {
	x := &RowRejects{source: Label(src), logf: logf}
	if d, ok := src.(DecodingSource); ok {
		out, _ := WithRejects(logOnly{logf}, d.Decoder(), x.source)
		x.r, _ = out.(*rejects)
	}
	return x
}

// Reject reports one row: where in the query it was dropped (EVENT TIME
// ts), why, and the row as JSON (kept in the dead letter, cut to 64 KiB).
func (x *RowRejects) Reject(where, reason string, record []byte) {
	x.logf("%s: %s: %s: %s", x.source, where, reason, formats.Keep(record))
	if x.r != nil {
		x.r.letter(where, reason, record)
	}
}

// Close closes the dead letter file.
func (x *RowRejects) Close() {
	if x.r != nil {
		x.r.close()
	}
}

// logOnly is the Emitter a RowRejects' dead letter file reports through:
// it logs, it never counts or carries rows.
type logOnly struct {
	logf func(format string, args ...any)
}

func (l logOnly) Emit([]types.Row) error          { return nil }
func (l logOnly) Malformed(err error)             { l.logf("skipped malformed record: %v", err) }
func (l logOnly) Logf(format string, args ...any) { l.logf(format, args...) }

// LabeledSource is a source with a short name, as a query calls it
// (file('logs')), for reports of rejected records.
type LabeledSource interface {
	Source
	Label() string
}

// DecodingSource is a source that decodes records with a formats.Decoder: rows
// it drops later (an event time that does not parse) go to the dead
// letter file of the decoder's options.
type DecodingSource interface {
	Source
	Decoder() formats.Decoder
}

// Label names a source as a query calls it, file('logs'), in reports of
// rejected records; sources without a short name are described.
func Label(src Source) string {
	if l, ok := src.(LabeledSource); ok {
		return l.Label()
	}
	return src.Describe()
}

// The sources whose records may go to a dead_letter file give their
// decoder (which holds the option) and their name.
func (s *fileSource) Decoder() formats.Decoder   { return s.dec }
func (s *socketSource) Decoder() formats.Decoder { return s.dec }
func (s *httpSource) Decoder() formats.Decoder   { return s.dec }
func (s *stdinSource) Decoder() formats.Decoder  { return s.dec }
func (s *stdinSource) Label() string             { return "stdin()" }
