package main

import (
	"bufio"
	"bytes"
	"database/sql"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	_ "modernc.org/sqlite"
)

// These tests build the real binary and run it as a user would.

var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "streamsql-e2e")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "streamsql")
	if out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building streamsql: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

const text1 = "the quick brown fox\njumps over the lazy dog\n\nthe end\n"
const text2 = "fox  and\tdog\r\nthe fox\n"

// wordCounts is what `tr -s ' ' '\n' | sort | uniq -c` would say.
func wordCounts(texts ...string) map[string]int {
	m := map[string]int{}
	for _, t := range texts {
		for _, w := range strings.Fields(t) {
			m[w]++
		}
	}
	return m
}

func readJSONCounts(t *testing.T, lines []byte) map[string]int {
	t.Helper()
	m := map[string]int{}
	sc := bufio.NewScanner(bytes.NewReader(lines))
	for sc.Scan() {
		var row struct {
			Word string `json:"word"`
			N    int    `json:"COUNT(*)"`
		}
		if err := json.Unmarshal(sc.Bytes(), &row); err != nil {
			t.Fatalf("bad output line %q: %v", sc.Text(), err)
		}
		m[row.Word] += row.N
	}
	return m
}

// readChangelogCounts applies a word count's changelog (--output
// changelog) to a table and returns it.
func readChangelogCounts(t *testing.T, lines []byte) map[string]int {
	t.Helper()
	m := map[string]int{}
	sc := bufio.NewScanner(bytes.NewReader(lines))
	for sc.Scan() {
		var row struct {
			Op   string `json:"op"`
			Word string `json:"word"`
			N    int    `json:"COUNT(*)"`
		}
		if err := json.Unmarshal(sc.Bytes(), &row); err != nil {
			t.Fatalf("bad output line %q: %v", sc.Text(), err)
		}
		switch row.Op {
		case "+I", "+U":
			m[row.Word] = row.N
		case "-U", "-D":
			if m[row.Word] != row.N {
				t.Fatalf("%s of a row not in the table: %q (table has %d)", row.Op, sc.Text(), m[row.Word])
			}
			delete(m, row.Word)
		default:
			t.Fatalf("bad op in %q", sc.Text())
		}
	}
	return m
}

func TestOnceCountsWords(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "a.txt"), []byte(text1), 0o644)
	os.WriteFile(filepath.Join(dir, "b.txt"), []byte(text2), 0o644)
	q := fmt.Sprintf("SELECT word, COUNT(*) FROM file('%s') GROUP BY word WINDOW 10s", dir)
	cmd := exec.Command(binary, "--once", "--output", "jsonl", "-e", q)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("streamsql: %v\n%s", err, stderr.String())
	}
	if got, want := readJSONCounts(t, out), wordCounts(text1, text2); !reflect.DeepEqual(got, want) {
		t.Errorf("counts\n got %v\nwant %v", got, want)
	}
	if !strings.Contains(stderr.String(), "query 1: 6 rows read, 0 late rows dropped, 0 malformed records skipped") {
		t.Errorf("stderr lacks the summary:\n%s", stderr.String())
	}
}

