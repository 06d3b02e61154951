package sources

import (
	"strings"
	"testing"

	"github.com/streamsql/streamsql/formats"

	"github.com/streamsql/streamsql/types"
)

func TestParseSchema(t *testing.T) {
	s, err := formats.ParseSchema(`sensor TEXT, temp DOUBLE, ts TIMESTAMP, n BIGINT, ok BOOLEAN,
		a int, b Integer, c float, d REAL, e varchar, f STRING, g bool, "x y" text, "q""t" INT, meta.loc DOUBLE`)
	if err != nil {
		t.Fatal(err)
	}
	want := types.Schema{
		{Name: "sensor", Type: types.KindText}, {Name: "temp", Type: types.KindFloat}, {Name: "ts", Type: types.KindTime},
		{Name: "n", Type: types.KindInt}, {Name: "ok", Type: types.KindBool},
		{Name: "a", Type: types.KindInt}, {Name: "b", Type: types.KindInt}, {Name: "c", Type: types.KindFloat},
		{Name: "d", Type: types.KindFloat}, {Name: "e", Type: types.KindText}, {Name: "f", Type: types.KindText},
		{Name: "g", Type: types.KindBool}, {Name: "x y", Type: types.KindText}, {Name: `q"t`, Type: types.KindInt},
		{Name: "meta.loc", Type: types.KindFloat},
	}
	if len(s) != len(want) {
		t.Fatalf("schema = %+v", s)
	}
	for i := range want {
		if s[i] != want[i] {
			t.Errorf("column %d = %+v, want %+v", i, s[i], want[i])
		}
	}
}

func TestParseSchemaErrors(t *testing.T) {
	for in, want := range map[string]string{
		"":                   `schema: no columns (write it as 'name TYPE, ...')`,
		"  ":                 `schema: no columns (write it as 'name TYPE, ...')`,
		"a INT,":             `schema: column 2 is empty`,
		"a INT,,b INT":       `schema: column 2 is empty`,
		"sensor":             `schema: "sensor": missing type (write it as name TYPE)`,
		"a INT, ts TIMESTMP": `schema: "ts TIMESTMP": unknown type TIMESTMP (types: BIGINT, BOOLEAN, DECIMAL, DOUBLE, TEXT, TIMESTAMP)`,
		"a INT NOT NULL":     `schema: "a INT NOT NULL": unexpected "NOT NULL" after the type`,
		"a INT, a TEXT":      `schema: "a TEXT": duplicate column a`,
		`"a INT`:             `schema: unterminated quoted name in "\"a INT"`,
		`b INT, "a"x" INT`:   `schema: unterminated quoted name in "\"a\"x\" INT"`,
		`"" INT`:             `schema: "\"\" INT": empty column name`,
		"n VARCHAR(10)":      `schema: "n VARCHAR(10)": unknown type VARCHAR(10) (types: BIGINT, BOOLEAN, DECIMAL, DOUBLE, TEXT, TIMESTAMP)`,
	} {
		_, err := formats.ParseSchema(in)
		if err == nil || err.Error() != want {
			t.Errorf("formats.ParseSchema(%q):\n got  %v\n want %s", in, err, want)
		}
	}

	// Through a source: Open fails naming the bad part.
	spec, _ := Lookup("file")
	dir := t.TempDir()
	_, err := spec.OpenChecked(Args{Positional: []types.Value{types.Text(dir)}, Named: map[string]types.Value{
		"format": types.Text("jsonl"), "schema": types.Text("a INT, ts TIMESTMP")}})
	if err == nil || err.Error() != `file(): schema: "ts TIMESTMP": unknown type TIMESTMP (types: BIGINT, BOOLEAN, DECIMAL, DOUBLE, TEXT, TIMESTAMP)` {
		t.Fatalf("file() with a bad schema = %v", err)
	}
}

