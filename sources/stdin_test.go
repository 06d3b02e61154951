package sources

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/streamsql/streamsql/types"
)

func openStdinSource(t *testing.T, format string) *stdinSource {
	t.Helper()
	spec, ok := Lookup("stdin")
	if !ok {
		t.Fatal("stdin source not registered")
	}
	args := Args{}
	if format != "" {
		args.Named = map[string]types.Value{"format": types.Text(format)}
	}
	src, err := spec.OpenChecked(args)
	if err != nil {
		t.Fatal(err)
	}
	return src.(*stdinSource)
}

func TestStdin(t *testing.T) {
	src := openStdinSource(t, "")
	if !src.Bounded() || src.Describe() != "stdin() format=text bounded" {
		t.Fatalf("Bounded/Describe = %v %q", src.Bounded(), src.Describe())
	}
	src.in = strings.NewReader("x\r\n\ny")
	if err := src.Bind([]string{"line"}); err != nil {
		t.Fatal(err)
	}
	em := newTestEmitter()
	if err := src.Run(context.Background(), em); err != nil {
		t.Fatal(err)
	}
	rows, _ := em.Snapshot()
	checkRows(t, rows, "[TEXT:x]", "[TEXT:]", "[TEXT:y]")
}

func TestStdinJSONL(t *testing.T) {
	src := openStdinSource(t, "jsonl")
	if !src.Schema().Open {
		t.Fatal("stdin jsonl schema not open")
	}
	src.in = strings.NewReader("{\"k\":\"v\",\"n\":2}\n\n{bad\n{\"n\":-1.5}\n")
	if err := src.Bind([]string{"n", "k"}); err != nil {
		t.Fatal(err)
	}
	em := newTestEmitter()
	if err := src.Run(context.Background(), em); err != nil {
		t.Fatal(err)
	}
	rows, bad := em.Snapshot()
	checkRows(t, rows, "[BIGINT:2 TEXT:v]", "[DOUBLE:-1.5 NULL:NULL]")
	if len(bad) != 1 || !strings.HasPrefix(bad[0].Error(), "stdin:3: invalid JSON") {
		t.Fatalf("malformed = %v", bad)
	}
}

// A reader that never delivers (an idle terminal) does not keep Run from
// returning on cancellation.
func TestStdinCancel(t *testing.T) {
	src := openStdinSource(t, "text")
	pr, pw := io.Pipe()
	defer pw.Close()
	src.in = pr
	em := newTestEmitter()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- src.Run(ctx, em) }()
	if _, err := pw.Write([]byte("first\n")); err != nil { // returns once Run has read it
		t.Fatal(err)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run = %v, want nil", err)
		}
	case <-time.After(wait):
		t.Fatal("Run did not return after cancel")
	}
}