func TestLiveCountsMovedInFiles(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "logfile")
	os.Mkdir(dir, 0o755)
	os.WriteFile(filepath.Join(dir, "old.txt"), []byte("ignored because it was there first\n"), 0o644)
	q := fmt.Sprintf("SELECT word, COUNT(*) FROM file('%s') GROUP BY word", dir)
	cmd := exec.Command(binary, "--batch", "100ms", "--output", "changelog", "-e", q)
	stdout, _ := cmd.StdoutPipe()
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()

	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if strings.Contains(sc.Text(), "watching") {
				close(ready)
			}
		}
	}()
	select {
	case <-ready:
	case <-time.After(30 * time.Second):
		t.Fatal("streamsql never reported watching the directory")
	}

	lines := make(chan []byte)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- append([]byte(nil), sc.Bytes()...)
		}
		close(lines)
	}()
	moveIn := func(name, text string) {
		tmp := filepath.Join(t.TempDir(), name)
		os.WriteFile(tmp, []byte(text), 0o644)
		if err := os.Rename(tmp, filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	var out []byte
	waitFor := func(want map[string]int) {
		deadline := time.After(30 * time.Second)
		for {
			if got := readChangelogCounts(t, out); reflect.DeepEqual(got, want) {
				return
			}
			select {
			case l := <-lines:
				out = append(append(out, l...), '\n')
			case <-deadline:
				t.Fatalf("counts never reached\n want %v\n  got %v", want, readChangelogCounts(t, out))
			}
		}
	}
	moveIn("one.txt", text1)
	waitFor(wordCounts(text1))
	moveIn("two.txt", text2)
	waitFor(wordCounts(text1, text2))

	cmd.Process.Signal(syscall.SIGTERM)
	for range lines {
	}
	if err := cmd.Wait(); err != nil {
		t.Errorf("after SIGTERM: %v", err)
	}
}

func TestErrorsArePositioned(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct{ query, want string }{
		{"SELECT word, COUNT(*) FORM file('" + dir + "') GROUP BY word",
			"streamsql: 1:23: syntax error: unexpected \"FORM\"; expected FROM (did you mean FROM?)\n" +
				"  SELECT word, COUNT(*) FORM file('" + dir + "') GROUP BY word\n" +
				"                        ^\n"},
		{"SELECT wrod, COUNT(*) FROM file('" + dir + "') GROUP BY wrod",
			"streamsql: 1:8: column \"wrod\" not found; did you mean \"word\"?\n" +
				"  SELECT wrod, COUNT(*) FROM file('" + dir + "') GROUP BY wrod\n" +
				"         ^\n"},
	} {
		cmd := exec.Command(binary, "--once", "-e", c.query)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		err := cmd.Run()
		if code := cmd.ProcessState.ExitCode(); err == nil || code != 1 {
			t.Errorf("%s: exit code %d, want 1", c.query, code)
		}
		if stderr.String() != c.want {
			t.Errorf("stderr\n got: %q\nwant: %q", stderr.String(), c.want)
		}
	}
}

// TestSocketIntoSQLiteAndFiles is the word count a user would wire up: a
// separate program writes lines to a TCP listener, streamsql reads them
// and inserts the counts into a SQLite table and into files.
func TestSocketIntoSQLiteAndFiles(t *testing.T) {
	dir := t.TempDir()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		c.Write([]byte(text1 + text2))
		c.Close() // under --once the source ends with the connection
	}()
	db := filepath.Join(dir, "wc.db")
	script := fmt.Sprintf(`
		CREATE STREAM words AS SELECT word FROM socket('%s');
		INSERT INTO sqlite('%s', table => 'wc') SELECT word, COUNT(*) AS n FROM words GROUP BY word;
		INSERT INTO file('%s', format => 'csv') SELECT word, COUNT(*) AS n FROM words GROUP BY word ORDER BY n DESC, word LIMIT 3;`,
		ln.Addr(), db, filepath.Join(dir, "out"))
	cmd := exec.Command(binary, "--once", "-e", script)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if out, err := cmd.Output(); err != nil {
		t.Fatalf("streamsql: %v\n%s\n%s", err, out, stderr.String())
	}
	conn, err := sql.Open("sqlite", db)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	rows, err := conn.Query("SELECT word, n FROM wc")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for rows.Next() {
		var w string
		var n int
		rows.Scan(&w, &n)
		got[w] = n
	}
	if want := wordCounts(text1, text2); !reflect.DeepEqual(got, want) {
		t.Errorf("sqlite table\n got %v\nwant %v", got, want)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "out", "*.csv"))
	if len(files) != 1 {
		t.Fatalf("want one file, got %v", files)
	}
	b, _ := os.ReadFile(files[0])
	if want := "word,n\nthe,4\nfox,3\ndog,2\n"; string(b) != want {
		t.Errorf("file %s:\n%s\nwant:\n%s", files[0], b, want)
	}
}

