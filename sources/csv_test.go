package sources

import (
	"context"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/streamsql/streamsql/formats"

	"github.com/streamsql/streamsql/types"
)

// openDecoder builds a decoder from named options given as text.
func openDecoder(t *testing.T, opts ...string) formats.Decoder {
	t.Helper()
	named := map[string]types.Value{}
	for i := 0; i+1 < len(opts); i += 2 {
		named[opts[i]] = types.Text(opts[i+1])
	}
	dec, err := OpenDecoder(Args{Named: named})
	if err != nil {
		t.Fatal(err)
	}
	return dec
}

func bind(t *testing.T, dec interface{ Bind([]string) error }, cols ...string) {
	t.Helper()
	if err := dec.Bind(cols); err != nil {
		t.Fatal(err)
	}
}

func checkMalformed(t *testing.T, bad []error, want ...string) {
	t.Helper()
	if len(bad) != len(want) {
		t.Fatalf("malformed = %q, want %q", bad, want)
	}
	for i, w := range want {
		if bad[i].Error() != w {
			t.Errorf("malformed[%d]:\n got  %s\n want %s", i, bad[i], w)
		}
	}
}

func TestCSVHeaderQuotingAndTypes(t *testing.T) {
	dec := openDecoder(t, "format", "csv")
	if s := dec.Schema(); !s.Open || len(s.Columns) != 0 {
		t.Fatalf("unsampled csv schema = %+v, want open", s)
	}
	bind(t, dec, "name", "id", "score", "ok", "note", "when", "absent")
	input := "id,name,score,ok,note,when\n" +
		`1,"Smith, Ann",9.5,true,"say ""hi""",2024-01-01` + "\n" +
		"2,Bob,-3,FALSE,\"line1\nline2\",\n" +
		"3,,1e3,True,  padded  ,\"\"\n" +
		"\n" +
		`4,"",.5,false,"a,""b"",""",x`
	rows, bad := decodeAll(t, dec, input)
	checkMalformed(t, bad)
	checkRows(t, rows,
		`[TEXT:Smith, Ann BIGINT:1 DOUBLE:9.5 BOOLEAN:true TEXT:say "hi" TEXT:2024-01-01 NULL:NULL]`,
		"[TEXT:Bob BIGINT:2 BIGINT:-3 BOOLEAN:false TEXT:line1\nline2 NULL:NULL NULL:NULL]",
		"[NULL:NULL BIGINT:3 DOUBLE:1000 BOOLEAN:true TEXT:  padded   NULL:NULL NULL:NULL]",
		`[NULL:NULL BIGINT:4 DOUBLE:0.5 BOOLEAN:false TEXT:a,"b"," TEXT:x NULL:NULL]`)
}

func TestCSVInference(t *testing.T) {
	for in, want := range map[string]string{
		"":                     "NULL:NULL",
		"42":                   "BIGINT:42",
		"-7":                   "BIGINT:-7",
		"+5":                   "BIGINT:5",
		"007":                  "BIGINT:7",
		" 42 ":                 "BIGINT:42",
		"-9223372036854775808": "BIGINT:-9223372036854775808",
		"99999999999999999999": "DOUBLE:1e+20",
		"2.50":                 "DOUBLE:2.5",
		"1.":                   "DOUBLE:1",
		".5":                   "DOUBLE:0.5",
		"-1.5E-3":              "DOUBLE:-0.0015",
		"1e400":                "TEXT:1e400",
		"true":                 "BOOLEAN:true",
		"FALSE":                "BOOLEAN:false",
		"True ":                "BOOLEAN:true",
		"truex":                "TEXT:truex",
		"t":                    "TEXT:t",
		"NaN":                  "TEXT:NaN",
		"Inf":                  "TEXT:Inf",
		"0x10":                 "TEXT:0x10",
		"1_000":                "TEXT:1_000",
		"1e":                   "TEXT:1e",
		"-":                    "TEXT:-",
		".":                    "TEXT:.",
		"1.2.3":                "TEXT:1.2.3",
		"2024-01-01":           "TEXT:2024-01-01",
		"   ":                  "TEXT:   ",
		"héllo":                "TEXT:héllo",
	} {
		dec := openDecoder(t, "format", "csv", "header", "false")
		bind(t, dec, "c1")
		row := make(types.Row, 1)
		err := dec.Decode([]byte(`"`+in+`"`), row)
		if err != nil {
			t.Fatalf("Decode(%q): %v", in, err)
		}
		if got := row[0].Kind().String() + ":" + row[0].String(); got != want {
			t.Errorf("field %q = %s, want %s", in, got, want)
		}
	}
}

