package sources

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/streamsql/streamsql/types"
)

// ChunkRows is the most rows a source hands to Emit at once.
const ChunkRows = 1024

// readBufSize is the read buffer of a line reader; longer lines are
// assembled from several reads.
const readBufSize = 64 << 10

// errStopped is returned by readRecords when the query is stopping: Emit
// failed or ctx was cancelled. Callers return nil from Run on it.
var errStopped = errors.New("query stopping")

// recordReader splits one stream (a file, stdin) into records.
type recordReader interface {
	// next returns the next record without its line terminator and the
	// 1-based line of the stream on which it starts. The slice is valid
	// until the next call. At the end of input it returns io.EOF; a read
	// error is returned as is (a partial record before it is dropped). A
	// record over max_line is returned as a *tooLongError with the
	// record's start (at most deadLetterKeep bytes) and its line; the rest
	// of it is read and discarded by the next call, never held whole.
	next() (rec []byte, line int, err error)
	// buffered is how many bytes were read from the stream and not
	// returned yet: when it is 0 the next call reads the stream (and may
	// block on a live one).
	buffered() int
	// lines is the number of physical lines read so far.
	lines() int
}

// framer is implemented by decoders whose records are not single lines
// (csv, where a quoted field may hold newlines). Other decoders read lines.
type framer interface {
	newRecordReader(r io.Reader) recordReader
}

// streamStarter is implemented by decoders that keep state per stream (the
// csv header). readRecords calls startStream before the first record of
// each stream.
type streamStarter interface {
	startStream()
}

// warner is implemented by decoders that have something to tell the user
// after a record that carried no row (a csv header lacking a bound column).
// warning returns the message once, then "".
type warner interface {
	warning() string
}

// newRecordReader returns the record reader dec needs for r, bounded by
// dec's max_line.
func newRecordReader(dec Decoder, r io.Reader) recordReader {
	if f, ok := dec.(framer); ok {
		return f.newRecordReader(r)
	}
	lr := newLineReader(r)
	lr.max = optionsOf(dec).limit()
	return lr
}

// physReader reads physical lines, '\n' included, of up to max bytes
// (without the terminator; 0 means defaultMaxLine).
type physReader struct {
	br       *bufio.Reader
	long     []byte // holds a line longer than the read buffer
	line     int    // lines read so far
	max      int
	skipping bool // the rest of a line over max is still to be discarded
}

func (p *physReader) limit() int {
	if p.max <= 0 {
		return defaultMaxLine
	}
	return p.max
}

// read returns the next line with its '\n' (the last line of the input may
// lack it). The slice is valid until the next call. It returns io.EOF only
// when there is nothing left. A line over max is returned as a
// *tooLongError with its start (at most deadLetterKeep bytes): no more
// than about max bytes of it are held; the rest is discarded by the next
// call, which may span an io.EOF of a live stream.
func (p *physReader) read() ([]byte, error) {
	if p.skipping {
		if err := p.skip(); err != nil {
			return nil, err
		}
	}
	lim := p.limit()
	line, err := p.br.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		p.long = append(p.long[:0], line...)
		for err == bufio.ErrBufferFull && len(p.long) <= lim+2 { // +2: "\r\n"
			line, err = p.br.ReadSlice('\n')
			p.long = append(p.long, line...)
		}
		if err == bufio.ErrBufferFull {
			p.line++
			p.skipping = true
			return keep(p.long), &tooLongError{max: lim, what: "line"}
		}
		line = p.long
	}
	switch {
	case err == io.EOF:
		if len(line) == 0 {
			return nil, io.EOF
		}
	case err != nil:
		return nil, err
	}
	p.line++
	if len(line) > lim && len(TrimEOL(line)) > lim {
		// Without its newline (the end of the stream for now), the rest
		// of a live stream's line may still come: it is discarded too.
		p.skipping = line[len(line)-1] != '\n'
		return keep(TrimEOL(line)), &tooLongError{max: lim, what: "line"}
	}
	return line, nil
}

// skip discards the rest of a line over max, up to and including its
// '\n'. At an error (io.EOF) it is still skipping: a live stream goes on
// discarding when more arrives.
func (p *physReader) skip() error {
	for {
		_, err := p.br.ReadSlice('\n')
		switch err {
		case bufio.ErrBufferFull:
			continue
		case nil:
			p.skipping = false
			return nil
		}
		return err
	}
}

