package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// pgServer is the binary serving --pg, with the address it printed.
type pgServer struct {
	host, port string
}

var pgLine = regexp.MustCompile(`PostgreSQL wire on ([0-9.]+):([0-9]+)`)

func startPGServer(t *testing.T, args ...string) *pgServer {
	t.Helper()
	srv, _ := runPGBinary(t, "", append([]string{"--pg", "127.0.0.1:0", "--pg-user", "alice:s3cret", "--batch", "50ms"}, args...)...)
	return srv
}

// runPGBinary runs the binary with args in dir ("" for here) and waits for
// the line that says where it serves PostgreSQL; the test's end kills it.
func runPGBinary(t *testing.T, dir string, args ...string) (*pgServer, *exec.Cmd) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Dir = dir
	cmd.Stdout = io.Discard
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
	})
	sc := bufio.NewScanner(stderr)
	var said []string
	for sc.Scan() {
		said = append(said, sc.Text())
		if m := pgLine.FindStringSubmatch(sc.Text()); m != nil {
			go io.Copy(io.Discard, stderr)
			return &pgServer{host: m[1], port: m[2]}, cmd
		}
	}
	t.Fatalf("no PostgreSQL wire line on stderr:\n%s", strings.Join(said, "\n"))
	return nil, nil
}

// psql runs psql with args (unaligned, tuples only unless told) and
// returns its stdout and stderr.
func (s *pgServer) psql(t *testing.T, password string, args ...string) (string, string, error) {
	t.Helper()
	cmd := exec.Command("psql", append([]string{"-X", "-h", s.host, "-p", s.port, "-U", "alice", "-d", "streamsql"}, args...)...)
	cmd.Env = append(os.Environ(), "PGPASSWORD="+password, "PGSSLMODE=disable")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	return out.String(), errb.String(), err
}

