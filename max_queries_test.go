package streamsql_test

import (
	"context"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/streamsql/streamsql"
	"github.com/streamsql/streamsql/clock"
)

// TestMaxQueries refuses a query beyond the limit with a clear error and
// takes one again once a running query has ended.
func TestMaxQueries(t *testing.T) {
	fake := clock.NewFake(time.Unix(0, 0).UTC())
	eng := streamsql.New(streamsql.Config{Clock: fake, Log: io.Discard, MaxQueries: 2})
	defer eng.Stop()
	ctx := context.Background()
	var qs []*streamsql.Query
	for i := 0; i < 2; i++ {
		q, err := eng.Query(ctx, "SELECT line FROM generate(rate => 1)")
		if err != nil {
			t.Fatal(err)
		}
		qs = append(qs, q)
	}
	_, err := eng.Query(ctx, "SELECT line FROM generate(rate => 1)")
	want := "too many queries: 2 running, 1 more would pass the limit of 2 (--max-queries); stop one first (STOP QUERY n)"
	if !errors.Is(err, streamsql.ErrTooManyQueries) || err.Error() != want {
		t.Fatalf("third query: %v\nwant %s", err, want)
	}
	// A script of two is refused whole when only one fits.
	qs[0].Stop()
	qs[0].Wait()
	for len(eng.Queries()) > 1 { // the engine unlists it as its job ends
		time.Sleep(time.Millisecond)
	}
	stmts, err := eng.Prepare("SELECT line FROM generate(rate => 1); SELECT line FROM generate(rate => 1)")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := eng.Start(ctx, stmts); !errors.Is(err, streamsql.ErrTooManyQueries) {
		t.Fatalf("two more: %v", err)
	}
	if _, err := eng.Query(ctx, "SELECT line FROM generate(rate => 1)"); err != nil {
		t.Fatalf("after one ended: %v", err)
	}
}