func TestCSVMalformed(t *testing.T) {
	dec := openDecoder(t, "format", "csv")
	bind(t, dec, "a", "b")
	input := strings.Join([]string{
		"a,b",     // 1
		"1,2",     // 2
		`"x`,      // 3
		`y",3`,    // 4
		"1,2,3",   // 5
		"4",       // 6
		"",        // 7
		"5,6",     // 8
		`7,x"y`,   // 9
		`"q"z,8`,  // 10
		"9,10\r",  // 11
		`"open,8`, // 12: never closed, so only this line is lost
		"11,12",   // 13
		"13,14",   // 14
	}, "\n")
	rows, bad := decodeAll(t, dec, input)
	checkRows(t, rows, "[BIGINT:1 BIGINT:2]", "[TEXT:x\ny BIGINT:3]", "[BIGINT:5 BIGINT:6]", "[BIGINT:9 BIGINT:10]",
		"[BIGINT:11 BIGINT:12]", "[BIGINT:13 BIGINT:14]")
	checkMalformed(t, bad,
		"in:5: wrong number of fields: got 3, want 2 as in the header",
		"in:6: wrong number of fields: got 1, want 2 as in the header",
		`in:9: field 2: bare " in non-quoted field`,
		`in:10: field 1: extraneous or missing " in quoted field`,
		"in:12: field 1: quoted field is not closed")
}

