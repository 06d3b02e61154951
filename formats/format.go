package formats

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unsafe"

	"github.com/streamsql/streamsql/types"
)

// Package formats holds the codecs of text records, apart from the
// transports that carry them (package sources) and the tables that load
// them (package tables): the text, jsonl and csv decoders, declared
// schemas (schema => 'name TYPE, ...'), and the framing of a stream into
// records with the limits on bad input (max_line, dead_letter options).
// Everything here is about bytes and rows: nothing reads a file or a
// socket, nothing knows a query.
//
// Formats turn the text records of a source into rows. The format option
// picks one:
//
//   - text: each line is one row with the single TEXT column line.
//   - jsonl (alias json): each line is a JSON object; a column is a
//     top-level field, or a nested one by its dotted path (meta.loc). JSON
//     numbers are BIGINT when written as integers that fit, else DOUBLE;
//     strings TEXT; true/false BOOLEAN; arrays ARRAY of values typed the
//     same way; objects their compact JSON as TEXT; null and missing fields
//     NULL.
//   - csv: comma-separated values with encoding/csv quoting (a quoted field
//     may hold delimiters, doubled quotes and newlines). The first record
//     of each file (or of stdin) names the columns, matched to the query's
//     columns by name per file, so files may order them differently. Fields
//     are typed by their text, like SQLite's dynamic typing, each value on
//     its own (a column may mix types from row to row): empty is NULL,
//     integers BIGINT, decimals and exponents DOUBLE, true/false BOOLEAN,
//     anything else TEXT (see inferField). Quoting does not change a type:
//     declare a schema to keep '007' as text. Blank lines are skipped; a
//     record with a different number of fields than its header is
//     malformed, and so is one with a stray quote (a quote left open to
//     the end of the input makes its own line malformed; the lines after
//     it are read as records again). Options: header =>
//     false (no header record: the columns are c1, c2, ...) and delimiter
//     => ';' (one ASCII character; '\t' or 'tab' for a tab).
//
// Every format accepts schema => 'name TYPE, ...' to declare the columns
// and their types instead of learning them from the data (see schema.go).

// Schema is what a decoder (and so a source) knows about its columns
// before the query binds it.
type Schema struct {
	Columns types.Schema
	// Open is true when rows may carry columns not listed (schemaless JSON
	// with no sample to look at): the planner then accepts any column name.
	Open bool
	// Typed is true when every value is guaranteed to have its column's
	// Type (a declared schema, or the text format's line); sampled types
	// are only a hint, and the planner does not type-check against them.
	Typed bool
}

// Settings are the evaluated named arguments of a source or table call;
// a decoder reads those of Options and ignores the rest.
type Settings map[string]types.Value

// get returns setting name as text, or def when absent.
func (s Settings) get(name, def string) string {
	if v, ok := s[name]; ok {
		return v.String()
	}
	return def
}

// Decoder turns one text record (a line without its newline, or one csv
// record) into a row of the columns the query reads. A Decoder is used from
// one goroutine only.
type Decoder interface {
	// Schema is what the format knows about its columns: before Bind every
	// known column (and Open for schemaless JSON), after Bind exactly the
	// bound columns in bound order.
	Schema() Schema
	// Bind fixes the output columns and their order. A column the format
	// cannot produce is an error. Before Bind a decoder produces every
	// column Schema lists.
	Bind(columns []string) error
	// Decode fills dst (len(dst) == number of bound columns) from rec. rec
	// is only valid during the call; anything kept is copied. It returns
	// ErrSkip for a record that carries no row (a blank jsonl line, a csv
	// header) and any other error for a malformed record.
	Decode(rec []byte, dst types.Row) error
	// Name is the format's canonical name, as the format option spells it.
	Name() string
}

// Sampler is implemented by decoders that can infer their schema from
// example records (schemaless jsonl, csv). Sources call SampleSchema before
// Bind with the first records they can see, so the planner knows the
// columns. streams holds one slice of records per input (file), in order,
// each starting at the input's first non-blank record; a csv header is the
// first record of its stream.
type Sampler interface {
	SampleSchema(streams [][][]byte)
}

