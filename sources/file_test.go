package sources

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/streamsql/streamsql/types"
)

func openFileSource(t testing.TB, dir, format string, once bool) Source {
	t.Helper()
	spec, ok := Lookup("FILE")
	if !ok {
		t.Fatal("file source not registered")
	}
	args := Args{Positional: []types.Value{types.Text(dir)}, Once: once}
	if format != "" {
		args.Named = map[string]types.Value{"format": types.Text(format)}
	}
	src, err := spec.OpenChecked(args)
	if err != nil {
		t.Fatal(err)
	}
	return src
}

func writeFile(t testing.TB, path, data string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestFileOpenErrors(t *testing.T) {
	spec, _ := Lookup("file")
	_, err := spec.OpenChecked(Args{Positional: []types.Value{types.Text("/no/such/dir")}})
	if err == nil || err.Error() != `file(): directory "/no/such/dir" does not exist` {
		t.Fatalf("missing dir error = %v", err)
	}
	dir := t.TempDir()
	_, err = spec.OpenChecked(Args{Positional: []types.Value{types.Text(dir)}, Named: map[string]types.Value{"format": types.Text("xml")}})
	if err == nil || !strings.Contains(err.Error(), "jsonl") {
		t.Fatalf("bad format error = %v", err)
	}
	_, err = spec.OpenChecked(Args{Positional: []types.Value{types.Text(dir)}, Named: map[string]types.Value{"fmt": types.Text("text")}})
	if err == nil {
		t.Fatal("unknown option accepted")
	}
	if _, err = spec.OpenChecked(Args{}); err == nil {
		t.Fatal("missing dir accepted")
	}
}

func TestFileOnce(t *testing.T) {
	dir := t.TempDir()
	long := strings.Repeat("0123456789", 10_000) // 100 KB, past bufio.Scanner's 64 KiB
	writeFile(t, filepath.Join(dir, "b.log"), "b1\r\nb2\r\n\r\nb4")
	writeFile(t, filepath.Join(dir, "a.log"), "a1\n"+long+"\na3\n")
	writeFile(t, filepath.Join(dir, "c.log"), "") // empty file: no rows
	for _, name := range []string{".hidden", "_SUCCESS", "part.tmp"} {
		writeFile(t, filepath.Join(dir, name), "ignored\n")
	}
	if err := os.Mkdir(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "sub", "x"), "in a subdirectory\n")

	src := openFileSource(t, dir, "", true)
	if !src.Bounded() {
		t.Fatal("once source not bounded")
	}
	if got, want := src.Describe(), "file('"+dir+"') format=text bounded"; got != want {
		t.Fatalf("Describe() = %q, want %q", got, want)
	}
	if err := src.Bind([]string{"line"}); err != nil {
		t.Fatal(err)
	}
	em := newTestEmitter()
	if err := src.Run(context.Background(), em); err != nil {
		t.Fatal(err)
	}
	rows, bad := em.Snapshot()
	checkRows(t, rows, "[TEXT:a1]", "[TEXT:"+long+"]", "[TEXT:a3]", "[TEXT:b1]", "[TEXT:b2]", "[TEXT:]", "[TEXT:b4]")
	if len(bad) != 0 {
		t.Fatalf("malformed: %v", bad)
	}
	if len(em.Sizes()) != 2 { // one chunk per file
		t.Fatalf("chunks = %v, want one per non-empty file", em.Sizes())
	}
}

func TestFileOnceJSONL(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "1.jsonl"), `{"user":"ann","ms":12}`+"\n\n"+`oops`+"\n"+`{"user":"bob","ms":7.5,"tags":["a"]}`+"\n")
	writeFile(t, filepath.Join(dir, "2.jsonl"), `{"ms":3,"user":null}`+"\n")

	src := openFileSource(t, dir, "jsonl", true)
	s := src.Schema()
	if s.Open || strings.Join(s.Columns.Names(), ",") != "user,ms,tags" {
		t.Fatalf("sampled schema = %+v", s)
	}
	if s.Columns[1].Type != types.KindInt {
		t.Fatalf("ms type = %s, want BIGINT (first value)", s.Columns[1].Type)
	}
	if err := src.Bind([]string{"usr"}); err == nil {
		t.Fatal("Bind accepted a column the sample does not have")
	}
	if err := src.Bind([]string{"ms", "user"}); err != nil {
		t.Fatal(err)
	}
	if got := src.Describe(); !strings.HasSuffix(got, "format=jsonl bounded") {
		t.Fatalf("Describe() = %q", got)
	}
	em := newTestEmitter()
	if err := src.Run(context.Background(), em); err != nil {
		t.Fatal(err)
	}
	rows, bad := em.Snapshot()
	checkRows(t, rows, "[BIGINT:12 TEXT:ann]", "[DOUBLE:7.5 TEXT:bob]", "[BIGINT:3 NULL:NULL]")
	if len(bad) != 1 || !strings.HasPrefix(bad[0].Error(), filepath.Join(dir, "1.jsonl")+":3: invalid JSON") {
		t.Fatalf("malformed = %v", bad)
	}
}

