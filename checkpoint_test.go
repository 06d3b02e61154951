package streamsql_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/streamsql/streamsql"
	"github.com/streamsql/streamsql/clock"
)

// ckptQuery starts sql with a checkpoint in dir on an engine whose clock
// reads at. It returns the query and its clock.
func ckptQuery(t *testing.T, sql, dir string, at time.Duration, maxKeys int64) (*streamsql.Query, *clock.Fake) {
	t.Helper()
	fake := clock.NewFake(time.Unix(0, 0).Add(at).UTC())
	eng := streamsql.New(streamsql.Config{BatchInterval: time.Second, Clock: fake, Log: io.Discard, MaxKeys: maxKeys})
	stmts, err := eng.Prepare(sql)
	if err != nil {
		t.Fatal(err)
	}
	stmts[0].Checkpoint(dir, 1)
	qs, err := eng.Start(context.Background(), stmts)
	if err != nil {
		t.Fatal(err)
	}
	return qs[0], fake
}

// next receives a query's next result and acknowledges it, as a sink
// writer does.
func next(t *testing.T, q *streamsql.Query) *streamsql.Result {
	t.Helper()
	select {
	case r, ok := <-q.Results():
		if !ok {
			return nil
		}
		q.Ack(r, nil)
		return r
	case <-time.After(10 * time.Second):
		t.Fatal("no result")
	}
	return nil
}

// waitRows waits until the query's source has delivered n rows (lines, for text).
func waitRows(t *testing.T, q *streamsql.Query, n int64) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for q.Stats().RowsIn < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d rows read, want %d", q.Stats().RowsIn, n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func show(r *streamsql.Result) string {
	if r == nil {
		return "<closed>"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "t=%ds emitted=%v final=%v", r.Time.Unix(), r.Emitted, r.Final)
	for _, row := range r.Rows {
		b.WriteString(" |")
		for _, v := range row {
			b.WriteString(" " + v.String())
		}
	}
	return b.String()
}

// TestCheckpointResume stops a checkpointing query before its window
// closes and starts it again after the window's end has passed: the batch
// boundaries it missed are run at restart, so the window is emitted with
// the rows of the first run, and rows read after the restart go to the
// next window. Nothing is lost and nothing counted twice.
func TestCheckpointResume(t *testing.T) {
	in, ckpt := t.TempDir(), t.TempDir()
	os.WriteFile(filepath.Join(in, "a.txt"), []byte("x y x\n"), 0o644)
	sql := fmt.Sprintf("SELECT word, COUNT(*) AS n FROM file('%s') GROUP BY word WINDOW 4s", in)

	q, fake := ckptQuery(t, sql, ckpt, 0, 0)
	waitRows(t, q, 1) // one line; a file present at start is read: the checkpoint says it is not done
	fake.Set(time.Unix(1, 0))
	if got, want := show(next(t, q)), "t=1s emitted=false final=false"; got != want {
		t.Fatalf("first run: %s, want %s", got, want)
	}
	fake.Set(time.Unix(2, 0))
	next(t, q)
	q.Stop()
	if got, want := show(next(t, q)), "t=2s emitted=false final=true"; got != want {
		t.Fatalf("stopped: %s, want %s (no half-full window)", got, want)
	}
	q.Wait()

	os.WriteFile(filepath.Join(in, "b.txt"), []byte("x\n"), 0o644)
	q, fake = ckptQuery(t, sql, ckpt, 6500*time.Millisecond, 0)
	defer q.Stop()
	// The missed boundaries 3s to 6s are run at once; only the one that
	// closes a window has a result.
	for _, want := range []string{
		"t=4s emitted=true final=false | x 2 | y 1", // a.txt, not read again
	} {
		if got := show(next(t, q)); got != want {
			t.Fatalf("after restart: %s, want %s", got, want)
		}
	}
	waitRows(t, q, 1)
	fake.Set(time.Unix(8, 0))
	next(t, q)
	if got, want := show(next(t, q)), "t=8s emitted=true final=false | x 1"; got != want {
		t.Fatalf("after restart: %s, want %s", got, want)
	}
}

