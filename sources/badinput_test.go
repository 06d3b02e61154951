package sources

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/streamsql/streamsql/formats"

	"github.com/streamsql/streamsql/types"
)

// runOnce opens file(dir) bounded with opts, binds cols, runs it to the end
// and returns what it delivered.
func runOnce(t *testing.T, dir string, cols []string, opts ...string) *testEmitter {
	t.Helper()
	src := openFileArgs(t, dir, opts...)
	if err := src.Bind(cols); err != nil {
		t.Fatal(err)
	}
	em := newTestEmitter()
	if err := src.Run(context.Background(), em); err != nil {
		t.Fatal(err)
	}
	return em
}

func TestMaxLineFile(t *testing.T) {
	dir := t.TempDir()
	huge := strings.Repeat("x", 5<<20)
	writeFile(t, filepath.Join(dir, "a.txt"), "good1\n"+huge+"\ngood2\n")
	em := runOnce(t, dir, []string{"line"}, "max_line", "1MB")
	rows, bad := em.Snapshot()
	checkRows(t, rows, "[TEXT:good1]", "[TEXT:good2]")
	checkMalformed(t, bad, filepath.Join(dir, "a.txt")+":2: line longer than 1 MiB (skipped)")

	// The default is 1 MiB too; a line of exactly max_line is accepted,
	// "\r\n" not counted.
	dir = t.TempDir()
	writeFile(t, filepath.Join(dir, "b.txt"), strings.Repeat("y", 1<<20)+"\r\n"+strings.Repeat("z", 1<<20+1)+"\nlast")
	em = runOnce(t, dir, []string{"line"})
	rows, bad = em.Snapshot()
	if len(rows) != 2 || len(rows[0][0].AsText()) != 1<<20 || rows[1][0].AsText() != "last" {
		t.Fatalf("rows = %d, first %d bytes", len(rows), len(rows[0][0].AsText()))
	}
	checkMalformed(t, bad, filepath.Join(dir, "b.txt")+":2: line longer than 1 MiB (skipped)")
}

// pieces is a live stream: each Read returns the next piece, io.EOF
// between them.
type pieces struct{ p []string }

func (r *pieces) Read(b []byte) (int, error) {
	if len(r.p) == 0 {
		return 0, io.EOF
	}
	if r.p[0] == "" {
		r.p = r.p[1:]
		return 0, io.EOF
	}
	n := copy(b, r.p[0])
	r.p[0] = r.p[0][n:]
	if r.p[0] == "" {
		r.p = r.p[1:]
	}
	return n, nil
}

// TestMaxLineGate: on a live stream (socket, tail) a line over max_line
// that arrives in parts, with pauses (io.EOF) between them, is rejected
// once, never held whole, and the lines after it are read.
func TestMaxLineGate(t *testing.T) {
	const lim = 1 << 10
	dec := openDecoder(t, "max_line", "1KB")
	gate := &lineGate{r: &pieces{p: []string{"a\nb", "", strings.Repeat("x", 3000), "", strings.Repeat("x", 3000), "", "x\nc\nd"}}, max: lim}
	rr := formats.NewRecordReader(dec, gate)
	var got []string
	eofs := 0
	for eofs < 10 {
		rec, line, err := rr.Next()
		if err == io.EOF {
			eofs++
			continue
		}
		if len(gate.partial) > lim+2 {
			t.Fatalf("gate holds %d bytes", len(gate.partial))
		}
		if err != nil {
			got = append(got, line2(line, err.Error()))
			continue
		}
		got = append(got, line2(line, string(rec)))
	}
	if want := "1 a|2 line longer than 1 KiB (skipped)|3 c"; strings.Join(got, "|") != want {
		t.Fatalf("got %q, want %s", got, want)
	}
	if p := gate.takePartial(); string(p) != "d" {
		t.Fatalf("partial = %q", p)
	}

	// A too-long line cut by the end of the stream is not a last line.
	gate = &lineGate{r: &pieces{p: []string{"a\n", strings.Repeat("x", 3000)}}, max: lim}
	rr = formats.NewRecordReader(dec, gate)
	for {
		if _, _, err := rr.Next(); err == io.EOF {
			break
		}
	}
	if p := gate.takePartial(); p != nil {
		t.Fatalf("partial of a too-long line = %d bytes", len(p))
	}
}

