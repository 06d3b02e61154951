package sources

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/streamsql/streamsql/formats"

	"github.com/streamsql/streamsql/types"
)

// ChunkRows is the most rows a source hands to Emit at once.
const ChunkRows = 1024

// errStopped is returned by readRecords when the query is stopping: Emit
// failed or ctx was cancelled. Callers return nil from Run on it.
var errStopped = errors.New("query stopping")

// ReadRecords reads r to its end, decoding each record (a line; a csv
// record may span lines) with dec and emitting the rows in chunks of up
// to ChunkRows. Malformed and over-long (max_line) records are reported
// as "name:line: reason" through Reject, so with WithRejects' Emitter
// they reach the dead letter file. It returns nil at the end of r and
// when the query stops (ctx cancelled, Emit refusing), else the read
// error, after emitting the rows decoded before it.
func ReadRecords(ctx context.Context, r io.Reader, name string, dec formats.Decoder, out Emitter) error {
	if err := readRecords(ctx, r, name, dec, out); err != errStopped {
		return err
	}
	return nil
}

// readRecords reads r to its end, decodes every record with dec and emits
// the rows in chunks of up to ChunkRows, plus a final partial chunk. name
// labels malformed records ("name:line: error", line being where the
// record starts). Each chunk's values come from one arena, the rows being
// sub-slices of it; a chunk is never touched after Emit.
//
// It returns nil at end of input, errStopped when Emit fails or ctx is
// cancelled, and a read error otherwise (rows decoded before it are
// emitted first).
func readRecords(ctx context.Context, r io.Reader, name string, dec formats.Decoder, out Emitter) error {
	return readRecordsAt(ctx, r, name, dec, out, 0, nil)
}

// readRecordsAt is readRecords for a source that checkpoints: the first
// skip records (counted as next returns them, malformed and over-long ones
// included) were read by an earlier run and are passed over, and each
// chunk is emitted with pos(records read so far). Passed-over records go
// through the decoder of a stream that keeps state (the csv header) but
// yield no rows and no reports.
func readRecordsAt(ctx context.Context, r io.Reader, name string, dec formats.Decoder, out Emitter, skip int64, pos func(records int64) Position) error {
	rr := formats.NewRecordReader(dec, r)
	_, stateful := dec.(formats.StreamStarter)
	if s, ok := dec.(formats.StreamStarter); ok {
		s.StartStream()
	}
	var consumed int64
	emit := out.Emit
	if pos != nil {
		emit = func(rows []types.Row) error { return EmitAt(out, rows, pos(consumed)) }
	}
	c := newChunker(len(dec.Schema().Columns), emit)
	var scratch types.Row
	for consumed < skip {
		rec, _, err := rr.Next()
		if err != nil && !formats.IsTooLong(err) {
			if err == io.EOF {
				return nil
			}
			return err
		}
		consumed++
		if stateful && err == nil {
			if scratch == nil {
				scratch = make(types.Row, len(dec.Schema().Columns))
			}
			_ = dec.Decode(rec, scratch) // only for the decoder's own state
		}
	}
	recNo := 0
	for {
		rec, lineNo, err := rr.Next()
		if err == nil || formats.IsTooLong(err) {
			consumed++
		}
		if formats.IsTooLong(err) {
			Reject(out, fmt.Sprintf("%s:%d", name, lineNo), err.Error(), rec)
			continue
		}
		if err != nil {
			if err != io.EOF && ctx.Err() != nil {
				return errStopped
			}
			if ferr := c.flush(); ferr != nil {
				return ferr
			}
			if err == io.EOF {
				return nil
			}
			return err
		}
		recNo++
		if recNo%ChunkRows == 0 && ctx.Err() != nil {
			return errStopped
		}
		if err := c.decode(dec, rec); err != nil {
			reportDecode(out, dec, name, lineNo, err, rec)
			continue
		}
		if c.full() {
			if err := c.flush(); err != nil {
				return err
			}
		}
	}
}

// reportDecode tells out about a record rec Decode refused: a malformed
// one is rejected as "name:line: error"; a skipped one (formats.ErrSkip) is only
// reported when the decoder has a warning about it (a csv header lacking
// a bound column).
func reportDecode(out Emitter, dec formats.Decoder, name string, line int, err error, rec []byte) {
	if err != formats.ErrSkip {
		Reject(out, fmt.Sprintf("%s:%d", name, line), err.Error(), rec)
		return
	}
	if w, ok := dec.(formats.Warner); ok {
		if msg := w.Warning(); msg != "" {
			out.Logf("warning: %s: %s", name, msg)
		}
	}
}

// decodeLast decodes the last line of a live stream, held back by a
// lineGate for want of a newline, into c; it is rejected when over
// max_line or malformed.
func decodeLast(out Emitter, dec formats.Decoder, c *chunker, name string, line int, last []byte) {
	where := fmt.Sprintf("%s:%d", name, line)
	if lim := formats.MaxRecord(dec); len(formats.TrimEOL(last)) > lim {
		Reject(out, where, formats.TooLong(lim, "line").Error(), formats.Keep(last))
		return
	}
	if err := c.decode(dec, last); err != nil {
		reportDecode(out, dec, name, line, err, last)
	}
}