// TestCheckpointOtherQuery starts a different query on a checkpoint: a
// clear error, not a silent restart.
func TestCheckpointOtherQuery(t *testing.T) {
	in, ckpt := t.TempDir(), t.TempDir()
	q, fake := ckptQuery(t, fmt.Sprintf("SELECT word FROM file('%s')", in), ckpt, 0, 0)
	fake.Set(time.Unix(1, 0))
	next(t, q)
	q.Stop()
	next(t, q)
	q.Wait()

	q, _ = ckptQuery(t, fmt.Sprintf("SELECT line FROM file('%s')", in), ckpt, 0, 0)
	err := q.Wait()
	if !errors.Is(err, streamsql.ErrCheckpointMismatch) {
		t.Fatalf("got %v, want ErrCheckpointMismatch", err)
	}
	want := fmt.Sprintf(`checkpoint %s was written by a different query ("SELECT word FROM file('%s')"); `+
		"use another checkpoint directory or delete it to start this one afresh: checkpoint belongs to another query",
		filepath.Join(ckpt, "query-1.ckpt"), in)
	if err.Error() != want {
		t.Errorf("error:\n got %s\nwant %s", err, want)
	}
}

// TestMaxKeys ends a query whose state outgrows its limit, saying which
// limit.
func TestMaxKeys(t *testing.T) {
	in := t.TempDir()
	os.WriteFile(filepath.Join(in, "a.txt"), []byte("a b c\n"), 0o644)
	fake := clock.NewFake(time.Unix(0, 0).UTC())
	eng := streamsql.New(streamsql.Config{BatchInterval: time.Second, Clock: fake, Log: io.Discard, MaxKeys: 2})
	stmts, err := eng.Prepare(fmt.Sprintf("SELECT word, COUNT(*) FROM file('%s') GROUP BY word WINDOW UNBOUNDED", in))
	if err != nil {
		t.Fatal(err)
	}
	stmts[0].Checkpoint(t.TempDir(), 1) // reads the file present at start
	qs, err := eng.Start(context.Background(), stmts)
	if err != nil {
		t.Fatal(err)
	}
	q := qs[0]
	waitRows(t, q, 1)
	fake.Set(time.Unix(1, 0))
	for r := range q.Results() {
		q.Ack(r, nil)
	}
	err = q.Wait()
	// The check is made as the keys are added: the file's one line
	// (three words) takes the state over the limit.
	want := "state limit exceeded: the query's state holds 3 keys after 1 row of the batch of 1970-01-01T00:00:01Z, over the limit of 2; " +
		"bound it with a window, a TIMEOUT or a filter, or raise the limit (--max-keys)"
	if !errors.Is(err, streamsql.ErrStateLimit) || err.Error() != want {
		t.Errorf("got %v\nwant %s", err, want)
	}
}

// TestUnboundedStateWarning: a running aggregate that never forgets a key
// is pointed out when planned; one with a TIMEOUT is not.
func TestUnboundedStateWarning(t *testing.T) {
	eng := streamsql.New(streamsql.Config{Log: io.Discard})
	stmts, err := eng.Prepare(`SELECT word, COUNT(*) FROM test() GROUP BY word WINDOW UNBOUNDED;
		SELECT word, COUNT(*) FROM test() GROUP BY word WINDOW UNBOUNDED TIMEOUT 1h;
		SELECT word, COUNT(*) FROM test() GROUP BY word WINDOW 10s`)
	if err != nil {
		t.Fatal(err)
	}
	want := "unbounded state: WINDOW UNBOUNDED without TIMEOUT keeps every key of GROUP BY word for as long as the query runs; " +
		"add TIMEOUT (e.g. WINDOW UNBOUNDED TIMEOUT 1h) to forget idle keys, or cap the state with --max-keys"
	if got := stmts[0].Warnings(); len(got) != 1 || got[0] != want {
		t.Errorf("warnings %q\nwant [%q]", got, want)
	}
	for _, s := range stmts[1:] {
		if got := s.Warnings(); len(got) != 0 {
			t.Errorf("%s: warnings %q, want none", s.Text, got)
		}
	}
}

