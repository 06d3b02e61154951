package formats

import (
	"bytes"
	"io"
)

// Joined lines: a query that only splits the lines of a text input into
// words (the word count) reads the same words from a run of lines as from
// each line alone, since a line break is whitespace to the split. Its
// text decoder is then asked to join lines (JoinLines): its source reads
// runs of whole lines of up to BlockSize bytes (NewBlockReader), one row
// each, without a row, a copy or a check per line, and counts the lines a
// run holds (LineCounter) so "rows read" and checkpoint positions stay in
// lines.

// BlockSize is how many bytes of whole lines a joined record holds at most
// (a longer line is a record of its own).
const BlockSize = 256 << 10

// LineJoiner is implemented by decoders that can join lines.
type LineJoiner interface {
	// JoinLines makes every record a run of whole lines, line breaks
	// included. Only a query that reads nothing but the words of the
	// lines may ask for it.
	JoinLines()
}

// LineCounter is implemented by the record reader of a decoder that joins
// lines.
type LineCounter interface {
	// RecordLines is how many lines the last record returned holds.
	RecordLines() int
}

// JoinsLines reports whether dec was asked to join lines: its records are
// then the runs of a block reader (NewBlockReader), one row each.
func JoinsLines(dec Decoder) bool {
	t, ok := dec.(*textDecoder)
	return ok && t.joined
}

// JoinLines is a no-op for decoders that cannot join lines; it reports
// whether dec does.
func JoinLines(dec Decoder) bool {
	j, ok := dec.(LineJoiner)
	if ok {
		j.JoinLines()
	}
	return ok
}

// Cloner is implemented by decoders whose records are single lines and
// that keep nothing from one record to the next but buffers: Clone
// returns a decoder that decodes alike, with buffers of its own, so the
// lines of one stream can be decoded on several goroutines.
type Cloner interface {
	Decoder
	Clone() Decoder
}

// NewBlockReader is a record reader of runs of whole lines of about size
// bytes (a LineCounter) whatever dec's framing, bounded by dec's max_line:
// for a reader that splits the runs into lines itself (to decode them on
// several goroutines).
func NewBlockReader(dec Decoder, r io.Reader, size int) RecordReader {
	b := newBlockReader(r, optionsOf(dec).limit())
	b.size = size
	return b
}

// blockReader reads runs of whole lines. Each run is carved from a block
// of its own, never written again once returned, so a decoder may keep
// the bytes (as a string) without copying them.
type blockReader struct {
	r    io.Reader
	size int    // bytes read at a time (BlockSize; tests make it small)
	max  int    // max_line
	pend []byte // whole lines read and not returned yet
	part []byte // the start of the line after pend, still without its '\n'
	long []byte // the start of a line over max, to return with the error
	err  error  // the reader's error, returned once pend and part are done
	line int    // lines returned so far
	n    int    // lines in the last record
	skip bool   // the rest of a line over max is still to be discarded
}

func newBlockReader(r io.Reader, max int) *blockReader {
	if max <= 0 {
		max = DefaultMaxLine
	}
	return &blockReader{r: r, size: BlockSize, max: max}
}

func (b *blockReader) Buffered() int    { return len(b.pend) + len(b.part) }
func (b *blockReader) Lines() int       { return b.line }
func (b *blockReader) RecordLines() int { return b.n }

func (b *blockReader) Next() ([]byte, int, error) {
	for len(b.pend) == 0 {
		if err := b.fill(); err != nil {
			b.n = 0
			if IsTooLong(err) {
				b.n = 1
				b.line++
				return Keep(b.long), b.line, err
			}
			return nil, 0, err
		}
	}
	first := b.line + 1
	rec := b.pend
	if len(rec) > b.max {
		// A line in here may be over max: cut before the first one.
		rec = b.upToLong()
		if len(rec) == 0 {
			end := bytes.IndexByte(b.pend, '\n') + 1
			if end == 0 {
				end = len(b.pend)
			}
			long := b.pend[:end]
			b.pend = b.pend[end:]
			b.n = 1
			b.line++
			return Keep(TrimEOL(long)), b.line, &tooLongError{max: b.max, what: "line"}
		}
	}
	b.pend = b.pend[len(rec):]
	b.n = bytes.Count(rec, []byte{'\n'})
	if rec[len(rec)-1] != '\n' {
		b.n++ // the last line of the input, without its '\n'
	}
	b.line += b.n
	return rec, first, nil
}

// upToLong returns the lines of pend before the first one over max.
func (b *blockReader) upToLong() []byte {
	off := 0
	for off < len(b.pend) {
		end := bytes.IndexByte(b.pend[off:], '\n')
		line := b.pend[off:]
		if end >= 0 {
			line = line[:end+1]
		}
		if len(TrimEOL(line)) > b.max {
			break
		}
		off += len(line)
	}
	return b.pend[:off]
}

// fill reads the next block: pend becomes its whole lines, part the line
// it ends in the middle of. A line that outgrows max before its '\n' is
// returned as a *tooLongError (its start in long) and its rest discarded.
func (b *blockReader) fill() error {
	if b.err != nil {
		part := b.part
		b.part = nil
		if len(part) == 0 || b.skip {
			return b.err
		}
		// The last line of the input, without its '\n'.
		if len(TrimEOL(part)) > b.max {
			b.long = part
			return &tooLongError{max: b.max, what: "line"}
		}
		b.pend = part
		return nil
	}
	block := make([]byte, max(b.size, 2*len(b.part)))
	n := copy(block, b.part)
	b.part = nil
	for n < len(block) {
		m, err := b.r.Read(block[n:])
		if b.skip {
			// Discard up to the '\n' ending the line over max (n is 0:
			// nothing of it was kept).
			i := bytes.IndexByte(block[:m], '\n')
			if i < 0 {
				m = 0
			} else {
				m = copy(block, block[i+1:m])
				b.skip = false
			}
		}
		n += m
		if err != nil {
			b.err = err
			break
		}
		if n == len(block) && bytes.IndexByte(block, '\n') < 0 {
			if n > b.max+2 { // +2: "\r\n"
				b.long, b.skip = block, true
				return &tooLongError{max: b.max, what: "line"}
			}
			block = append(block, make([]byte, len(block))...)
		}
	}
	block = block[:n]
	i := bytes.LastIndexByte(block, '\n') + 1
	b.pend, b.part = block[:i], block[i:]
	return nil
}