func line2(n int, s string) string { return fmt.Sprintf("%d %s", n, s) }

func itoa(n int) string { return strconv.Itoa(n) }

func TestMaxLineOption(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"64KB", "65536"}, {"1MB", "1048576"}, {"100", "100"}, {" 2 kib ", "2048"},
	} {
		dec := openDecoder(t, "max_line", c.in)
		if got := itoa(formats.MaxRecord(dec)); got != c.want {
			t.Errorf("max_line %q = %s, want %s", c.in, got, c.want)
		}
	}
	for _, in := range []string{"", "0", "-1", "1TB", "2GB", "abc"} {
		if _, err := OpenDecoder(Args{Named: map[string]types.Value{"max_line": types.Text(in)}}); err == nil || !strings.HasPrefix(err.Error(), "max_line: ") {
			t.Errorf("max_line %q: err = %v", in, err)
		}
	}
	if _, err := OpenDecoder(Args{Named: map[string]types.Value{"dead_letter": types.Text(" ")}}); err == nil {
		t.Error("empty dead_letter accepted")
	}
	for _, name := range []string{"file", "stdin", "socket", "http"} {
		spec, _ := Lookup(name)
		for _, o := range []string{"max_line", "dead_letter"} {
			found := false
			for _, so := range spec.Options {
				found = found || so == o
			}
			if !found {
				t.Errorf("%s() lacks option %s", name, o)
			}
		}
	}
}

func TestInvalidUTF8(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "a.txt"), "ok\nbad \xff\xfe here\n\xc3\n")
	em := runOnce(t, dir, []string{"line"})
	rows, bad := em.Snapshot()
	checkRows(t, rows, "[TEXT:ok]", "[TEXT:bad \uFFFD here]", "[TEXT:\uFFFD]")
	checkMalformed(t, bad)

	dir = t.TempDir()
	writeFile(t, filepath.Join(dir, "a.csv"), "name,n\xff\nx\xffy,1\n\"q\xc3\",2\n")
	em = runOnce(t, dir, []string{"name", "n\uFFFD"}, "format", "csv")
	rows, bad = em.Snapshot()
	checkRows(t, rows, "[TEXT:x\uFFFDy BIGINT:1]", "[TEXT:q\uFFFD BIGINT:2]")
	checkMalformed(t, bad)

	dir = t.TempDir()
	writeFile(t, filepath.Join(dir, "a.jsonl"), "{\"s\":\"a\xffb\",\"o\":{\"k\":\"\xfe\"},\"l\":[\"\xc3\"]}\n{\"s\":\"\\ud800\"}\n")
	em = runOnce(t, dir, []string{"s", "o", "l"}, "format", "jsonl")
	rows, bad = em.Snapshot()
	checkRows(t, rows, `[TEXT:a`+"\uFFFD"+`b TEXT:{"k":"`+"\uFFFD"+`"} ARRAY:["`+"\uFFFD"+`"]]`, `[TEXT:\ud800 NULL:NULL NULL:NULL]`)
	checkMalformed(t, bad)
	for _, r := range rows {
		for _, v := range r {
			if !utf8Valid(v.String()) {
				t.Errorf("invalid UTF-8 in %q", v.String())
			}
		}
	}
}

func utf8Valid(s string) bool { return strings.ToValidUTF8(s, "?") == s }

// readDeadLetters returns the lines of a dead letter file, time checked
// and dropped.
func readDeadLetters(t *testing.T, path string) []deadLetter {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []deadLetter
	for _, line := range bytes.Split(bytes.TrimSuffix(data, []byte("\n")), []byte("\n")) {
		var dl deadLetter
		if err := json.Unmarshal(line, &dl); err != nil {
			t.Fatalf("dead letter %q: %v", line, err)
		}
		tm, err := time.Parse(time.RFC3339, dl.Time)
		if err != nil || time.Since(tm) > time.Minute || !strings.HasSuffix(dl.Time, "Z") {
			t.Errorf("dead letter time %q", dl.Time)
		}
		dl.Time = ""
		out = append(out, dl)
	}
	return out
}