func TestFileOnceEmitStops(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "a"), "1\n")
	writeFile(t, filepath.Join(dir, "b"), "2\n")
	src := openFileSource(t, dir, "text", true)
	em := newTestEmitter()
	em.FailEmit()
	if err := src.Run(context.Background(), em); err != nil {
		t.Fatal(err)
	}
	if len(em.Sizes()) != 1 {
		t.Fatalf("Emit called %d times after failing, want 1", len(em.Sizes()))
	}
}

// recv waits for the next chunk, failing the test after a generous guard.
func recv(t *testing.T, em *testEmitter) []types.Row {
	t.Helper()
	select {
	case rows := <-em.Chunks:
		return rows
	case <-time.After(wait):
		t.Fatal("timed out waiting for rows")
		return nil
	}
}

func TestFileLive(t *testing.T) {
	dir := t.TempDir()
	staging := t.TempDir()
	writeFile(t, filepath.Join(dir, "old.txt"), "pre-existing\n")

	src := openFileSource(t, dir, "text", false)
	if src.Bounded() {
		t.Fatal("live source bounded")
	}
	if got := src.Describe(); got != "file('"+dir+"') format=text live" {
		t.Fatalf("Describe() = %q", got)
	}
	if err := src.Bind([]string{"line"}); err != nil {
		t.Fatal(err)
	}
	em := newTestEmitter()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- src.Run(ctx, em) }()

	// The skipped files are reported, then the watch is ready.
	for _, want := range []string{
		"file('" + dir + "'): skipped 1 existing file; use start => 'earliest' to read them",
		"watching " + dir + " for new files",
	} {
		select {
		case msg := <-em.Logs:
			if msg != want {
				t.Fatalf("log = %q, want %q", msg, want)
			}
		case err := <-done:
			t.Fatalf("Run returned early: %v", err)
		case <-time.After(wait):
			t.Fatalf("timed out waiting for %q", want)
		}
	}

	// Written elsewhere, then moved in.
	writeFile(t, filepath.Join(staging, "one.txt"), "a\nb\n")
	if err := os.Rename(filepath.Join(staging, "one.txt"), filepath.Join(dir, "one.txt")); err != nil {
		t.Fatal(err)
	}
	checkRows(t, recv(t, em), "[TEXT:a]", "[TEXT:b]")

	// Appending to a file already read, or writing ignored names, reads
	// nothing.
	f, err := os.OpenFile(filepath.Join(dir, "one.txt"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString("appended\n"); err != nil {
		t.Fatal(err)
	}
	f.Close()
	writeFile(t, filepath.Join(dir, "two.txt.tmp"), "tmp\n")
	writeFile(t, filepath.Join(dir, ".two.txt"), "hidden\n")
	writeFile(t, filepath.Join(dir, "old.txt"), "rewritten\n")

	// Written in place (created, then written).
	writeFile(t, filepath.Join(dir, "two.txt"), "c\r\nd")
	checkRows(t, recv(t, em), "[TEXT:c]", "[TEXT:d]")

	// A temporary name renamed within the directory.
	if err := os.Rename(filepath.Join(dir, "two.txt.tmp"), filepath.Join(dir, "three.txt")); err != nil {
		t.Fatal(err)
	}
	checkRows(t, recv(t, em), "[TEXT:tmp]")

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run after cancel = %v, want nil", err)
		}
	case <-time.After(wait):
		t.Fatal("Run did not return after cancel")
	}
	rows, bad := em.Snapshot()
	checkRows(t, rows, "[TEXT:a]", "[TEXT:b]", "[TEXT:c]", "[TEXT:d]", "[TEXT:tmp]")
	if len(bad) != 0 {
		t.Fatalf("malformed: %v", bad)
	}
}

func TestFileLiveDirRemoved(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "watched")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	src := openFileSource(t, dir, "text", false)
	em := newTestEmitter()
	done := make(chan error, 1)
	go func() { done <- src.Run(context.Background(), em) }()
	select {
	case <-em.Logs:
	case <-time.After(wait):
		t.Fatal("timed out waiting for the watch")
	}
	if err := os.Remove(dir); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "removed") {
			t.Fatalf("Run = %v, want an error about the removed directory", err)
		}
	case <-time.After(wait):
		t.Fatal("Run did not return after the directory was removed")
	}
}

func BenchmarkTextDecodeFile(b *testing.B) {
	dir := b.TempDir()
	line := "2024-05-01T12:00:00.000Z INFO  GET /api/v1/items?id=12345 status=200 bytes=5120 ms=12\n"
	var sb strings.Builder
	for sb.Len() < 10<<20 {
		sb.WriteString(line)
	}
	writeFile(b, filepath.Join(dir, "data.log"), sb.String())
	b.SetBytes(int64(sb.Len()))
	em := &discardEmitter{}
	b.ResetTimer()
	for b.Loop() {
		src := openFileSource(b, dir, "text", true)
		if err := src.Bind([]string{"line"}); err != nil {
			b.Fatal(err)
		}
		if err := src.Run(context.Background(), em); err != nil {
			b.Fatal(err)
		}
	}
	if want := int64(b.N) * int64(sb.Len()/len(line)); em.rows != want {
		b.Fatalf("rows = %d, want %d", em.rows, want)
	}
}

