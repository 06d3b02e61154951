package streamsql_test

import (
	"context"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/streamsql/streamsql"
	"github.com/streamsql/streamsql/clock"
)

// TestConstantQuery runs SELECTs without FROM through the Go API, live
// and bounded: each answers one row, in one emitted result, and ends.
func TestConstantQuery(t *testing.T) {
	for _, c := range []struct{ sql, want string }{
		{"SELECT 1 AS x", "[x]: [[1]]"},
		{"SELECT 1 + 2 AS x, 'a' || 'b' AS y, upper('q') AS z", "[x y z]: [[3 ab Q]]"},
		{"SELECT COUNT(*) AS n", "[n]: [[1]]"},
		{"SELECT 1 AS x WHERE 1 = 0", "[x]: []"},
	} {
		for _, once := range []bool{false, true} {
			fake := clock.NewFake(time.Unix(0, 0).UTC())
			eng := streamsql.New(streamsql.Config{BatchInterval: time.Second, Once: once, Clock: fake, Log: io.Discard})
			q, err := eng.Query(context.Background(), c.sql)
			if err != nil {
				t.Fatalf("%s: %v", c.sql, err)
			}
			var got []string
			for res := range q.Results() { // ends without the clock moving
				if res.Emitted {
					got = append(got, fmt.Sprintf("%v: %v", res.Columns, res.Rows))
				}
			}
			if err := q.Wait(); err != nil {
				t.Errorf("%s (once %v): %v", c.sql, once, err)
			}
			if len(got) != 1 || got[0] != c.want {
				t.Errorf("%s (once %v): emitted %q, want one result %q", c.sql, once, got, c.want)
			}
			eng.Stop()
		}
	}
}
