package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

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
	code := run([]string{"--once", "--output", "csv"}, strings.NewReader(input), &stdout, &stderr)
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