func TestDecoderOptionErrors(t *testing.T) {
	for _, c := range []struct {
		opts map[string]string
		want string
	}{
		{map[string]string{"schema": "x INT"}, `format text has the single column line TEXT, so schema 'x INT' does not fit it (use format => 'csv' or 'jsonl' for typed columns)`},
		{map[string]string{"format": "text", "schema": "line TEXT, x INT"}, `format text has the single column line TEXT, so schema 'line TEXT, x INT' does not fit it (use format => 'csv' or 'jsonl' for typed columns)`},
		{map[string]string{"format": "text", "schema": "line BIGINT"}, `format text has the single column line TEXT, so schema 'line BIGINT' does not fit it (use format => 'csv' or 'jsonl' for typed columns)`},
		{map[string]string{"format": "jsonl", "header": "false"}, `option header applies to format csv only (format is jsonl)`},
		{map[string]string{"delimiter": ";"}, `option delimiter applies to format csv only (format is text)`},
		{map[string]string{"format": "csv", "header": "maybe"}, `header must be true or false, got 'maybe'`},
		{map[string]string{"format": "csv", "delimiter": "::"}, `delimiter must be one ASCII character other than a quote or a line break, got '::'`},
		{map[string]string{"format": "csv", "delimiter": `"`}, `delimiter must be one ASCII character other than a quote or a line break, got '"'`},
		{map[string]string{"format": "csv", "delimiter": "\n"}, "delimiter must be one ASCII character other than a quote or a line break, got '\n'"},
		{map[string]string{"format": "csv", "delimiter": "§"}, `delimiter must be one ASCII character other than a quote or a line break, got '§'`},
		{map[string]string{"format": "csv", "schema": "a"}, `schema: "a": missing type (write it as name TYPE)`},
	} {
		named := map[string]types.Value{}
		for k, v := range c.opts {
			named[k] = types.Text(v)
		}
		_, err := OpenDecoder(Args{Named: named})
		if err == nil || err.Error() != c.want {
			t.Errorf("OpenDecoder(%v):\n got  %v\n want %s", c.opts, err, c.want)
		}
	}

	// A schema that fits text is accepted.
	dec := openDecoder(t, "schema", "LINE varchar")
	bind(t, dec, "line")
	rows, _ := decodeAll(t, dec, "a\n")
	checkRows(t, rows, "[TEXT:a]")

	// Every decoding source takes every format option.
	for _, name := range []string{"file", "stdin", "socket", "http"} {
		spec, ok := Lookup(name)
		if !ok {
			t.Fatalf("%s() not registered", name)
		}
		have := map[string]bool{}
		for _, o := range spec.Options {
			have[o] = true
		}
		for _, o := range formats.Options {
			if !have[o] {
				t.Errorf("%s() options = %v, lacking %s", name, spec.Options, o)
			}
		}
		if !strings.Contains(spec.Usage, formats.Usage) {
			t.Errorf("%s() usage %q does not document the format options", name, spec.Usage)
		}
	}
}

func TestCSVDeclaredSchema(t *testing.T) {
	dec := openDecoder(t, "format", "csv", "schema", "sensor TEXT, temp DOUBLE, ts TIMESTAMP, n BIGINT, ok BOOLEAN")
	s := dec.Schema()
	if s.Open || len(s.Columns) != 5 || s.Columns[2] != (types.Column{Name: "ts", Type: types.KindTime}) {
		t.Fatalf("declared schema = %+v", s)
	}
	bind(t, dec, "sensor", "temp", "ts", "n", "ok")
	input := strings.Join([]string{
		"ok,n,ts,temp,sensor",
		"true,42,2024-05-01T12:00:00Z,21,007",
		"FALSE,1e3,2024-05-01 12:00:01,-1.5e1,s2",
		",,1714564800000,,s3",
		" true , -0 ,2024-05-01T14:00:00.5+02:00, 3 ,\" s4 \"",
		"true,1,2024-05-01T12:00:00Z,abc,s5",
		"true,1,yesterday,1,s6",
		"true,2.5,2024-05-01T12:00:00Z,1,s7",
		"yes,1,2024-05-01T12:00:00Z,1,s8",
		"true,99999999999999999999,2024-05-01T12:00:00Z,1,s9",
		"true,1,2024-02-30 00:00:00,1,s10",
		"true,1,99999999999999999,1,s11",
		"true,1,2024-05-01T12:00:00Z,1e999,s12",
	}, "\n")
	rows, bad := decodeAll(t, dec, input)
	checkRows(t, rows,
		"[TEXT:007 DOUBLE:21 TIMESTAMP:2024-05-01T12:00:00Z BIGINT:42 BOOLEAN:true]",
		"[TEXT:s2 DOUBLE:-15 TIMESTAMP:2024-05-01T12:00:01Z BIGINT:1000 BOOLEAN:false]",
		"[TEXT:s3 NULL:NULL TIMESTAMP:2024-05-01T12:00:00Z NULL:NULL NULL:NULL]",
		"[TEXT: s4  DOUBLE:3 TIMESTAMP:2024-05-01T12:00:00.5Z BIGINT:0 BOOLEAN:true]")
	checkMalformed(t, bad,
		"in:6: column temp: 'abc' is not a DOUBLE",
		"in:7: column ts: 'yesterday' is not a TIMESTAMP (want RFC 3339, 'YYYY-MM-DD HH:MM:SS' or epoch milliseconds)",
		"in:8: column n: '2.5' is not a BIGINT",
		"in:9: column ok: 'yes' is not a BOOLEAN",
		"in:10: column n: '99999999999999999999' is out of range for BIGINT",
		"in:11: column ts: '2024-02-30 00:00:00' is not a TIMESTAMP (want RFC 3339, 'YYYY-MM-DD HH:MM:SS' or epoch milliseconds)",
		"in:12: column ts: '99999999999999999' is out of range for TIMESTAMP",
		"in:13: column temp: '1e999' is out of range for DOUBLE")

	// Without a header the schema gives the columns by position.
	dec = openDecoder(t, "format", "csv", "header", "false", "schema", "a INT, b TEXT")
	bind(t, dec, "b", "a")
	rows, bad = decodeAll(t, dec, "1,x\n2\n3,\"it's\"\n")
	checkRows(t, rows, "[TEXT:x BIGINT:1]", "[TEXT:it's BIGINT:3]")
	checkMalformed(t, bad, "in:2: wrong number of fields: got 1, want 2 as in the schema")

	// Long values are cut short in the reason.
	dec = openDecoder(t, "format", "csv", "header", "false", "schema", "a INT")
	bind(t, dec, "a")
	_, bad = decodeAll(t, dec, strings.Repeat("x'", 30)+"\n")
	checkMalformed(t, bad, "in:1: column a: '"+strings.Repeat("x''", 20)+"...' is not a BIGINT")
}

