package formats

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/streamsql/streamsql/types"
)

// csvDecoder reads comma-separated values with encoding/csv's quoting rules
// (RFC 4180): a field starting with a quote runs to the matching quote and
// may hold delimiters, newlines and doubled quotes; a quote elsewhere in an
// unquoted field is an error; "\r\n" ends a line like "\n"; empty lines are
// skipped. Its records come from csvReader, which keeps a quoted newline
// inside its record.
//
// With a header (the default) the first record of each stream names the
// columns, and each stream maps the bound columns to its own header by
// name, so files may order or omit columns differently (an omitted one is
// NULL). Without one (header => false) the columns are c1, c2, ... by
// position. Every record must have as many fields as the header, the
// declared schema or, failing both, the stream's first record.
//
// Without a schema fields are typed by their text (inferField); with one
// they are converted to the declared types (convertText).
type csvDecoder struct {
	recordOpts
	delim  byte
	header bool
	shape

	cols    []string     // output columns: bound, or the schema's before Bind
	kinds   []types.Kind // declared type per output column; KindNull infers
	colsSet bool         // cols is up to date (before Bind)

	// Per stream.
	atStart    bool     // no record seen yet: a byte order mark is dropped
	needHeader bool     // the next record is the header
	badHeader  bool     // the header did not parse: records cannot be mapped
	hdr        []string // the stream's header
	outField   []int    // field of each output column, -1 if absent
	mapped     bool     // outField is up to date
	want       int      // fields per record; 0 until the first record
	wantFrom   string
	warn       string

	// Reused per record.
	spans   []span
	buf     []byte // one unescaped quoted field
	text    []byte // the TEXT values of a row, made one string
	pending []pendingText
}

// span is one field of a record: rec[start:end], holding doubled quotes
// when esc.
type span struct {
	start, end int
	esc        bool
}

// pendingText is a TEXT value waiting for the row's text string.
type pendingText struct{ col, start, end int }

var utf8BOM = []byte("\xef\xbb\xbf")

func newCSVDecoder(delim byte, header bool, declared types.Schema) *csvDecoder {
	d := &csvDecoder{delim: delim, header: header, shape: shape{declared: declared}}
	d.StartStream()
	return d
}

func (d *csvDecoder) Name() string { return "csv" }

func (d *csvDecoder) StartStream() {
	d.atStart = true
	d.needHeader = d.header
	d.badHeader = false
	d.hdr = nil
	d.want = 0
	d.wantFrom = "as in the first record"
	switch {
	case d.header:
		d.wantFrom = "as in the header"
	case d.declared != nil:
		d.want = len(d.declared)
		d.wantFrom = "as in the schema"
	}
	if d.header {
		d.mapped = false
	}
}

func (d *csvDecoder) newRecordReader(r io.Reader) RecordReader {
	return &csvReader{physReader: physReader{br: bufio.NewReaderSize(r, ReadBufSize), max: d.limit()}, delim: d.delim}
}

func (d *csvDecoder) Schema() Schema { return d.shape.schema(d.cols) }

// positional returns the field index of column cN (header => false).
func positional(name string) (int, bool) {
	if len(name) < 2 || name[0] != 'c' || name[1] == '0' {
		return 0, false
	}
	n, err := strconv.Atoi(name[1:])
	if err != nil || n < 1 {
		return 0, false
	}
	return n - 1, true
}

func (d *csvDecoder) Bind(columns []string) error {
	for _, c := range columns {
		switch {
		case d.declared != nil:
			if d.declared.Index(c) < 0 {
				return fmt.Errorf("format csv has no column %q (schema: %s)", c, strings.Join(d.declared.Names(), ", "))
			}
		case !d.header:
			if _, ok := positional(c); !ok || (d.sampled && d.known.Index(c) < 0) {
				cols := "c1, c2, ..."
				if d.sampled {
					cols = strings.Join(d.known.Names(), ", ")
				}
				return fmt.Errorf("format csv with header => false has no column %q (columns: %s)", c, cols)
			}
		case d.sampled && d.known.Index(c) < 0:
			return fmt.Errorf("format csv has no column %q (header columns: %s)", c, strings.Join(d.known.Names(), ", "))
		}
	}
	d.setCols(columns)
	d.bound = true
	return nil
}