// The join example, as README shows it: a JSON-lines stream enriched from
// a CSV table and grouped, and joined with a second stream in event time.
func TestJoinExample(t *testing.T) {
	cmd := exec.Command(binary, "--once", "--output", "jsonl", "-f", "examples/enrich.sql")
	cmd.Dir = "../.."
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("streamsql: %v\n%s", err, stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	sort.Strings(lines)
	want := []string{
		`{"country":"DE","orders":1,"total":9.5}`,
		`{"country":"FR","orders":3,"total":50.75}`,
		`{"country":"NO","orders":1,"total":12}`,
		`{"country":"PT","orders":1,"total":60}`,
		`{"country":null,"orders":2,"total":43}`,
		`{"id":1,"amount":25.5,"method":"cash"}`,
		`{"id":2,"amount":12,"method":"card"}`,
		`{"id":3,"amount":40,"method":null}`,
		`{"id":4,"amount":7.25,"method":null}`,
		`{"id":5,"amount":18,"method":"card"}`,
		`{"id":6,"amount":3,"method":null}`,
		`{"id":7,"amount":60,"method":"transfer"}`,
		`{"id":8,"amount":9.5,"method":null}`,
	}
	if !reflect.DeepEqual(lines, want) {
		t.Errorf("output\n got %s\nwant %s", strings.Join(lines, "\n     "), strings.Join(want, "\n     "))
	}
}

// TestFailedInsertThenShowQueries is the session of a user whose INSERT
// INTO names a database that cannot be opened: the error is printed, the
// query is not listed, and SHOW QUERIES does not crash (it dereferenced
// the half-started query's missing output).
func TestFailedInsertThenShowQueries(t *testing.T) {
	db := filepath.Join(t.TempDir(), "missing", "x.db")
	cmd := exec.Command(binary)
	cmd.Stdin = strings.NewReader("INSERT INTO sqlite('" + db + "', table => 't') SELECT line FROM generate(rate => 1);\nSHOW QUERIES\n")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	done := make(chan error, 1)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("streamsql did not end\nstdout:\n%s\nstderr:\n%s", stdout.String(), stderr.String())
	}
	if strings.Contains(stderr.String(), "panic") || cmd.ProcessState.ExitCode() == 2 {
		t.Fatalf("streamsql crashed (exit %d):\n%s", cmd.ProcessState.ExitCode(), stderr.String())
	}
	wantErr := "INSERT INTO sqlite('" + db + "', table => 't'): sqlite sink " + db +
		`, table "t": opening the database: unable to open database file (14)`
	if !strings.Contains(stderr.String(), wantErr) {
		t.Errorf("stderr lacks %q:\n%s", wantErr, stderr.String())
	}
	// Piped input may end at the first error (as -f does) or go on to
	// SHOW QUERIES, which must then list nothing.
	if out := stdout.String(); strings.Contains(out, "rows in") || strings.Contains(out, "running in the background") {
		t.Errorf("SHOW QUERIES after the failed INSERT:\n%s", stdout.String())
	}
}

// TestExamplesRun: every example README lists runs, as README says, with
// no error; the Nexmark one gives the answer computed here from its data.
func TestExamplesRun(t *testing.T) {
	files, _ := filepath.Glob("../../examples/*.sql")
	if len(files) < 5 {
		t.Fatalf("examples: %v", files)
	}
	for _, f := range files {
		rel := "examples/" + filepath.Base(f)
		if rel == "examples/views.sql" {
			continue // it serves views and prints nothing: TestViewsExample reads them
		}
		cmd := exec.Command(binary, "--once", "--output", "jsonl", "-f", rel)
		cmd.Dir = "../.."
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil || strings.Contains(stderr.String(), "error") {
			t.Errorf("%s: %v\n%s", rel, err, stderr.String())
			continue
		}
		if len(bytes.TrimSpace(out)) == 0 {
			t.Errorf("%s printed nothing", rel)
		}
		// With --output jsonl stdout is JSON lines only: `stream ...
		// created` goes to stderr.
		for _, line := range bytes.Split(bytes.TrimSpace(out), []byte("\n")) {
			if !json.Valid(line) {
				t.Errorf("%s: stdout line %q is not JSON", rel, line)
			}
		}
		if rel != "examples/nexmark.sql" {
			continue
		}
		// q15 over the bundled bids, counted here.
		var bids, low, mid, high int
		bidders, auctions := map[int64]bool{}, map[int64]bool{}
		data, err := os.ReadFile("../../examples/nexmark/bid/part-000.jsonl")
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range bytes.Split(bytes.TrimSpace(data), []byte("\n")) {
			var b struct{ Auction, Bidder, Price int64 }
			if err := json.Unmarshal(line, &b); err != nil {
				t.Fatal(err)
			}
			bids++
			switch {
			case b.Price < 10000:
				low++
			case b.Price < 1000000:
				mid++
			default:
				high++
			}
			bidders[b.Bidder], auctions[b.Auction] = true, true
		}
		want := fmt.Sprintf(`{"day":"2026-01-01","total_bids":%d,"rank1_bids":%d,"rank2_bids":%d,"rank3_bids":%d,"total_bidders":%d,"total_auctions":%d}`,
			bids, low, mid, high, len(bidders), len(auctions))
		if !strings.Contains(string(out), want+"\n") {
			t.Errorf("%s: no line %s in\n%s", rel, want, out)
		}
	}
}
