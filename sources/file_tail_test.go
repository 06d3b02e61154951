package sources

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/streamsql/streamsql/types"
)

// startTail opens file(dir, tail => true, named...), binds it and runs it
// until the watch is ready.
func startTail(t *testing.T, dir string, cols []string, named ...string) (*testEmitter, func()) {
	t.Helper()
	spec, _ := Lookup("file")
	args := Args{Positional: []types.Value{types.Text(dir)}, Named: map[string]types.Value{"tail": types.Bool(true)}}
	for i := 0; i+1 < len(named); i += 2 {
		args.Named[named[i]] = types.Text(named[i+1])
	}
	src, err := spec.OpenChecked(args)
	if err != nil {
		t.Fatal(err)
	}
	if src.Bounded() {
		t.Fatal("tail source bounded")
	}
	if err := src.Bind(cols); err != nil {
		t.Fatal(err)
	}
	em := newTestEmitter()
	stop := runLive(t, src, em)
	awaitLog(t, em, "following "+dir+" for appended lines")
	return em, stop
}

func appendTo(t *testing.T, f *os.File, data string) {
	t.Helper()
	if _, err := f.WriteString(data); err != nil {
		t.Fatal(err)
	}
}

func openAppend(t *testing.T, path string) *os.File {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// Lines appended are read as they come; what a file held at start is not;
// a line waits for its newline.
func TestFileTailAppend(t *testing.T) {
	dir := t.TempDir()
	app := filepath.Join(dir, "app.log")
	writeFile(t, app, "old1\nold2\npart")

	spec, _ := Lookup("file")
	src, err := spec.OpenChecked(Args{Positional: []types.Value{types.Text(dir)}, Named: map[string]types.Value{"tail": types.Text("true")}})
	if err != nil {
		t.Fatal(err)
	}
	if got := src.Describe(); got != "file('"+dir+"') format=text tail" {
		t.Fatalf("Describe() = %q", got)
	}

	em, stop := startTail(t, dir, []string{"line"})
	if logs := em.DrainLogs(); len(logs) > 0 {
		t.Fatalf("unexpected log %q", logs[0])
	}
	f := openAppend(t, app)
	appendTo(t, f, "ial\nnew1\n")
	checkRows(t, awaitRows(t, em, 2), "[TEXT:partial]", "[TEXT:new1]")

	// A line without its newline is not read yet: a line written to
	// another file after it comes out first.
	appendTo(t, f, "ha")
	writeFile(t, filepath.Join(dir, "marker.log"), "marker\n")
	checkRows(t, awaitRows(t, em, 1), "[TEXT:marker]")
	appendTo(t, f, "lf\r\n")
	checkRows(t, awaitRows(t, em, 1), "[TEXT:half]")

	stop()
	rows, bad := em.Snapshot()
	checkRows(t, rows, "[TEXT:partial]", "[TEXT:new1]", "[TEXT:marker]", "[TEXT:half]")
	if len(bad) != 0 {
		t.Fatalf("malformed = %v", bad)
	}
}

// Rotation by rename: the old file is finished from its handle, the new
// one read from its start, and a file renamed within the directory is
// followed under its new name without being read again.
func TestFileTailRotate(t *testing.T) {
	dir, elsewhere := t.TempDir(), t.TempDir()
	app := filepath.Join(dir, "app.log")
	writeFile(t, app, "x\n")
	em, stop := startTail(t, dir, []string{"line"})

	f := openAppend(t, app)
	appendTo(t, f, "a1\n")
	checkRows(t, awaitRows(t, em, 1), "[TEXT:a1]")

	// logrotate-style: rename within the directory, new file at the name.
	appendTo(t, f, "a2\n")
	if err := os.Rename(app, app+".1"); err != nil {
		t.Fatal(err)
	}
	writeFile(t, app, "b1\n")
	checkRows(t, awaitRows(t, em, 2), "[TEXT:a2]", "[TEXT:b1]")
	// The writer still has the old file open: app.log.1 is followed.
	appendTo(t, f, "a3\n")
	checkRows(t, awaitRows(t, em, 1), "[TEXT:a3]")

	// Moved out of the directory: what was written before the move is
	// read from the handle, not from the new file at the name.
	g := openAppend(t, app)
	appendTo(t, g, "b2\n")
	if err := os.Rename(app, filepath.Join(elsewhere, "app.log")); err != nil {
		t.Fatal(err)
	}
	writeFile(t, app, "c1\n")
	checkRows(t, awaitRows(t, em, 2), "[TEXT:b2]", "[TEXT:c1]")

	stop()
	rows, _ := em.Snapshot()
	checkRows(t, rows, "[TEXT:a1]", "[TEXT:a2]", "[TEXT:b1]", "[TEXT:a3]", "[TEXT:b2]", "[TEXT:c1]")
}

// A file cut shorter than what was read is read again from its start.
func TestFileTailTruncate(t *testing.T) {
	dir := t.TempDir()
	app := filepath.Join(dir, "app.log")
	writeFile(t, app, "x\n")
	em, stop := startTail(t, dir, []string{"line"})
	f := openAppend(t, app)
	appendTo(t, f, "t1\nt2\n")
	checkRows(t, awaitRows(t, em, 2), "[TEXT:t1]", "[TEXT:t2]")

	if err := f.Truncate(0); err != nil {
		t.Fatal(err)
	}
	appendTo(t, f, "u\n") // O_APPEND: at the new end
	if msg := awaitLog(t, em, "truncated"); msg != "file(): "+app+" was truncated; reading it again from the start" {
		t.Fatalf("log = %q", msg)
	}
	checkRows(t, awaitRows(t, em, 1), "[TEXT:u]")
	stop()
	rows, _ := em.Snapshot()
	checkRows(t, rows, "[TEXT:t1]", "[TEXT:t2]", "[TEXT:u]")
}

// csv: a file followed from its end still maps its columns by its header;
// a file moved in is read from its start with its own header; malformed
// records name the file and the line counted from where reading began.
func TestFileTailCSV(t *testing.T) {
	dir, staging := t.TempDir(), t.TempDir()
	data := filepath.Join(dir, "data.csv")
	writeFile(t, data, "n,s\n1,a\n")
	em, stop := startTail(t, dir, []string{"s", "n"}, "format", "csv")

	f := openAppend(t, data)
	appendTo(t, f, "2,b\n1,2,3\n")
	checkRows(t, awaitRows(t, em, 1), "[TEXT:b BIGINT:2]")

	writeFile(t, filepath.Join(staging, "more.csv"), "s,n\nc,3\n")
	if err := os.Rename(filepath.Join(staging, "more.csv"), filepath.Join(dir, "more.csv")); err != nil {
		t.Fatal(err)
	}
	checkRows(t, awaitRows(t, em, 1), "[TEXT:c BIGINT:3]")

	stop()
	_, bad := em.Snapshot()
	if len(bad) != 1 || bad[0].Error() != data+" (from byte 8):2: wrong number of fields: got 3, want 2 as in the header" {
		t.Fatalf("malformed = %v", bad)
	}
}

// A removed file is finished: its last line counts without a newline.
func TestFileTailRemove(t *testing.T) {
	dir := t.TempDir()
	app := filepath.Join(dir, "app.log")
	writeFile(t, app, "")
	em, _ := startTail(t, dir, []string{"line"})
	f := openAppend(t, app)
	appendTo(t, f, "r1\nlast")
	checkRows(t, awaitRows(t, em, 1), "[TEXT:r1]")
	if err := os.Remove(app); err != nil {
		t.Fatal(err)
	}
	checkRows(t, awaitRows(t, em, 1), "[TEXT:last]")
}

// Under --once, tail changes nothing: the files present are read whole.
func TestFileTailOnce(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "a.log"), "1\n2\n")
	spec, _ := Lookup("file")
	src, err := spec.OpenChecked(Args{Positional: []types.Value{types.Text(dir)}, Once: true,
		Named: map[string]types.Value{"tail": types.Bool(true)}})
	if err != nil {
		t.Fatal(err)
	}
	if !src.Bounded() || !strings.HasSuffix(src.Describe(), " bounded") {
		t.Fatalf("Bounded/Describe = %v %q", src.Bounded(), src.Describe())
	}
	em := newTestEmitter()
	if err := src.Run(context.Background(), em); err != nil {
		t.Fatal(err)
	}
	rows, _ := em.Snapshot()
	checkRows(t, rows, "[TEXT:1]", "[TEXT:2]")

	_, err = spec.OpenChecked(Args{Positional: []types.Value{types.Text(dir)}, Named: map[string]types.Value{"tail": types.Text("sometimes")}})
	if err == nil || err.Error() != "file(): tail must be true or false, got 'sometimes'" {
		t.Fatalf("bad tail option: %v", err)
	}
}