func TestDeadLetter(t *testing.T) {
	dir := t.TempDir()
	dl := filepath.Join(t.TempDir(), "rejects.jsonl")
	long := strings.Repeat("L", 2000)
	huge := strings.Repeat("H", 100<<10)
	writeFile(t, filepath.Join(dir, "a.jsonl"), `{"a":1}`+"\n{bad\n"+`{"a":"x"}`+"\n"+long+"\n"+huge+"\n"+`{"a":2}`+"\n")
	em := runOnce(t, dir, []string{"a"}, "format", "jsonl", "schema", "a BIGINT", "max_line", "1KB", "dead_letter", dl)
	rows, bad := em.Snapshot()
	checkRows(t, rows, "[BIGINT:1]", "[BIGINT:2]")
	in := filepath.Join(dir, "a.jsonl")
	if len(bad) != 4 {
		t.Fatalf("malformed = %q", bad)
	}
	src := "file(" + formats.Quote(dir) + ")"
	want := []deadLetter{
		{Source: src, Where: in + ":2", Reason: strings.TrimPrefix(bad[0].Error(), in+":2: "), Record: "{bad"},
		{Source: src, Where: in + ":3", Reason: `column a: 'x' is not a BIGINT`, Record: `{"a":"x"}`},
		{Source: src, Where: in + ":4", Reason: "line longer than 1 KiB (skipped)", Record: long},
		{Source: src, Where: in + ":5", Reason: "line longer than 1 KiB (skipped)", Record: huge[:64<<10]},
	}
	if !strings.HasPrefix(want[0].Reason, "invalid JSON: ") {
		t.Errorf("reason %q", want[0].Reason)
	}
	got := readDeadLetters(t, dl)
	if len(got) != len(want) {
		t.Fatalf("%d dead letters, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			g, w := got[i], want[i]
			g.Record, w.Record = g.Record[:min(len(g.Record), 40)], w.Record[:min(len(w.Record), 40)]
			t.Errorf("dead letter %d:\n got  %+v (%d bytes)\n want %+v (%d bytes)", i, g, len(got[i].Record), w, len(want[i].Record))
		}
		if bad[i].Error() != want[i].Where+": "+want[i].Reason {
			t.Errorf("malformed %d = %q", i, bad[i])
		}
	}

	// Appended to, not truncated.
	writeFile(t, filepath.Join(dir, "a.jsonl"), "{bad\n")
	runOnce(t, dir, []string{"a"}, "format", "jsonl", "dead_letter", dl)
	if got := readDeadLetters(t, dl); len(got) != 5 || got[4].Record != "{bad" {
		t.Fatalf("after a second run: %d dead letters", len(got))
	}
}

// TestDeadLetterStdinCSV: the same through stdin, csv.
func TestDeadLetterStdinCSV(t *testing.T) {
	dl := filepath.Join(t.TempDir(), "dl.jsonl")
	spec, _ := Lookup("stdin")
	src, err := spec.OpenChecked(Args{Named: map[string]types.Value{
		"format": types.Text("csv"), "dead_letter": types.Text(dl), "max_line": types.Text("10")}})
	if err != nil {
		t.Fatal(err)
	}
	src.(*stdinSource).in = strings.NewReader("a,b\n1,2\n1,2,3\n\"0123456789\",1\n3,4\n")
	if err := src.Bind([]string{"a", "b"}); err != nil {
		t.Fatal(err)
	}
	em := newTestEmitter()
	if err := src.Run(context.Background(), em); err != nil {
		t.Fatal(err)
	}
	rows, bad := em.Snapshot()
	checkRows(t, rows, "[BIGINT:1 BIGINT:2]", "[BIGINT:3 BIGINT:4]")
	checkMalformed(t, bad, "stdin:3: wrong number of fields: got 3, want 2 as in the header", "stdin:4: line longer than 10 bytes (skipped)")
	got := readDeadLetters(t, dl)
	want := []deadLetter{
		{Source: "stdin()", Where: "stdin:3", Reason: "wrong number of fields: got 3, want 2 as in the header", Record: "1,2,3"},
		{Source: "stdin()", Where: "stdin:4", Reason: "line longer than 10 bytes (skipped)", Record: `"0123456789",1`},
	}
	if len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("dead letters %+v, want %+v", got, want)
	}
}