// chunker gathers decoded rows into chunks of up to ChunkRows rows and
// hands each chunk to emit. A chunk's values come from one arena, its rows
// being sub-slices of it; a chunk is never touched once handed over.
type chunker struct {
	ncols int
	emit  func([]types.Row) error
	arena []types.Value
	rows  []types.Row
}

func newChunker(ncols int, emit func([]types.Row) error) *chunker {
	return &chunker{ncols: ncols, emit: emit}
}

// decode decodes rec into the next row of the chunk. On an error
// (formats.ErrSkip included) the chunk does not grow and the error is returned.
func (c *chunker) decode(dec formats.Decoder, rec []byte) error {
	dst := c.slot()
	if err := dec.Decode(rec, dst); err != nil {
		clear(dst)
		return err
	}
	c.rows = append(c.rows, dst)
	return nil
}

// slot returns the values of the next row, to be filled and then kept with
// commit (or left unused).
func (c *chunker) slot() types.Row {
	if c.rows == nil {
		c.arena = make([]types.Value, ChunkRows*c.ncols)
		c.rows = make([]types.Row, 0, ChunkRows)
	}
	k := len(c.rows) * c.ncols
	return types.Row(c.arena[k : k+c.ncols : k+c.ncols])
}

// commit keeps the row slot returned.
func (c *chunker) commit(row types.Row) { c.rows = append(c.rows, row) }

// full reports whether the chunk has ChunkRows rows and must be flushed
// before the next decode.
func (c *chunker) full() bool { return len(c.rows) == ChunkRows }

// flush hands over the rows gathered so far, if any. It returns
// errStopped when emit fails.
func (c *chunker) flush() error {
	if len(c.rows) == 0 {
		return nil
	}
	chunk := c.rows
	c.arena, c.rows = nil, nil
	if err := c.emit(chunk); err != nil {
		return errStopped
	}
	return nil
}

// lineGate passes on only the complete lines of a live stream (a socket, a
// growing file): the bytes after the last newline read so far are held
// back until their newline arrives, so a record reader over the gate never
// mistakes a line still being written for a last line without newline.
// What is held when the stream really ends is in partial.
//
// A partial line over max bytes (0: formats.DefaultMaxLine) is not held whole: it
// is passed on without its newline, for the record reader to reject as too
// long and discard up to the newline, and the bytes that follow up to the
// newline are passed on as they come; partial then holds nothing of it.
//
// Errors of r are passed on once, after the complete lines before them;
// reading again after an error reads r again, so a file that grows after
// io.EOF can be followed with the same gate (and the same bufio.Reader
// over it, which also reads on after io.EOF).
type lineGate struct {
	r       io.Reader
	n       int64  // bytes read from r
	buf     []byte // read buffer
	ready   []byte // complete lines not handed on yet
	join    []byte // backs ready when it starts with held bytes
	partial []byte // bytes after the last newline
	err     error  // error of r to pass on once ready is handed on
	max     int
	cut     bool // the line partial belongs to was passed on in part
}

func (g *lineGate) Read(p []byte) (int, error) {
	for len(g.ready) == 0 {
		if g.err != nil {
			err := g.err
			g.err = nil
			return 0, err
		}
		if g.buf == nil {
			g.buf = make([]byte, formats.ReadBufSize)
		}
		n, err := g.r.Read(g.buf)
		g.n += int64(n)
		data := g.buf[:n]
		if i := bytes.LastIndexByte(data, '\n'); i < 0 {
			g.partial = append(g.partial, data...)
			lim := g.max
			if lim <= 0 {
				lim = formats.DefaultMaxLine
			}
			if g.cut || len(g.partial) > lim+2 { // +2: "\r\n"
				// Too long to hold: pass it on, for the record reader to
				// reject and discard.
				g.join = append(g.join[:0], g.partial...)
				g.ready = g.join
				g.partial = g.partial[:0]
				g.cut = true
			}
		} else {
			g.cut = false
			if len(g.partial) == 0 {
				g.ready = data[:i+1] // valid until the next read of r
			} else {
				g.join = append(append(g.join[:0], g.partial...), data[:i+1]...)
				g.ready = g.join
			}
			g.partial = append(g.partial[:0], data[i+1:]...)
		}
		if err != nil {
			g.err = err
		}
	}
	n := copy(p, g.ready)
	g.ready = g.ready[n:]
	return n, nil
}

// idle reports whether the gate holds no complete line: the next Read
// reads r.
func (g *lineGate) idle() bool { return len(g.ready) == 0 && g.err == nil }

// takePartial returns the held partial line and forgets it: nil when
// part of the line was passed on already (it was too long).
func (g *lineGate) takePartial() []byte {
	p := g.partial
	g.partial = nil
	if g.cut {
		return nil
	}
	return p
}
