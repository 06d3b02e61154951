package streamsql_test

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"github.com/streamsql/streamsql"
	"github.com/streamsql/streamsql/clock"
)

// TestInsertIntoSinks runs word counts into a SQLite table and a file
// directory, through the engine, and reads the results back from them.
func TestInsertIntoSinks(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "wc.db")
	out := filepath.Join(dir, "out")
	fake := clock.NewFake(time.Unix(0, 0).UTC())
	eng := streamsql.New(streamsql.Config{BatchInterval: time.Second, Clock: fake, Log: io.Discard})
	stmts, err := eng.Prepare(fmt.Sprintf(`
		CREATE STREAM words AS SELECT word FROM test();
		INSERT INTO sqlite('%s', table => 'wc') SELECT word, window_start, COUNT(*) AS n FROM words GROUP BY word WINDOW 2s EMIT CHANGES;
		INSERT INTO file('%s', format => 'csv') SELECT word, COUNT(*) AS n FROM words GROUP BY word WINDOW 2s;`, db, out))
	if err != nil {
		t.Fatal(err)
	}
	qs, err := eng.Start(context.Background(), stmts)
	if err != nil {
		t.Fatal(err)
	}
	feeder.Lock()
	src := feeder.srcs[""] // the receiver the start opened
	feeder.Unlock()
	feed := func(lines ...string) {
		f := feedLines(lines)
		src.feed <- f
		<-f.done
	}
	// tick moves the clock to s seconds and waits until both sinks have
	// handled that batch.
	tick := func(s int64) {
		fake.Set(time.Unix(s, 0))
		for _, q := range qs {
			for r := range q.Progress() {
				if r.Time.Equal(time.Unix(s, 0)) {
					break
				}
			}
		}
	}
	feed("a b a")
	tick(1) // EMIT CHANGES writes a=2, b=1 for [0s, 2s)
	feed("b c")
	tick(2) // b=2, c=1 replace and add rows; the file sink writes the window
	feed("a")
	tick(3)
	for _, q := range qs {
		q.Stop()
	}
	for _, q := range qs {
		if err := q.Wait(); err != nil {
			t.Fatal(err)
		}
	}

	conn, err := sql.Open("sqlite", db)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	rows, err := conn.Query(`SELECT word, window_start, n FROM wc ORDER BY window_start, word`)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for rows.Next() {
		var w, start string
		var n int64
		if err := rows.Scan(&w, &start, &n); err != nil {
			t.Fatal(err)
		}
		got = append(got, fmt.Sprintf("%s %s %d", w, start[:19], n))
	}
	want := []string{
		"a 1970-01-01T00:00:00 2", "b 1970-01-01T00:00:00 2", "c 1970-01-01T00:00:00 1",
		"a 1970-01-01T00:00:02 1",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("sqlite table\n got: %q\nwant: %q", got, want)
	}

	files, _ := filepath.Glob(filepath.Join(out, "*.csv"))
	sort.Strings(files)
	var contents []string
	for _, f := range files {
		b, _ := os.ReadFile(f)
		contents = append(contents, filepath.Base(f)+":\n"+string(b))
	}
	wantFiles := []string{
		"part-19700101T000002.000Z.csv:\nword,n\na,2\nb,2\nc,1\n",
		"part-19700101T000003.000Z.csv:\nword,n\na,1\n",
	}
	if strings.Join(contents, "") != strings.Join(wantFiles, "") {
		t.Errorf("files\n got: %q\nwant: %q", contents, wantFiles)
	}
}

func feedLines(lines []string) feed {
	return feed{lines: lines, done: make(chan struct{})}
}

// TestInsertConsoleSinkWritesToConfigStdout: INSERT INTO a console sink
// writes to Config.Stdout, not to the process's standard output.
func TestInsertConsoleSinkWritesToConfigStdout(t *testing.T) {
	var out syncBuffer
	eng := streamsql.New(streamsql.Config{Once: true, Log: io.Discard, Stdout: &out})
	stmts, err := eng.Prepare("INSERT INTO jsonl() SELECT line FROM generate(rate => 0, limit => 2, seed => 3)")
	if err != nil {
		t.Fatal(err)
	}
	qs, err := eng.Start(context.Background(), stmts)
	if err != nil {
		t.Fatal(err)
	}
	if err := qs[0].Wait(); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], `{"line":`) {
		t.Fatalf("Stdout got %q", out.String())
	}
}

// TestInsertUpdatingIntoSQLite: a table sink applies an updating result's
// changes, so after every batch the database table is the table the query
// maintains: counts replaced in place by key, a key that stops passing
// HAVING deleted, and a global aggregate's one row kept one.
func TestInsertUpdatingIntoSQLite(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "wc.db")
	fake := clock.NewFake(time.Unix(0, 0).UTC())
	eng := streamsql.New(streamsql.Config{BatchInterval: time.Second, Clock: fake, Log: io.Discard})
	stmts, err := eng.Prepare(fmt.Sprintf(`
		CREATE STREAM words AS SELECT word FROM test();
		INSERT INTO sqlite('%[1]s', table => 'wc') SELECT word, COUNT(*) AS n FROM words GROUP BY word HAVING COUNT(*) < 3;
		INSERT INTO sqlite('%[1]s', table => 'total') SELECT COUNT(*) AS words FROM words;`, db))
	if err != nil {
		t.Fatal(err)
	}
	qs, err := eng.Start(context.Background(), stmts)
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Stop()
	feeder.Lock()
	src := feeder.srcs[""]
	feeder.Unlock()
	conn, err := sql.Open("sqlite", db)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	table := func(q string) string {
		rows, err := conn.Query(q)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out []string
		for rows.Next() {
			var a, b any
			cols, _ := rows.Columns()
			if len(cols) == 1 {
				err = rows.Scan(&a)
			} else {
				err = rows.Scan(&a, &b)
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(cols) == 1 {
				out = append(out, fmt.Sprint(a))
			} else {
				out = append(out, fmt.Sprintf("%s=%v", a, b))
			}
		}
		return strings.Join(out, " ")
	}
	for i, step := range []struct {
		lines      string
		words, tot string
	}{
		{"a b a", "a=2 b=1", "3"},
		{"b c", "a=2 b=2 c=1", "5"},
		{"a c", "b=2 c=2", "7"}, // a reached 3: HAVING drops it
		{"", "b=2 c=2", "7"},
	} {
		if step.lines != "" {
			f := feedLines([]string{step.lines})
			src.feed <- f
			<-f.done
		}
		s := int64(i + 1)
		fake.Set(time.Unix(s, 0))
		for _, q := range qs {
			for r := range q.Progress() {
				if r.Time.Equal(time.Unix(s, 0)) {
					break
				}
			}
		}
		if got := table(`SELECT word, n FROM wc ORDER BY word`); got != step.words {
			t.Errorf("after batch %d: wc holds %q, want %q", s, got, step.words)
		}
		if got := table(`SELECT words FROM total`); got != step.tot {
			t.Errorf("after batch %d: total holds %q, want %q", s, got, step.tot)
		}
	}
}