// ErrSkip is returned by Decoder.Decode for a record that is not data (a
// blank jsonl line, a csv header). The caller drops it silently: it is not
// malformed.
var ErrSkip = errors.New("record skipped")

// SampleLines is how many records SampleSchema looks at.
const SampleLines = 100

// Options are the named arguments that configure a source's decoder;
// sources that decode records accept them all (see OpenDecoder).
var Options = []string{"format", "schema", "header", "delimiter", "max_line", "dead_letter", "dead_letter_max"}

// Usage is the part of a source's usage line that describes
// Options.
const Usage = "format => 'text'|'jsonl'|'csv', schema => 'name TYPE, ...', header => true|false, delimiter => ',', max_line => '1MB', dead_letter => 'rejects.jsonl', dead_letter_max => '100MB'"

var formats = map[string]bool{"text": true, "jsonl": true, "json": true, "csv": true}

// NewDecoder returns a decoder for format with default options: "text"
// (also the default, for ""), "jsonl" (alias "json") or "csv". Names are
// case-insensitive.
func NewDecoder(format string) (Decoder, error) {
	return Open(Settings{"format": types.Text(format)})
}

// OpenDecoder returns the decoder the format options in args ask for
// (Options; other named arguments are ignored): format, schema (any
// format), header and delimiter (csv only), max_line and dead_letter (any
// format; see reject.go).
func Open(args Settings) (Decoder, error) {
	opts, err := parseRecordOpts(args)
	if err != nil {
		return nil, err
	}
	dec, err := openFormat(args)
	if err != nil {
		return nil, err
	}
	*dec.(interface{ recordOptions() *recordOpts }).recordOptions() = opts
	return dec, nil
}

// openFormat returns the decoder of OpenDecoder, with default record
// options.
func openFormat(args Settings) (Decoder, error) {
	format := args.get("format", "text")
	f := strings.ToLower(strings.TrimSpace(format))
	if f == "" {
		f = "text"
	}
	if !formats[f] {
		known := make([]string, 0, len(formats))
		for n := range formats {
			known = append(known, n)
		}
		sort.Strings(known)
		return nil, fmt.Errorf("unknown format %q (known formats: %s)", format, strings.Join(known, ", "))
	}
	if f != "csv" {
		for _, o := range []string{"header", "delimiter"} {
			if _, ok := args[o]; ok {
				return nil, fmt.Errorf("option %s applies to format csv only (format is %s)", o, f)
			}
		}
	}
	var declared types.Schema
	if _, ok := args["schema"]; ok {
		var err error
		if declared, err = ParseSchema(args.get("schema", "")); err != nil {
			return nil, err
		}
	}
	switch f {
	case "text":
		if declared != nil {
			if len(declared) != 1 || !strings.EqualFold(declared[0].Name, "line") || declared[0].Type != types.KindText {
				return nil, fmt.Errorf("format text has the single column line TEXT, so schema %s does not fit it (use format => 'csv' or 'jsonl' for typed columns)",
					Quote(args.get("schema", "")))
			}
		}
		return newTextDecoder(), nil
	case "csv":
		header := true
		if _, ok := args["header"]; ok {
			h := args.get("header", "")
			b, err := strconv.ParseBool(strings.ToLower(strings.TrimSpace(h)))
			if err != nil {
				return nil, fmt.Errorf("header must be true or false, got %s", Quote(h))
			}
			header = b
		}
		delim := byte(',')
		if _, ok := args["delimiter"]; ok {
			d, err := parseDelimiter(args.get("delimiter", ""))
			if err != nil {
				return nil, err
			}
			delim = d
		}
		return newCSVDecoder(delim, header, declared), nil
	}
	return newJSONDecoder(declared), nil
}

// parseDelimiter reads the delimiter option: one ASCII character other
// than a quote or a line break; '\t' (backslash, t) or 'tab' mean a tab.
func parseDelimiter(s string) (byte, error) {
	switch strings.ToLower(s) {
	case `\t`, "tab":
		return '\t', nil
	}
	if len(s) != 1 || s[0] >= 0x80 || s[0] == '"' || s[0] == '\r' || s[0] == '\n' || s[0] == 0 {
		return 0, fmt.Errorf("delimiter must be one ASCII character other than a quote or a line break, got %s", Quote(s))
	}
	return s[0], nil
}

