package streamsql_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/streamsql/streamsql"
)

// TestAllowedDirs confines the paths queries name: inside is fine, outside
// is refused before anything is opened or created, whether reached by
// name, by "..", or by a link planted inside.
func TestAllowedDirs(t *testing.T) {
	allowed, outside := t.TempDir(), t.TempDir()
	os.Mkdir(filepath.Join(allowed, "in"), 0o755)
	os.WriteFile(filepath.Join(outside, "secret.csv"), []byte("k,v\na,1\n"), 0o644)
	os.WriteFile(filepath.Join(allowed, "cities.csv"), []byte("k,v\na,1\n"), 0o644)
	if err := os.Symlink(outside, filepath.Join(allowed, "link")); err != nil {
		t.Fatal(err)
	}
	eng := streamsql.New(streamsql.Config{Log: io.Discard, AllowedDirs: []string{allowed}})
	for _, q := range []string{
		fmt.Sprintf("SELECT line FROM file('%s/in')", allowed),
		fmt.Sprintf("INSERT INTO file('%s/out') SELECT line FROM generate(rate => 1)", allowed),
		fmt.Sprintf("INSERT INTO sqlite('%s/new/w.db', table => 't') SELECT line FROM generate(rate => 1)", allowed),
		fmt.Sprintf("SELECT s.line, c.v FROM generate(rate => 1) AS s JOIN table('%s/cities.csv') AS c ON s.line = c.k", allowed),
		fmt.Sprintf("SELECT line FROM file('%s/in', dead_letter => '%s/bad.jsonl')", allowed, allowed),
	} {
		if _, err := eng.Prepare(q); err != nil {
			t.Errorf("%s: %v", q, err)
		}
	}
	for _, c := range []struct{ query, path string }{
		{"SELECT line FROM file('%[2]s')", "%[2]s"},
		{"SELECT line FROM file('%[1]s/../%[3]s')", "%[1]s/../%[3]s"},
		{"SELECT line FROM file('%[1]s/link')", "%[1]s/link"},
		{"INSERT INTO file('%[1]s/link/out') SELECT line FROM generate(rate => 1)", "%[1]s/link/out"},
		{"INSERT INTO sqlite('%[2]s/x.db', table => 't') SELECT line FROM generate(rate => 1)", "%[2]s/x.db"},
		{"SELECT s.line, c.v FROM generate(rate => 1) AS s JOIN table('%[1]s/link/secret.csv') AS c ON s.line = c.k", "%[1]s/link/secret.csv"},
		{"SELECT s.line FROM generate(rate => 1) AS s JOIN table(sqlite('%[2]s/x.db'), 't') AS c ON s.line = c.k", "%[2]s/x.db"},
		{"SELECT line FROM file('%[1]s/in', dead_letter => '%[2]s/bad.jsonl')", "%[2]s/bad.jsonl"},
	} {
		q := fmt.Sprintf(c.query, allowed, outside, filepath.Base(outside))
		_, err := eng.Prepare(q)
		want := fmt.Sprintf(`path not allowed: %q is outside the allowed directories (--allow-dir %s)`, fmt.Sprintf(c.path, allowed, outside, filepath.Base(outside)), allowed)
		if !errors.Is(err, streamsql.ErrPathNotAllowed) || !strings.HasSuffix(err.Error(), want) {
			t.Errorf("%s:\n got %v\nwant ...%s", q, err, want)
		}
	}
	if _, err := os.Stat(filepath.Join(outside, "out")); !os.IsNotExist(err) {
		t.Errorf("a refused sink created its directory")
	}

	// A checkpoint directory outside is refused at start.
	stmts, err := eng.Prepare(fmt.Sprintf("SELECT line FROM file('%s/in')", allowed))
	if err != nil {
		t.Fatal(err)
	}
	stmts[0].Checkpoint(filepath.Join(outside, "ckpt"), 1)
	if _, err := eng.Start(context.Background(), stmts); !errors.Is(err, streamsql.ErrPathNotAllowed) {
		t.Errorf("checkpoint outside: %v", err)
	}
}
