package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/streamsql/streamsql"
	"github.com/streamsql/streamsql/clock"
)

// terminal is input typed at a terminal: the REPL reads it (readline reads
// a pipe as it reads a tty), where other input that is not a terminal is
// run as a script.
type terminal struct{ io.Reader }

func (terminal) IsTerminal() bool { return true }

func typed(r io.Reader) io.Reader { return terminal{r} }

// TestREPLRunsStatements types a multi-line query, an EXPLAIN, a broken
// query and \q at the prompt (readline reads a pipe as it reads a tty).
func TestREPLRunsStatements(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "a.txt"), []byte("b a b\n"), 0o644)
	input := "SELECT word, COUNT(*) AS n\n" +
		"FROM file('" + dir + "')\n" +
		"GROUP BY word;\n" +
		"EXPLAIN SELECT line FROM file('" + dir + "');\n" +
		"SELECT nope FROM file('" + dir + "');\n" +
		"\\q\n"
	var stdout, stderr bytes.Buffer
	code := run([]string{"--once", "--output", "csv"}, typed(strings.NewReader(input)), &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr.String())
	}
	out := stdout.String()
	for _, want := range []string{
		"word,n\na,1\nb,2\n",
		"Result [line]\n└─ Project line\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(stderr.String(), `streamsql: 1:8: column "nope" not found`) {
		t.Errorf("stderr lacks the positioned error:\n%s", stderr.String())
	}
}

// TestREPLCommands runs the REPL's own commands from piped input: \i,
// DESCRIBE, SHOW STREAMS, SHOW QUERIES, SET and the errors for mistakes.
func TestREPLCommands(t *testing.T) {
	dir := t.TempDir()
	script := filepath.Join(dir, "script.sql")
	os.WriteFile(script, []byte("-- define a stream\n"+
		"CREATE STREAM w AS\n  SELECT word FROM file('"+dir+"');\n"+
		"DESCRIBE w\n"+
		"SET batch_interval = '250ms';\n"), 0o644)
	input := `\i ` + script + "\n" +
		"show streams;\n" +
		"SET\n" +
		"SET output = 'jsonl'\n" +
		"SET output TO 'xml'\n" +
		"SET foo = 1\n" +
		"SET batch_interval = 'soon'\n" +
		"DESCRIBE nope;\n" +
		"SHOW QUERIES;\n" +
		"SHOW TABLES\n" +
		"STOP QUERY 7\n" +
		"foo bar\n" +
		"selct 1;\n" +
		"DESCRIB w\n" +
		`\x` + "\n" +
		`\i ` + filepath.Join(dir, "missing.sql") + "\n" +
		"\\q\n"
	var stdout, stderr bytes.Buffer
	t.Setenv("HOME", dir)
	if code := run(nil, typed(strings.NewReader(input)), &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr.String())
	}
	wantOut := "streamsql: continuous SQL over streams. \\help for help, \\q to quit.\n" +
		"stream w created (word)\n" +
		"column  type\n" +
		"word    TEXT\n" +
		"batch_interval = '250ms' (for queries started from now on)\n" +
		"w AS SELECT word FROM file('" + dir + "')\n" +
		"batch_interval = '250ms'\n" +
		"output = 'table'\n" +
		"output = 'jsonl'\n" +
		"no queries running (an INSERT INTO ... runs in the background)\n"
	if got := stdout.String(); got != wantOut {
		t.Errorf("stdout:\n%s\nwant:\n%s", got, wantOut)
	}
	wantErr := "streamsql: SET output: unknown format \"xml\" (choose table, jsonl, changelog or csv)\n" +
		"streamsql: SET: unknown setting \"foo\" (settings: batch_interval, output, checkpoint)\n" +
		"streamsql: SET batch_interval: \"soon\" is not a duration (say '500ms', '2s')\n" +
		"streamsql: DESCRIBE: stream \"nope\" does not exist (streams: w)\n" +
		"streamsql: SHOW takes STREAMS, VIEWS or QUERIES: SHOW STREAMS, SHOW VIEWS, SHOW QUERIES\n" +
		"streamsql: no query 7 is running (SHOW QUERIES lists them)\n" +
		"streamsql: unknown command \"foo\": type a SQL statement (SELECT, INSERT INTO, CREATE STREAM, DROP STREAM, EXPLAIN, SHOW) or a command; \\help lists them\n" +
		"streamsql: unknown command \"selct\": did you mean SELECT? (\\help lists the commands)\n" +
		"streamsql: unknown command \"DESCRIB\": did you mean DESCRIBE? (\\help lists the commands)\n" +
		"streamsql: unknown command \\x; \\help lists the commands\n" +
		"streamsql: \\i: open " + filepath.Join(dir, "missing.sql") + ": no such file or directory\n"
	if got := stderr.String(); got != wantErr {
		t.Errorf("stderr:\n%s\nwant:\n%s", got, wantErr)
	}
	hist, _ := os.ReadFile(filepath.Join(dir, ".streamsql_history"))
	if !strings.Contains(string(hist), "SHOW QUERIES;\n") || strings.Contains(string(hist), "CREATE STREAM") {
		t.Errorf("history should hold the typed lines, not the \\i file's:\n%s", hist)
	}
}

