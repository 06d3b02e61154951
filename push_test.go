package streamsql_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/streamsql/streamsql"
	"github.com/streamsql/streamsql/clock"
	"github.com/streamsql/streamsql/types"
)

// ptEngine returns an engine on a fake clock at the epoch, 1s batches,
// with the test functions of udf_test.go registered.
func ptEngine(once bool) (*streamsql.Engine, *clock.Fake) {
	fake := clock.NewFake(time.Unix(0, 0).UTC())
	eng := streamsql.New(streamsql.Config{BatchInterval: time.Second, Once: once, Clock: fake, Log: io.Discard})
	if err := registerTestFunctions(eng); err != nil {
		panic(err)
	}
	return eng, fake
}

func ptSource(t *testing.T, eng *streamsql.Engine, name, schema string) *streamsql.PushSource {
	t.Helper()
	src, err := eng.NewPushSource(name, schema)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { src.Close() })
	return src
}

func ptQuery(t *testing.T, eng *streamsql.Engine, sql string) *streamsql.Query {
	t.Helper()
	q, err := eng.Query(context.Background(), sql)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(eng.Stop)
	return q
}

// ptNext returns the query's next result.
func ptNext(t *testing.T, q *streamsql.Query) *streamsql.Result {
	t.Helper()
	select {
	case r, ok := <-q.Results():
		if !ok {
			t.Fatalf("query ended early: %v", q.Wait())
		}
		return r
	case <-time.After(10 * time.Second):
		t.Fatal("no result within 10s")
	}
	return nil
}

// ptRows renders a result's rows as "a|b|c" lines.
func ptRows(r *streamsql.Result) string {
	var b strings.Builder
	for _, row := range r.Rows {
		for i, v := range row {
			if i > 0 {
				b.WriteByte('|')
			}
			b.WriteString(v.String())
		}
		b.WriteByte('\n')
	}
	return b.String()
}

func ptPush(t *testing.T, src *streamsql.PushSource, values ...any) {
	t.Helper()
	if err := src.Push(values...); err != nil {
		t.Fatal(err)
	}
}

type orderID int64

func TestPushConvertsGoValues(t *testing.T) {
	eng, _ := ptEngine(true)
	src := ptSource(t, eng, "pt_values", "id BIGINT, name TEXT, amount DOUBLE, ok BOOLEAN, ts TIMESTAMP")
	q := ptQuery(t, eng, "SELECT * FROM pt_values()")
	ts := time.Date(2026, 1, 2, 3, 4, 5, 0, time.FixedZone("x", 3600))
	ptPush(t, src, 1, "a", 1.5, true, ts)
	ptPush(t, src, int64(2), []byte("b"), 2, false, ts)
	ptPush(t, src, uint8(3), "c", float32(0.5), nil, nil)
	ptPush(t, src, orderID(4), nil, int64(7), true, ts.Add(time.Second))
	ptPush(t, src, types.Int(5), types.Text("e"), types.Int(3), types.Null, types.Time(ts))
	if err := src.PushRow(types.Row{types.Int(6), types.Text("f"), types.Float(6.25), types.Bool(true), types.Null}); err != nil {
		t.Fatal(err)
	}
	src.Close()
	r := ptNext(t, q)
	want := `1|a|1.5|true|2026-01-02T02:04:05Z
2|b|2|false|2026-01-02T02:04:05Z
3|c|0.5|NULL|NULL
4|NULL|7|true|2026-01-02T02:04:06Z
5|e|3|NULL|2026-01-02T02:04:05Z
6|f|6.25|true|NULL
`
	if got := ptRows(r); got != want || !r.Final {
		t.Fatalf("final=%v rows:\n%s\nwant:\n%s", r.Final, got, want)
	}
	if err := q.Wait(); err != nil {
		t.Fatal(err)
	}
}

