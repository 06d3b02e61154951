package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestHostileInputs reads testdata/hostile, a folder of bad input (JSON
// that does not parse or is not an object, invalid UTF-8, a line over
// max_line, values of the wrong type, timestamps that do not parse, random
// bytes, an empty file, CRLF and a missing last newline), with a bounded
// run: every valid row counts, every bad record is skipped, counted and
// written to the dead letter file with its place and reason, and the run
// ends normally.
func TestHostileInputs(t *testing.T) {
	dir, err := filepath.Abs("../../testdata/hostile")
	if err != nil {
		t.Fatal(err)
	}
	dl := filepath.Join(t.TempDir(), "dead.jsonl")
	src := fmt.Sprintf("file('%s', format => 'jsonl', schema => 'k TEXT, v BIGINT, ts TIMESTAMP', max_line => '1KB', dead_letter => '%s')", dir, dl)
	for _, c := range []struct {
		query, out, summary string
		dead                []string
	}{{
		query: "SELECT k, COUNT(*) AS n, SUM(v) AS s FROM " + src + " GROUP BY k",
		// a: good 1+3, malformed 10, badts 5 (ts is not read, so its
		// value does not matter). b: 2, 20, 2000, 30000, badts 7. c:
		// crlf-noeol, both lines.
		out: `{"k":"a","n":4,"s":19}
{"k":"b","n":5,"s":32029}
{"k":"c","n":2,"s":500}
{"k":"c\ufffd","n":1,"s":100}
`,
		summary: "streamsql: query 1: 12 rows read, 0 late rows dropped, 8 malformed records skipped\n",
		dead: []string{
			"binary.jsonl:1 invalid JSON",
			"huge.jsonl:1 line longer than 1 KiB (skipped)",
			"malformed.jsonl:2 invalid JSON",
			"malformed.jsonl:3 not a JSON object (got array)",
			"malformed.jsonl:4 not a JSON object (got string)",
			"malformed.jsonl:6 invalid JSON",
			"types.jsonl:1 column v: 'ten thousand' is not a BIGINT",
			"types.jsonl:2 column v: 3.5 is not a BIGINT",
		},
	}, {
		// Reading ts (the event time), the schema rejects the
		// timestamps that do not parse, with their reason.
		query: "SELECT k, COUNT(*) AS n, SUM(v) AS s FROM " + src + " GROUP BY k WINDOW 1h EVENT TIME ts",
		out: `{"k":"a","n":3,"s":14}
{"k":"b","n":4,"s":32022}
{"k":"c","n":2,"s":500}
{"k":"c\ufffd","n":1,"s":100}
`,
		summary: "streamsql: query 1: 10 rows read, 0 late rows dropped, 10 malformed records skipped\n",
		dead: []string{
			"badts.jsonl:1 column ts: 'yesterday' is not a TIMESTAMP (want RFC 3339, 'YYYY-MM-DD HH:MM:SS' or epoch milliseconds)",
			"badts.jsonl:2 column ts: '2026-13-45T99:00:00Z' is not a TIMESTAMP (want RFC 3339, 'YYYY-MM-DD HH:MM:SS' or epoch milliseconds)",
			"binary.jsonl:1 invalid JSON",
			"huge.jsonl:1 line longer than 1 KiB (skipped)",
			"malformed.jsonl:2 invalid JSON",
			"malformed.jsonl:3 not a JSON object (got array)",
			"malformed.jsonl:4 not a JSON object (got string)",
			"malformed.jsonl:6 invalid JSON",
			"types.jsonl:1 column v: 'ten thousand' is not a BIGINT",
			"types.jsonl:2 column v: 3.5 is not a BIGINT",
		},
	}} {
		os.Remove(dl)
		cmd := exec.Command(binary, "--once", "--output", "jsonl", "-e", c.query)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("%s: %v\n%s", c.query, err, stderr.String())
		}
		if got := normJSONLines(t, out); got != normJSONLines(t, []byte(c.out)) {
			t.Errorf("%s:\n got %s\nwant %s", c.query, got, c.out)
		}
		lines := strings.SplitAfter(stderr.String(), "\n")
		if last := lines[len(lines)-2]; last != c.summary {
			t.Errorf("summary %q, want %q", last, c.summary)
		}
		if c.dead == nil {
			continue
		}
		f, err := os.ReadFile(dl)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		sc := bufio.NewScanner(bytes.NewReader(f))
		for sc.Scan() {
			var d struct{ Where, Reason string }
			if err := json.Unmarshal(sc.Bytes(), &d); err != nil {
				t.Fatalf("dead letter %q: %v", sc.Text(), err)
			}
			reason := d.Reason
			if strings.HasPrefix(reason, "invalid JSON") {
				reason = "invalid JSON" // the parser's detail is its own
			}
			got = append(got, strings.TrimPrefix(d.Where, dir+"/")+" "+reason)
		}
		if strings.Join(got, "\n") != strings.Join(c.dead, "\n") {
			t.Errorf("dead letters:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(c.dead, "\n"))
		}
	}
}

// normJSONLines re-encodes JSON lines so escapes compare equal.
func normJSONLines(t *testing.T, b []byte) string {
	t.Helper()
	var out strings.Builder
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		var v map[string]any
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			t.Fatalf("%q: %v", sc.Text(), err)
		}
		e, _ := json.Marshal(v)
		out.Write(e)
		out.WriteByte('\n')
	}
	return out.String()
}

