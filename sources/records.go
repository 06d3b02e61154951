package sources

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/streamsql/streamsql/types"
)

// chunkRows is the most rows a source hands to Emit at once.
const chunkRows = 1024

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
	// error is returned as is (a partial record before it is dropped).
	next() (rec []byte, line int, err error)
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

// newRecordReader returns the record reader dec needs for r.
func newRecordReader(dec Decoder, r io.Reader) recordReader {
	if f, ok := dec.(framer); ok {
		return f.newRecordReader(r)
	}
	return newLineReader(r)
}

// physReader reads physical lines, '\n' included, with no limit on length.
type physReader struct {
	br   *bufio.Reader
	long []byte // holds a line longer than the read buffer
	line int    // lines read so far
}

// read returns the next line with its '\n' (the last line of the input may
// lack it). The slice is valid until the next call. It returns io.EOF only
// when there is nothing left.
func (p *physReader) read() ([]byte, error) {
	line, err := p.br.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		p.long = append(p.long[:0], line...)
		for err == bufio.ErrBufferFull {
			line, err = p.br.ReadSlice('\n')
			p.long = append(p.long, line...)
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
	return line, nil
}

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
	if err != nil {
		return nil, 0, err
	}
	return trimEOL(line), lr.line, nil
}

// trimEOL drops a trailing "\n", then a trailing "\r".
func trimEOL(line []byte) []byte {
	if n := len(line); n > 0 && line[n-1] == '\n' {
		line = line[:n-1]
	}
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	return line
}

// readRecords reads r to its end, decodes every record with dec and emits
// the rows in chunks of up to chunkRows, plus a final partial chunk. name
// labels malformed records ("name:line: error", line being where the
// record starts). Each chunk's values come from one arena, the rows being
// sub-slices of it; a chunk is never touched after Emit.
//
// It returns nil at end of input, errStopped when Emit fails or ctx is
// cancelled, and a read error otherwise (rows decoded before it are
// emitted first).
func readRecords(ctx context.Context, r io.Reader, name string, dec Decoder, out Emitter) error {
	ncols := len(dec.Schema().Columns)
	rr := newRecordReader(dec, r)
	if s, ok := dec.(streamStarter); ok {
		s.startStream()
	}
	warn, _ := dec.(warner)
	var (
		arena []types.Value
		rows  []types.Row
		recNo int
	)
	flush := func() error {
		if len(rows) == 0 {
			return nil
		}
		chunk := rows
		arena, rows = nil, nil
		if err := out.Emit(chunk); err != nil {
			return errStopped
		}
		return nil
	}
	for {
		rec, lineNo, err := rr.next()
		if err != nil {
			if err != io.EOF && ctx.Err() != nil {
				return errStopped
			}
			if ferr := flush(); ferr != nil {
				return ferr
			}
			if err == io.EOF {
				return nil
			}
			return err
		}
		recNo++
		if recNo%chunkRows == 0 && ctx.Err() != nil {
			return errStopped
		}
		if rows == nil {
			arena = make([]types.Value, chunkRows*ncols)
			rows = make([]types.Row, 0, chunkRows)
		}
		k := len(rows) * ncols
		dst := types.Row(arena[k : k+ncols : k+ncols])
		if err := dec.Decode(rec, dst); err != nil {
			clear(dst)
			if err != ErrSkip {
				out.Malformed(fmt.Errorf("%s:%d: %v", name, lineNo, err))
			} else if warn != nil {
				if msg := warn.warning(); msg != "" {
					out.Logf("warning: %s: %s", name, msg)
				}
			}
			continue
		}
		rows = append(rows, dst)
		if len(rows) == chunkRows {
			if err := flush(); err != nil {
				return err
			}
		}
	}
}
