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

// lineReader splits a stream on '\n' with no limit on line length.
type lineReader struct {
	br   *bufio.Reader
	long []byte // holds a line longer than the read buffer
}

func newLineReader(r io.Reader) *lineReader {
	return &lineReader{br: bufio.NewReaderSize(r, readBufSize)}
}

// next returns the next line without its '\n' and without a trailing '\r'.
// The last line counts even without a newline. The slice is valid until the
// next call. At the end of input it returns io.EOF; a read error is
// returned as is (a partial line before it is dropped).
func (lr *lineReader) next() ([]byte, error) {
	line, err := lr.br.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		lr.long = append(lr.long[:0], line...)
		for err == bufio.ErrBufferFull {
			line, err = lr.br.ReadSlice('\n')
			lr.long = append(lr.long, line...)
		}
		line = lr.long
	}
	switch {
	case err == io.EOF:
		if len(line) == 0 {
			return nil, io.EOF
		}
	case err != nil:
		return nil, err
	}
	if n := len(line); n > 0 && line[n-1] == '\n' {
		line = line[:n-1]
	}
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	return line, nil
}

// readRecords reads r to its end, decodes every line with dec and emits the
// rows in chunks of up to chunkRows, plus a final partial chunk. name labels
// malformed records ("name:line: error"). Each chunk's values come from one
// arena, the rows being sub-slices of it; a chunk is never touched after
// Emit.
//
// It returns nil at end of input, errStopped when Emit fails or ctx is
// cancelled, and a read error otherwise (rows decoded before it are
// emitted first).
func readRecords(ctx context.Context, r io.Reader, name string, dec Decoder, out Emitter) error {
	ncols := len(dec.Schema().Columns)
	lr := newLineReader(r)
	var (
		arena  []types.Value
		rows   []types.Row
		lineNo int
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
		line, err := lr.next()
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
		lineNo++
		if lineNo%chunkRows == 0 && ctx.Err() != nil {
			return errStopped
		}
		if rows == nil {
			arena = make([]types.Value, chunkRows*ncols)
			rows = make([]types.Row, 0, chunkRows)
		}
		k := len(rows) * ncols
		dst := types.Row(arena[k : k+ncols : k+ncols])
		if err := dec.Decode(line, dst); err != nil {
			if err != ErrSkip {
				clear(dst)
				out.Malformed(fmt.Errorf("%s:%d: %v", name, lineNo, err))
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
