package streamsql_test

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/streamsql/streamsql"
)

// Config.Logger gets the notices as records, warnings at Warn, and
// nothing goes to Log.
func TestConfigLogger(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "a.jsonl"), []byte("{\"n\": 1}\nnot json\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var records, plain bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&records, &slog.HandlerOptions{ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey {
			return slog.Attr{}
		}
		return a
	}}))
	eng := streamsql.New(streamsql.Config{Once: true, Logger: logger, Log: &plain})
	q, err := eng.Query(context.Background(), "SELECT COUNT(*) FROM file('"+dir+"', format => 'jsonl')")
	if err != nil {
		t.Fatal(err)
	}
	for range q.Results() {
	}
	if err := q.Wait(); err != nil {
		t.Fatal(err)
	}
	got := records.String()
	want := `level=WARN msg="skipped malformed record: ` + filepath.Join(dir, "a.jsonl") + `:2: `
	if !strings.Contains(got, want) {
		t.Errorf("records lack %q:\n%s", want, got)
	}
	if plain.Len() != 0 {
		t.Errorf("Log got %q with a Logger set", plain.String())
	}
}