func TestCSVReaderLines(t *testing.T) {
	dec := openDecoder(t, "format", "csv")
	rr := formats.NewRecordReader(dec, strings.NewReader("a,b\r\n\"1\r\n\r\n2\",\"x\"\"\ny\"\r\n\n3,\"\"\"\"\r\nlast"))
	type rec struct {
		text string
		line int
	}
	var got []rec
	for {
		r, line, err := rr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, rec{string(r), line})
	}
	want := []rec{{"a,b", 1}, {"\"1\n\n2\",\"x\"\"\ny\"", 2}, {"", 6}, {`3,""""`, 7}, {"last", 8}}
	if len(got) != len(want) {
		t.Fatalf("records = %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("record %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}

func TestCSVNoHeaderAndDelimiter(t *testing.T) {
	dec := openDecoder(t, "format", "csv", "header", "false", "delimiter", ";")
	if err := dec.Bind([]string{"x"}); err == nil || err.Error() != `format csv with header => false has no column "x" (columns: c1, c2, ...)` {
		t.Fatalf("Bind(x) = %v", err)
	}
	if err := dec.Bind([]string{"c0"}); err == nil {
		t.Fatal("Bind(c0) accepted")
	}
	bind(t, dec, "c3", "c1", "c2", "c9")
	rows, bad := decodeAll(t, dec, "1;a, b;2.5\n2;;\"x;y\"\n3;4\n")
	checkRows(t, rows, "[DOUBLE:2.5 BIGINT:1 TEXT:a, b NULL:NULL]", "[TEXT:x;y BIGINT:2 NULL:NULL NULL:NULL]")
	checkMalformed(t, bad, "in:3: wrong number of fields: got 2, want 3 as in the first record")

	// Tab-separated, spelled as SQL would pass it.
	for _, tab := range []string{`\t`, "\t", "TAB"} {
		dec = openDecoder(t, "format", "csv", "delimiter", tab)
		bind(t, dec, "b", "a")
		rows, _ = decodeAll(t, dec, "a\tb\nx,y\t1\n")
		checkRows(t, rows, "[BIGINT:1 TEXT:x,y]")
	}

	// header accepts booleans as well as text.
	dec, err := OpenDecoder(Args{Named: map[string]types.Value{"format": types.Text("csv"), "header": types.Bool(false)}})
	if err != nil {
		t.Fatal(err)
	}
	bind(t, dec, "c1")
	rows, _ = decodeAll(t, dec, "h\n1\n")
	checkRows(t, rows, "[TEXT:h]", "[BIGINT:1]")
}

// Decode fed one line at a time, as a source without a stream does: the
// first record is the header.
func TestCSVDecodeDirect(t *testing.T) {
	dec, err := formats.NewDecoder("csv")
	if err != nil {
		t.Fatal(err)
	}
	bind(t, dec, "b")
	row := make(types.Row, 1)
	if err := dec.Decode([]byte("\xef\xbb\xbfa, b "), row); err != formats.ErrSkip {
		t.Fatalf("header Decode = %v, want formats.ErrSkip", err)
	}
	if err := dec.Decode([]byte("1,two"), row); err != nil {
		t.Fatal(err)
	}
	checkRows(t, []types.Row{row}, "[TEXT:two]")
}

func TestCSVSampleSchema(t *testing.T) {
	dec := openDecoder(t, "format", "csv")
	dec.(formats.Sampler).SampleSchema([][][]byte{
		{[]byte("ts,sensor,temp"), []byte("2024-01-01,,20"), []byte("bad,row"), []byte("x,s1,20.5")},
		{[]byte(`"sensor","extra",ts`), []byte("s2,true,y")},
	})
	s := dec.Schema()
	want := types.Schema{{Name: "ts", Type: types.KindText}, {Name: "sensor", Type: types.KindText}, {Name: "temp", Type: types.KindInt}, {Name: "extra", Type: types.KindBool}}
	if s.Open || len(s.Columns) != len(want) {
		t.Fatalf("sampled schema = %+v, want %+v", s, want)
	}
	for i := range want {
		if s.Columns[i] != want[i] {
			t.Fatalf("column %d = %+v, want %+v", i, s.Columns[i], want[i])
		}
	}
	if err := dec.Bind([]string{"sensr"}); err == nil || err.Error() != `format csv has no column "sensr" (header columns: ts, sensor, temp, extra)` {
		t.Fatalf("Bind(sensr) = %v", err)
	}

	dec = openDecoder(t, "format", "csv", "header", "false")
	dec.(formats.Sampler).SampleSchema([][][]byte{{[]byte("1,a")}, {[]byte("x,2.5,")}})
	got := dec.Schema().Columns
	if len(got) != 3 || got[0].Type != types.KindInt || got[1].Type != types.KindText || got[2] != (types.Column{Name: "c3"}) {
		t.Fatalf("header => false sampled schema = %+v", got)
	}
	if err := dec.Bind([]string{"c4"}); err == nil || err.Error() != `format csv with header => false has no column "c4" (columns: c1, c2, c3)` {
		t.Fatalf("Bind(c4) = %v", err)
	}

	dec = openDecoder(t, "format", "csv")
	dec.(formats.Sampler).SampleSchema(nil)
	if !dec.Schema().Open {
		t.Fatal("schema closed after sampling nothing")
	}
}

func openFileArgs(t *testing.T, dir string, opts ...string) Source {
	t.Helper()
	spec, _ := Lookup("file")
	named := map[string]types.Value{}
	for i := 0; i+1 < len(opts); i += 2 {
		named[opts[i]] = types.Text(opts[i+1])
	}
	src, err := spec.OpenChecked(Args{Positional: []types.Value{types.Text(dir)}, Named: named, Once: true})
	if err != nil {
		t.Fatal(err)
	}
	return src
}

func TestFileCSV(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "a.csv"), "ts,sensor,temp\r\n2024-05-01T12:00:00Z,s1,20.5\r\n2024-05-01T12:00:01Z,s1\r\n")
	writeFile(t, filepath.Join(dir, "b.csv"), "sensor,temp,ts,extra\n\"s\n2\",21,2024-05-01T12:00:02Z,e\n")
	writeFile(t, filepath.Join(dir, "c.csv"), "Sensor\ns3\n")
	writeFile(t, filepath.Join(dir, "d.csv"), "")

	src := openFileArgs(t, dir, "format", "csv")
	s := src.Schema()
	if s.Open || strings.Join(s.Columns.Names(), ",") != "ts,sensor,temp,extra,Sensor" {
		t.Fatalf("sampled schema = %+v", s)
	}
	if s.Columns[2].Type != types.KindFloat {
		t.Fatalf("temp type = %s, want DOUBLE", s.Columns[2].Type)
	}
	if err := src.Bind([]string{"tmp"}); err == nil || !strings.Contains(err.Error(), "temp") {
		t.Fatalf("Bind(tmp) = %v, want an error listing the columns", err)
	}
	if err := src.Bind([]string{"sensor", "temp", "ts"}); err != nil {
		t.Fatal(err)
	}
	if got := src.Describe(); !strings.HasSuffix(got, "format=csv bounded") {
		t.Fatalf("Describe() = %q", got)
	}
	em := newTestEmitter()
	if err := src.Run(context.Background(), em); err != nil {
		t.Fatal(err)
	}
	rows, bad := em.Snapshot()
	checkRows(t, rows,
		"[TEXT:s1 DOUBLE:20.5 TEXT:2024-05-01T12:00:00Z]",
		"[TEXT:s\n2 BIGINT:21 TEXT:2024-05-01T12:00:02Z]",
		"[TEXT:s3 NULL:NULL NULL:NULL]")
	checkMalformed(t, bad, filepath.Join(dir, "a.csv")+":3: wrong number of fields: got 2, want 3 as in the header")
	wantLog := "warning: " + filepath.Join(dir, "c.csv") + `: the header has no columns "temp", "ts"; they read as NULL`
	for found := false; !found; {
		select {
		case msg := <-em.Logs:
			found = msg == wantLog
		default:
			t.Fatalf("no log %q", wantLog)
		}
	}

	// No file yet: open schema; any column binds.
	empty := t.TempDir()
	src = openFileArgs(t, empty, "format", "csv")
	if !src.Schema().Open {
		t.Fatal("csv schema of an empty directory not open")
	}
	if err := src.Bind([]string{"anything"}); err != nil {
		t.Fatal(err)
	}
}

