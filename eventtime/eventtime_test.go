package eventtime

import (
	"fmt"
	"math"
	"strings"
	"testing"
	"time"
)

const s = int64(time.Second)

// at renders a mark in seconds, "-" for math.MinInt64.
func at(m int64) string {
	if m == math.MinInt64 {
		return "-"
	}
	return fmt.Sprint(time.Duration(m))
}

// TestWatermark runs scripts of rows and batch ends and checks the mark
// after each step. A step is "row S T" (a row of split S at T seconds; S
// "-" for an untagged source), "split S" (announce split S), "batch A B"
// (close the batch [A, B) seconds), "batch A B pending", "batch A B
// recovering".
func TestWatermark(t *testing.T) {
	for _, c := range []struct {
		name     string
		lateness time.Duration
		steps    string // step => mark, ...
	}{
		{"lateness 0: the largest time", 0,
			"row - 5 => 5s; row - 3 => 5s; row - 9 => 9s"},
		{"lateness: the largest time minus it, never back", 2 * time.Second,
			"row - 10 => 8s; row - 7 => 8s; row - 12 => 10s"},
		{"a quiet source moves on with the clock after max(lateness, batch)", 2 * time.Second,
			"row - 10 => 8s; batch 0 1 => 8s; batch 1 2 => 8s; batch 2 3 => 10s; batch 3 4 => 11s; row - 11 => 11s; batch 4 5 => 11s"},
		{"an upstream holding rows (pending) is not quiet", 2 * time.Second,
			"row - 10 => 8s; batch 0 1 => 8s; batch 1 2 pending => 8s; batch 2 3 pending => 8s; batch 3 4 => 8s"},
		{"recovering batches neither start nor count the idle clock", 0,
			"row - 10 => 10s; batch 0 1 recovering => 10s; batch 1 2 recovering => 10s; batch 2 3 => 10s; batch 3 4 => 11s"},
		{"lateness 0, batch 1s: quiet after one batch", 0,
			"row - 10 => 10s; batch 0 1 => 10s; batch 1 2 => 11s"},
		{"a split waits for an announced one; the mark never goes back", 0,
			"split 0 => -; row 0 10 => 10s; split 1 => 10s; row 0 12 => 10s; row 1 4 => 10s; row 1 20 => 12s"},
		{"a split that has not had a row holds the mark", 0,
			"split 0 => -; split 1 => -; row 0 10 => -; row 1 3 => 3s"},
		{"a quiet split no longer holds the others; it never goes back", 1 * time.Second,
			"split 0 => -; row 0 10 => 9s; split 1 => 9s; row 1 2 => 9s; batch 0 1 => 9s; split 0 => 9s; row 0 15 => 9s; batch 1 2 => 14s; split 0 => 14s; row 0 16 => 15s; batch 2 3 => 15s; split 1 => 15s; row 1 3 => 15s"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var w Watermark
			w.Lateness = c.lateness
			for _, st := range strings.Split(c.steps, "; ") {
				step, want, _ := strings.Cut(st, " => ")
				f := strings.Fields(step)
				switch f[0] {
				case "row":
					if f[1] != "-" {
						w.SetSplit(int32(atoi(f[1])))
					}
					w.Arrive()
					w.Observe(int64(atoi(f[2])) * s)
				case "split":
					w.SetSplit(int32(atoi(f[1])))
				case "batch":
					a, b := time.Unix(int64(atoi(f[1])), 0), time.Unix(int64(atoi(f[2])), 0)
					w.EndBatch(a, b, len(f) > 3 && f[3] == "pending", len(f) > 3 && f[3] == "recovering")
				}
				if got := at(w.Mark()); got != want {
					t.Fatalf("after %q: mark %s, want %s (script %s)", step, got, want, c.steps)
				}
			}
		})
	}
}

// TestWatermarkState: a restored watermark has the saved mark, and an idle
// clock that starts over.
func TestWatermarkState(t *testing.T) {
	w := Watermark{Lateness: time.Second}
	w.Arrive()
	w.Observe(10 * s)
	w.EndBatch(time.Unix(0, 0), time.Unix(1, 0), false, false)
	var r Watermark
	r.Lateness = time.Second
	r.Restore(w.State())
	if r.Mark() != 9*s || !r.Seen() {
		t.Fatalf("restored mark %s", at(r.Mark()))
	}
	// The first batch after a restart only starts the idle clock.
	r.EndBatch(time.Unix(50, 0), time.Unix(51, 0), false, false)
	if r.Mark() != 9*s {
		t.Fatalf("mark %s after the first batch of a restart, want 9s", at(r.Mark()))
	}
}

