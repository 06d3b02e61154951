package streamsql_test

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"testing"

	"github.com/streamsql/streamsql"
)

// Preparing a query costs memory (and time) in proportion to its length:
// a query four times as long allocates about four times as much, not 16
// or 64 times (printing every subexpression to compare it with GROUP BY
// keys made a 400-term sum take 20 s to plan). Allocated bytes count the
// work without a clock.
func TestPrepareCostIsLinear(t *testing.T) {
	cases := map[string]func(n int) string{
		"sum": func(n int) string {
			return "SELECT " + strings.Repeat("1+", n-1) + "1 AS x FROM generate(limit => 1)"
		},
		"and": func(n int) string {
			return "SELECT 1 AS x FROM generate(limit => 1) WHERE " + strings.Repeat("TRUE AND ", n-1) + "TRUE"
		},
		"in": func(n int) string {
			return "SELECT 1 IN (" + strings.Repeat("1,", n-1) + "1) AS x FROM generate(limit => 1)"
		},
		"grouped": func(n int) string {
			return "SELECT sensor, SUM(" + strings.Repeat("temp*", n-1) + "temp) + " + strings.Repeat("COUNT(*)+", n-1) +
				"1 AS x FROM generate(kind => 'sensors', limit => 1) GROUP BY sensor WINDOW 1s"
		},
	}
	for name, query := range cases {
		t.Run(name, func(t *testing.T) {
			small, large := prepareBytes(t, query(500)), prepareBytes(t, query(2000))
			if ratio := float64(large) / float64(small); ratio > 8 {
				t.Errorf("a query 4 times as long allocated %.1f times as much (%d bytes, then %d)", ratio, small, large)
			}
		})
	}
}

func prepareBytes(t *testing.T, q string) uint64 {
	t.Helper()
	eng := streamsql.New(streamsql.Config{Once: true})
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	if _, err := eng.Prepare(q); err != nil {
		t.Fatalf("%.80s...: %v", q, err)
	}
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// PrepareContext gives up on a context that is done.
func TestPrepareContextCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	eng := streamsql.New(streamsql.Config{Once: true})
	if _, err := eng.PrepareContext(ctx, "SELECT 1 AS x"); !errors.Is(err, context.Canceled) {
		t.Errorf("got %v, want context.Canceled", err)
	}
}
