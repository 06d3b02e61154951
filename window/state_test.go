package window

import (
	"bytes"
	"encoding/gob"
	"testing"
	"time"

	"github.com/streamsql/streamsql/agg"
	"github.com/streamsql/streamsql/expr"
	"github.com/streamsql/streamsql/types"
)

// TestPanesRoundTrip writes window state with encoding/gob and reads it
// back: the windows computed from the copy must equal the original's. This
// is what a checkpoint will do.
func TestPanesRoundTrip(t *testing.T) {
	col := expr.Column(1)
	var fs []agg.Func
	for _, c := range []struct {
		name     string
		distinct bool
	}{{"count", false}, {"sum", false}, {"avg", false}, {"min", false}, {"max", false}, {"count", true}, {"approx_count_distinct", false}} {
		f, err := agg.New(c.name, col, c.distinct)
		if err != nil {
			t.Fatal(err)
		}
		fs = append(fs, f)
	}
	spec := Spec{Size: 3 * time.Second, Slide: time.Second}
	p := NewPanes(spec)
	for b := 0; b < 5; b++ {
		tbl := NewTable()
		for i := 0; i < 10; i++ {
			row := types.Row{types.Text(string(rune('a' + i%3))), types.Float(float64(b*10 + i))}
			g := tbl.Get(types.AppendKey(nil, row[0]), row[:1], len(fs))
			for j, f := range fs {
				f.Add(&g.States[j], row)
			}
		}
		p.Add(time.Unix(int64(b), 0), tbl, fs)
	}
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(p); err != nil {
		t.Fatal(err)
	}
	var back Panes
	if err := gob.NewDecoder(&buf).Decode(&back); err != nil {
		t.Fatal(err)
	}
	w := spec.Ending(time.Unix(5, 0))
	render := func(tbl *Table) string {
		var s string
		for _, g := range tbl.Sorted() {
			s += g.Key[0].String() + ":"
			for j, f := range fs {
				s += " " + f.Result(&g.States[j]).String()
			}
			s += "\n"
		}
		return s
	}
	want, got := render(p.Window(w, fs)), render(back.Window(w, fs))
	if got != want || want == "" {
		t.Errorf("after round trip\n got:\n%s\nwant:\n%s", got, want)
	}
}