// TestSides: the join's mark waits for both sides, leaves out a side
// that never had rows once idle, and moves an idle side with rows on
// with its quiet time.
func TestSides(t *testing.T) {
	sd := Sides{Lateness: 3 * time.Second} // idle after 3s of 1s batches
	step := func(what string, want string) {
		t.Helper()
		if got := at(sd.Mark()); got != want {
			t.Fatalf("after %s: mark %s, want %s", what, got, want)
		}
	}
	sd.Arrive(0)
	sd.Observe(0, 10*s)
	step("a left row at 10s", "-") // the right side has sent nothing and is not idle
	sd.EndBatch(time.Second)
	step("one batch", "-")
	sd.SetPending(1, true)
	sd.EndBatch(time.Second)
	step("a batch with the right side's upstream pending", "-")
	sd.SetPending(1, false)
	sd.EndBatch(time.Second)
	step("left quiet 2s, right 1s", "-")
	sd.EndBatch(time.Second)
	step("left idle (3s), right quiet 2s", "-")
	sd.EndBatch(time.Second)
	step("left idle 4s with rows (10s + 4s - 3s), right idle without rows", "11s")
	sd.Arrive(1)
	sd.Observe(1, 5*s)
	step("a right row at 5s: the floor keeps the mark", "11s")
	sd.Arrive(0)
	sd.Observe(0, 30*s)
	sd.Arrive(1)
	sd.Observe(1, 20*s)
	if got := sd.EndBatch(time.Second); got != 17*s {
		t.Fatalf("batch closed at %s, want 17s", at(got))
	}
	if side, max := sd.Holding(); side != 1 || max != 20*s {
		t.Fatalf("holding %d at %s, want the right side at 20s", side, at(max))
	}
}

// TestPartitions: the mark a member reports per partition, and stage 2's
// least mark over them.
func TestPartitions(t *testing.T) {
	t0 := time.Unix(1000, 0)
	idleAfter := PartitionIdleAfter(2*time.Second, time.Second) // 3s
	for _, c := range []struct {
		name     string
		p        Partition
		now      time.Time
		caughtUp bool
		want     string
	}{
		{"no row, just assigned", Partition{Assigned: t0}, t0.Add(time.Second), true, "none"},
		{"no row, quiet but not read to its end", Partition{Assigned: t0}, t0.Add(5 * time.Second), false, "none"},
		{"no row, quiet and read to its end", Partition{Assigned: t0}, t0.Add(5 * time.Second), true, "idle"},
		{"rows: largest minus lateness", Partition{Seen: true, Max: 10 * s, LastRow: t0}, t0.Add(time.Second), true, "8s"},
		{"quiet, not caught up: no clock", Partition{Seen: true, Max: 10 * s, LastRow: t0}, t0.Add(10 * time.Second), false, "8s"},
		{"quiet and caught up: follows the clock", Partition{Seen: true, Max: 10 * s, LastRow: t0}, t0.Add(10 * time.Second), true, "15s"},
	} {
		at0, idle, ok := c.p.Mark(c.now, 2*time.Second, idleAfter, c.caughtUp)
		got := "none"
		switch {
		case ok && idle:
			got = "idle"
		case ok:
			got = at(at0)
		}
		if got != c.want {
			t.Errorf("%s: %s, want %s", c.name, got, c.want)
		}
	}

	type mk struct {
		at             int64
		idle, reported bool
	}
	for _, c := range []struct {
		marks []mk
		want  string
	}{
		{[]mk{{30 * s, false, true}, {12 * s, false, true}, {0, false, false}}, "none"},
		{[]mk{{30 * s, false, true}, {12 * s, false, true}, {9 * s, false, true}}, "9s"},
		{[]mk{{30 * s, false, true}, {0, true, true}, {25 * s, false, true}}, "25s"},
		{[]mk{{0, true, true}, {0, true, true}}, "none"},
	} {
		w, ok := Least(int32(len(c.marks)), func(i int32) (int64, bool, bool) {
			m := c.marks[i]
			return m.at, m.idle, m.reported
		})
		got := "none"
		if ok {
			got = at(w)
		}
		if got != c.want {
			t.Errorf("Least(%v) = %s, want %s", c.marks, got, c.want)
		}
	}
}

func atoi(x string) int {
	var n int
	fmt.Sscan(x, &n)
	return n
}
