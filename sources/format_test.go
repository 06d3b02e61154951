package sources

import (
	"context"
	"errors"
	"strings"
	"testing"
	"unsafe"

	"github.com/streamsql/streamsql/formats"

	"github.com/streamsql/streamsql/types"
)

func decodeAll(t *testing.T, dec formats.Decoder, input string) ([]types.Row, []error) {
	t.Helper()
	em := newTestEmitter()
	if err := readRecords(context.Background(), strings.NewReader(input), "in", dec, em); err != nil {
		t.Fatalf("readRecords: %v", err)
	}
	return em.Snapshot()
}

func TestNewDecoder(t *testing.T) {
	for in, want := range map[string]string{"": "text", "text": "text", "TEXT": "text", "jsonl": "jsonl", "json": "jsonl", "Json": "jsonl", "csv": "csv", " CSV ": "csv"} {
		d, err := formats.NewDecoder(in)
		if err != nil {
			t.Fatalf("formats.NewDecoder(%q): %v", in, err)
		}
		if d.Name() != want {
			t.Errorf("formats.NewDecoder(%q).Name() = %q, want %q", in, d.Name(), want)
		}
	}
	_, err := formats.NewDecoder("xml")
	if err == nil || err.Error() != `unknown format "xml" (known formats: csv, json, jsonl, text)` {
		t.Fatalf("formats.NewDecoder(xml) error = %v, want one naming xml and the known formats", err)
	}
}

func TestTextDecoder(t *testing.T) {
	dec, _ := formats.NewDecoder("text")
	s := dec.Schema()
	if s.Open || len(s.Columns) != 1 || s.Columns[0] != (types.Column{Name: "line", Type: types.KindText}) {
		t.Fatalf("text schema = %+v", s)
	}
	if err := dec.Bind([]string{"nope"}); err == nil || !strings.Contains(err.Error(), "nope") {
		t.Fatalf("Bind(nope) = %v, want error naming the column", err)
	}
	if err := dec.Bind([]string{"line"}); err != nil {
		t.Fatal(err)
	}
	rows, bad := decodeAll(t, dec, "hello\n\n  spaced  \n{\"not\":\"parsed\"}\nlast")
	checkRows(t, rows, "[TEXT:hello]", "[TEXT:]", "[TEXT:  spaced  ]", `[TEXT:{"not":"parsed"}]`, "[TEXT:last]")
	if len(bad) != 0 {
		t.Fatalf("malformed: %v", bad)
	}

	// Decode copies: the caller's buffer may be reused.
	buf := []byte("abc")
	row := make(types.Row, 1)
	if err := dec.Decode(buf, row); err != nil {
		t.Fatal(err)
	}
	copy(buf, "xyz")
	if row[0].AsText() != "abc" {
		t.Fatalf("Decode kept a reference to the input: %q", row[0].AsText())
	}

	// No columns bound (count(*)): rows still count.
	dec, _ = formats.NewDecoder("text")
	if err := dec.Bind(nil); err != nil {
		t.Fatal(err)
	}
	rows, _ = decodeAll(t, dec, "a\nb\n")
	checkRows(t, rows, "[]", "[]")
}

const jsonLine = `{"a":1,"b":2.5,"c":"x\"y\u00e9","d":true,"d2":false,"e":null,"f":{"g":[1, 2], "h" : "i"},"arr":[1,"y",null],"big":12345678901234567890,"neg":-3,"exp":1e3,"min":-9223372036854775808,"q":{"s":"a\"b"}}`

func TestJSONDecoderTypes(t *testing.T) {
	dec, _ := formats.NewDecoder("jsonl")
	if s := dec.Schema(); !s.Open || len(s.Columns) != 0 {
		t.Fatalf("unsampled jsonl schema = %+v, want open", s)
	}
	cols := []string{"c", "a", "missing", "b", "d", "d2", "e", "f", "arr", "big", "neg", "exp", "min", "q"}
	if err := dec.Bind(cols); err != nil {
		t.Fatal(err)
	}
	s := dec.Schema()
	if s.Open || strings.Join(s.Columns.Names(), ",") != strings.Join(cols, ",") {
		t.Fatalf("bound schema = %+v", s)
	}
	rows, bad := decodeAll(t, dec, jsonLine+"\n")
	if len(bad) != 0 {
		t.Fatalf("malformed: %v", bad)
	}
	checkRows(t, rows, `[TEXT:x"yé BIGINT:1 NULL:NULL DOUBLE:2.5 BOOLEAN:true BOOLEAN:false NULL:NULL TEXT:{"g":[1,2],"h":"i"} ARRAY:[1,"y",null] DOUBLE:1.2345678901234567e+19 BIGINT:-3 DOUBLE:1000 BIGINT:-9223372036854775808 TEXT:{"s":"a\"b"}]`)
}

