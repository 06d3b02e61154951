package sources

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/streamsql/streamsql/types"
	"github.com/valyala/fastjson"
)

// Decoder turns one text record (a line without its newline) into a row of
// the columns the query reads. A Decoder is used from one goroutine only.
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
	// ErrSkip for a record that carries no row (a blank jsonl line) and any
	// other error for a malformed record.
	Decode(rec []byte, dst types.Row) error
	// Name is the format's canonical name, as the format option spells it.
	Name() string
}

// Sampler is implemented by decoders that can infer their schema from
// example records (schemaless jsonl). Sources call SampleSchema before Bind
// with the first records they can see, so the planner knows the columns.
type Sampler interface {
	SampleSchema(lines [][]byte)
}

// ErrSkip is returned by Decoder.Decode for a record that is not data (a
// blank jsonl line). The caller drops it silently: it is not malformed.
var ErrSkip = errors.New("record skipped")

// sampleLines is how many records SampleSchema looks at.
const sampleLines = 100

var formats = map[string]func() Decoder{
	"text":  func() Decoder { return newTextDecoder() },
	"jsonl": func() Decoder { return newJSONDecoder() },
	"json":  func() Decoder { return newJSONDecoder() },
}

// NewDecoder returns a decoder for format: "text" (also the default, for
// ""), or "jsonl" (alias "json"). Names are case-insensitive.
func NewDecoder(format string) (Decoder, error) {
	f := strings.ToLower(strings.TrimSpace(format))
	if f == "" {
		f = "text"
	}
	if mk, ok := formats[f]; ok {
		return mk(), nil
	}
	known := make([]string, 0, len(formats))
	for n := range formats {
		known = append(known, n)
	}
	sort.Strings(known)
	return nil, fmt.Errorf("unknown format %q (known formats: %s)", format, strings.Join(known, ", "))
}

// textDecoder yields each line as the single TEXT column "line".
type textDecoder struct {
	n     int // bound columns, each of them "line"
	bound bool
}

func newTextDecoder() *textDecoder { return &textDecoder{n: 1} }

var textSchema = types.Schema{{Name: "line", Type: types.KindText}}

func (d *textDecoder) Name() string { return "text" }

func (d *textDecoder) Schema() Schema {
	if !d.bound {
		return Schema{Columns: textSchema}
	}
	cols := make(types.Schema, d.n)
	for i := range cols {
		cols[i] = textSchema[0]
	}
	return Schema{Columns: cols}
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
	v := types.Text(string(rec))
	for i := range dst {
		dst[i] = v
	}
	return nil
}

// jsonDecoder reads one JSON object per line (JSON Lines). Each top-level
// field is a column; only bound fields are converted.
type jsonDecoder struct {
	p       fastjson.Parser
	known   types.Schema // from SampleSchema; nil means open
	sampled bool
	cols    []string // bound columns; nil before Bind
	bound   bool
	scratch []byte
}

func newJSONDecoder() *jsonDecoder { return &jsonDecoder{} }

func (d *jsonDecoder) Name() string { return "jsonl" }

func (d *jsonDecoder) Schema() Schema {
	if !d.bound {
		return Schema{Columns: d.known, Open: !d.sampled}
	}
	cols := make(types.Schema, len(d.cols))
	for i, name := range d.cols {
		cols[i] = types.Column{Name: name, Type: types.KindNull}
		if j := d.known.Index(name); j >= 0 {
			cols[i].Type = d.known[j].Type
		}
	}
	return Schema{Columns: cols}
}

func (d *jsonDecoder) Bind(columns []string) error {
	if d.sampled {
		for _, c := range columns {
			if d.known.Index(c) < 0 {
				return fmt.Errorf("format jsonl has no column %q (sampled fields: %s)", c, strings.Join(d.known.Names(), ", "))
			}
		}
	}
	d.cols = append([]string(nil), columns...)
	d.bound = true
	return nil
}