// syncBuffer is a bytes.Buffer safe to read while the REPL writes it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestREPLBackgroundInsert starts an INSERT INTO, sees the prompt come
// back, lists it, feeds it a file, and stops it.
func TestREPLBackgroundInsert(t *testing.T) {
	in, out := t.TempDir(), t.TempDir()
	t.Setenv("HOME", t.TempDir())
	pr, pw := io.Pipe()
	var stdout, stderr syncBuffer
	code := make(chan int, 1)
	go func() { code <- run([]string{"--batch", "50ms"}, typed(pr), &stdout, &stderr) }()

	insert := "INSERT INTO file('" + out + "', format => 'csv') SELECT line FROM file('" + in + "')"
	fmt.Fprintf(pw, "%s;\nSHOW QUERIES\n", insert)
	waitFor(t, "SHOW QUERIES", func() bool { return strings.Contains(stdout.String(), "sql\n") })

	tmp := filepath.Join(t.TempDir(), "x.txt")
	os.WriteFile(tmp, []byte("one\ntwo\n"), 0o644)
	if err := os.Rename(tmp, filepath.Join(in, "x.txt")); err != nil {
		t.Fatal(err)
	}
	written := func() string {
		files, _ := filepath.Glob(filepath.Join(out, "*"))
		var all []string
		for _, f := range files {
			b, _ := os.ReadFile(f)
			all = append(all, string(b))
		}
		return strings.Join(all, "")
	}
	waitFor(t, "the sink to write the file's lines", func() bool { return strings.Contains(written(), "one\ntwo\n") })

	fmt.Fprint(pw, "STOP QUERY 1;\nSHOW QUERIES\n\\q\n")
	pw.Close()
	select {
	case c := <-code:
		if c != 0 {
			t.Fatalf("exit %d; stderr:\n%s", c, stderr.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatal("the REPL did not quit")
	}
	want := "streamsql: continuous SQL over streams. \\help for help, \\q to quit.\n" +
		"query 1 running in the background; STOP QUERY 1 to stop it\n" +
		"id  state    rows in  sql\n" +
		" 1  running        0  " + insert + "\n" +
		"query 1 stopped (2 rows read)\n" +
		"no queries running (an INSERT INTO ... runs in the background)\n"
	if got := stdout.String(); got != want {
		t.Errorf("stdout:\n%s\nwant:\n%s", got, want)
	}
}

// TestREPLQuitStopsBackground: \q stops the background queries and their
// sinks are closed.
func TestREPLQuitStopsBackground(t *testing.T) {
	in, out := t.TempDir(), t.TempDir()
	t.Setenv("HOME", t.TempDir())
	input := "SET batch_interval = '50ms'\nINSERT INTO file('" + out + "') SELECT line FROM file('" + in + "');\n\\q\n"
	var stdout, stderr bytes.Buffer
	if code := run(nil, typed(strings.NewReader(input)), &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr.String())
	}
	if !strings.HasSuffix(stdout.String(), "query 1 running in the background; STOP QUERY 1 to stop it\nstopping 1 background query\n") {
		t.Errorf("stdout:\n%s", stdout.String())
	}
}

func TestCompleter(t *testing.T) {
	eng := streamsql.New(streamsql.Config{Log: io.Discard})
	s := &session{eng: eng, columns: map[string][]string{"w": {"word_len"}}}
	c := &completer{s: s}
	cases := []struct {
		line string
		want []string
	}{
		{"sel", []string{"ect "}},
		{"SELECT COU", []string{"NT ", "NT_CHAR "}},
		{"SELECT x FROM fil", []string{"e("}},
		{"SELECT word_", []string{"len "}},
		{"SELECT x ", nil},
		// After INSERT INTO only sinks: no functions, keywords or sources.
		{"INSERT INTO f", []string{"ile("}},
		{"insert into sq", []string{"lite("}},
		{"INSERT INTO ", []string{"changelog(", "csv(", "file(", "jsonl(", "kafka(", "postgres(", "sqlite(", "table("}},
		{"SELECT a FROM s", []string{"ocket(", "tdin("}},
		{"SELECT a FROM f() JOIN ta", []string{"ble("}},
	}
	for _, c2 := range cases {
		got, n := c.Do([]rune(c2.line), len(c2.line))
		var strs []string
		for _, g := range got {
			strs = append(strs, string(g))
		}
		if !reflect.DeepEqual(strs, c2.want) {
			t.Errorf("complete %q: %q (length %d), want %q", c2.line, strs, n, c2.want)
		}
	}
}

// TestHelpExamplePrintsRows runs the first query of \help, live, over the
// bundled examples/logfile: it must count the files already there (it
// printed "(no rows)" forever when it read only files that arrived later).
func TestHelpExamplePrintsRows(t *testing.T) {
	var query string
	for _, l := range strings.Split(replHelp, "\n") {
		if strings.HasPrefix(strings.TrimSpace(l), "SELECT") {
			query = strings.TrimSpace(l)
			break
		}
	}
	if query == "" {
		t.Fatal("no SELECT in the help")
	}
	t.Chdir("../..")
	want := map[string]int64{}
	lines := int64(0)
	files, _ := filepath.Glob("examples/logfile/*")
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		lines += int64(strings.Count(string(b), "\n"))
		for _, w := range strings.Fields(string(b)) {
			want[w]++
		}
	}
	fake := clock.NewFake(time.Unix(0, 0).UTC())
	eng := streamsql.New(streamsql.Config{BatchInterval: time.Second, Clock: fake, Log: io.Discard})
	q, err := eng.Query(context.Background(), query)
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Stop()
	deadline := time.Now().Add(30 * time.Second)
	for q.Stats().RowsIn < lines {
		if time.Now().After(deadline) {
			t.Fatalf("%s read %d of the %d lines of examples/logfile", query, q.Stats().RowsIn, lines)
		}
		time.Sleep(time.Millisecond)
	}
	fake.Set(time.Unix(10, 0))
	got := map[string]int64{}
	for r := range q.Results() {
		if r.Emitted {
			for _, row := range r.Rows {
				got[row[0].AsText()] += row[1].AsInt()
			}
			break
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s\n got %v\nwant %v", query, got, want)
	}
}

func TestEndsStatement(t *testing.T) {
	for line, want := range map[string]bool{
		"SELECT 1;":               true,
		"SELECT 1;  ":             true,
		"SELECT 1; -- the first":  true,
		"SELECT 1 -- no end;":     false,
		"SELECT ';'":              false,
		"SELECT 'a;":              false,
		"SELECT 'it''s';":         true,
		`SELECT "a--b" FROM f();`: true,
		"SELECT '--';":            true,
		"SELECT 1 - -1;":          true,
		"GROUP BY word":           false,
		"":                        false,
		"-- a comment;":           false,
	} {
		if got := endsStatement(line); got != want {
			t.Errorf("endsStatement(%q) = %v, want %v", line, got, want)
		}
	}
}
