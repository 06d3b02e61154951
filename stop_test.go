package streamsql_test

import (
	"context"
	"io"
	"testing"
	"time"

	"github.com/streamsql/streamsql"
	"github.com/streamsql/streamsql/clock"
	"github.com/streamsql/streamsql/formats"
	"github.com/streamsql/streamsql/sources"
	"github.com/streamsql/streamsql/types"
)

// TestStopOneOfSharedQueries stops one of two queries that share a
// receiver: it gets a final result and ends; the other keeps running.
func TestStopOneOfSharedQueries(t *testing.T) {
	fake := clock.NewFake(time.Unix(0, 0).UTC())
	eng := streamsql.New(streamsql.Config{BatchInterval: time.Second, Clock: fake, Log: io.Discard})
	stmts, err := eng.Prepare(`CREATE STREAM w AS SELECT word FROM test();
		SELECT COUNT(*) AS n FROM w; SELECT word FROM w`)
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
	defer eng.Stop()
	next := func(q *streamsql.Query) *streamsql.Result {
		select {
		case r, ok := <-q.Results():
			if !ok {
				return nil
			}
			return r
		case <-time.After(10 * time.Second):
			t.Fatal("no result")
		}
		return nil
	}
	f := feedLines([]string{"a b"})
	src.feed <- f
	<-f.done
	fake.Set(time.Unix(1, 0))
	if r := next(qs[0]); r.Rows[0][0].AsInt() != 2 {
		t.Fatalf("count %v", r.Rows)
	}
	next(qs[1])

	qs[0].Stop()
	f = feedLines([]string{"c"})
	src.feed <- f
	<-f.done
	fake.Set(time.Unix(2, 0))
	// The count is kept over all input: 2 words, then one more.
	if r := next(qs[0]); r == nil || !r.Final || r.Rows[0][0].AsInt() != 3 {
		t.Fatalf("stopped query's last result: %+v", r)
	}
	if r := next(qs[0]); r != nil {
		t.Fatalf("stopped query still emits: %+v", r)
	}
	if r := next(qs[1]); r == nil || r.Final || len(r.Rows) != 1 || r.Rows[0][0].AsText() != "c" {
		t.Fatalf("the other query: %+v", r)
	}
	fake.Set(time.Unix(3, 0))
	if r := next(qs[1]); r == nil || r.Final {
		t.Fatalf("the other query ended: %+v", r)
	}
}

// TestCancelAbandons checks that cancelling the context ends a query
// without a final result, unlike Stop.
func TestCancelAbandons(t *testing.T) {
	fake := clock.NewFake(time.Unix(0, 0).UTC())
	eng := streamsql.New(streamsql.Config{BatchInterval: time.Second, Clock: fake, Log: io.Discard})
	ctx, cancel := context.WithCancel(context.Background())
	q, err := eng.Query(ctx, "SELECT word, COUNT(*) FROM test() GROUP BY word WINDOW 10s")
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	for r := range q.Results() {
		if r.Emitted {
			t.Errorf("abandoned query emitted %+v", r)
		}
	}
	if err := q.Wait(); err != context.Canceled {
		t.Errorf("Wait = %v, want context.Canceled", err)
	}
}

// heldSource holds three rows until its context is cancelled, then hands
// them over: what a source with acknowledged rows queued (http) does when
// the query stops.
type heldSource struct{ dec formats.Decoder }

func init() {
	sources.Register(&sources.Spec{Name: "held", Usage: "held()", Open: func(a sources.Args) (sources.Source, error) {
		dec, err := formats.NewDecoder("text")
		return &heldSource{dec}, err
	}})
}

func (s *heldSource) Schema() sources.Schema   { return s.dec.Schema() }
func (s *heldSource) Bind(cols []string) error { return s.dec.Bind(cols) }
func (s *heldSource) Bounded() bool            { return false }
func (s *heldSource) Describe() string         { return "held()" }
func (s *heldSource) Run(ctx context.Context, out sources.Emitter) error {
	<-ctx.Done()
	return out.Emit([]types.Row{{types.Text("a")}, {types.Text("b")}, {types.Text("c")}})
}

// TestStopTakesWhatSourcesHold stops a query gracefully: rows its source
// hands over after being told to stop are in the final result.
func TestStopTakesWhatSourcesHold(t *testing.T) {
	fake := clock.NewFake(time.Unix(0, 0).UTC())
	eng := streamsql.New(streamsql.Config{BatchInterval: time.Second, Clock: fake, Log: io.Discard})
	q, err := eng.Query(context.Background(), "SELECT COUNT(*) AS n FROM held()")
	if err != nil {
		t.Fatal(err)
	}
	q.Stop()
	var last *streamsql.Result
	for r := range q.Results() {
		last = r
	}
	if err := q.Wait(); err != nil {
		t.Fatal(err)
	}
	if last == nil || !last.Final || len(last.Rows) != 1 || last.Rows[0][0].AsInt() != 3 {
		t.Fatalf("final result %+v, want n = 3", last)
	}
}