// SampleSchema infers the columns from example lines: the union of the
// top-level fields of the first 100 JSON object lines, in first-seen order,
// each typed by its first non-null value (KindNull if only ever null).
// Blank and malformed lines are ignored. If no line is a JSON object the
// schema stays open.
func (d *jsonDecoder) SampleSchema(lines [][]byte) {
	var known types.Schema
	seen := 0
	for _, line := range lines {
		if seen == sampleLines {
			break
		}
		if isBlank(line) {
			continue
		}
		v, err := d.p.ParseBytes(line)
		if err != nil {
			continue
		}
		o, err := v.Object()
		if err != nil {
			continue
		}
		seen++
		o.Visit(func(key []byte, fv *fastjson.Value) {
			k := jsonKind(fv)
			for i := range known {
				if known[i].Name == string(key) {
					if known[i].Type == types.KindNull {
						known[i].Type = k
					}
					return
				}
			}
			known = append(known, types.Column{Name: string(key), Type: k})
		})
	}
	if seen == 0 {
		return
	}
	d.known = known
	d.sampled = true
}

// jsonKind is the SQL type a JSON value converts to.
func jsonKind(v *fastjson.Value) types.Kind {
	switch v.Type() {
	case fastjson.TypeNull:
		return types.KindNull
	case fastjson.TypeTrue, fastjson.TypeFalse:
		return types.KindBool
	case fastjson.TypeNumber:
		if _, ok := jsonInt(v, v.MarshalTo(nil)); ok {
			return types.KindInt
		}
		return types.KindFloat
	}
	return types.KindText // strings, objects, arrays
}

func (d *jsonDecoder) Decode(rec []byte, dst types.Row) error {
	if isBlank(rec) {
		return ErrSkip
	}
	v, err := d.p.ParseBytes(rec)
	if err != nil {
		return fmt.Errorf("invalid JSON: %v", err)
	}
	o, err := v.Object()
	if err != nil {
		return fmt.Errorf("not a JSON object (got %s)", v.Type())
	}
	if !d.bound {
		// Unbound and sampled: produce the known columns.
		for i, c := range d.known {
			if i < len(dst) {
				dst[i] = d.convert(o.Get(c.Name))
			}
		}
		return nil
	}
	for i, name := range d.cols {
		dst[i] = d.convert(o.Get(name))
	}
	return nil
}

func (d *jsonDecoder) convert(v *fastjson.Value) types.Value {
	if v == nil {
		return types.Null
	}
	switch v.Type() {
	case fastjson.TypeString:
		b, _ := v.StringBytes()
		return types.Text(string(b))
	case fastjson.TypeNumber:
		d.scratch = v.MarshalTo(d.scratch[:0])
		if i, ok := jsonInt(v, d.scratch); ok {
			return types.Int(i)
		}
		f, err := v.Float64()
		if err != nil {
			// fastjson accepted the token as a number; keep its text
			// rather than lose it.
			return types.Text(string(d.scratch))
		}
		return types.Float(f)
	case fastjson.TypeTrue:
		return types.Bool(true)
	case fastjson.TypeFalse:
		return types.Bool(false)
	case fastjson.TypeObject, fastjson.TypeArray:
		d.scratch = v.MarshalTo(d.scratch[:0])
		return types.Text(string(d.scratch))
	}
	return types.Null
}

// jsonInt returns the number v, whose JSON text is raw, as an int64 when it
// is written as an integer (optional minus sign, digits only) that fits.
func jsonInt(v *fastjson.Value, raw []byte) (int64, bool) {
	i := 0
	if len(raw) > 0 && raw[0] == '-' {
		i = 1
	}
	if i == len(raw) {
		return 0, false
	}
	for ; i < len(raw); i++ {
		if raw[i] < '0' || raw[i] > '9' {
			return 0, false
		}
	}
	n, err := v.Int64()
	if err != nil {
		return 0, false // out of int64 range
	}
	return n, true
}

// isBlank reports whether b holds only JSON whitespace.
func isBlank(b []byte) bool {
	for _, c := range b {
		if c != ' ' && c != '\t' && c != '\r' && c != '\n' {
			return false
		}
	}
	return true
}
