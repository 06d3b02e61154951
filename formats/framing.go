package formats

import (
	"bufio"
	"io"
)

// ReadBufSize is the read buffer of a line reader; longer lines are
// assembled from several reads.
const ReadBufSize = 64 << 10

// RecordReader splits one stream (a file, stdin) into records.
type RecordReader interface {
	// next returns the next record without its line terminator and the
	// 1-based line of the stream on which it starts. The slice is valid
	// until the next call. At the end of input it returns io.EOF; a read
	// error is returned as is (a partial record before it is dropped). A
	// record over max_line is returned as a *tooLongError with the
	// record's start (at most KeepBytes bytes) and its line; the rest
	// of it is read and discarded by the next call, never held whole.
	Next() (rec []byte, line int, err error)
	// buffered is how many bytes were read from the stream and not
	// returned yet: when it is 0 the next call reads the stream (and may
	// block on a live one).
	Buffered() int
	// lines is the number of physical lines read so far.
	Lines() int
}

// framer is implemented by decoders whose records are not single lines
// (csv, where a quoted field may hold newlines). Other decoders read lines.
type framer interface {
	newRecordReader(r io.Reader) RecordReader
}

// StreamStarter is implemented by decoders that keep state per stream (the
// csv header). readRecords calls startStream before the first record of
// each stream.
type StreamStarter interface {
	StartStream()
}

// Warner is implemented by decoders that have something to tell the user
// after a record that carried no row (a csv header lacking a bound column).
// warning returns the message once, then "".
type Warner interface {
	Warning() string
}

// newRecordReader returns the record reader dec needs for r, bounded by
// dec's max_line.
func NewRecordReader(dec Decoder, r io.Reader) RecordReader {
	if f, ok := dec.(framer); ok {
		return f.newRecordReader(r)
	}
	lr := newLineReader(r)
	lr.max = optionsOf(dec).limit()
	return lr
}

// physReader reads physical lines, '\n' included, of up to max bytes
// (without the terminator; 0 means DefaultMaxLine).
type physReader struct {
	br       *bufio.Reader
	long     []byte // holds a line longer than the read buffer
	line     int    // lines read so far
	max      int
	skipping bool // the rest of a line over max is still to be discarded
}

func (p *physReader) limit() int {
	if p.max <= 0 {
		return DefaultMaxLine
	}
	return p.max
}

// read returns the next line with its '\n' (the last line of the input may
// lack it). The slice is valid until the next call. It returns io.EOF only
// when there is nothing left. A line over max is returned as a
// *tooLongError with its start (at most KeepBytes bytes): no more
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
			return Keep(p.long), &tooLongError{max: lim, what: "line"}
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
		return Keep(TrimEOL(line)), &tooLongError{max: lim, what: "line"}
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

func (p *physReader) Buffered() int { return p.br.Buffered() }
func (p *physReader) Lines() int    { return p.line }

// lineReader splits a stream on '\n': each line is a record.
type lineReader struct {
	physReader
}

func newLineReader(r io.Reader) *lineReader {
	return &lineReader{physReader{br: bufio.NewReaderSize(r, ReadBufSize)}}
}

// next returns the next line without its '\n' and without a trailing '\r'.
// The last line counts even without a newline.
func (lr *lineReader) Next() ([]byte, int, error) {
	line, err := lr.read()
	if IsTooLong(err) {
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