func TestFileCSVSchema(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "a.csv"), "n,ts,other\n1,1714564800000,x\n2.5,2024-05-01T12:00:00Z,y\n")
	src := openFileArgs(t, dir, "format", "csv", "schema", "ts timestamp, n INT, missing TEXT")
	s := src.Schema()
	if s.Open || len(s.Columns) != 3 || s.Columns[0] != (types.Column{Name: "ts", Type: types.KindTime}) || s.Columns[1].Type != types.KindInt {
		t.Fatalf("declared schema = %+v", s)
	}
	if err := src.Bind([]string{"other"}); err == nil || err.Error() != `format csv has no column "other" (schema: ts, n, missing)` {
		t.Fatalf("Bind(other) = %v", err)
	}
	bind(t, src, "n", "ts", "missing")
	em := newTestEmitter()
	if err := src.Run(context.Background(), em); err != nil {
		t.Fatal(err)
	}
	rows, bad := em.Snapshot()
	checkRows(t, rows, "[BIGINT:1 TIMESTAMP:2024-05-01T12:00:00Z NULL:NULL]")
	checkMalformed(t, bad, filepath.Join(dir, "a.csv")+":3: column n: '2.5' is not a BIGINT")
}

func TestStdinCSV(t *testing.T) {
	spec, _ := Lookup("stdin")
	src, err := spec.OpenChecked(Args{Named: map[string]types.Value{"format": types.Text("csv")}})
	if err != nil {
		t.Fatal(err)
	}
	ss := src.(*stdinSource)
	if !ss.Schema().Open || ss.Describe() != "stdin() format=csv bounded" {
		t.Fatalf("Schema/Describe = %+v %q", ss.Schema(), ss.Describe())
	}
	ss.in = strings.NewReader("word,n\n\"a,b\",1\nc\n\"d\ne\",2.5\n")
	bind(t, ss, "n", "word", "nope")
	em := newTestEmitter()
	if err := ss.Run(context.Background(), em); err != nil {
		t.Fatal(err)
	}
	rows, bad := em.Snapshot()
	checkRows(t, rows, "[BIGINT:1 TEXT:a,b NULL:NULL]", "[DOUBLE:2.5 TEXT:d\ne NULL:NULL]")
	checkMalformed(t, bad, "stdin:3: wrong number of fields: got 1, want 2 as in the header")

	// With a schema.
	src, err = spec.OpenChecked(Args{Named: map[string]types.Value{"format": types.Text("csv"), "schema": types.Text("n DOUBLE, word TEXT")}})
	if err != nil {
		t.Fatal(err)
	}
	ss = src.(*stdinSource)
	if s := ss.Schema(); s.Open || len(s.Columns) != 2 {
		t.Fatalf("declared stdin schema = %+v", s)
	}
	ss.in = strings.NewReader("n,word\n1,2\n")
	bind(t, ss, "n", "word")
	em = newTestEmitter()
	if err := ss.Run(context.Background(), em); err != nil {
		t.Fatal(err)
	}
	rows, _ = em.Snapshot()
	checkRows(t, rows, "[DOUBLE:1 TEXT:2]")
}

func TestFileCSVSampleTruncated(t *testing.T) {
	// A sample stops at the byte limit without using a record it cut.
	dir := t.TempDir()
	big := strings.Repeat("x", sampleBytes+10)
	writeFile(t, filepath.Join(dir, "a.csv"), "h"+big+"\n1\n")
	src := openFileArgs(t, dir, "format", "csv")
	if !src.Schema().Open {
		t.Fatalf("schema from a cut header = %+v, want open", src.Schema())
	}
}