func (d *csvDecoder) setCols(names []string) {
	d.cols = append([]string(nil), names...)
	d.kinds = make([]types.Kind, len(names))
	if d.declared != nil {
		for i, n := range names {
			d.kinds[i] = d.typeOf(n)
		}
	}
	d.outField = make([]int, len(names))
	d.colsSet = true
	d.mapped = false
}

// mapColumns finds the field of each output column: by header name (exact,
// else the one header name equal ignoring case), by schema position or by
// cN without a header.
func (d *csvDecoder) mapColumns() {
	if !d.bound && !d.colsSet {
		d.setCols(d.Schema().Columns.Names())
	}
	var missing []string
	for j, c := range d.cols {
		f := -1
		switch {
		case d.header:
			for i, h := range d.hdr {
				if h == c {
					f = i
					break
				}
			}
			if f < 0 {
				for i, h := range d.hdr {
					if strings.EqualFold(h, c) {
						if f >= 0 {
							f = -1 // ambiguous
							break
						}
						f = i
					}
				}
			}
			if f < 0 {
				missing = append(missing, strconv.Quote(c))
			}
		case d.declared != nil:
			f = d.declared.Index(c)
		default:
			if n, ok := positional(c); ok {
				f = n
			}
		}
		d.outField[j] = f
	}
	d.mapped = true
	switch len(missing) {
	case 0:
	case 1:
		d.warn = "the header has no column " + missing[0] + "; it reads as NULL"
	default:
		d.warn = "the header has no columns " + strings.Join(missing, ", ") + "; they read as NULL"
	}
}

func (d *csvDecoder) Warning() string {
	w := d.warn
	d.warn = ""
	return w
}

// headerNames reads the header from the spans of rec: names trimmed, an
// empty one named by its position (c3).
func (d *csvDecoder) headerNames(rec []byte) []string {
	names := make([]string, len(d.spans))
	for i, sp := range d.spans {
		n := strings.TrimSpace(string(d.field(rec, sp)))
		if n == "" {
			n = "c" + strconv.Itoa(i+1)
		}
		names[i] = n
	}
	return names
}

var errBadHeader = errors.New("skipped: the header of this input is malformed")

func (d *csvDecoder) Decode(rec []byte, dst types.Row) error {
	if d.atStart {
		rec = bytes.TrimPrefix(rec, utf8BOM)
	}
	if len(rec) == 0 {
		return ErrSkip
	}
	d.atStart = false
	// Invalid UTF-8 becomes U+FFFD (never a delimiter or a quote, so the
	// fields stay where they were).
	rec = ValidUTF8(rec)
	if err := d.split(rec); err != nil {
		if d.needHeader {
			d.needHeader, d.badHeader = false, true
			return fmt.Errorf("header: %w", err)
		}
		return err
	}
	if d.needHeader {
		d.needHeader = false
		d.hdr = d.headerNames(rec)
		d.want = len(d.hdr)
		d.mapColumns()
		return ErrSkip
	}
	if d.badHeader {
		return errBadHeader
	}
	if !d.mapped {
		d.mapColumns()
	}
	if d.want == 0 {
		d.want = len(d.spans)
	}
	if len(d.spans) != d.want {
		return fmt.Errorf("wrong number of fields: got %d, want %d %s", len(d.spans), d.want, d.wantFrom)
	}
	d.text = d.text[:0]
	d.pending = d.pending[:0]
	for j, f := range d.outField {
		if j >= len(dst) {
			break
		}
		if f < 0 || f >= len(d.spans) {
			dst[j] = types.Null
			continue
		}
		b := d.field(rec, d.spans[f])
		switch k := d.kinds[j]; k {
		case types.KindNull:
			if v, ok := inferField(b); ok {
				dst[j] = v
				continue
			}
		case types.KindText:
			if len(b) == 0 {
				dst[j] = types.Null
				continue
			}
		default:
			v, err := convertText(d.cols[j], b, k, false)
			if err != nil {
				return err
			}
			dst[j] = v
			continue
		}
		start := len(d.text)
		d.text = append(d.text, b...)
		d.pending = append(d.pending, pendingText{j, start, len(d.text)})
	}
	if len(d.pending) > 0 {
		s := string(d.text) // one allocation for the row's text
		for _, p := range d.pending {
			dst[p.col] = types.Text(s[p.start:p.end])
		}
	}
	return nil
}

