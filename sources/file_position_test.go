package sources

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/streamsql/streamsql/types"
)

// posEmitter is a testEmitter that takes positions, as a checkpointing
// job does, and keeps the last one.
type posEmitter struct {
	*testEmitter
	last []byte
}

func (e *posEmitter) EmitAt(rows []types.Row, pos Position) error {
	b, err := pos.MarshalJSON()
	if err != nil {
		return err
	}
	e.last = b
	return e.Emit(rows)
}

// TestFileResume reads a directory from a checkpointed position: files
// done are skipped, the file in progress goes on after the records already
// handed over (its csv header still read), and the position after each
// chunk says exactly that.
func TestFileResume(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "a.csv"), []byte("k,v\nx,1\ny,2\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "b.csv"), []byte("k,v\nx,3\ny,4\nz,5\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "c.csv"), []byte("k,v\nw,6\n"), 0o644)
	open := func() Source {
		src, err := openFile(Args{Positional: []types.Value{types.Text(dir)}, Named: map[string]types.Value{"format": types.Text("csv")}, Once: true})
		if err != nil {
			t.Fatal(err)
		}
		if err := src.Bind([]string{"k", "v"}); err != nil {
			t.Fatal(err)
		}
		return src
	}
	src := open()
	// b.csv: header and x,3 were handed over.
	if err := src.(Resumer).Resume([]byte(`{"done":["a.csv"],"file":"b.csv","records":2}`)); err != nil {
		t.Fatal(err)
	}
	out := &posEmitter{testEmitter: newTestEmitter()}
	if err := src.Run(context.Background(), out); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range out.Rows() {
		got = append(got, r[0].String()+"="+r[1].String())
	}
	if g, want := strings.Join(got, " "), "y=4 z=5 w=6"; g != want {
		t.Errorf("rows %s, want %s", g, want)
	}
	if g, want := string(out.last), `{"done":["a.csv","b.csv"],"file":"c.csv","records":2}`; g != want {
		t.Errorf("last position %s, want %s", g, want)
	}

	// A first run with a checkpoint reads the files present.
	src = open()
	src.(Resumer).Resume(nil)
	out = &posEmitter{testEmitter: newTestEmitter()}
	src.Run(context.Background(), out)
	if len(out.Rows()) != 6 {
		t.Errorf("first checkpointed run read %d rows, want 6", len(out.Rows()))
	}
}
