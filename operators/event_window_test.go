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
		for k := window.FloorDiv(t, slide); k*slide+size > t; k-- {
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
	defer func(n int) { forgetSlack = n }(forgetSlack)
	rng := rand.New(rand.NewSource(7))
	for trial := 0; trial < 400; trial++ {
		slide := int64(1+rng.Intn(4)) * int64(time.Second)
		size := slide * int64(1+rng.Intn(4))
		if trial%2 == 1 {
			// Up to 16 panes a window (a sliding window's front is kept
			// in chunks of about √panes), and sizes that are no multiple
			// of the slide (panes of their gcd).
			size = int64(1+rng.Intn(16)) * int64(time.Second)
			slide = min(size, int64(1+rng.Intn(4))*int64(time.Second))
		}
		lateness := int64(rng.Intn(6)) * int64(time.Second)
		var events []event
		base := int64(0)
		for n := rng.Intn(60 + trial%2*100); n > 0; n-- {
			base += int64(rng.Intn(1500))
			ts := base - int64(rng.Intn(8000)) // out of order, by up to 8s
			events = append(events, event{string(rune('a' + rng.Intn(3+trial%2*3))), ts})
		}
		want, wantLate := bruteForce(events, size, slide, lateness)
		// A sliding window's slider forgets keys that left it when it
		// holds more than forgetSlack of them: now and then, or always.
		forgetSlack = []int{0, 1, 1024}[trial%3]
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

// TestSplitWatermark: with rows tagged by split (Kafka partitions), the
// watermark is the least of the splits', so a split read ahead does not
// make another's rows late; a split announced without rows holds windows
// back until it has one or has been quiet for the lateness (and a batch).
func TestSplitWatermark(t *testing.T) {
	count, _ := agg.New("count", nil, false)
	out := &collector{}
	e := &EventWindow{Grouping: Grouping{Keys: []expr.Func{expr.Column(0)}, Aggs: []agg.Func{count}},
		EventWatermark: EventWatermark{Time: expr.Column(1), Lateness: 3 * time.Second},
		Window:         window.Tumbling(10 * time.Second), Next: out}
	row := func(k string, sec int64) types.Row { return types.Row{types.Text(k), types.Int(sec * 1000)} }
	push := func(split int32, rows ...types.Row) {
		e.SetSplit(split)
		if err := e.Push(rows); err != nil {
			t.Fatal(err)
		}
	}
	// end closes the batch and reports the rows emitted in it (windows
	// are handed on as they close, during the batch's pushes too).
	end := func(at int64) string {
		b := &BatchEnd{Start: time.UnixMilli((at - 1) * 1000), Time: time.UnixMilli(at * 1000), Emitted: true}
		if err := e.EndBatch(b); err != nil {
			t.Fatal(err)
		}
		var s []string
		for _, r := range out.rows {
			s = append(s, fmt.Sprintf("%v:%v", r[0], r[1]))
		}
		out.rows = nil
		sort.Strings(s)
		return fmt.Sprint(s, " late=", out.late)
	}
	e.SetSplit(2) // announced, no rows yet
	push(0, row("a", 1), row("a", 25))
	push(1, row("b", 3))
	if got := end(1); got != "[] late=0" {
		t.Fatalf("split 2 has no row yet, nothing may close: %s", got)
	}
	push(0, row("a", 26))
	push(2, row("c", 4), row("c", 40))
	push(1, row("b", 5)) // 21 s behind split 0: not late
	if got := end(2); got != "[] late=0" {
		t.Fatalf("split 1 is at 5s: %s", got)
	}
	push(0, row("a", 27))
	push(2, row("c", 41))
	push(1, row("b", 14))
	if got := end(3); got != "[a:1 b:2 c:1] late=0" {
		t.Fatalf("every split past 10s: %s", got)
	}
	push(1, row("b", 6)) // split 1's own watermark passed 10s: late
	push(0, row("a", 28))
	push(2, row("c", 42))
	if got := end(4); got != "[] late=1" {
		t.Fatalf("late row of split 1: %s", got)
	}
	// Split 1 stays quiet: once quiet for the lateness (3 s of batches
	// since its last row, in batch 3), splits 0 and 2 decide: split 0's
	// 34s - 3s closes [10s, 20s) and [20s, 30s).
	push(0, row("a", 33))
	push(2, row("c", 43))
	if got := end(5); got != "[] late=1" {
		t.Fatalf("split 1 quiet for 2s: %s", got)
	}
	push(0, row("a", 34))
	push(2, row("c", 44))
	if got := end(6); got != "[a:4 b:1] late=1" {
		t.Fatalf("split 1 quiet long enough: %s", got)
	}
}
