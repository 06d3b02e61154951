package operators

import (
	"fmt"
	"math/rand"
	"sort"
	"testing"
	"time"

	"github.com/streamsql/streamsql/agg"
	"github.com/streamsql/streamsql/expr"
	"github.com/streamsql/streamsql/types"
	"github.com/streamsql/streamsql/window"
)

type collector struct {
	rows    []types.Row
	emitted int
	late    int64
}

func (c *collector) Push(rows []types.Row) error { c.rows = append(c.rows, rows...); return nil }
func (c *collector) EndBatch(b *BatchEnd) error {
	if b.Emitted {
		c.emitted++
	}
	c.late += b.Late
	return nil
}

type event struct {
	key string
	ts  int64 // ms
}

// bruteForce applies the event-time rule directly to the raw rows: a row
// counts in each of its windows the watermark has not yet passed when it
// arrives; a row with none is late.
func bruteForce(events []event, size, slide, lateness int64) (map[string]int64, int64) {
	counts := map[string]int64{}
	var late int64
	wm, seen := int64(0), false
	for _, e := range events {
		t := e.ts * int64(time.Millisecond)
		counted := false
		for k := floorDiv(t, slide); k*slide+size > t; k-- {
			end := k*slide + size
			if seen && end <= wm {
				continue
			}
			counts[fmt.Sprintf("%d|%s", k*slide, e.key)]++
			counted = true
		}
		if !counted {
			late++
		}
		if !seen || t-lateness > wm {
			wm, seen = t-lateness, true
		}
	}
	return counts, late
}

// runEventWindow feeds events to an EventWindow in batches of random size
// and returns what it emitted, keyed "windowStart|key".
func runEventWindow(t *testing.T, rng *rand.Rand, events []event, size, slide, lateness int64) (map[string]int64, int64) {
	t.Helper()
	count, _ := agg.New("count", nil, false)
	col := &collector{}
	op := &EventWindow{
		Grouping:       Grouping{Keys: []expr.Func{expr.Column(0)}, Aggs: []agg.Func{count}},
		EventWatermark: EventWatermark{Time: expr.Column(1), Lateness: time.Duration(lateness)},
		Window:         window.Spec{Size: time.Duration(size), Slide: time.Duration(slide)},
		Next:           col,
	}
	batch := time.Unix(0, 0)
	for i := 0; i < len(events); {
		var rows []types.Row
		for n := 1 + rng.Intn(5); n > 0 && i < len(events); n, i = n-1, i+1 {
			rows = append(rows, types.Row{types.Text(events[i].key), types.Int(events[i].ts)})
		}
		op.Push(rows)
		batch = batch.Add(time.Second)
		op.EndBatch(&BatchEnd{Start: batch.Add(-time.Second), Time: batch, Emitted: true})
	}
	op.EndBatch(&BatchEnd{Start: batch, Time: batch.Add(time.Second), Emitted: true, Final: true})
	got := map[string]int64{}
	for _, r := range col.rows {
		k := fmt.Sprintf("%d|%s", r[2].AsTime().UnixNano(), r[0].AsText())
		if _, dup := got[k]; dup {
			t.Fatalf("window %s emitted twice", k)
		}
		got[k] = r[1].AsInt()
	}
	return got, col.late
}

// TestEventWindowEqualsBruteForce checks random out-of-order streams, cut
// into random batches, against the brute-force recount, and checks that
// two different batchings give the same answer.
func TestEventWindowEqualsBruteForce(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	for trial := 0; trial < 300; trial++ {
		slide := int64(1+rng.Intn(4)) * int64(time.Second)
		size := slide * int64(1+rng.Intn(4))
		lateness := int64(rng.Intn(6)) * int64(time.Second)
		var events []event
		base := int64(0)
		for n := rng.Intn(60); n > 0; n-- {
			base += int64(rng.Intn(1500))
			ts := base - int64(rng.Intn(8000)) // out of order, by up to 8s
			events = append(events, event{string(rune('a' + rng.Intn(3))), ts})
		}
		want, wantLate := bruteForce(events, size, slide, lateness)
		for cut := 0; cut < 2; cut++ {
			got, late := runEventWindow(t, rng, events, size, slide, lateness)
			if fmt.Sprint(sorted(got)) != fmt.Sprint(sorted(want)) || late != wantLate {
				t.Fatalf("trial %d (size %v slide %v lateness %v)\n got %v late %d\nwant %v late %d",
					trial, time.Duration(size), time.Duration(slide), time.Duration(lateness), sorted(got), late, sorted(want), wantLate)
			}
		}
	}
}

func sorted(m map[string]int64) []string {
	var out []string
	for k, v := range m {
		out = append(out, fmt.Sprintf("%s=%d", k, v))
	}
	sort.Strings(out)
	return out
}