func TestPushQueries(t *testing.T) {
	for _, c := range []struct {
		sql  string
		want string
	}{
		{"SELECT region, COUNT(*) AS n, SUM(amount) AS total FROM pt_orders() GROUP BY region",
			"eu|3|35.5\nus|2|7\n"},
		{"SELECT id, amount * 2 AS twice FROM pt_orders() WHERE region = 'eu' AND amount > 5 ORDER BY id DESC",
			"5|26\n3|25\n1|20\n"},
		// Columns bound out of order, and the word shorthand over a TEXT column called line.
		{"SELECT amount, id FROM pt_orders() WHERE id <= 2", "10|1\n3|2\n"},
		{"SELECT word, COUNT(*) AS n FROM pt_orders() GROUP BY word ORDER BY n DESC, word LIMIT 2", "big|2\nsmall|2\n"},
	} {
		t.Run(c.sql, func(t *testing.T) {
			eng, _ := ptEngine(true)
			src := ptSource(t, eng, "pt_orders", "id BIGINT, region TEXT, amount DOUBLE, line TEXT")
			q := ptQuery(t, eng, c.sql)
			ptPush(t, src, 1, "eu", 10, "big order")
			ptPush(t, src, 2, "us", 3, "small")
			ptPush(t, src, 3, "eu", 12.5, "big one")
			ptPush(t, src, 4, "us", 4, "small")
			ptPush(t, src, 5, "eu", 13, nil)
			src.Close()
			if got := ptRows(ptNext(t, q)); got != c.want {
				t.Fatalf("got:\n%s\nwant:\n%s", got, c.want)
			}
		})
	}
}

func TestPushBadValues(t *testing.T) {
	eng, _ := ptEngine(true)
	src := ptSource(t, eng, "pt_bad", "id BIGINT, amount DOUBLE, name TEXT, ok BOOLEAN, ts TIMESTAMP")
	now := time.Unix(0, 0)
	for _, c := range []struct {
		values []any
		want   string
	}{
		{[]any{"1", 1.0, "a", true, now}, `push source pt_bad: column id BIGINT: cannot take "1" (string)`},
		{[]any{1.5, 1.0, "a", true, now}, `column id BIGINT: cannot take 1.5 (float64)`},
		{[]any{uint64(1 << 63), 1.0, "a", true, now}, `column id BIGINT: 9223372036854775808 is out of the BIGINT range`},
		{[]any{1, "1.0", "a", true, now}, `column amount DOUBLE: cannot take "1.0" (string)`},
		{[]any{1, 1.0, 7, true, now}, `column name TEXT: cannot take 7 (int)`},
		{[]any{1, 1.0, "a", 1, now}, `column ok BOOLEAN: cannot take 1 (int)`},
		{[]any{1, 1.0, "a", true, "2026-01-01"}, `column ts TIMESTAMP: cannot take "2026-01-01" (string)`},
		{[]any{1, 1.0, "a", true, &now}, `column ts TIMESTAMP: cannot take`},
		{[]any{1, 1.0, "a", true, types.Int(1)}, `column ts TIMESTAMP: cannot take a BIGINT value`},
		{[]any{1, 1.0, "a", true, []int{1}}, `column ts TIMESTAMP: cannot take []int{1} ([]int)`},
		{[]any{1, 1.0}, `push source pt_bad: got 2 values for 5 columns (id BIGINT, amount DOUBLE, name TEXT, ok BOOLEAN, ts TIMESTAMP)`},
	} {
		// Nothing reads pt_bad: a Push that got past the conversion would
		// block, so returning at all shows the check comes first.
		err := src.Push(c.values...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Push(%v) = %v, want error containing %q", c.values, err, c.want)
		}
	}
	if err := src.PushRow(types.Row{types.Text("1"), types.Null, types.Null, types.Null, types.Null}); err == nil || !strings.Contains(err.Error(), "column id BIGINT: cannot take a TEXT value") {
		t.Errorf("PushRow with a TEXT id = %v", err)
	}
}

