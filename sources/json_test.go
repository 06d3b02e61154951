package sources

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/streamsql/streamsql/formats"

	"github.com/streamsql/streamsql/types"
)

func TestJSONNestedPaths(t *testing.T) {
	dec, _ := formats.NewDecoder("jsonl")
	bind(t, dec, "a.b.c", "meta.loc.lat", "meta.loc", "meta.tags", "a.x.y", "s.t", "meta.nope", "a.b", "e")
	input := strings.Join([]string{
		`{"a":{"b":{"c":5}},"meta":{"loc":{"lat":1.5},"tags":["x",2,[true,null],{"k":null},2.5]},"s":"str","a.b":"literal","e":[]}`,
		`{"a":null,"meta":{"loc":null}}`,
		`{"a":{"b":[1]},"meta":{"loc":{"lat":"n/a"},"tags":"one"}}`,
	}, "\n")
	rows, bad := decodeAll(t, dec, input)
	checkMalformed(t, bad)
	checkRows(t, rows,
		`[BIGINT:5 DOUBLE:1.5 TEXT:{"lat":1.5} ARRAY:["x",2,[true,null],"{\"k\":null}",2.5] NULL:NULL NULL:NULL NULL:NULL TEXT:literal ARRAY:[]]`,
		"[NULL:NULL NULL:NULL NULL:NULL NULL:NULL NULL:NULL NULL:NULL NULL:NULL NULL:NULL NULL:NULL]",
		`[NULL:NULL TEXT:n/a TEXT:{"lat":"n/a"} TEXT:one NULL:NULL NULL:NULL NULL:NULL ARRAY:[1] NULL:NULL]`)

	// Array elements are typed values, not JSON text.
	tags := rows[0][3].AsArray()
	kinds := []types.Kind{types.KindText, types.KindInt, types.KindArray, types.KindText, types.KindFloat}
	if len(tags) != len(kinds) {
		t.Fatalf("tags = %v", tags)
	}
	for i, k := range kinds {
		if tags[i].Kind() != k {
			t.Errorf("tags[%d] kind = %s, want %s", i, tags[i].Kind(), k)
		}
	}
	if inner := tags[2].AsArray(); len(inner) != 2 || !inner[0].AsBool() || !inner[1].IsNull() {
		t.Errorf("nested array = %v", inner)
	}
	if e := rows[0][8]; e.Kind() != types.KindArray || len(e.AsArray()) != 0 {
		t.Errorf("empty array = %v", e)
	}
}

func TestJSONSampleNested(t *testing.T) {
	dec, _ := formats.NewDecoder("jsonl")
	dec.(formats.Sampler).SampleSchema([][][]byte{
		{[]byte(`{"id":1,"meta":{"loc":{"lat":1},"v":null}}`)},
		{[]byte(`{"meta":{"v":"x","w":[1]},"z":true}`), []byte(`{"meta":{"loc":"flat"}}`)},
	})
	want := types.Schema{
		{Name: "id", Type: types.KindInt},
		{Name: "meta", Type: types.KindText},
		{Name: "z", Type: types.KindBool},
		{Name: "meta.loc", Type: types.KindText},
		{Name: "meta.loc.lat", Type: types.KindInt},
		{Name: "meta.v", Type: types.KindText},
		{Name: "meta.w", Type: types.KindArray},
	}
	s := dec.Schema()
	if s.Open || len(s.Columns) != len(want) {
		t.Fatalf("sampled schema = %+v, want %+v", s, want)
	}
	for i := range want {
		if s.Columns[i] != want[i] {
			t.Errorf("column %d = %+v, want %+v", i, s.Columns[i], want[i])
		}
	}

	// Unbound, a sampled decoder produces every column, nested ones too.
	rows, _ := decodeAll(t, dec, `{"id":2,"meta":{"loc":{"lat":3}}}`)
	checkRows(t, rows, `[BIGINT:2 TEXT:{"loc":{"lat":3}} NULL:NULL TEXT:{"lat":3} BIGINT:3 NULL:NULL NULL:NULL]`)

	// An object used as a map does not flood the schema.
	var sb strings.Builder
	sb.WriteString(`{"m":{`)
	for i := 0; i < 2*formats.MaxNestedPaths; i++ {
		if i > 0 {
			sb.WriteByte(',')
		}
		sb.WriteString(`"k` + strings.Repeat("x", i%3) + string(rune('a'+i%26)) + `_` + strings.Repeat("y", i/26) + `":1`)
	}
	sb.WriteString(`}}`)
	dec, _ = formats.NewDecoder("jsonl")
	dec.(formats.Sampler).SampleSchema([][][]byte{{[]byte(sb.String())}})
	if n := len(dec.Schema().Columns); n != 1+formats.MaxNestedPaths {
		t.Fatalf("columns = %d, want %d", n, 1+formats.MaxNestedPaths)
	}
}

func TestFileJSONLNested(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "a.jsonl"), `{"id":1,"meta":{"loc":"here","tags":["a","b"]}}`+"\n")
	src := openFileArgs(t, dir, "format", "jsonl")
	if got := strings.Join(src.Schema().Columns.Names(), ","); got != "id,meta,meta.loc,meta.tags" {
		t.Fatalf("sampled columns = %s", got)
	}
	if err := src.Bind([]string{"meta.lc"}); err == nil || !strings.Contains(err.Error(), "meta.loc") {
		t.Fatalf("Bind(meta.lc) = %v, want an error listing meta.loc", err)
	}
	bind(t, src, "meta.loc", "meta.tags")
	em := newTestEmitter()
	if err := src.Run(context.Background(), em); err != nil {
		t.Fatal(err)
	}
	rows, _ := em.Snapshot()
	checkRows(t, rows, `[TEXT:here ARRAY:["a","b"]]`)
}

// A number JSON cannot hold as a DOUBLE is malformed without a schema too,
// as with a declared DOUBLE: not +Inf, not NULL.
func TestJSONNumberOutOfRange(t *testing.T) {
	dec, _ := formats.NewDecoder("jsonl")
	bind(t, dec, "a")
	rows, bad := decodeAll(t, dec, "{\"a\":1e400}\n{\"a\":2}\n{\"a\":-1e999}\n{\"a\":1e308}")
	checkMalformed(t, bad, "in:1: column a: 1e400 is out of range for DOUBLE", "in:3: column a: -1e999 is out of range for DOUBLE")
	checkRows(t, rows, "[BIGINT:2]", "[DOUBLE:1e+308]")
}