// feedWords moves a file of words into dir.
func feedWords(t *testing.T, dir, name, words string) {
	t.Helper()
	tmp := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(tmp, []byte(strings.ReplaceAll(words, " ", "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, name)); err != nil {
		t.Fatal(err)
	}
}

// TestPGClients runs real PostgreSQL clients against the binary: psql,
// psycopg (Python) and the JDBC driver, each with a password, creating a
// view, feeding words, and reading exact counts back by pull queries,
// a subscription, a positioned error and a cancelled statement.
// scripts/pgclients.sh installs them; test.sh sets
// STREAMSQL_REQUIRE_PGCLIENTS=1 so a missing one fails the run.
func TestPGClients(t *testing.T) {
	required := os.Getenv("STREAMSQL_REQUIRE_PGCLIENTS") == "1"
	missing := func(what string) {
		if required {
			t.Fatalf("%s is missing (scripts/pgclients.sh installs it)", what)
		}
		t.Skipf("%s is missing: run eval \"$(sh scripts/pgclients.sh)\"", what)
	}
	srv := startPGServer(t)
	t.Run("psql", func(t *testing.T) {
		if _, err := exec.LookPath("psql"); err != nil {
			missing("psql")
		}
		dir := t.TempDir()
		// start => 'earliest' here and below: a file moved in while the
		// view's source starts watching is read either way (the default
		// skips files already there, and the watch starts after CREATE
		// returns).
		if _, e, err := srv.psql(t, "s3cret", "-c", fmt.Sprintf("CREATE MATERIALIZED VIEW ps_counts AS SELECT word, COUNT(*) AS n FROM file('%s', start => 'earliest') GROUP BY word", dir)); err != nil {
			t.Fatal(e)
		}
		feedWords(t, dir, "1.txt", "to be or not to be")
		deadline := time.Now().Add(60 * time.Second)
		for {
			out, e, err := srv.psql(t, "s3cret", "-A", "-t", "-c", "SELECT SUM(n) AS s FROM ps_counts")
			if err != nil {
				t.Fatal(e)
			}
			if strings.TrimSpace(out) == "6" {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the view never counted 6 words: %q", out)
			}
			time.Sleep(20 * time.Millisecond)
		}
		out, e, err := srv.psql(t, "s3cret", "-A", "-t", "-c", "SELECT word, n FROM ps_counts ORDER BY n DESC, word", "-c", "SELECT n FROM ps_counts WHERE word = 'to'")
		if want := "be|2\nto|2\nnot|1\nor|1\n2\n"; err != nil || out != want {
			t.Errorf("pull queries: got %q (%s), want %q", out, e, want)
		}
		out, _, _ = srv.psql(t, "s3cret", "-c", `\dv`)
		if !strings.Contains(out, "public | ps_counts | materialized view | alice") {
			t.Errorf(`\dv: %s`, out)
		}
		out, _, _ = srv.psql(t, "s3cret", "-c", `\d ps_counts`)
		if !strings.Contains(out, `Materialized view "public.ps_counts"`) || !strings.Contains(out, " word   | text   |") || !strings.Contains(out, " n      | bigint |") {
			t.Errorf(`\d ps_counts: %s`, out)
		}
		_, e, _ = srv.psql(t, "s3cret", "-c", "SELECT wrd FROM ps_counts")
		if want := "ERROR:  column \"wrd\" not found; did you mean \"word\"?\nLINE 1: SELECT wrd FROM ps_counts\n               ^\n"; e != want {
			t.Errorf("error: got %q, want %q", e, want)
		}
		_, e, err = srv.psql(t, "wrong", "-c", "SELECT 1")
		if err == nil || !strings.Contains(e, `FATAL:  password authentication failed for user "alice"`) {
			t.Errorf("wrong password: %v %s", err, e)
		}
		// Ctrl-C cancels a continuous SELECT: psql sends a CancelRequest.
		live := exec.Command("psql", "-X", "-h", srv.host, "-p", srv.port, "-U", "alice", "-d", "streamsql", "-c", fmt.Sprintf("SELECT word FROM file('%s')", dir))
		live.Env = append(os.Environ(), "PGPASSWORD=s3cret", "PGSSLMODE=disable")
		var lerr bytes.Buffer
		live.Stderr = &lerr
		if err := live.Start(); err != nil {
			t.Fatal(err)
		}
		for { // wait until the query runs
			out, _, _ := srv.psql(t, "s3cret", "-A", "-t", "-c", "SHOW QUERIES")
			if strings.Contains(out, "SELECT word FROM file(") {
				break
			}
			if time.Now().After(deadline.Add(30 * time.Second)) {
				t.Fatalf("the continuous SELECT never ran: %q", out)
			}
			time.Sleep(20 * time.Millisecond)
		}
		live.Process.Signal(os.Interrupt)
		live.Wait()
		if !strings.Contains(lerr.String(), "ERROR:  canceling statement due to user request") {
			t.Errorf("cancel: %q", lerr.String())
		}
	})
	// clientOut runs a client program; one that hangs is killed after
	// three minutes, and its output so far shows where.
	clientOut := func(t *testing.T, name string, args ...string) string {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, name, args...)
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		if err := cmd.Run(); err != nil {
			t.Fatalf("%v\n%s%s", err, out.String(), errb.String())
		}
		return out.String()
	}
	t.Run("psycopg", func(t *testing.T) {
		py := os.Getenv("STREAMSQL_PG_PYTHON")
		if py == "" {
			missing("psycopg (STREAMSQL_PG_PYTHON)")
		}
		dir := t.TempDir()
		got := clientOut(t, py, "../../pgwire/testdata/clients/client.py", srv.host, srv.port, "alice", "s3cret", dir)
		want := `pull a [3]
pull b [1]
pull c [1]
pull zz []
binary [('a', 3), ('b', 1), ('c', 1)]
fetch [('+I', 'a', 3), ('+I', 'b', 1), ('+I', 'c', 1)]
fetch [('-U', 'b', 1), ('+U', 'b', 2), ('+I', 'd', 1)]
error 42703 column "wrd" not found; did you mean "word"? 8
cancel 57014
`
		if got != want {
			t.Errorf("got:\n%s\nwant:\n%s", got, want)
		}
	})
	t.Run("jdbc", func(t *testing.T) {
		jar := os.Getenv("STREAMSQL_PG_JDBC")
		if jar == "" {
			missing("the JDBC driver (STREAMSQL_PG_JDBC)")
		}
		if _, err := exec.LookPath("java"); err != nil {
			missing("java")
		}
		dir := t.TempDir()
		got := clientOut(t, "java", "-cp", jar, "../../pgwire/testdata/clients/Client.java", srv.host, srv.port, "alice", "s3cret", dir)
		want := `pull a [3]
pull b [1]
pull c [1]
pull zz []
typed [a,3]
fetch [+I,a,3 +I,b,1 +I,c,1]
fetch [-U,b,1 +U,b,2 +I,d,1]
error 42703 column "wrd" not found; did you mean "word"? 8
cancel 57014
`
		if got != want {
			t.Errorf("got:\n%s\nwant:\n%s", got, want)
		}
	})
}

// TestViewsExample serves examples/views.sql as README shows and reads
// its views with psql: the word counts of the bundled files, and a row
// per sensor and closed window.
func TestViewsExample(t *testing.T) {
	if _, err := exec.LookPath("psql"); err != nil {
		if os.Getenv("STREAMSQL_REQUIRE_PGCLIENTS") == "1" {
			t.Fatal("psql is missing (scripts/pgclients.sh installs it)")
		}
		t.Skip("psql is missing")
	}
	srv, _ := runPGBinary(t, "../..", "--pg", "127.0.0.1:0", "--pg-user", "alice:s3cret", "-f", "examples/views.sql")
	files, _ := filepath.Glob("../../examples/logfile/*")
	var texts []string
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		texts = append(texts, string(b))
	}
	total := 0
	for _, n := range wordCounts(texts...) {
		total += n
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		out, e, err := srv.psql(t, "s3cret", "-A", "-t", "-c", "SELECT SUM(n) AS s FROM word_counts")
		if err != nil {
			t.Fatal(e)
		}
		if strings.TrimSpace(out) == fmt.Sprint(total) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("word_counts never summed to %d: %q", total, out)
		}
		time.Sleep(20 * time.Millisecond)
	}
	out, e, err := srv.psql(t, "s3cret", "-A", "-t", "-c", "SELECT COUNT(*) AS n, COUNT(DISTINCT sensor) AS s FROM sensor_temps")
	if err != nil || out == "" || strings.HasPrefix(out, "0|") {
		t.Fatalf("sensor_temps: %q %s %v", out, e, err)
	}
}