func TestPushSourceNames(t *testing.T) {
	eng, _ := ptEngine(true)
	for _, c := range []struct{ name, schema, want string }{
		{"file", "line TEXT", "streamsql: push source file: a built-in source has that name"},
		{"select", "line TEXT", `streamsql: push source name "select" cannot be written in FROM`},
		{"two words", "line TEXT", `streamsql: push source name "two words" cannot be written in FROM`},
		{"pt_schema", "line", `streamsql: push source pt_schema: schema: "line": missing type (write it as name TYPE)`},
		{"pt_schema", "line TEXT, n NUMBER", `schema: "n NUMBER": unknown type NUMBER`},
		{"pt_schema", "a TEXT, A TEXT", `schema: "A TEXT": duplicate column A`},
	} {
		_, err := eng.NewPushSource(c.name, c.schema)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("NewPushSource(%q, %q) = %v, want %q", c.name, c.schema, err, c.want)
		}
	}
	a := ptSource(t, eng, "PT_Twice", "x BIGINT")
	if a.Name() != "pt_twice" {
		t.Errorf("Name() = %q", a.Name())
	}
	if _, err := eng.NewPushSource("pt_twice", "y TEXT"); err == nil || err.Error() != "streamsql: push source pt_twice already exists; Close it before creating another of that name" {
		t.Errorf("second live push source: %v", err)
	}
	a.Close()
	b := ptSource(t, eng, "pt_twice", "y TEXT") // the name is free again
	stmts, err := eng.Prepare("EXPLAIN SELECT y FROM PT_TWICE()")
	if err != nil {
		t.Fatal(err)
	}
	if got := stmts[0].Plan(); !strings.Contains(got, "Source pt_twice() push columns=[y]") {
		t.Errorf("EXPLAIN:\n%s", got)
	}
	if _, err := eng.Prepare("SELECT x FROM pt_twice()"); err == nil || !strings.Contains(err.Error(), `column "x" not found`) {
		t.Errorf("the new source's schema should be used: %v", err)
	}
	q := ptQuery(t, eng, "SELECT y FROM pt_twice()")
	ptPush(t, b, "new")
	b.Close()
	if got := ptRows(ptNext(t, q)); got != "new\n" {
		t.Errorf("got %q", got)
	}
}

// Close ends a continuous (unbounded) query: the open batch becomes its
// final result, and the results channel closes.
func TestPushCloseEndsQuery(t *testing.T) {
	eng, fake := ptEngine(false)
	src := ptSource(t, eng, "pt_close", "word TEXT")
	q := ptQuery(t, eng, "SELECT word, COUNT(*) AS n FROM pt_close() GROUP BY word WINDOW 2s")
	ptPush(t, src, "a")
	ptPush(t, src, "b")
	fake.Set(time.Unix(2, 0))
	for _, want := range []string{"", "a|1\nb|1\n"} { // batches at 1s (no window closed), 2s
		r := ptNext(t, q)
		if got := ptRows(r); got != want || r.Final {
			t.Fatalf("at %s: final=%v rows %q, want %q", r.Time, r.Final, got, want)
		}
	}
	fake.Set(time.Unix(2, 5e8))
	ptPush(t, src, "a")
	ptPush(t, src, "a")
	src.Close()
	r := ptNext(t, q)
	if got := ptRows(r); got != "a|2\n" || !r.Final || r.Window == nil || !r.Window.Start.Equal(time.Unix(2, 0)) {
		t.Fatalf("final=%v window=%v rows %q", r.Final, r.Window, got)
	}
	if _, ok := <-q.Results(); ok {
		t.Fatal("results after the final one")
	}
	if err := q.Wait(); err != nil {
		t.Fatal(err)
	}
	if err := src.Push("late"); !errors.Is(err, streamsql.ErrPushClosed) {
		t.Fatalf("Push after Close = %v", err)
	}
}

// A source closed before its query starts gives an empty final result.
func TestPushClosedBeforeStart(t *testing.T) {
	eng, _ := ptEngine(false)
	src := ptSource(t, eng, "pt_early", "n BIGINT")
	src.Close()
	q := ptQuery(t, eng, "SELECT COUNT(*) AS n FROM pt_early()")
	if r := ptNext(t, q); !r.Final || ptRows(r) != "0\n" {
		t.Fatalf("final=%v rows %q", r.Final, ptRows(r))
	}
	if err := q.Wait(); err != nil {
		t.Fatal(err)
	}
}

