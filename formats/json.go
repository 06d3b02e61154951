package formats

import (
	"fmt"
	"math"
	"strings"

	"github.com/streamsql/streamsql/types"
	"github.com/valyala/fastjson"
)

// Limits on the nested paths SampleSchema lists, so an object used as a
// map with many keys does not flood the schema.
const (
	maxNestedDepth = 8
	MaxNestedPaths = 256
)

// jsonDecoder reads one JSON object per line (JSON Lines). A column is a
// top-level field or, by a dotted name (meta.loc), a nested one; only bound
// columns are converted.
type jsonDecoder struct {
	recordOpts
	p fastjson.Parser
	shape
	cols    []jsonCol // output columns: bound, or the schema's before Bind
	colsSet bool      // cols is up to date (before Bind)
	scratch []byte
	slab    slab // backing store of the texts handed out
}

// text is a TEXT value of the JSON text b: valid UTF-8 (fastjson passes
// invalid bytes in strings through; they become U+FFFD), copied to the
// slab.
func (d *jsonDecoder) text(b []byte) types.Value {
	return types.Text(d.slab.intern(ValidUTF8(b)))
}

// jsonCol is an output column.
type jsonCol struct {
	name string
	path []string   // name split on dots; nil when it has none
	kind types.Kind // declared type; KindNull: typed by the JSON value
}

func newJSONDecoder(declared types.Schema) *jsonDecoder {
	return &jsonDecoder{shape: shape{declared: declared}}
}

func (d *jsonDecoder) Name() string { return "jsonl" }

// Clone is a decoder bound like d with buffers of its own (see Cloner).
func (d *jsonDecoder) Clone() Decoder {
	return &jsonDecoder{recordOpts: d.recordOpts, shape: d.shape, cols: d.cols, colsSet: d.colsSet}
}

func (d *jsonDecoder) Schema() Schema {
	names := make([]string, len(d.cols))
	for i, c := range d.cols {
		names[i] = c.name
	}
	return d.shape.schema(names)
}

func (d *jsonDecoder) Bind(columns []string) error {
	for _, c := range columns {
		switch {
		case d.declared != nil && d.declared.Index(c) < 0:
			return fmt.Errorf("format jsonl has no column %q (schema: %s)", c, strings.Join(d.declared.Names(), ", "))
		case d.declared == nil && d.sampled && d.known.Index(c) < 0:
			return fmt.Errorf("format jsonl has no column %q (sampled fields: %s)", c, strings.Join(d.known.Names(), ", "))
		}
	}
	d.setCols(columns)
	d.bound = true
	return nil
}

func (d *jsonDecoder) setCols(names []string) {
	d.cols = make([]jsonCol, len(names))
	for i, n := range names {
		c := jsonCol{name: n}
		if strings.Contains(n, ".") {
			c.path = strings.Split(n, ".")
		}
		if d.declared != nil {
			c.kind = d.typeOf(n)
		}
		d.cols[i] = c
	}
	d.colsSet = true
}

// SampleSchema infers the columns from example lines: the union of the
// fields of the first 100 JSON object lines, top-level fields first, then
// the paths of nested objects' fields (meta.loc, meta.loc.lat), each group
// in first-seen order, each column typed by its first non-null value
// (KindNull if only ever null). Blank and malformed lines are ignored. If
// no line is a JSON object the schema stays open. A declared schema is not
// sampled.
func (d *jsonDecoder) SampleSchema(streams [][][]byte) {
	if d.declared != nil {
		return
	}
	var top, nested types.Schema
	add := func(name string, v *fastjson.Value, isTop bool) bool {
		for _, s := range []types.Schema{top, nested} {
			if i := s.Index(name); i >= 0 {
				if s[i].Type == types.KindNull {
					s[i].Type = jsonKind(v)
				}
				return true
			}
		}
		if isTop {
			top = append(top, types.Column{Name: name, Type: jsonKind(v)})
			return true
		}
		if len(nested) >= MaxNestedPaths {
			return false
		}
		nested = append(nested, types.Column{Name: name, Type: jsonKind(v)})
		return true
	}
	var visit func(prefix string, o *fastjson.Object, depth int)
	visit = func(prefix string, o *fastjson.Object, depth int) {
		o.Visit(func(key []byte, fv *fastjson.Value) {
			name := prefix + "." + string(key)
			if add(name, fv, false) && fv.Type() == fastjson.TypeObject && depth < maxNestedDepth {
				inner, _ := fv.Object()
				visit(name, inner, depth+1)
			}
		})
	}
	seen := 0
	for _, recs := range streams {
		for _, line := range recs {
			if seen == SampleLines {
				break
			}
			if IsBlank(line) {
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
			o.Visit(func(key []byte, fv *fastjson.Value) { add(string(key), fv, true) })
			o.Visit(func(key []byte, fv *fastjson.Value) {
				if fv.Type() == fastjson.TypeObject {
					inner, _ := fv.Object()
					visit(string(key), inner, 1)
				}
			})
		}
	}
	if seen == 0 {
		return
	}
	d.known = append(top, nested...)
	d.sampled = true
	d.colsSet = false
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
	case fastjson.TypeArray:
		return types.KindArray
	}
	return types.KindText // strings, objects
}