func TestDeadLetterUnwritable(t *testing.T) {
	for _, dl := range []string{filepath.Join(t.TempDir(), "no", "such", "dir.jsonl"), "/dev/full"} {
		if dl == "/dev/full" {
			if _, err := os.Stat(dl); err != nil {
				continue
			}
		}
		dir := t.TempDir()
		writeFile(t, filepath.Join(dir, "a.jsonl"), `{"a":1}`+"\n{bad\n"+`{"a":2}`+"\n{bad\n")
		em := runOnce(t, dir, []string{"a"}, "format", "jsonl", "dead_letter", dl)
		rows, bad := em.Snapshot()
		checkRows(t, rows, "[BIGINT:1]", "[BIGINT:2]")
		if len(bad) != 2 {
			t.Fatalf("%s: malformed = %q", dl, bad)
		}
		close(em.Logs)
		var warned []string
		for msg := range em.Logs {
			if strings.Contains(msg, "dead_letter") {
				warned = append(warned, msg)
			}
		}
		if len(warned) != 1 || !strings.Contains(warned[0], dl) {
			t.Fatalf("%s: warnings %q, want one", dl, warned)
		}
	}
}

// TestDeadLetterSocket: a too-long line and a line cut by the end of a
// connection, on a live socket, go to the dead letter file too.
func TestDeadLetterSocket(t *testing.T) {
	ln := listenTCP(t, "127.0.0.1:0")
	dl := filepath.Join(t.TempDir(), "dl.jsonl")
	src := openSocketSource(t, ln.Addr().String(), false, "max_line", "1KB", "dead_letter", dl)
	if err := src.Bind([]string{"line"}); err != nil {
		t.Fatal(err)
	}
	em := newTestEmitter()
	stop := runLive(t, src, em)
	conn := accept(t, ln)
	send(t, conn, "a\n"+strings.Repeat("x", 3000))
	time.Sleep(20 * time.Millisecond)
	send(t, conn, strings.Repeat("x", 3000)+"\nb\ncut")
	checkRows(t, awaitRows(t, em, 2), "[TEXT:a]", "[TEXT:b]")
	conn.Close()
	awaitLog(t, em, "connection lost")
	stop()
	_, bad := em.Snapshot()
	name := src.Label()
	checkMalformed(t, bad, name+":2: line longer than 1 KiB (skipped)", name+":4: connection lost in the middle of a line; its 3 byte(s) were dropped")
	got := readDeadLetters(t, dl)
	if len(got) != 2 || got[0].Where != name+":2" || got[0].Record != strings.Repeat("x", len(got[0].Record)) ||
		len(got[0].Record) < 1<<10 || got[1].Record != "cut" || got[1].Source != name {
		t.Fatalf("dead letters %+v", got)
	}
}

// TestDeadLetterHTTP: a POSTed body's too-long and malformed lines are
// answered 400, counted, and kept in the dead letter file; the good ones
// are queued.
func TestDeadLetterHTTP(t *testing.T) {
	dl := filepath.Join(t.TempDir(), "dl.jsonl")
	src := openHTTPSource(t, "format", "jsonl", "max_line", "64", "dead_letter", dl)
	if err := src.Bind([]string{"a"}); err != nil {
		t.Fatal(err)
	}
	em := newTestEmitter()
	base, stop := startHTTP(t, src, em, em)
	long := `{"a":"` + strings.Repeat("z", 100) + `"}`
	a := post(t, base+"/ingest", `{"a":1}`+"\n"+long+"\n{bad\n"+`{"a":2}`+"\n")
	if a.code != http.StatusBadRequest || a.reply.Rejected != 2 || *a.reply.Accepted != 2 ||
		a.reply.Errors[0] != "line 2: line longer than 64 bytes (skipped)" || !strings.HasPrefix(a.reply.Errors[1], "line 3: invalid JSON: ") {
		t.Fatalf("answer = %d %q", a.code, a.body)
	}
	checkRows(t, awaitRows(t, em, 2), "[BIGINT:1]", "[BIGINT:2]")
	stop()
	got := readDeadLetters(t, dl)
	if len(got) != 2 || got[0].Record != long || got[0].Reason != "line longer than 64 bytes (skipped)" ||
		got[1].Record != "{bad" || got[0].Source != "http('127.0.0.1:0')" || !strings.HasSuffix(got[1].Where, ":3") {
		t.Fatalf("dead letters %+v", got)
	}
}