// TestHostileSQL runs statements built to cost much for their size
// through the binary: each is answered in proportion to its length, with
// a short error where it is refused (the snippet shows the part around
// the error, not a megabyte of line).
func TestHostileSQL(t *testing.T) {
	sum := func(n int) string { return strings.Repeat("1+", n-1) + "1" }
	for _, c := range []struct {
		name, sql string
		code      int
		out, err  string // out: the whole of stdout (jsonl); err: stderr's first line
	}{
		{"a sum of 2,000 terms", "SELECT " + sum(2000) + " AS x;", 0, "{\"x\":2000}\n", ""},
		{"2,000 ANDs", "SELECT " + strings.Repeat("TRUE AND ", 1999) + "TRUE AS x;", 0, "{\"x\":true}\n", ""},
		{"an IN list of 20,000", "SELECT 7 IN (" + strings.Repeat("1,", 20000) + "7) AS x;", 0, "{\"x\":true}\n", ""},
		{"450,000 parentheses", "SELECT " + strings.Repeat("(", 450000) + "1" + strings.Repeat(")", 450000) + " AS x;", 1, "",
			"q.sql:1:108: syntax error: expression nested too deeply (the limit is 100 levels)"},
		{"an IN list of 100,000", "SELECT 1 IN (" + strings.Repeat("1,", 99999) + "1) AS x;", 1, "",
			"q.sql:1:100010: syntax error: statement too long: more than 100000 tokens (the limit); split it up, or put a long IN list in a table and join it"},
		{"an error after 10,000 terms", "SELECT " + sum(10000) + " + AS x;", 1, "",
			"q.sql:1:20010: syntax error: unexpected \"AS\""},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := filepath.Join(t.TempDir(), "q.sql")
			if err := os.WriteFile(f, []byte(c.sql), 0o644); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(binary, "--output", "jsonl", "-f", "q.sql")
			cmd.Dir = filepath.Dir(f)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			code := 0
			if err != nil {
				code = cmd.ProcessState.ExitCode()
			}
			first, _, _ := strings.Cut(stderr.String(), "\n")
			if code != c.code || stdout.String() != c.out || c.err != "" && first != c.err {
				t.Fatalf("exit %d, stdout %q, stderr %.300q\nwant exit %d, stdout %q, stderr %q", code, stdout.String(), stderr.String(), c.code, c.out, c.err)
			}
			if c.code != 0 && stderr.Len() > 2000 {
				t.Errorf("%d bytes of error for a refused statement", stderr.Len())
			}
		})
	}
}