func (d *jsonDecoder) Decode(rec []byte, dst types.Row) error {
	if IsBlank(rec) {
		return ErrSkip
	}
	// fastjson passes invalid UTF-8 in strings through: each text taken
	// from the record is made valid (d.text).
	v, err := d.p.ParseBytes(rec)
	if err != nil {
		// The message quotes the record, which may not be valid UTF-8.
		return fmt.Errorf("invalid JSON: %s", strings.ToValidUTF8(err.Error(), "\uFFFD"))
	}
	if v.Type() != fastjson.TypeObject {
		return fmt.Errorf("not a JSON object (got %s)", v.Type())
	}
	if !d.bound && !d.colsSet {
		d.setCols(d.Schema().Columns.Names())
	}
	for i := range d.cols {
		if i >= len(dst) {
			break
		}
		c := &d.cols[i]
		fv := v.Get(c.name)
		if fv == nil && c.path != nil {
			fv = v.Get(c.path...)
		}
		if fv == nil && d.declared == nil {
			fv = getFold(v, c.name)
		}
		if c.kind == types.KindNull {
			dst[i] = d.convert(fv)
			if dst[i].Kind() == types.KindFloat && math.IsInf(dst[i].AsFloat(), 0) {
				// JSON has no infinity: the number was out of range
				// (1e400), malformed as it is with a declared DOUBLE.
				_, err := convertText(c.name, fv.MarshalTo(d.scratch[:0]), types.KindFloat, true)
				if err == nil {
					err = fmt.Errorf("column %s: %s is out of range for DOUBLE", c.name, fv.MarshalTo(nil))
				}
				return err
			}
			continue
		}
		if dst[i], err = d.convertTo(c.name, fv, c.kind); err != nil {
			return err
		}
	}
	return nil
}

// convert types a JSON value by its JSON type.
func (d *jsonDecoder) convert(v *fastjson.Value) types.Value {
	if v == nil {
		return types.Null
	}
	switch v.Type() {
	case fastjson.TypeString:
		b, _ := v.StringBytes()
		return d.text(b)
	case fastjson.TypeNumber:
		d.scratch = v.MarshalTo(d.scratch[:0])
		if i, ok := jsonInt(v, d.scratch); ok {
			return types.Int(i)
		}
		f, err := v.Float64()
		if err != nil {
			// fastjson accepted the token as a number; keep its text
			// rather than lose it.
			return d.text(d.scratch)
		}
		return types.Float(f)
	case fastjson.TypeTrue:
		return types.Bool(true)
	case fastjson.TypeFalse:
		return types.Bool(false)
	case fastjson.TypeArray:
		elems, _ := v.Array()
		out := make([]types.Value, len(elems))
		for i, e := range elems {
			out[i] = d.convert(e)
		}
		return types.Array(out)
	case fastjson.TypeObject:
		d.scratch = v.MarshalTo(d.scratch[:0])
		return d.text(d.scratch)
	}
	return types.Null
}

// convertTo converts a JSON value to the declared type k of column col.
// null and missing are NULL; a value that does not fit is an error.
func (d *jsonDecoder) convertTo(col string, v *fastjson.Value, k types.Kind) (types.Value, error) {
	if v == nil {
		return types.Null, nil
	}
	switch v.Type() {
	case fastjson.TypeNull:
		return types.Null, nil
	case fastjson.TypeString:
		b, _ := v.StringBytes()
		if k == types.KindText {
			return d.text(b), nil
		}
		return convertText(col, ValidUTF8(b), k, false)
	case fastjson.TypeNumber:
		if k == types.KindText {
			return types.Text(d.convert(v).String()), nil
		}
		d.scratch = v.MarshalTo(d.scratch[:0])
		if k == types.KindBool {
			return types.Null, &convError{col: col, val: string(d.scratch), kind: k}
		}
		return convertText(col, d.scratch, k, true)
	case fastjson.TypeTrue, fastjson.TypeFalse:
		b := v.Type() == fastjson.TypeTrue
		switch k {
		case types.KindBool:
			return types.Bool(b), nil
		case types.KindText:
			return types.Text(types.Bool(b).String()), nil
		}
		return types.Null, &convError{col: col, val: types.Bool(b).String(), kind: k}
	}
	// Objects and arrays.
	d.scratch = v.MarshalTo(d.scratch[:0])
	if k == types.KindText {
		return d.text(d.scratch), nil
	}
	shown := string(ValidUTF8(d.scratch))
	if len(shown) > 40 {
		shown = shown[:40] + "..."
	}
	return types.Null, &convError{col: col, val: shown, kind: k}
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

// getFold finds a top-level field whose name matches name but for case:
// SQL names are not case-sensitive, so `SELECT Temp` finds "temp" when the
// exact spelling is absent. It runs only for fields missing as spelt.
func getFold(v *fastjson.Value, name string) *fastjson.Value {
	o, err := v.Object()
	if err != nil {
		return nil
	}
	var found *fastjson.Value
	o.Visit(func(k []byte, fv *fastjson.Value) {
		if found == nil && strings.EqualFold(string(k), name) {
			found = fv
		}
	})
	return found
}