// A body of many malformed lines keeps the first httpKeepRejected of them
// (dead letters, the log) and counts the rest, with one dead letter
// saying how many were not kept; every one is counted.
func TestHTTPManyMalformedKeepsFew(t *testing.T) {
	dl := filepath.Join(t.TempDir(), "dl.jsonl")
	src := openHTTPSource(t, "format", "jsonl", "dead_letter", dl)
	if err := src.Bind([]string{"a"}); err != nil {
		t.Fatal(err)
	}
	em := newTestEmitter()
	base, stop := startHTTP(t, src, em, em)
	const n = 5000
	body := `{"a":1}` + "\n" + strings.Repeat("{bad\n", n)
	a := post(t, base+"/ingest", body)
	if a.code != http.StatusBadRequest || a.reply.Rejected != n || *a.reply.Accepted != 1 || len(a.reply.Errors) != httpMaxErrors {
		t.Fatalf("answer = %d, accepted %v, rejected %d, %d errors", a.code, a.reply.Accepted, a.reply.Rejected, len(a.reply.Errors))
	}
	checkRows(t, awaitRows(t, em, 1), "[BIGINT:1]")
	stop()
	if _, bad := em.Snapshot(); len(bad) != n {
		t.Errorf("%d counted malformed, want %d", len(bad), n)
	}
	got := readDeadLetters(t, dl)
	if len(got) != httpKeepRejected+1 {
		t.Fatalf("%d dead letters, want %d", len(got), httpKeepRejected+1)
	}
	last := got[len(got)-1]
	if want := fmt.Sprintf("%d more malformed records after line %d (counted, not kept)", n-httpKeepRejected, httpKeepRejected+1); !strings.HasSuffix(last.Reason, want) {
		t.Errorf("last dead letter %+v, want a reason ending %q", last, want)
	}
}

// dead_letter_max caps the file: the letters that would pass it are
// counted, said once, and summed up when the source ends.
func TestDeadLetterMax(t *testing.T) {
	dir := t.TempDir()
	dl := filepath.Join(t.TempDir(), "rejects.jsonl")
	writeFile(t, filepath.Join(dir, "a.jsonl"), strings.Repeat("{bad\n", 200))
	em := runOnce(t, dir, []string{"a"}, "format", "jsonl", "dead_letter", dl, "dead_letter_max", "4KB")
	if _, bad := em.Snapshot(); len(bad) != 200 {
		t.Fatalf("%d malformed, want 200", len(bad))
	}
	fi, err := os.Stat(dl)
	if err != nil {
		t.Fatal(err)
	}
	kept := len(readDeadLetters(t, dl))
	if fi.Size() > 4<<10 || kept == 0 || kept >= 200 {
		t.Fatalf("dead letter file of %d bytes with %d letters", fi.Size(), kept)
	}
	src := "file(" + formats.Quote(dir) + ")"
	logs := strings.Join(em.DrainLogs(), "\n")
	for _, want := range []string{
		src + ": warning: dead_letter " + dl + " reached dead_letter_max (4 KiB); further rejected records are counted but not kept",
		fmt.Sprintf("%s: %d rejected records were not kept in dead_letter %s (over dead_letter_max)", src, 200-kept, dl),
	} {
		if !strings.Contains(logs, want) {
			t.Errorf("logs lack %q:\n%s", want, logs)
		}
	}
}