func TestPushAfterStop(t *testing.T) {
	eng, _ := ptEngine(false)
	src := ptSource(t, eng, "pt_stop", "n BIGINT")
	q := ptQuery(t, eng, "SELECT SUM(n) AS s FROM pt_stop()")
	ptPush(t, src, 20)
	ptPush(t, src, 22)
	q.Stop()
	if r := ptNext(t, q); !r.Final || ptRows(r) != "42\n" {
		t.Fatalf("final=%v rows %q", r.Final, ptRows(r))
	}
	q.Wait()
	if err := src.Push(1); !errors.Is(err, streamsql.ErrPushStopped) {
		t.Fatalf("Push after Stop = %v", err)
	}
	// The source cannot feed another query.
	q2 := ptQuery(t, eng, "SELECT SUM(n) AS s FROM pt_stop()")
	for range q2.Results() {
	}
	if err := q2.Wait(); err == nil || !strings.Contains(err.Error(), "push source pt_stop() fed a query that has stopped") {
		t.Fatalf("second query: %v", err)
	}
}

// Push blocks while the query's results are not received: it does not
// buffer without bound. testing/synctest tells when every goroutine is
// blocked, so no test sleeps.
func TestPushBackpressure(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		eng, fake := ptEngine(false)
		src, err := eng.NewPushSource("pt_backpressure", "n BIGINT")
		if err != nil {
			t.Fatal(err)
		}
		q, err := eng.Query(context.Background(), "SELECT COUNT(*) AS n FROM pt_backpressure()")
		if err != nil {
			t.Fatal(err)
		}
		// 100 batch boundaries have passed: the query has a result for
		// each to hand over, and nobody receives them.
		fake.Set(time.Unix(100, 0))
		const total = 1000
		var pushed atomic.Int64
		errc := make(chan error, 1)
		go func() {
			defer src.Close()
			for i := range total {
				if err := src.Push(i); err != nil {
					errc <- err
					return
				}
				pushed.Add(1)
			}
			errc <- nil
		}()
		synctest.Wait() // every goroutine is blocked
		stuck := pushed.Load()
		if stuck >= total {
			t.Fatalf("all %d rows pushed while no result was received", total)
		}
		// Receiving results lets the pusher go on.
		first := <-q.Results()
		synctest.Wait()
		if pushed.Load() <= stuck {
			t.Fatalf("Push still blocked after a result was received (%d rows pushed)", stuck)
		}
		// The count is a table kept up to date: its last version counts
		// every row.
		var view types.View
		view.Apply(first)
		var final bool
		for r := range q.Results() {
			view.Apply(r)
			final = r.Final
		}
		sum := view.Rows()[0][0].AsInt()
		if err := <-errc; err != nil {
			t.Fatal(err)
		}
		if sum != total || !final {
			t.Fatalf("counted %d rows (final %v), pushed %d", sum, final, total)
		}
		if err := q.Wait(); err != nil {
			t.Fatal(err)
		}
		eng.Stop()
	})
}