// TestCheckpointJoins: a query joining a stream with a table checkpoints
// (the table is read again at restart, so only the stream's position and
// the window are kept); a query reading two streams cannot yet, and says
// so instead of running without recovery.
func TestCheckpointJoins(t *testing.T) {
	in, ckpt := t.TempDir(), t.TempDir()
	table := filepath.Join(t.TempDir(), "kinds.csv")
	os.WriteFile(table, []byte("word,kind\nx,letter\ny,letter\n7,digit\n"), 0o644)
	os.WriteFile(filepath.Join(in, "a.txt"), []byte("x\ny\n7\nx\n"), 0o644)
	sql := fmt.Sprintf("SELECT k.kind, COUNT(*) AS n FROM file('%s') AS f JOIN table('%s') AS k ON f.line = k.word GROUP BY k.kind WINDOW 4s", in, table)

	q, fake := ckptQuery(t, sql, ckpt, 0, 0)
	waitRows(t, q, 4)
	fake.Set(time.Unix(1, 0))
	next(t, q)
	q.Stop()
	next(t, q)
	if err := q.Wait(); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(in, "b.txt"), []byte("7\n"), 0o644)
	q, fake = ckptQuery(t, sql, ckpt, 2500*time.Millisecond, 0)
	defer q.Stop()
	waitRows(t, q, 1) // only b.txt: a.txt is done
	fake.Set(time.Unix(3, 0))
	next(t, q)
	fake.Set(time.Unix(4, 0))
	if got, want := show(next(t, q)), "t=4s emitted=true final=false | digit 2 | letter 3"; got != want {
		t.Fatalf("after restart: %s, want %s", got, want)
	}

	q2, _ := ckptQuery(t, fmt.Sprintf("SELECT line FROM file('%s') UNION ALL SELECT line FROM file('%s')", in, in), t.TempDir(), 0, 0)
	if err := q2.Wait(); !errors.Is(err, streamsql.ErrCheckpointSources) {
		t.Fatalf("two sources with a checkpoint: got %v, want ErrCheckpointSources", err)
	}
}

// TestCheckpointEdited changes a checkpoint by hand, keeping it valid
// JSON (a file dropped from the done list would be read again and counted
// twice): the restart refuses it.
func TestCheckpointEdited(t *testing.T) {
	in, ckpt := t.TempDir(), t.TempDir()
	os.WriteFile(filepath.Join(in, "a.txt"), []byte("a b\n"), 0o644)
	sql := fmt.Sprintf("SELECT word FROM file('%s')", in)
	q, fake := ckptQuery(t, sql, ckpt, 0, 0)
	fake.Set(time.Unix(1, 0))
	next(t, q)
	q.Stop()
	next(t, q)
	q.Wait()

	path := filepath.Join(ckpt, "query-1.ckpt")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	edited := bytes.Replace(b, []byte(`"batch":`), []byte(`"batch":1`), 1)
	if bytes.Equal(edited, b) {
		t.Fatalf("no batch number in %s", b)
	}
	if err := os.WriteFile(path, edited, 0o644); err != nil {
		t.Fatal(err)
	}
	q, _ = ckptQuery(t, sql, ckpt, 0, 0)
	want := fmt.Sprintf("checkpoint %s is damaged (its content does not match its checksum: it was changed after streamsql wrote it); delete it to start over", path)
	if err := q.Wait(); err == nil || err.Error() != want {
		t.Errorf("error:\n got %v\nwant %s", err, want)
	}
}

// TestCheckpointUpdating: an aggregate without WINDOW keeps its table
// across a restart; the rows read after it update the counts of before
// (a lost table would start them again at 1).
func TestCheckpointUpdating(t *testing.T) {
	in, ckpt := t.TempDir(), t.TempDir()
	os.WriteFile(filepath.Join(in, "a.txt"), []byte("x y x\n"), 0o644)
	sql := fmt.Sprintf("SELECT word, COUNT(*) AS n FROM file('%s') GROUP BY word", in)
	changes := func(q *streamsql.Query, r *streamsql.Result) string {
		var parts []string
		for _, c := range q.Changelog(r) {
			parts = append(parts, fmt.Sprintf("%s %s %s", c.Op, c.Row[0], c.Row[1]))
		}
		return strings.Join(parts, ", ")
	}

	q, fake := ckptQuery(t, sql, ckpt, 0, 0)
	waitRows(t, q, 1)
	fake.Set(time.Unix(1, 0))
	if got, want := changes(q, next(t, q)), "+I x 2, +I y 1"; got != want {
		t.Fatalf("first run: %s, want %s", got, want)
	}
	fake.Set(time.Unix(2, 0))
	next(t, q) // nothing changed; the checkpoint after 1s is written
	q.Stop()
	for r := next(t, q); r != nil; r = next(t, q) {
	}
	q.Wait()

	os.WriteFile(filepath.Join(in, "b.txt"), []byte("x z\n"), 0o644)
	q, fake = ckptQuery(t, sql, ckpt, 2500*time.Millisecond, 0)
	defer q.Stop()
	waitRows(t, q, 1)
	fake.Set(time.Unix(3, 0))
	if got, want := changes(q, next(t, q)), "-U x 2, +U x 3, +I z 1"; got != want {
		t.Fatalf("after restart: %s, want %s", got, want)
	}
}
