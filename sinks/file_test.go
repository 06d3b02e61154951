package sinks

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/streamsql/streamsql/types"
)

func fileOpts(dir string, named map[string]types.Value) Options {
	return Options{Args: []types.Value{types.Text(dir)}, Named: named}
}

// dirFiles lists every entry of dir, hidden ones included.
func listDir(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

func readOutFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestFileSinkJSONL(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out", "nested") // created by Open
	s := open(t, "file", nil, fileOpts(dir, nil))
	cols := []string{"page", "n"}
	t1 := batchTime
	t2 := batchTime.Add(10*time.Second + 500*time.Millisecond).In(time.FixedZone("CET", 3600))
	write(t, s,
		&types.Result{Time: t1, Emitted: true, Columns: cols, Rows: []types.Row{
			{types.Text("a"), types.Int(1)},
			{types.Text("b"), types.Null},
		}},
		// Not emitted, and emitted without rows: no file.
		&types.Result{Time: t1.Add(time.Second), Emitted: false, Columns: cols, Rows: []types.Row{{types.Text("x"), types.Int(9)}}},
		&types.Result{Time: t1.Add(2 * time.Second), Emitted: true, Columns: cols},
		&types.Result{Time: t2, Emitted: true, Columns: cols, Rows: []types.Row{
			{types.Text(`q"uote`), types.Float(2.5)},
		}},
	)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	// Batch times in UTC, milliseconds, whatever zone they came in.
	want := []string{"part-20250301T213010.000Z.jsonl", "part-20250301T213020.500Z.jsonl"}
	if got := listDir(t, dir); !slices.Equal(got, want) {
		t.Fatalf("files = %q, want %q (and no temporary files)", got, want)
	}
	if got, want := readOutFile(t, filepath.Join(dir, want[0])), "{\"page\":\"a\",\"n\":1}\n{\"page\":\"b\",\"n\":null}\n"; got != want {
		t.Errorf("first file:\n%s\nwant\n%s", got, want)
	}
	if got, want := readOutFile(t, filepath.Join(dir, want[1])), "{\"page\":\"q\\\"uote\",\"n\":2.5}\n"; got != want {
		t.Errorf("second file:\n%s\nwant\n%s", got, want)
	}
	st, err := os.Stat(filepath.Join(dir, want[0]))
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o644 {
		t.Errorf("file mode %v, want 0644", st.Mode().Perm())
	}
	if err := s.Write(context.Background(), &types.Result{Time: t1, Emitted: true, Columns: cols, Rows: []types.Row{{types.Text("a"), types.Int(1)}}}); !errors.Is(err, ErrClosed) {
		t.Errorf("Write after Close = %v, want ErrClosed", err)
	}
}

func TestFileSinkCSVReplaces(t *testing.T) {
	dir := t.TempDir()
	s := open(t, "file", nil, fileOpts(dir, map[string]types.Value{
		"format": types.Text("csv"), "prefix": types.Text("counts"),
	}))
	cols := []string{"window_start", "page", "n"}
	w := types.Time(window10s.Start)
	write(t, s,
		&types.Result{Time: batchTime, Emitted: true, Window: window10s, Columns: cols, Rows: []types.Row{
			{w, types.Text("a,b"), types.Int(1)},
		}},
		// The same batch again (EMIT CHANGES, a restart): the file is replaced.
		&types.Result{Time: batchTime, Emitted: true, Window: window10s, Columns: cols, Rows: []types.Row{
			{w, types.Text("a,b"), types.Int(2)},
			{w, types.Text("c"), types.Null},
		}},
	)
	name := "counts-20250301T213010.000Z.csv"
	if got := listDir(t, dir); !slices.Equal(got, []string{name}) {
		t.Fatalf("files = %q, want [%s]", got, name)
	}
	want := "window_start,page,n\n" +
		"2025-03-01T21:30:00Z,\"a,b\",2\n" +
		"2025-03-01T21:30:00Z,c,\n"
	if got := readOutFile(t, filepath.Join(dir, name)); got != want {
		t.Errorf("file:\n%s\nwant\n%s", got, want)
	}
}

func TestFileSinkWriteError(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "gone")
	s := open(t, "file", nil, fileOpts(dir, nil))
	if err := os.Remove(dir); err != nil {
		t.Fatal(err)
	}
	r := &types.Result{Time: batchTime, Emitted: true, Columns: []string{"n"}, Rows: []types.Row{{types.Int(1)}}}
	err := s.Write(context.Background(), r)
	if err == nil || !strings.Contains(err.Error(), "gone") {
		t.Fatalf("Write into a removed directory = %v, want an error naming it", err)
	}
	// The sink keeps working once the directory is back.
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := s.Write(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	if got := listDir(t, dir); !slices.Equal(got, []string{"part-20250301T213010.000Z.jsonl"}) {
		t.Errorf("files = %q", got)
	}
}

func TestFileSinkOptions(t *testing.T) {
	spec, _ := Lookup("file")
	dir := t.TempDir()
	for _, c := range []struct {
		opts Options
		want string
	}{
		{Options{}, "takes 1 positional argument"},
		{Options{Args: []types.Value{types.Int(1)}}, "must be a string"},
		{fileOpts(dir, map[string]types.Value{"format": types.Text("xml")}), "format must be 'jsonl' or 'csv'"},
		{fileOpts(dir, map[string]types.Value{"fromat": types.Text("csv")}), "unknown option fromat"},
		{fileOpts(dir, map[string]types.Value{"prefix": types.Text("../x")}), "prefix"},
		{fileOpts(dir, map[string]types.Value{"prefix": types.Text(".hidden")}), "prefix"},
	} {
		_, err := spec.Open(nil, c.opts)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Open(%+v) = %v, want an error containing %q", c.opts, err, c.want)
		}
	}
}
