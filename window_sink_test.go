package streamsql_test

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	_ "modernc.org/sqlite"

	"github.com/streamsql/streamsql"
	"github.com/streamsql/streamsql/clock"
)

// windowedInput is what TestWindowedCountIntoTable sends, second by
// second: the same words in every 2-second window, so a table that keeps
// one row per word (each window replacing the last) loses counts.
var windowedInput = [][]string{
	{"to be or not to be", "be"}, // [0s, 1s)
	{"to be"},                    // [1s, 2s): window [0s, 2s) closes
	{"be quick", "or not"},       // [2s, 3s)
	{},                           // [3s, 4s): window [2s, 4s) closes
	{"to to to"},                 // [4s, 5s)
	{"not quick", "be"},          // [5s, 6s): window [4s, 6s) closes
}

// TestWindowedCountIntoTable runs the word count, lines over a real
// TCP socket into `sqlite(...)` (and `postgres(...)` when a server is
// given) with a 2-second window the query does not select, over three
// windows moved by the virtual clock. The table holds a row per word and
// window, with window_start and window_end added, and its counts sum to
// the word counts of everything sent.
func TestWindowedCountIntoTable(t *testing.T) {
	want := []string{
		"1970-01-01T00:00:00Z 1970-01-01T00:00:02Z be 4",
		"1970-01-01T00:00:00Z 1970-01-01T00:00:02Z not 1",
		"1970-01-01T00:00:00Z 1970-01-01T00:00:02Z or 1",
		"1970-01-01T00:00:00Z 1970-01-01T00:00:02Z to 3",
		"1970-01-01T00:00:02Z 1970-01-01T00:00:04Z be 1",
		"1970-01-01T00:00:02Z 1970-01-01T00:00:04Z not 1",
		"1970-01-01T00:00:02Z 1970-01-01T00:00:04Z or 1",
		"1970-01-01T00:00:02Z 1970-01-01T00:00:04Z quick 1",
		"1970-01-01T00:00:04Z 1970-01-01T00:00:06Z be 1",
		"1970-01-01T00:00:04Z 1970-01-01T00:00:06Z not 1",
		"1970-01-01T00:00:04Z 1970-01-01T00:00:06Z quick 1",
		"1970-01-01T00:00:04Z 1970-01-01T00:00:06Z to 3",
	}
	t.Run("sqlite", func(t *testing.T) {
		db := filepath.Join(t.TempDir(), "wc.db")
		conn, err := sql.Open("sqlite", db)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		runWindowedCount(t, fmt.Sprintf("sqlite('%s', table => 'wc')", db))
		rows, err := conn.Query(`SELECT window_start, window_end, word, n FROM wc`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var got []string
		for rows.Next() {
			var start, end, word string
			var n int64
			if err := rows.Scan(&start, &end, &word, &n); err != nil {
				t.Fatal(err)
			}
			got = append(got, fmt.Sprintf("%s %s %s %d", rfc3339(t, start), rfc3339(t, end), word, n))
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		checkWindowedCount(t, got, want)
	})
	t.Run("postgres", func(t *testing.T) {
		url := os.Getenv("STREAMSQL_TEST_POSTGRES")
		if url == "" {
			t.Skip(`STREAMSQL_TEST_POSTGRES is not set; run ./test.sh, or eval "$(sh scripts/pg.sh start)" first`)
		}
		ctx := context.Background()
		conn, err := pgx.Connect(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, `DROP TABLE IF EXISTS wc_windows`); err != nil {
			t.Fatal(err)
		}
		runWindowedCount(t, fmt.Sprintf("postgres('%s', table => 'wc_windows')", url))
		rows, err := conn.Query(ctx, `SELECT window_start, window_end, word, n FROM wc_windows`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var got []string
		for rows.Next() {
			var start, end time.Time
			var word string
			var n int64
			if err := rows.Scan(&start, &end, &word, &n); err != nil {
				t.Fatal(err)
			}
			got = append(got, fmt.Sprintf("%s %s %s %d", start.UTC().Format(time.RFC3339), end.UTC().Format(time.RFC3339), word, n))
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		checkWindowedCount(t, got, want)
	})
}

// runWindowedCount runs the word count into sink over a socket fed with
// windowedInput.
func runWindowedCount(t *testing.T, sink string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	fake := clock.NewFake(time.Unix(0, 0).UTC())
	eng := streamsql.New(streamsql.Config{BatchInterval: time.Second, Clock: fake, Log: io.Discard})
	stmts, err := eng.Prepare(fmt.Sprintf(`INSERT INTO %s
		SELECT word, COUNT(*) AS n FROM socket('%s') GROUP BY word WINDOW 2s`, sink, ln.Addr()))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(stmts[0].Columns(), ","); got != "word,n,window_start,window_end" {
		t.Errorf("columns %s, want word,n,window_start,window_end", got)
	}
	qs, err := eng.Start(context.Background(), stmts)
	if err != nil {
		t.Fatal(err)
	}
	q := qs[0]
	defer eng.Stop()
	c, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()

	sent := int64(0)
	for sec, lines := range windowedInput {
		for _, l := range lines {
			if _, err := fmt.Fprintln(c, l); err != nil {
				t.Fatal(err)
			}
			sent++
		}
		// The lines travel over TCP: wait until the query has taken them
		// into the open batch before the clock closes it.
		deadline := time.Now().Add(30 * time.Second)
		for q.Stats().RowsIn < sent {
			if time.Now().After(deadline) {
				t.Fatalf("the query read %d of %d lines", q.Stats().RowsIn, sent)
			}
			time.Sleep(time.Millisecond)
		}
		end := time.Unix(int64(sec)+1, 0)
		fake.Set(end)
		for r := range q.Progress() {
			if n, err := q.SinkErrors(); n > 0 {
				t.Fatalf("the sink refused a write: %v", err)
			}
			if !r.Time.Before(end) {
				break
			}
		}
	}
	q.Stop()
	if err := q.Wait(); err != nil {
		t.Fatal(err)
	}

}

// rfc3339 renders the text SQLite holds a timestamp in as RFC 3339.
func rfc3339(t *testing.T, text string) string {
	t.Helper()
	tm, err := time.Parse(time.RFC3339Nano, text)
	if err != nil {
		t.Fatal(err)
	}
	return tm.UTC().Format(time.RFC3339)
}

// checkWindowedCount compares the table's rows with want, and the sum of
// n per word with the words sent.
func checkWindowedCount(t *testing.T, got, want []string) {
	t.Helper()
	slices.Sort(got)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("table rows\n got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	sums := map[string]int{}
	for _, row := range got {
		var start, end, word string
		var n int
		fmt.Sscan(row, &start, &end, &word, &n)
		sums[word] += n
	}
	sent := map[string]int{}
	for _, lines := range windowedInput {
		for _, l := range lines {
			for _, w := range strings.Fields(l) {
				sent[w]++
			}
		}
	}
	if fmt.Sprint(sums) != fmt.Sprint(sent) {
		t.Errorf("sum of n per word %v, words sent %v", sums, sent)
	}
}

// TestWindowedCountIntoOldTable starts the windowed word count on a table
// an earlier version made for it (a row per word, no window columns): the
// query does not start, and the error says why and what to do.
func TestWindowedCountIntoOldTable(t *testing.T) {
	db := filepath.Join(t.TempDir(), "wc.db")
	conn, err := sql.Open("sqlite", db)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.Exec(`CREATE TABLE wc (word TEXT, n INTEGER, UNIQUE (word))`); err != nil {
		t.Fatal(err)
	}
	eng := streamsql.New(streamsql.Config{Log: io.Discard})
	stmts, err := eng.Prepare(fmt.Sprintf(`INSERT INTO sqlite('%s', table => 'wc')
		SELECT word, COUNT(*) AS n FROM generate(rate => 1) GROUP BY word WINDOW 2s`, db))
	if err != nil {
		t.Fatal(err)
	}
	_, err = eng.Start(context.Background(), stmts)
	want := fmt.Sprintf(`INSERT INTO sqlite('%[1]s', table => 'wc'): sqlite sink %[1]s, table "wc": `+
		`the existing table does not fit the query: column "window_start" is missing; column "window_end" is missing; `+
		`no UNIQUE constraint or PRIMARY KEY on exactly the key columns (word, window_start, window_end), which rows are upserted by `+
		`(a windowed result keeps one row per group and window, in columns window_start and window_end; `+
		`this table lacks them, as tables written by earlier versions of streamsql do: write to a new table, or drop or migrate this one)`, db)
	if err == nil || err.Error() != want {
		t.Errorf("Start error\n got: %v\nwant: %s", err, want)
	}
	if n := len(eng.Queries()); n != 0 {
		t.Errorf("%d queries running", n)
	}
}

// TestTableKeyByWindowKind pins which queries into a table sink get the
// window bounds added to their columns and key: windowed aggregates do;
// aggregates without WINDOW (an updating table, one row per key), running
// totals, queries that select the bounds under another name, and queries
// that do not aggregate do not.
func TestTableKeyByWindowKind(t *testing.T) {
	eng := streamsql.New(streamsql.Config{Log: io.Discard})
	for _, c := range []struct{ query, columns string }{
		{"SELECT word, COUNT(*) AS n FROM generate() GROUP BY word WINDOW 2s", "word,n,window_start,window_end"},
		{"SELECT word, COUNT(*) AS n FROM generate() GROUP BY word WINDOW 4s SLIDE 2s EMIT CHANGES", "word,n,window_start,window_end"},
		{"SELECT COUNT(*) AS n FROM generate() WINDOW 2s", "n,window_start,window_end"},
		{"SELECT word, COUNT(*) AS n FROM generate() GROUP BY word", "word,n"},
		{"SELECT word, COUNT(*) AS n FROM generate() GROUP BY word WINDOW SESSION 5s", "word,n,window_start,window_end"},
		{"SELECT word, window_end AS e, COUNT(*) AS n FROM generate() GROUP BY word WINDOW 2s", "word,e,n,window_start"},
		{"SELECT word, COUNT(*) AS n FROM generate() GROUP BY word WINDOW UNBOUNDED", "word,n"},
		{"SELECT line FROM generate()", "line"},
	} {
		stmts, err := eng.Prepare("INSERT INTO sqlite('unused.db', table => 't') " + c.query)
		if err != nil {
			t.Errorf("%s: %v", c.query, err)
			continue
		}
		if got := strings.Join(stmts[0].Columns(), ","); got != c.columns {
			t.Errorf("%s: columns %s, want %s", c.query, got, c.columns)
		}
	}
}
