package sources

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"unicode/utf8"

	"github.com/streamsql/streamsql/formats"

	"github.com/streamsql/streamsql/types"
)

// fuzzFormat is one decoder configuration FuzzDecode runs every input
// through.
type fuzzFormat struct {
	name  string
	named map[string]types.Value // OpenDecoder's named arguments
	// bind is the columns bound when the schema is not sampled from the
	// input; nil binds whatever Schema lists.
	bind []string
	// declared is the kind of each bound column when the format promises
	// it (Typed): a decoded value has that kind or is NULL.
	declared []types.Kind
	// sample also runs the input through SampleSchema, then binds every
	// sampled column, as SELECT * does.
	sample bool
}

var fuzzFormats = []fuzzFormat{
	{name: "text", named: fuzzArgs("format", "text"), bind: []string{"line", "line"},
		declared: []types.Kind{types.KindText, types.KindText}},
	{name: "csv", named: fuzzArgs("format", "csv"), bind: []string{"a", "b", "c"}, sample: true},
	{name: "csv-noheader", named: fuzzArgs("format", "csv", "header", "false", "delimiter", ";"),
		bind: []string{"c2", "c1"}, sample: true},
	{name: "csv-schema", named: fuzzArgs("format", "csv", "schema", "a BIGINT, b TEXT, c TIMESTAMP"),
		bind: []string{"c", "a", "b"}, declared: []types.Kind{types.KindTime, types.KindInt, types.KindText}},
	{name: "jsonl", named: fuzzArgs("format", "jsonl"), bind: []string{"a", "b", "c", "meta.loc"}, sample: true},
	{name: "jsonl-schema", named: fuzzArgs("format", "jsonl", "schema", "a BIGINT, b TEXT, c TIMESTAMP"),
		bind: []string{"c", "a", "b"}, declared: []types.Kind{types.KindTime, types.KindInt, types.KindText}},
	// A tiny max_line, so records over it are skipped mid-stream (an
	// option older decoders ignore).
	{name: "text-maxline", named: fuzzArgs("format", "text", "max_line", "16"), bind: []string{"line"},
		declared: []types.Kind{types.KindText}},
	{name: "csv-maxline", named: fuzzArgs("format", "csv", "max_line", "16"), bind: []string{"a", "b"}, sample: true},
}

func fuzzArgs(kv ...string) map[string]types.Value {
	m := map[string]types.Value{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = types.Text(kv[i+1])
	}
	return m
}

// fuzzEmitter collects what readRecords hands over.
type fuzzEmitter struct {
	rows      []types.Row
	malformed int
}

func (e *fuzzEmitter) Emit(rows []types.Row) error { e.rows = append(e.rows, rows...); return nil }
func (e *fuzzEmitter) Malformed(error)             { e.malformed++ }
func (e *fuzzEmitter) Logf(string, ...any)         {}

var decodeSeeds = []string{
	// text
	"to be or not to be\nthat is the question\n",
	"no newline at the end",
	"\r\n\n\r\r\n",
	"caf\xc3\xa9 \xff\xfe invalid utf-8\x00nul\n",
	// csv with a header
	"a,b,c\n1,x,2026-01-02T03:04:05Z\n2,\"y, quoted\",1767225600000\n",
	"\xef\xbb\xbfa,b,c\r\n1,\"multi\nline \"\"quoted\"\"\",\r\n,,\r\n",
	"a,b,c\n1,2\n1,2,3,4\n\"open,quote\n",
	"a,b\"c,d\n1,2,3\n",
	"A, b ,,a\n007,1e3,true,-9223372036854775809\n",
	"c1;c2\n1;2\nx;\"y;z\"\n",
	// jsonl
	`{"a": 1, "b": "x", "c": "2026-01-02T03:04:05Z"}` + "\n" + `{"a": 2.5, "b": null, "c": 1767225600000}` + "\n",
	`{"a": 9223372036854775808, "b": [1, "two", null, {"x": 1}], "c": 1e300, "meta": {"loc": {"lat": 1}}}` + "\n",
	`{"meta.loc": "dotted", "meta": {"loc": "nested"}, "A": true, "B": false}` + "\n\n  \n",
	`{"a": "12", "b": 3, "c": "not a time"}` + "\n" + `{"a": true}` + "\n" + `{"c": -1e19}`,
	"{\"a\": 1,}\n[1,2]\n\"str\"\nnull\n{\"a\"\n{\"b\": \"\\ud800\"}\n",
	`{"a": -9223372036854775808, "c": 253402300800000, "b": "\u00e9\u0000"}`,
}