// Several queries read one push source through a named stream.
func TestPushSharedThroughStream(t *testing.T) {
	eng, _ := ptEngine(true)
	src := ptSource(t, eng, "pt_shared", "k TEXT, v BIGINT")
	stmts, err := eng.Prepare(`CREATE STREAM pt_s AS SELECT * FROM pt_shared();
		SELECT COUNT(*) AS n FROM pt_s;
		SELECT k, SUM(v) AS total FROM pt_s GROUP BY k`)
	if err != nil {
		t.Fatal(err)
	}
	qs, err := eng.Start(context.Background(), stmts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(eng.Stop)
	ptPush(t, src, "a", 1)
	ptPush(t, src, "b", 2)
	ptPush(t, src, "a", 3)
	src.Close()
	for i, want := range []string{"3\n", "a|4\nb|2\n"} {
		if got := ptRows(ptNext(t, qs[i])); got != want {
			t.Errorf("query %d: %q, want %q", i+1, got, want)
		}
	}
}

// Two queries reading a push source directly: one reads it, the other
// ends with an error saying how to share it.
func TestPushTwoReaders(t *testing.T) {
	eng, _ := ptEngine(true)
	src := ptSource(t, eng, "pt_two", "v BIGINT")
	stmts, err := eng.Prepare("SELECT COUNT(*) AS n FROM pt_two(); SELECT SUM(v) AS s FROM pt_two()")
	if err != nil {
		t.Fatal(err)
	}
	qs, err := eng.Start(context.Background(), stmts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(eng.Stop)
	// One of them fails at once; wait for it before pushing, so both
	// rows go to the other.
	failed := make(chan int, 2)
	for i, q := range qs {
		go func() {
			if q.Wait() != nil {
				failed <- i
			}
		}()
	}
	loser := <-failed
	winner := 1 - loser
	for range qs[loser].Results() {
	}
	if err := qs[loser].Wait(); err == nil || !strings.Contains(err.Error(), "push source pt_two() is already read by another running query; to feed several queries, read it through one CREATE STREAM") {
		t.Fatalf("loser: %v", err)
	}
	ptPush(t, src, 4)
	ptPush(t, src, 5)
	src.Close()
	want := []string{"2\n", "9\n"}[winner]
	if got := ptRows(ptNext(t, qs[winner])); got != want {
		t.Fatalf("query %d: %q, want %q", winner+1, got, want)
	}
}

func TestQueryEach(t *testing.T) {
	eng, fake := ptEngine(false)
	src := ptSource(t, eng, "pt_each", "v BIGINT")
	q := ptQuery(t, eng, "SELECT SUM(v) AS s FROM pt_each() WINDOW 2s")
	var got []string
	seen := make(chan struct{}, 2)
	done := make(chan error, 1)
	go func() {
		done <- q.Each(func(r *streamsql.Result) error {
			got = append(got, fmt.Sprintf("%s final=%v %s", r.Window.End.UTC().Format("15:04:05"), r.Final, strings.TrimSpace(ptRows(r))))
			seen <- struct{}{}
			return nil
		})
	}()
	ptPush(t, src, 1)
	ptPush(t, src, 2)
	fake.Set(time.Unix(3, 0)) // batches at 1s (nothing emitted), 2s (window [0s, 2s)), 3s
	<-seen                    // window [0s, 2s) is out
	ptPush(t, src, 10)        // in batch 3s or 4s: window [2s, 4s) either way
	src.Close()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	want := "00:00:02 final=false 3\n00:00:04 final=true 10"
	if g := strings.Join(got, "\n"); g != want {
		t.Fatalf("Each saw:\n%s\nwant:\n%s", g, want)
	}

	// An error from the callback stops the query and is returned.
	src2 := ptSource(t, eng, "pt_each2", "v BIGINT")
	q2 := ptQuery(t, eng, "SELECT v FROM pt_each2()")
	boom := errors.New("boom")
	go func() {
		for i := 0; ; i++ {
			if src2.Push(i) != nil {
				return
			}
		}
	}()
	fake.Set(time.Unix(5, 0))
	if err := q2.Each(func(*streamsql.Result) error { return boom }); err != boom {
		t.Fatalf("Each = %v, want boom", err)
	}
}

// TestPushDecimal: a DECIMAL column takes integers exactly, floats by
// their shortest text and text spelling a number; sums stay exact.
func TestPushDecimal(t *testing.T) {
	eng, _ := ptEngine(true)
	src := ptSource(t, eng, "pt_prices", "price DECIMAL")
	q := ptQuery(t, eng, "SELECT SUM(price) AS total, MAX(price) AS hi FROM pt_prices()")
	for _, v := range []any{1, 0.1, "0.20", types.Int(3), nil} {
		ptPush(t, src, v)
	}
	if err := src.Push(true); err == nil {
		t.Error("a BOOLEAN was taken as a DECIMAL")
	}
	src.Close()
	if got := ptRows(ptNext(t, q)); got != "4.30|3\n" {
		t.Errorf("got %q, want 4.30|3", got)
	}
}