func TestJSONDecoderMalformedAndBlank(t *testing.T) {
	dec, _ := formats.NewDecoder("jsonl")
	if err := dec.Bind([]string{"a"}); err != nil {
		t.Fatal(err)
	}
	input := strings.Join([]string{
		`{"a":1}`,
		``,
		`   `,
		`not json`,
		`[1,2]`,
		`"str"`,
		`{"a":2} trailing`,
		`{"a":`,
		"\t\r",
		`{"b":3}`,
		`{"a":"four"}`,
	}, "\n")
	rows, bad := decodeAll(t, dec, input)
	checkRows(t, rows, "[BIGINT:1]", "[NULL:NULL]", "[TEXT:four]")
	want := []string{"in:4: invalid JSON", "in:5: not a JSON object", "in:6: not a JSON object", "in:7: invalid JSON", "in:8: invalid JSON"}
	if len(bad) != len(want) {
		t.Fatalf("malformed = %v, want %d", bad, len(want))
	}
	for i, w := range want {
		if !strings.HasPrefix(bad[i].Error(), w) {
			t.Errorf("malformed[%d] = %q, want prefix %q", i, bad[i], w)
		}
	}

	// The sentinel, directly.
	if err := dec.Decode([]byte("  "), make(types.Row, 1)); !errors.Is(err, formats.ErrSkip) {
		t.Fatalf("Decode(blank) = %v, want formats.ErrSkip", err)
	}
}

func TestJSONSampleSchema(t *testing.T) {
	dec, _ := formats.NewDecoder("json")
	sm, ok := dec.(formats.Sampler)
	if !ok {
		t.Fatal("jsonl decoder is not a formats.Sampler")
	}
	lines := [][]byte{
		[]byte(`{"ts":"2024-01-01","level":null,"n":1}`),
		[]byte(``),
		[]byte(`garbage`),
		[]byte(`{"level":"info","extra":{"k":1},"n":2.5,"ok":true,"x":1.5}`),
	}
	for i := 0; i < 150; i++ {
		lines = append(lines, []byte(`{"n":3}`))
	}
	lines = append(lines, []byte(`{"late":1}`)) // past the first 100 objects
	sm.SampleSchema([][][]byte{lines})
	s := dec.Schema()
	want := types.Schema{
		{Name: "ts", Type: types.KindText},
		{Name: "level", Type: types.KindText},
		{Name: "n", Type: types.KindInt},
		{Name: "extra", Type: types.KindText},
		{Name: "ok", Type: types.KindBool},
		{Name: "x", Type: types.KindFloat},
		{Name: "extra.k", Type: types.KindInt},
	}
	if s.Open || len(s.Columns) != len(want) {
		t.Fatalf("sampled schema = %+v, want %+v", s, want)
	}
	for i := range want {
		if s.Columns[i] != want[i] {
			t.Fatalf("column %d = %+v, want %+v", i, s.Columns[i], want[i])
		}
	}
	if err := dec.Bind([]string{"lvl"}); err == nil || !strings.Contains(err.Error(), `"lvl"`) {
		t.Fatalf("Bind(unknown) = %v, want error", err)
	}
	if err := dec.Bind([]string{"n", "level"}); err != nil {
		t.Fatal(err)
	}
	bs := dec.Schema()
	if len(bs.Columns) != 2 || bs.Columns[0] != want[2] || bs.Columns[1] != want[1] {
		t.Fatalf("bound schema = %+v", bs)
	}
	rows, _ := decodeAll(t, dec, `{"level":"warn","n":7,"ts":"x"}`)
	checkRows(t, rows, "[BIGINT:7 TEXT:warn]")

	// Nothing usable to sample: stays open.
	dec, _ = formats.NewDecoder("jsonl")
	dec.(formats.Sampler).SampleSchema([][][]byte{{[]byte("nope"), []byte("[1]")}})
	if !dec.Schema().Open {
		t.Fatal("schema closed after sampling no objects")
	}
}

func TestChunking(t *testing.T) {
	dec, _ := formats.NewDecoder("text")
	var sb strings.Builder
	for i := 0; i < 2500; i++ {
		sb.WriteString("x\n")
	}
	em := newTestEmitter()
	if err := readRecords(context.Background(), strings.NewReader(sb.String()), "in", dec, em); err != nil {
		t.Fatal(err)
	}
	if got := em.Sizes(); len(got) != 3 || got[0] != 1024 || got[1] != 1024 || got[2] != 452 {
		t.Fatalf("chunk sizes = %v, want [1024 1024 452]", got)
	}
	// Rows of a chunk are consecutive slices of one arena, capped so an
	// append to one cannot overwrite the next.
	first := <-em.Chunks
	base := unsafe.Pointer(&first[0][0])
	for i, r := range first {
		if len(r) != 1 || cap(r) != 1 {
			t.Fatalf("row %d len/cap = %d/%d, want 1/1", i, len(r), cap(r))
		}
		if unsafe.Pointer(&r[0]) != unsafe.Add(base, uintptr(i)*unsafe.Sizeof(types.Value{})) {
			t.Fatalf("row %d is not in the chunk's arena", i)
		}
	}
	// Emit failing stops reading at once.
	em = newTestEmitter()
	em.FailEmit()
	if err := readRecords(context.Background(), strings.NewReader(sb.String()), "in", dec, em); err != errStopped {
		t.Fatalf("readRecords with failing Emit = %v, want errStopped", err)
	}
	if len(em.Sizes()) != 1 {
		t.Fatalf("Emit called %d times after failing, want 1", len(em.Sizes()))
	}
}