// FuzzDecode runs arbitrary bytes through every format's decoder as a
// source does (framed into records by readRecords, and as one whole record
// through Decode): nothing may panic, every row has the bound width, and a
// column whose type the format promises holds that type or NULL.
func FuzzDecode(f *testing.F) {
	for _, s := range decodeSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, ff := range fuzzFormats {
			fuzzDecode(t, ff, data, false)
			if ff.sample {
				fuzzDecode(t, ff, data, true)
			}
		}
	})
}

func fuzzDecode(t *testing.T, ff fuzzFormat, data []byte, sample bool) {
	t.Helper()
	open := func() formats.Decoder {
		dec, err := OpenDecoder(Args{Named: ff.named})
		if err != nil {
			t.Fatalf("%s: OpenDecoder: %v", ff.name, err)
		}
		return dec
	}
	where := ff.name
	if sample {
		where += " (sampled)"
	}

	// Decoded as a source reads a stream: framed into records.
	dec := open()
	cols := ff.bind
	if sample {
		s, ok := dec.(formats.Sampler)
		if !ok {
			t.Fatalf("%s: decoder %T does not sample", where, dec)
		}
		var recs [][]byte
		rr := formats.NewRecordReader(dec, bytes.NewReader(data))
		for len(recs) < formats.SampleLines {
			rec, _, err := rr.Next()
			if err != nil {
				break
			}
			if len(bytes.TrimSpace(rec)) > 0 || len(recs) > 0 {
				recs = append(recs, bytes.Clone(rec))
			}
		}
		s.SampleSchema([][][]byte{recs})
		cols = dec.Schema().Columns.Names()
	}
	if err := dec.Bind(cols); err != nil {
		if sample {
			t.Fatalf("%s: Bind(%q), the sampled columns: %v", where, cols, err)
		}
		t.Fatalf("%s: Bind(%q): %v", where, cols, err)
	}
	if got := len(dec.Schema().Columns); got != len(cols) {
		t.Fatalf("%s: bound %d columns, Schema lists %d", where, len(cols), got)
	}
	em := &fuzzEmitter{}
	if err := readRecords(context.Background(), bytes.NewReader(data), "fuzz", dec, em); err != nil {
		t.Fatalf("%s: readRecords: %v", where, err)
	}
	for _, row := range em.rows {
		checkDecodedRow(t, where, ff, cols, row)
	}
	if ff.name == "text" && len(data) < 1<<20 { // no line over the default max_line
		want := bytes.Count(data, []byte("\n"))
		if len(data) > 0 && data[len(data)-1] != '\n' {
			want++
		}
		if len(em.rows) != want || em.malformed != 0 {
			t.Fatalf("%s: %d lines gave %d rows and %d malformed", where, want, len(em.rows), em.malformed)
		}
	}

	// The whole input as one record, straight through the formats.Decoder API.
	dec = open()
	if sample {
		dec.(formats.Sampler).SampleSchema([][][]byte{{data}})
	}
	if err := dec.Bind(cols); err != nil {
		return // the columns sampled from the framed input may not be there
	}
	row := make(types.Row, len(cols))
	err := dec.Decode(data, row)
	if ff.name == "text" && err != nil {
		t.Fatalf("%s: Decode(%q): %v", where, data, err)
	}
	if err == nil {
		checkDecodedRow(t, where, ff, cols, row)
		// Invalid UTF-8 may be replaced by U+FFFD; valid text is kept as is.
		if ff.name == "text" && utf8.Valid(data) && row[0].AsText() != string(data) {
			t.Fatalf("%s: Decode(%q) gave %q", where, data, row[0].AsText())
		}
	}
}

// checkDecodedRow checks a row's width and kinds, and that every value
// prints.
func checkDecodedRow(t *testing.T, where string, ff fuzzFormat, cols []string, row types.Row) {
	t.Helper()
	if len(row) != len(cols) {
		t.Fatalf("%s: row %v has %d values for %d columns", where, row, len(row), len(cols))
	}
	for i, v := range row {
		if v.Kind() > types.KindArray {
			t.Fatalf("%s: column %s holds a value of unknown kind %d", where, cols[i], v.Kind())
		}
		if ff.declared != nil && !v.IsNull() && v.Kind() != ff.declared[i] {
			t.Fatalf("%s: column %s is declared %s but holds %s %v", where, cols[i], ff.declared[i], v.Kind(), v)
		}
		_ = v.String()
		_ = v.AppendJSON(nil)
		_ = fmt.Sprint(v)
	}
}