func TestJSONDeclaredSchema(t *testing.T) {
	dec := openDecoder(t, "format", "jsonl", "schema", "sensor TEXT, temp DOUBLE, ts TIMESTAMP, n BIGINT, ok BOOLEAN, meta.loc TEXT")
	s := dec.Schema()
	if s.Open || strings.Join(s.Columns.Names(), ",") != "sensor,temp,ts,n,ok,meta.loc" {
		t.Fatalf("declared schema = %+v", s)
	}
	if sm, ok := dec.(formats.Sampler); ok { // a declared schema is not sampled over
		sm.SampleSchema([][][]byte{{[]byte(`{"zz":1}`)}})
	}
	if err := dec.Bind([]string{"zz"}); err == nil || err.Error() != `format jsonl has no column "zz" (schema: sensor, temp, ts, n, ok, meta.loc)` {
		t.Fatalf("Bind(zz) = %v", err)
	}
	bind(t, dec, "sensor", "temp", "ts", "n", "ok", "meta.loc")
	bs := dec.Schema()
	if bs.Columns[1].Type != types.KindFloat || bs.Columns[5].Type != types.KindText {
		t.Fatalf("bound schema = %+v", bs)
	}
	input := strings.Join([]string{
		`{"sensor":7,"temp":"21.5","ts":1714564800000,"n":"42","ok":true,"meta":{"loc":"x"}}`,
		`{"sensor":true,"temp":3,"ts":"2024-05-01 12:00:00","n":3.0,"ok":"FALSE","meta":{"loc":{"a":[1, 2]}}}`,
		`{"sensor":{"a":[1,2]},"temp":null,"ts":1714564800000.5,"n":-1e2}`,
		`{"sensor":[1,"x"],"temp":1.5e0,"meta":{"loc":12345678901234567890}}`,
		`{"sensor":1.0}`,
		`{"temp":"warm"}`,
		`{"n":2.5}`,
		`{"ts":"2024-13-01T00:00:00Z"}`,
		`{"ok":1}`,
		`{"n":{"a":1}}`,
		`{"ts":true}`,
		`{"temp":1e400}`,
		`{"temp":[1]}`,
		`{"n":"12abc"}`,
	}, "\n")
	rows, bad := decodeAll(t, dec, input)
	checkRows(t, rows,
		"[TEXT:7 DOUBLE:21.5 TIMESTAMP:2024-05-01T12:00:00Z BIGINT:42 BOOLEAN:true TEXT:x]",
		`[TEXT:true DOUBLE:3 TIMESTAMP:2024-05-01T12:00:00Z BIGINT:3 BOOLEAN:false TEXT:{"a":[1,2]}]`,
		`[TEXT:{"a":[1,2]} NULL:NULL TIMESTAMP:2024-05-01T12:00:00.0005Z BIGINT:-100 NULL:NULL NULL:NULL]`,
		`[TEXT:[1,"x"] DOUBLE:1.5 NULL:NULL NULL:NULL NULL:NULL TEXT:1.2345678901234567e+19]`,
		"[TEXT:1 NULL:NULL NULL:NULL NULL:NULL NULL:NULL NULL:NULL]")
	checkMalformed(t, bad,
		"in:6: column temp: 'warm' is not a DOUBLE",
		"in:7: column n: 2.5 is not a BIGINT",
		"in:8: column ts: '2024-13-01T00:00:00Z' is not a TIMESTAMP (want RFC 3339, 'YYYY-MM-DD HH:MM:SS' or epoch milliseconds)",
		"in:9: column ok: 1 is not a BOOLEAN",
		`in:10: column n: {"a":1} is not a BIGINT`,
		"in:11: column ts: true is not a TIMESTAMP (want RFC 3339, 'YYYY-MM-DD HH:MM:SS' or epoch milliseconds)",
		"in:12: column temp: 1e400 is out of range for DOUBLE",
		"in:13: column temp: [1] is not a DOUBLE",
		"in:14: column n: '12abc' is not a BIGINT")
}
