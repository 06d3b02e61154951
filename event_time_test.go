package streamsql_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/streamsql/streamsql"
)

// syncBuffer is a log the engine's goroutines may write concurrently.
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

// TestEventTimeNotANumberOfMillis names a temperature as the event time:
// 21.5 is not epoch milliseconds, so the rows are malformed (counted,
// named on the log, dead-lettered with the reason), not put in 1970. A
// whole number still is epoch milliseconds, and a time that does not parse
// is reported the same way.
func TestEventTimeNotANumberOfMillis(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in")
	os.Mkdir(in, 0o755)
	dead := filepath.Join(dir, "dead.jsonl")
	os.WriteFile(filepath.Join(in, "r.jsonl"), []byte(
		`{"sensor":"a","temp":21.5,"ts":"2026-11-28 21:30:01.500"}`+"\n"+
			`{"sensor":"b","temp":1000,"ts":"2026-11-28 21:30:02.000"}`+"\n"+
			`{"sensor":"c","temp":20.25,"ts":"half past nine"}`+"\n"), 0o644)
	var log syncBuffer
	eng := streamsql.New(streamsql.Config{Once: true, Log: &log})
	run := func(q string, malformed int64) []string {
		t.Helper()
		qr, err := eng.Query(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		var rows []string
		for r := range qr.Results() {
			for _, row := range r.Rows {
				rows = append(rows, fmt.Sprint(row))
			}
		}
		if err := qr.Wait(); err != nil {
			t.Fatal(err)
		}
		if s := qr.Stats(); s.Malformed != malformed {
			t.Errorf("%s: %d malformed, want %d", q, s.Malformed, malformed)
		}
		return rows
	}
	src := fmt.Sprintf("file('%s', format => 'jsonl', dead_letter => '%s')", in, dead)

	rows := run("SELECT sensor, COUNT(*) AS n, window_start FROM "+src+" GROUP BY sensor WINDOW 10s EVENT TIME temp", 2)
	if got, want := strings.Join(rows, "\n"), "[b 1 1970-01-01T00:00:00Z]"; got != want {
		t.Errorf("EVENT TIME temp: rows\n%s\nwant\n%s", got, want)
	}
	rows = run("SELECT sensor, COUNT(*) AS n, window_start FROM "+src+" GROUP BY sensor WINDOW 10s EVENT TIME ts", 1)
	if got, want := strings.Join(rows, "\n"), "[a 1 2026-11-28T21:30:00Z]\n[b 1 2026-11-28T21:30:00Z]"; got != want {
		t.Errorf("EVENT TIME ts: rows\n%s\nwant\n%s", got, want)
	}

	source := "file('" + in + "')"
	for _, want := range []string{
		"streamsql: skipped malformed record: " + source + `: EVENT TIME temp: 21.5 is not a timestamp: a number is read as epoch milliseconds and must be whole: {"sensor":"a","temp":21.5}`,
		"streamsql: skipped malformed record: " + source + `: EVENT TIME temp: 20.25 is not a timestamp: a number is read as epoch milliseconds and must be whole: {"sensor":"c","temp":20.25}`,
		"streamsql: skipped malformed record: " + source + `: EVENT TIME ts: "half past nine" is not a timestamp (RFC 3339, 'YYYY-MM-DD HH:MM:SS[.fff]' or whole epoch milliseconds): {"sensor":"c","ts":"half past nine"}`,
	} {
		if !strings.Contains(log.String(), want+"\n") {
			t.Errorf("the log lacks\n%s\nlog:\n%s", want, log.String())
		}
	}
	b, err := os.ReadFile(dead)
	if err != nil {
		t.Fatal(err)
	}
	var letters []string
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		// Drop the time, which is the wall clock's.
		if i := strings.Index(l, `"source"`); i > 0 {
			l = l[i:]
		}
		letters = append(letters, l)
	}
	src1 := `"source":"file('` + in + `')",`
	want := []string{
		src1 + `"where":"EVENT TIME temp","reason":"21.5 is not a timestamp: a number is read as epoch milliseconds and must be whole","record":"{\"sensor\":\"a\",\"temp\":21.5}"}`,
		src1 + `"where":"EVENT TIME temp","reason":"20.25 is not a timestamp: a number is read as epoch milliseconds and must be whole","record":"{\"sensor\":\"c\",\"temp\":20.25}"}`,
		src1 + `"where":"EVENT TIME ts","reason":"\"half past nine\" is not a timestamp (RFC 3339, 'YYYY-MM-DD HH:MM:SS[.fff]' or whole epoch milliseconds)","record":"{\"sensor\":\"c\",\"ts\":\"half past nine\"}"}`,
	}
	if strings.Join(letters, "\n") != strings.Join(want, "\n") {
		t.Errorf("dead letters\n%s\nwant\n%s", strings.Join(letters, "\n"), strings.Join(want, "\n"))
	}
}

// TestEventTimeRejectedInJoin: each side of a join of two streams reports
// its rows without a usable event time under its own source.
func TestEventTimeRejectedInJoin(t *testing.T) {
	dir := t.TempDir()
	o, p := filepath.Join(dir, "orders"), filepath.Join(dir, "payments")
	os.Mkdir(o, 0o755)
	os.Mkdir(p, 0o755)
	os.WriteFile(filepath.Join(o, "a.jsonl"), []byte(`{"id":1,"ts":1000}`+"\n"+`{"id":2,"ts":2.5}`+"\n"), 0o644)
	os.WriteFile(filepath.Join(p, "a.jsonl"), []byte(`{"order_id":1,"ts":"1970-01-01 00:00:01.500"}`+"\n"+`{"order_id":2,"ts":"soon"}`+"\n"), 0o644)
	var log syncBuffer
	eng := streamsql.New(streamsql.Config{Once: true, Log: &log})
	q, err := eng.Query(context.Background(), fmt.Sprintf(`SELECT o.id, p.order_id FROM file('%s', format => 'jsonl') AS o
		JOIN file('%s', format => 'jsonl') AS p WITHIN 10s EVENT TIME o.ts, p.ts ON p.order_id = o.id`, o, p))
	if err != nil {
		t.Fatal(err)
	}
	var rows []string
	for r := range q.Results() {
		for _, row := range r.Rows {
			rows = append(rows, fmt.Sprint(row))
		}
	}
	if err := q.Wait(); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(rows, "\n"); got != "[1 1]" || q.Stats().Malformed != 2 {
		t.Errorf("rows %q, %d malformed; want [1 1] and 2", got, q.Stats().Malformed)
	}
	for _, want := range []string{
		"streamsql: skipped malformed record: file('" + o + `'): EVENT TIME o.ts: 2.5 is not a timestamp: a number is read as epoch milliseconds and must be whole: {"id":2,"ts":2.5}`,
		"streamsql: skipped malformed record: file('" + p + `'): EVENT TIME p.ts: "soon" is not a timestamp (RFC 3339, 'YYYY-MM-DD HH:MM:SS[.fff]' or whole epoch milliseconds): {"order_id":2,"ts":"soon"}`,
	} {
		if !strings.Contains(log.String(), want+"\n") {
			t.Errorf("the log lacks\n%s\nlog:\n%s", want, log.String())
		}
	}
}