// textDecoder yields each line as the single TEXT column "line".
type textDecoder struct {
	recordOpts
	n     int // bound columns, each of them "line"
	bound bool
	slab  slab // backing store of the lines handed out
	// joined: records are runs of whole lines from a block reader, whose
	// bytes are never reused (see JoinLines).
	joined bool
}

// JoinLines makes the decoder's records runs of whole lines (see
// LineJoiner): the word count's input, read a block at a time.
func (d *textDecoder) JoinLines() { d.joined = true }

func newTextDecoder() *textDecoder { return &textDecoder{n: 1} }

var textSchema = types.Schema{{Name: "line", Type: types.KindText}}

func (d *textDecoder) Name() string { return "text" }

func (d *textDecoder) Schema() Schema {
	if !d.bound {
		return Schema{Columns: textSchema, Typed: true}
	}
	cols := make(types.Schema, d.n)
	for i := range cols {
		cols[i] = textSchema[0]
	}
	return Schema{Columns: cols, Typed: true}
}

func (d *textDecoder) Bind(columns []string) error {
	for _, c := range columns {
		if c != "line" {
			return fmt.Errorf("format text has no column %q (it has one column, line)", c)
		}
	}
	d.n = len(columns)
	d.bound = true
	return nil
}

func (d *textDecoder) Decode(rec []byte, dst types.Row) error {
	if len(dst) == 0 {
		return nil
	}
	var v types.Value
	if d.joined {
		// A block of its own, never written again: kept as it is.
		rec = ValidUTF8(rec)
		v = types.Text(unsafe.String(unsafe.SliceData(rec), len(rec)))
	} else {
		v = types.Text(d.intern(ValidUTF8(rec)))
	}
	for i := range dst {
		dst[i] = v
	}
	return nil
}

// intern copies a line into the decoder's slab (see slab).
func (d *textDecoder) intern(rec []byte) string { return d.slab.intern(rec) }

// slab is where a decoder copies the text it hands out, so texts cost one
// allocation per 64 KiB rather than one each. Bytes once handed out are
// never written again (the slab is only appended to, then replaced), which
// is what makes the strings safe.
type slab struct{ buf []byte }

func (s *slab) intern(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if len(b) > cap(s.buf)-len(s.buf) {
		s.buf = make([]byte, 0, max(64<<10, len(b)))
	}
	off := len(s.buf)
	s.buf = append(s.buf, b...)
	return unsafe.String(&s.buf[off], len(b))
}

// isBlank reports whether b holds only JSON whitespace.
func IsBlank(b []byte) bool {
	for _, c := range b {
		if c != ' ' && c != '\t' && c != '\r' && c != '\n' {
			return false
		}
	}
	return true
}

// shape is what a decoder with named columns (csv, jsonl) knows of them:
// a declared schema, or one sampled from the data.
type shape struct {
	declared types.Schema // from the schema option; nil when none
	known    types.Schema // from SampleSchema
	sampled  bool
	bound    bool
}

// typeOf is the type Schema reports for column name.
func (s *shape) typeOf(name string) types.Kind {
	cols := s.known
	if s.declared != nil {
		cols = s.declared
	}
	if i := cols.Index(name); i >= 0 {
		return cols[i].Type
	}
	return types.KindNull
}

// schema is Schema for a decoder whose bound columns are names.
func (s *shape) schema(names []string) Schema {
	if !s.bound {
		if s.declared != nil {
			return Schema{Columns: s.declared, Typed: true}
		}
		return Schema{Columns: s.known, Open: !s.sampled}
	}
	cols := make(types.Schema, len(names))
	for i, n := range names {
		cols[i] = types.Column{Name: n, Type: s.typeOf(n)}
	}
	return Schema{Columns: cols, Typed: s.declared != nil}
}