func (p *physReader) buffered() int { return p.br.Buffered() }
func (p *physReader) lines() int    { return p.line }

// lineReader splits a stream on '\n': each line is a record.
type lineReader struct {
	physReader
}

func newLineReader(r io.Reader) *lineReader {
	return &lineReader{physReader{br: bufio.NewReaderSize(r, readBufSize)}}
}

// next returns the next line without its '\n' and without a trailing '\r'.
// The last line counts even without a newline.
func (lr *lineReader) next() ([]byte, int, error) {
	line, err := lr.read()
	if isTooLong(err) {
		return line, lr.line, err
	}
	if err != nil {
		return nil, 0, err
	}
	return TrimEOL(line), lr.line, nil
}

// TrimEOL drops a trailing "\n", then a trailing "\r".
func TrimEOL(line []byte) []byte {
	if n := len(line); n > 0 && line[n-1] == '\n' {
		line = line[:n-1]
	}
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	return line
}

// ReadRecords reads r to its end, decoding each record (a line; a csv
// record may span lines) with dec and emitting the rows in chunks of up
// to ChunkRows. Malformed and over-long (max_line) records are reported
// as "name:line: reason" through Reject, so with WithRejects' Emitter
// they reach the dead letter file. It returns nil at the end of r and
// when the query stops (ctx cancelled, Emit refusing), else the read
// error, after emitting the rows decoded before it.
func ReadRecords(ctx context.Context, r io.Reader, name string, dec Decoder, out Emitter) error {
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
func readRecords(ctx context.Context, r io.Reader, name string, dec Decoder, out Emitter) error {
	return readRecordsAt(ctx, r, name, dec, out, 0, nil)
}

// readRecordsAt is readRecords for a source that checkpoints: the first
// skip records (counted as next returns them, malformed and over-long ones
// included) were read by an earlier run and are passed over, and each
// chunk is emitted with pos(records read so far). Passed-over records go
// through the decoder of a stream that keeps state (the csv header) but
// yield no rows and no reports.
func readRecordsAt(ctx context.Context, r io.Reader, name string, dec Decoder, out Emitter, skip int64, pos func(records int64) Position) error {
	rr := newRecordReader(dec, r)
	_, stateful := dec.(streamStarter)
	if s, ok := dec.(streamStarter); ok {
		s.startStream()
	}
	var consumed int64
	emit := out.Emit
	if pos != nil {
		emit = func(rows []types.Row) error { return EmitAt(out, rows, pos(consumed)) }
	}
	c := newChunker(len(dec.Schema().Columns), emit)
	var scratch types.Row
	for consumed < skip {
		rec, _, err := rr.next()
		if err != nil && !isTooLong(err) {
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
		rec, lineNo, err := rr.next()
		if err == nil || isTooLong(err) {
			consumed++
		}
		if isTooLong(err) {
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
// one is rejected as "name:line: error"; a skipped one (ErrSkip) is only
// reported when the decoder has a warning about it (a csv header lacking
// a bound column).
func reportDecode(out Emitter, dec Decoder, name string, line int, err error, rec []byte) {
	if err != ErrSkip {
		Reject(out, fmt.Sprintf("%s:%d", name, line), err.Error(), rec)
		return
	}
	if w, ok := dec.(warner); ok {
		if msg := w.warning(); msg != "" {
			out.Logf("warning: %s: %s", name, msg)
		}
	}
}

// decodeLast decodes the last line of a live stream, held back by a
// lineGate for want of a newline, into c; it is rejected when over
// max_line or malformed.
func decodeLast(out Emitter, dec Decoder, c *chunker, name string, line int, last []byte) {
	where := fmt.Sprintf("%s:%d", name, line)
	if lim := optionsOf(dec).limit(); len(TrimEOL(last)) > lim {
		Reject(out, where, (&tooLongError{max: lim, what: "line"}).Error(), keep(last))
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
// (ErrSkip included) the chunk does not grow and the error is returned.
func (c *chunker) decode(dec Decoder, rec []byte) error {
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
// A partial line over max bytes (0: defaultMaxLine) is not held whole: it
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
			g.buf = make([]byte, readBufSize)
		}
		n, err := g.r.Read(g.buf)
		g.n += int64(n)
		data := g.buf[:n]
		if i := bytes.LastIndexByte(data, '\n'); i < 0 {
			g.partial = append(g.partial, data...)
			lim := g.max
			if lim <= 0 {
				lim = defaultMaxLine
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