type discardEmitter struct{ rows int64 }

func (e *discardEmitter) Emit(rows []types.Row) error { e.rows += int64(len(rows)); return nil }
func (e *discardEmitter) Malformed(error)             {}
func (e *discardEmitter) Logf(string, ...any)         {}

func openFileWith(t testing.TB, dir string, once bool, named map[string]string) (Source, error) {
	t.Helper()
	spec, _ := Lookup("file")
	args := Args{Positional: []types.Value{types.Text(dir)}, Named: map[string]types.Value{}, Once: once}
	for k, v := range named {
		args.Named[k] = types.Text(v)
	}
	return spec.OpenChecked(args)
}

func TestFileStartOption(t *testing.T) {
	dir := t.TempDir()
	_, err := openFileWith(t, dir, false, map[string]string{"start": "newest"})
	want := "file(): start must be 'latest' (only files that arrive after the query starts) or 'earliest' (the files already there too), got 'newest'"
	if err == nil || err.Error() != want {
		t.Fatalf("start => 'newest': %v, want %s", err, want)
	}
	src, err := openFileWith(t, dir, false, map[string]string{"start": "Earliest"})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := src.Describe(), "file('"+dir+"') format=text live start=earliest"; got != want {
		t.Errorf("Describe() = %q, want %q", got, want)
	}
	// Checkpointed, the directory is the input: start => 'latest' would
	// contradict it.
	src, err = openFileWith(t, dir, false, map[string]string{"start": "latest"})
	if err != nil {
		t.Fatal(err)
	}
	err = src.(Resumer).Resume(nil)
	want = "file(): start => 'latest' cannot be checkpointed: with a checkpoint the directory's files are the input, " +
		"and every file not read yet is read (those present at the first start too); remove start or --checkpoint"
	if err == nil || err.Error() != want {
		t.Errorf("Resume with start => 'latest': %v, want %s", err, want)
	}
}

// TestFileStartEarliest reads the files present at start, in name order,
// then those that arrive, each once.
func TestFileStartEarliest(t *testing.T) {
	dir := t.TempDir()
	staging := t.TempDir()
	writeFile(t, filepath.Join(dir, "b.txt"), "b1\nb2\n")
	writeFile(t, filepath.Join(dir, "a.txt"), "a1\n")
	writeFile(t, filepath.Join(dir, ".hidden"), "ignored\n")
	src, err := openFileWith(t, dir, false, map[string]string{"start": "earliest"})
	if err != nil {
		t.Fatal(err)
	}
	if err := src.Bind([]string{"line"}); err != nil {
		t.Fatal(err)
	}
	em := newTestEmitter()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- src.Run(ctx, em) }()
	checkRows(t, recv(t, em), "[TEXT:a1]")
	checkRows(t, recv(t, em), "[TEXT:b1]", "[TEXT:b2]")

	writeFile(t, filepath.Join(staging, "c.txt"), "c1\n")
	if err := os.Rename(filepath.Join(staging, "c.txt"), filepath.Join(dir, "c.txt")); err != nil {
		t.Fatal(err)
	}
	checkRows(t, recv(t, em), "[TEXT:c1]")
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	rows, _ := em.Snapshot()
	checkRows(t, rows, "[TEXT:a1]", "[TEXT:b1]", "[TEXT:b2]", "[TEXT:c1]")
	for len(em.Logs) > 0 {
		if msg := <-em.Logs; strings.Contains(msg, "skipped") {
			t.Errorf("start => 'earliest' logged %q", msg)
		}
	}
}

// TestFileTailStartEarliest follows the files present at start from their
// first line instead of their end.
func TestFileTailStartEarliest(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "app.log")
	writeFile(t, path, "old1\nold2\n")
	src, err := openFileWith(t, dir, false, map[string]string{"start": "earliest", "tail": "true"})
	if err != nil {
		t.Fatal(err)
	}
	if err := src.Bind([]string{"line"}); err != nil {
		t.Fatal(err)
	}
	em := newTestEmitter()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- src.Run(ctx, em) }()
	checkRows(t, recv(t, em), "[TEXT:old1]", "[TEXT:old2]")
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("new\n")
	f.Close()
	checkRows(t, recv(t, em), "[TEXT:new]")
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if msg := <-em.Logs; msg != "following "+dir+" for appended lines (1 existing file(s) from their start)" {
		t.Errorf("log %q", msg)
	}
}

// TestFileOnceIgnoresStart: a bounded run reads the files present, as
// always, whatever start says.
func TestFileOnceIgnoresStart(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "a.txt"), "a1\n")
	for _, start := range []string{"latest", "earliest"} {
		src, err := openFileWith(t, dir, true, map[string]string{"start": start})
		if err != nil {
			t.Fatal(err)
		}
		em := newTestEmitter()
		if err := src.Run(context.Background(), em); err != nil {
			t.Fatal(err)
		}
		rows, _ := em.Snapshot()
		checkRows(t, rows, "[TEXT:a1]")
	}
}