// field returns the value of a field, its doubled quotes undone. The
// result is valid until the next call.
func (d *csvDecoder) field(rec []byte, sp span) []byte {
	b := rec[sp.start:sp.end]
	if !sp.esc {
		return b
	}
	d.buf = d.buf[:0]
	for {
		i := bytes.IndexByte(b, '"')
		if i < 0 {
			return append(d.buf, b...)
		}
		d.buf = append(d.buf, b[:i+1]...)
		b = b[i+2:] // skip the second quote of the pair
	}
}

// split finds the fields of rec into d.spans.
func (d *csvDecoder) split(rec []byte) error {
	d.spans = d.spans[:0]
	delim := d.delim
	if bytes.IndexByte(rec, '"') < 0 { // the common case: no quoting
		start := 0
		for {
			i := bytes.IndexByte(rec[start:], delim)
			if i < 0 {
				d.spans = append(d.spans, span{start: start, end: len(rec)})
				return nil
			}
			d.spans = append(d.spans, span{start: start, end: start + i})
			start += i + 1
		}
	}
	i := 0
	for {
		if i < len(rec) && rec[i] == '"' {
			j, esc := i+1, false
			for {
				k := bytes.IndexByte(rec[j:], '"')
				if k < 0 {
					return fmt.Errorf("field %d: quoted field is not closed", len(d.spans)+1)
				}
				j += k
				if j+1 < len(rec) && rec[j+1] == '"' {
					esc = true
					j += 2
					continue
				}
				break
			}
			d.spans = append(d.spans, span{start: i + 1, end: j, esc: esc})
			j++
			if j == len(rec) {
				return nil
			}
			if rec[j] != delim {
				return fmt.Errorf(`field %d: extraneous or missing " in quoted field`, len(d.spans))
			}
			i = j + 1
			continue
		}
		end := len(rec)
		k := bytes.IndexByte(rec[i:], delim)
		if k >= 0 {
			end = i + k
		}
		if bytes.IndexByte(rec[i:end], '"') >= 0 {
			return fmt.Errorf(`field %d: bare " in non-quoted field`, len(d.spans)+1)
		}
		d.spans = append(d.spans, span{start: i, end: end})
		if k < 0 {
			return nil
		}
		i = end + 1
	}
}

// SampleSchema learns the columns from the first records of the streams:
// with a header, the union of the headers' names in first-seen order;
// without, c1 up to the widest record. Each column is typed by its first
// non-empty field (KindNull if none). Malformed records are ignored. With
// no record at all the schema stays open. A declared schema is not
// sampled.
func (d *csvDecoder) SampleSchema(streams [][][]byte) {
	if d.declared != nil {
		return
	}
	var known types.Schema
	saw := false
	for _, recs := range streams {
		var hdr []string
		want := 0
		for i, rec := range recs {
			if i == 0 {
				rec = bytes.TrimPrefix(rec, utf8BOM)
			}
			if len(rec) == 0 {
				continue
			}
			if err := d.split(rec); err != nil {
				if d.header && hdr == nil {
					break // no usable header in this stream
				}
				continue
			}
			if d.header && hdr == nil {
				hdr = d.headerNames(rec)
				for _, n := range hdr {
					if known.Index(n) < 0 {
						known = append(known, types.Column{Name: n})
					}
				}
				saw = true
				continue
			}
			if want == 0 {
				want = len(d.spans)
			}
			if d.header {
				want = len(hdr)
			}
			if len(d.spans) != want {
				continue
			}
			saw = true
			for f, sp := range d.spans {
				name := "c" + strconv.Itoa(f+1)
				if d.header {
					name = hdr[f]
				}
				c := known.Index(name)
				if c < 0 {
					known = append(known, types.Column{Name: name})
					c = len(known) - 1
				}
				if known[c].Type != types.KindNull {
					continue
				}
				if v, ok := inferField(d.field(rec, sp)); !ok {
					known[c].Type = types.KindText
				} else {
					known[c].Type = v.Kind()
				}
			}
		}
	}
	if !saw {
		return
	}
	d.known = known
	d.sampled = true
	d.colsSet = false
}