// TestPGViewSurvivesRestart kills a server with --checkpoint (SIGKILL)
// and starts it again on the same directory: the view is back, with its
// rows, and counts what arrived while it was down, each word once. The
// view is created over the wire, or by the script the server runs (over a
// named stream) and which it runs again on restart.
func TestPGViewSurvivesRestart(t *testing.T) {
	t.Run("wire", func(t *testing.T) {
		in := t.TempDir()
		testViewRestart(t, in, nil, fmt.Sprintf("CREATE MATERIALIZED VIEW counts AS SELECT word, COUNT(*) AS n FROM file('%s', start => 'earliest') GROUP BY word", in))
	})
	t.Run("script", func(t *testing.T) {
		in := t.TempDir()
		script := filepath.Join(t.TempDir(), "views.sql")
		text := fmt.Sprintf("CREATE STREAM lines AS SELECT * FROM file('%s', start => 'earliest');\nCREATE MATERIALIZED VIEW counts AS SELECT word, COUNT(*) AS n FROM lines GROUP BY word;\n", in)
		if err := os.WriteFile(script, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		testViewRestart(t, in, []string{"-f", script}, "")
	})
}

func testViewRestart(t *testing.T, in string, args []string, create string) {
	ckpt := t.TempDir()
	start := func() (*pgServer, *exec.Cmd) {
		return runPGBinary(t, "", append([]string{"--pg", "127.0.0.1:0", "--pg-user", "alice:s3cret", "--batch", "50ms", "--checkpoint", ckpt}, args...)...)
	}
	connect := func(s *pgServer) *pgx.Conn {
		c, err := pgx.Connect(context.Background(), fmt.Sprintf("postgres://alice:s3cret@%s:%s/streamsql?sslmode=disable", s.host, s.port))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close(context.Background()) })
		return c
	}
	table := func(c *pgx.Conn, total int64) string {
		t.Helper()
		deadline := time.Now().Add(60 * time.Second)
		for {
			var sum *int64
			if err := c.QueryRow(context.Background(), "SELECT SUM(n) AS s FROM counts").Scan(&sum); err != nil {
				t.Fatal(err)
			}
			if sum != nil && *sum == total {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the view never counted %d words (%v)", total, sum)
			}
			time.Sleep(10 * time.Millisecond)
		}
		rows, err := c.Query(context.Background(), "SELECT word, n FROM counts ORDER BY word")
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for rows.Next() {
			var w string
			var n int64
			rows.Scan(&w, &n)
			out = append(out, fmt.Sprintf("%s=%d", w, n))
		}
		return strings.Join(out, " ")
	}
	srv, cmd := start()
	c := connect(srv)
	if create != "" {
		if _, err := c.Exec(context.Background(), create); err != nil {
			t.Fatal(err)
		}
	}
	feedWords(t, in, "1.txt", "a b a")
	if got := table(c, 3); got != "a=2 b=1" {
		t.Fatalf("before the restart: %s", got)
	}
	cmd.Process.Kill()
	cmd.Wait()
	feedWords(t, in, "2.txt", "b c") // while it is down
	srv, _ = start()
	c = connect(srv)
	if got := table(c, 5); got != "a=2 b=2 c=1" {
		t.Fatalf("after the restart: %s", got)
	}
	feedWords(t, in, "3.txt", "c")
	if got := table(c, 6); got != "a=2 b=2 c=2" {
		t.Fatalf("after the restart, more words: %s", got)
	}
}
