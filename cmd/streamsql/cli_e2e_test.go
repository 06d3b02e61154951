package main

import (
	"bytes"
	"flag"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/debug"
	"slices"
	"sort"
	"strings"
	"testing"
)

// runBinary runs the real binary with stdin (nil for none) in dir ("" for
// the test's) and returns its stdout, stderr and exit code.
func runBinary(t *testing.T, dir string, stdin *os.File, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Dir = dir
	if stdin != nil {
		cmd.Stdin = stdin
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if _, exited := err.(*exec.ExitError); err != nil && !exited {
		t.Fatalf("streamsql %s: %v", strings.Join(args, " "), err)
	}
	return stdout.String(), stderr.String(), cmd.ProcessState.ExitCode()
}

// fileOf writes text to a file and opens it for reading, as a shell's
// `< file` would hand it over.
func fileOf(t *testing.T, text string) *os.File {
	t.Helper()
	path := filepath.Join(t.TempDir(), "input.sql")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// pipeOf hands text over through a pipe, as `echo ... | streamsql` does.
func pipeOf(t *testing.T, text string) *os.File {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		w.WriteString(text)
		w.Close()
	}()
	t.Cleanup(func() { r.Close() })
	return r
}

// TestEchoSelectOne is `echo "SELECT 1 AS x;" | streamsql`: one row, no
// banner, exit 0.
func TestEchoSelectOne(t *testing.T) {
	stdout, stderr, code := runBinary(t, "", pipeOf(t, "SELECT 1 AS x;\n"))
	want := regexp.MustCompile(`^── \d\d:\d\d:\d\d\.\d{3} \(final\) ──\n┌───┐\n│ x │\n├───┤\n│ 1 │\n└───┘\n\n$`)
	if code != 0 || stderr != "" || !want.MatchString(stdout) {
		t.Errorf("exit %d, stdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
}

// TestPipedScriptRunsAsFile: a script on stdin prints what -f prints, and
// an error in it exits 1 with its place in the input, running nothing.
func TestPipedScriptRunsAsFile(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "a.txt"), []byte("b a b\n"), 0o644)
	script := "-- two queries over one stream\n" +
		"CREATE STREAM w AS SELECT word FROM file('" + dir + "');\n" +
		"\n" +
		"SELECT word, COUNT(*) AS n FROM w GROUP BY word;\n" +
		"SELECT COUNT(*) AS total FROM w\n" // the last ; may be left out
	path := filepath.Join(t.TempDir(), "q.sql")
	os.WriteFile(path, []byte(script), 0o644)
	fromFile, ferr, fcode := runBinary(t, "", nil, "--once", "--output", "csv", "-f", path)
	if fcode != 0 {
		t.Fatalf("-f: exit %d\n%s", fcode, ferr)
	}
	for _, in := range []*os.File{fileOf(t, script), pipeOf(t, script)} {
		stdout, stderr, code := runBinary(t, "", in, "--once", "--output", "csv")
		if code != 0 || sortedLines(stdout) != sortedLines(fromFile) || sortedLines(stderr) != sortedLines(ferr) {
			t.Errorf("exit %d, stdout:\n%s\nstderr:\n%s\nwant what -f printed:\n%s\n%s", code, stdout, stderr, fromFile, ferr)
		}
	}

	broken := "SELECT 1 AS x;\n\n-- the next one is wrong\nSELECT 2 AS y,\n       nope;\nSELECT 3 AS z;\n"
	stdout, stderr, code := runBinary(t, "", pipeOf(t, broken))
	wantErr := "<stdin>:5:8: column \"nope\" not found: a query without FROM has no columns\n" +
		"         nope;\n" +
		"         ^\n"
	if code != 1 || stdout != "" || stderr != wantErr {
		t.Errorf("exit %d, stdout:\n%s\nstderr: %q\nwant exit 1, no output, stderr %q", code, stdout, stderr, wantErr)
	}
}

func sortedLines(s string) string {
	l := strings.Split(strings.TrimSpace(s), "\n")
	sort.Strings(l)
	return strings.Join(l, "\n")
}

// TestPipedCommands: the REPL's commands work in piped input; each sees
// the statements before it; \q ends the input; a bad command exits 1.
func TestPipedCommands(t *testing.T) {
	in := "SET output = 'csv'\n" +
		"CREATE STREAM c AS SELECT 41 AS v;\n" +
		"DESCRIBE c\n" +
		"SELECT v + 1 AS w FROM c; -- 42, and the line after is a command\n" +
		"SET output = 'jsonl'\n" +
		"SELECT 'x' AS s;\n" +
		"\\q\n" +
		"SELECT 'not run' AS s;\n"
	stdout, stderr, code := runBinary(t, "", pipeOf(t, in))
	want := "output = 'csv'\n" +
		"stream c created (v)\n" +
		"column  type\n" +
		"v       BIGINT\n" +
		"w\n42\n" +
		"output = 'jsonl'\n" +
		"{\"s\":\"x\"}\n"
	if code != 0 || stdout != want || stderr != "" {
		t.Errorf("exit %d, stdout:\n%s\nwant:\n%s\nstderr:\n%s", code, stdout, want, stderr)
	}

	// An error in a file run with \i names the file and its line.
	inc := filepath.Join(t.TempDir(), "inc.sql")
	os.WriteFile(inc, []byte("SELECT 1 AS x;\n\nSELECT\n  y;\n"), 0o644)
	stdout, stderr, code = runBinary(t, "", pipeOf(t, "\\i "+inc+"\nSELECT 2 AS z;\n"))
	if want := inc + ":4:3: column \"y\" not found: a query without FROM has no columns\n    y;\n    ^\n"; code != 1 || stdout != "" || stderr != want {
		t.Errorf("\\i: exit %d, stdout:\n%s\nstderr %q\nwant   %q", code, stdout, stderr, want)
	}

	stdout, stderr, code = runBinary(t, "", pipeOf(t, "SELECT 1 AS x;\nSET output = 'xml'\nSELECT 2 AS y;\n"), "--output", "csv")
	if want := "streamsql: SET output: unknown format \"xml\" (choose table, jsonl, changelog or csv)\n"; code != 1 || stdout != "x\n1\n" || stderr != want {
		t.Errorf("exit %d, stdout:\n%s\nstderr: %q\nwant exit 1, x 1, stderr %q", code, stdout, stderr, want)
	}
}

// TestConstantSelect: a SELECT without FROM answers one row with -e, -f,
// piped, and at the REPL.
func TestConstantSelect(t *testing.T) {
	const q = "SELECT 1 + 1 AS two, upper('a') AS u;"
	want := "two,u\n2,A\n"
	path := filepath.Join(t.TempDir(), "c.sql")
	os.WriteFile(path, []byte(q), 0o644)
	for _, c := range []struct {
		name  string
		stdin *os.File
		args  []string
	}{
		{"-e", nil, []string{"-e", q}},
		{"-f", nil, []string{"-f", path}},
		{"piped", pipeOf(t, q), nil},
		{"--once", pipeOf(t, q), []string{"--once"}},
	} {
		stdout, stderr, code := runBinary(t, "", c.stdin, append([]string{"--output", "csv"}, c.args...)...)
		if code != 0 || stdout != want {
			t.Errorf("%s: exit %d, stdout:\n%s\nwant:\n%s\nstderr:\n%s", c.name, code, stdout, want, stderr)
		}
	}
	t.Setenv("HOME", t.TempDir())
	var stdout, stderr bytes.Buffer
	if code := run([]string{"--output", "csv"}, typed(strings.NewReader(q+"\n\\q\n")), &stdout, &stderr); code != 0 || !strings.HasSuffix(stdout.String(), "\n"+want) {
		t.Errorf("REPL: exit %d, stdout:\n%s\nstderr:\n%s", code, stdout.String(), stderr.String())
	}
}

// TestHelpAndVersion: --help and -h print the usage on stdout and exit 0;
// a mistaken flag prints it on stderr and exits 2; --version prints one
// line.
func TestHelpAndVersion(t *testing.T) {
	for _, arg := range []string{"--help", "-h", "-help"} {
		stdout, stderr, code := runBinary(t, "", nil, arg)
		if code != 0 || stderr != "" || !strings.HasPrefix(stdout, "usage: streamsql [flags]") || !strings.Contains(stdout, "-version") {
			t.Errorf("%s: exit %d, stdout:\n%s\nstderr:\n%s", arg, code, stdout, stderr)
		}
	}
	stdout, stderr, code := runBinary(t, "", nil, "--bogus")
	if code != 2 || stdout != "" || !strings.HasPrefix(stderr, "flag provided but not defined: -bogus\nusage: streamsql [flags]") {
		t.Errorf("--bogus: exit %d, stdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	stdout, stderr, code = runBinary(t, "", nil, "--version")
	want := regexp.MustCompile(`^streamsql \S+( \([^)]*\))? ` + regexp.QuoteMeta(runtime.Version()) + ` ` + runtime.GOOS + `/` + runtime.GOARCH + "\n$")
	if code != 0 || stderr != "" || !want.MatchString(stdout) {
		t.Errorf("--version: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
}

func TestFormatVersion(t *testing.T) {
	bi := &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v0.0.0-20260501120000-530c1c8d3f2a+dirty"},
		Settings: []debug.BuildSetting{
			{Key: "vcs", Value: "git"},
			{Key: "vcs.revision", Value: "530c1c8d3f2a9b7e6d5c4b3a29180716253d4e5f"},
			{Key: "vcs.time", Value: "2026-05-01T12:00:00Z"},
			{Key: "vcs.modified", Value: "true"},
		}}
	if got, want := formatVersion(bi, "linux/amd64"), "streamsql v0.0.0-20260501120000-530c1c8d3f2a+dirty (commit 530c1c8d3f2a, 2026-05-01T12:00:00Z, modified) go1.26.8 linux/amd64"; got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	bi = &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"}}
	if got, want := formatVersion(bi, "linux/arm64"), "streamsql (devel) go1.26.8 linux/arm64"; got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

// TestOutputTakesConsoleFormats: --output refuses a sink that is not a
// console format and names the ones it takes.
func TestOutputTakesConsoleFormats(t *testing.T) {
	for _, f := range []string{"sqlite", "file", "kafka", "xml"} {
		stdout, stderr, code := runBinary(t, "", nil, "--output", f, "-e", "SELECT 1 AS x")
		want := `streamsql: --output takes a console format: table, jsonl, changelog or csv, not "` + f + `" (results go to a database, files or Kafka with INSERT INTO sink(...) SELECT ...)` + "\n"
		if code != 2 || stdout != "" || stderr != want {
			t.Errorf("--output %s: exit %d, stdout %q, stderr %q\nwant %q", f, code, stdout, stderr, want)
		}
	}
}

// TestScriptErrorsNameTheFile: an error of -f q.sql reads q.sql:line:col,
// the line and column in the file.
func TestScriptErrorsNameTheFile(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "q.sql"), []byte("-- word counts\n"+
		"CREATE STREAM w AS\n"+
		"  SELECT word FROM file('"+dir+"');\n"+
		"\n"+
		"SELECT word, COUNT(*) AS n FROM w\n"+
		"GROUP BY wrod;\n"), 0o644)
	stdout, stderr, code := runBinary(t, dir, nil, "-f", "q.sql")
	want := "q.sql:6:10: column \"wrod\" not found; did you mean \"word\"?\n" +
		"  GROUP BY wrod;\n" +
		"           ^\n"
	if code != 1 || stdout != "" || stderr != want {
		t.Errorf("exit %d, stdout %q\nstderr %q\nwant   %q", code, stdout, stderr, want)
	}
}

// TestNoDoubledPrefix: no message says "streamsql:" twice, whichever way
// it fails.
func TestNoDoubledPrefix(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "a.txt"), []byte("a b c\n"), 0o644)
	for _, c := range []struct {
		stdin string
		args  []string
	}{
		{"", []string{"-e", "INSERT INTO sqlite('" + filepath.Join(dir, "no", "such", "dir", "x.db") + "', table => 't') SELECT line FROM generate(rate => 1)"}},
		{"INSERT INTO sqlite('" + filepath.Join(dir, "no", "x.db") + "', table => 't') SELECT line FROM generate(rate => 1);\nSHOW QUERIES\n", nil},
		{"", []string{"-f", filepath.Join(dir, "missing.sql")}},
		{"", []string{"--batch", "-1s", "-e", "SELECT 1"}},
		{"", []string{"-e", "SELECT 1", "-f", "x.sql"}},
		{"", []string{"-e", "SELEC 1"}},
		{"\\i " + filepath.Join(dir, "missing.sql") + "\n", nil},
	} {
		var in *os.File
		if c.stdin != "" {
			in = pipeOf(t, c.stdin)
		}
		_, stderr, code := runBinary(t, "", in, c.args...)
		if code == 0 || stderr == "" {
			t.Errorf("%q %q: exit %d, stderr %q; want a failure", c.stdin, c.args, code, stderr)
		}
		for _, l := range strings.Split(stderr, "\n") {
			if strings.Count(l, "streamsql:") > 1 {
				t.Errorf("%q %q: doubled prefix: %s", c.stdin, c.args, l)
			}
		}
	}
}

// TestREADMEListsEveryFlag compares the flags the command defines with the
// flag table in README.md, both ways.
func TestREADMEListsEveryFlag(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	section := string(readme)
	start := strings.Index(section, "\n## Command line\n")
	if start < 0 {
		t.Fatal(`README.md has no "## Command line" section`)
	}
	section = section[start+1:]
	if end := strings.Index(section[3:], "\n## "); end >= 0 {
		section = section[:end+3]
	}
	listed := map[string]bool{}
	cell := regexp.MustCompile("`--?([a-z][a-z0-9-]*)[^`]*`")
	for _, line := range strings.Split(section, "\n") {
		if !strings.HasPrefix(line, "| `-") {
			continue
		}
		first := strings.Split(line, "|")[1]
		for _, m := range cell.FindAllStringSubmatch(first, -1) {
			listed[m[1]] = true
		}
	}
	var o options
	defined := map[string]bool{"h": true, "help": true} // the flag package's own
	newFlags(&o).VisitAll(func(f *flag.Flag) { defined[f.Name] = true })
	var missing, extra []string
	for n := range defined {
		if !listed[n] {
			missing = append(missing, n)
		}
	}
	for n := range listed {
		if !defined[n] {
			extra = append(extra, n)
		}
	}
	slices.Sort(missing)
	slices.Sort(extra)
	if len(missing) > 0 {
		t.Errorf("README.md's flag table (section Command line) lacks %q", missing)
	}
	if len(extra) > 0 {
		t.Errorf("README.md's flag table lists flags the command does not have: %q", extra)
	}
}

// TestOnceKafkaUnreachable: a bounded run against a broker nobody listens
// on ends with an error once connect_timeout has passed, instead of
// retrying forever.
func TestOnceKafkaUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	_, stderr, code := runBinary(t, "", nil, "--once", "-e", "SELECT * FROM kafka('"+addr+"', topic => 't', connect_timeout => '1s')")
	refused := "unable to dial: dial tcp " + addr + ": connect: connection refused"
	want := "streamsql: kafka('" + addr + "'): warning: cannot reach broker " + addr + ": " + refused + "; retrying\n" +
		"streamsql: query 1: kafka('" + addr + "'): cannot reach broker " + addr + ": gave up after 1s (connect_timeout): " + refused + "\n" +
		"streamsql: query 1: 0 rows read, 0 late rows dropped, 0 malformed records skipped\n"
	if code != 1 || stderr != want {
		t.Errorf("exit %d, stderr:\n%s\nwant exit 1 and:\n%s", code, stderr, want)
	}
}
