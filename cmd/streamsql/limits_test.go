package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestMaxKeysOnceExitsEarly: --once --max-keys over many more distinct
// keys than the limit ends with exit 1 and the limit's error once the
// state passes it, having read a chunk past the limit, not the input.
func TestMaxKeysOnceExitsEarly(t *testing.T) {
	dir := t.TempDir()
	var b strings.Builder
	for i := range 50_000 {
		fmt.Fprintf(&b, "k%d\n", i)
	}
	os.WriteFile(filepath.Join(dir, "keys.txt"), []byte(b.String()), 0o644)
	var stdout, stderr bytes.Buffer
	code := run([]string{"--once", "--max-keys", "1000", "-e",
		fmt.Sprintf("SELECT line, COUNT(*) FROM file('%s') GROUP BY line", dir)}, strings.NewReader(""), &stdout, &stderr)
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	want := "streamsql: query 1: state limit exceeded: the query's state holds 1024 keys after 1024 rows of input, over the limit of 1000; " +
		"bound it with a window, a TIMEOUT or a filter, or raise the limit (--max-keys)\n" +
		"streamsql: query 1: 1024 rows read, 0 late rows dropped, 0 malformed records skipped\n"
	if !strings.Contains(stderr.String(), want) {
		t.Errorf("stderr:\n%s\nwant it to hold:\n%s", stderr.String(), want)
	}
	if stdout.Len() != 0 {
		t.Errorf("stdout %q, want nothing: the run stopped part way", stdout.String())
	}
}

// TestMaxMemoryFlag: --max-memory takes a size and refuses anything else.
func TestMaxMemoryFlag(t *testing.T) {
	for _, bad := range []string{"lots", "-1GB", "0", "2XB"} {
		var stdout, stderr bytes.Buffer
		code := run([]string{"--max-memory", bad, "-e", "SELECT 1"}, strings.NewReader(""), &stdout, &stderr)
		want := fmt.Sprintf("streamsql: --max-memory must be a positive size (e.g. 2GB, 512MB), got %q\n", bad)
		if code != 2 || stderr.String() != want {
			t.Errorf("--max-memory %s: exit %d, stderr %q; want 2 and %q", bad, code, stderr.String(), want)
		}
	}
}