// csvReader splits a stream into csv records: a line, or several when a
// quoted field holds newlines. Lines inside a record end in "\n" whether
// the input had "\n" or "\r\n". A quote left open to the end of input
// damages only its own line: that line is the record (Decode reports it,
// "quoted field is not closed") and the lines after it are read again as
// records of their own, so one stray quote does not swallow the rest of a
// file (unless those lines are over max_line together: then they are one
// record too long, reported with its first line).
type csvReader struct {
	physReader
	delim byte
	buf   []byte
	held  []heldLine // lines to read again before reading on
}

// heldLine is a line read past an open quote that never closed.
type heldLine struct {
	text []byte
	line int
}

// readLine is physReader.read with the line's number, taking held lines
// first.
func (r *csvReader) readLine() ([]byte, int, error) {
	if len(r.held) > 0 {
		h := r.held[0]
		r.held = r.held[1:]
		return h.text, h.line, nil
	}
	b, err := r.read()
	return b, r.line, err
}

func (r *csvReader) Next() ([]byte, int, error) {
	line, start, err := r.readLine()
	if IsTooLong(err) {
		return line, start, err
	}
	if err != nil {
		return nil, 0, err
	}
	if !openQuote(line, r.delim, false) {
		return TrimEOL(line), start, nil
	}
	// A record over max_line is not held whole: its lines are read on
	// (to find its end) but no longer kept.
	lim := r.limit()
	r.buf = appendLine(r.buf[:0], line)
	first := len(r.buf)
	var rest []heldLine // the lines after the first while they fit in max_line
	restSize, keepRest := 0, true
	over := false
	for open := true; open; {
		line, n, err := r.readLine()
		if err == io.EOF {
			if keepRest {
				r.held = append(rest, r.held...)
				return TrimEOL(r.buf[:first]), start, nil
			}
			break
		}
		if IsTooLong(err) {
			// Where its quotes stand is unknown: the record ends here.
			over = true
			if len(r.buf) < KeepBytes {
				r.buf = append(r.buf, line...)
			}
			break
		}
		if err != nil {
			return nil, 0, err
		}
		open = openQuote(line, r.delim, true)
		if len(r.buf) <= lim+1 {
			r.buf = appendLine(r.buf, line)
		}
		if restSize += len(line); keepRest && restSize <= lim {
			rest = append(rest, heldLine{bytes.Clone(line), n})
		} else {
			keepRest, rest = false, nil
		}
	}
	if rec := TrimEOL(r.buf); over || len(rec) > lim {
		return Keep(rec), start, &tooLongError{max: lim, what: "record"}
	}
	return TrimEOL(r.buf), start, nil
}

// appendLine appends line, a "\r\n" at its end made "\n".
func appendLine(b, line []byte) []byte {
	if n := len(line); n >= 2 && line[n-2] == '\r' && line[n-1] == '\n' {
		return append(append(b, line[:n-2]...), '\n')
	}
	return append(b, line...)
}

// openQuote reports whether a quoted field is still open at the end of
// line, given whether one was open at its start.
func openQuote(line []byte, delim byte, inQuote bool) bool {
	if !inQuote && bytes.IndexByte(line, '"') < 0 {
		return false
	}
	fieldStart := !inQuote
	for i := 0; i < len(line); i++ {
		if inQuote {
			k := bytes.IndexByte(line[i:], '"')
			if k < 0 {
				return true
			}
			i += k
			if i+1 < len(line) && line[i+1] == '"' {
				i++
				continue
			}
			inQuote, fieldStart = false, false
			continue
		}
		switch c := line[i]; {
		case c == '"' && fieldStart:
			inQuote = true
		case c == delim:
			fieldStart = true
		default:
			fieldStart = false
		}
	}
	return inQuote
}
