package cluster

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestPacerStretchesOverrunBatches: a batch whose commit outlasts the next
// interval is followed by one that ends at the next grid point after the
// commit, with a poll deadline still ahead; the log says so once, then in
// a summary at most every reportEvery.
func TestPacerStretchesOverrunBatches(t *testing.T) {
	var logged []string
	logf := func(format string, args ...any) { logged = append(logged, fmt.Sprintf(format, args...)) }
	every := 500 * time.Millisecond
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	p := newPacer(every, t0.Add(120*time.Millisecond), "stage 1", logf)
	if got := p.End(); !got.Equal(t0.Add(every)) {
		t.Fatalf("first end %v, want %v", got, t0.Add(every))
	}

	// On time: the commit ends inside the next interval.
	p.Next(t0.Add(every + 300*time.Millisecond))
	if got := p.End(); !got.Equal(t0.Add(2 * every)) {
		t.Fatalf("end after an on-time batch %v, want %v", got, t0.Add(2*every))
	}
	if len(logged) != 0 {
		t.Fatalf("logged %q for an on-time batch", logged)
	}

	// The commit ends 0.6 s after the batch's end: past the next end.
	now := t0.Add(2*every + 600*time.Millisecond)
	p.Next(now)
	if got, want := p.End(), t0.Add(4*every); !got.Equal(want) {
		t.Fatalf("end after an overrun %v, want %v", got, want)
	}
	if !p.End().After(now) {
		t.Fatalf("the batch after an overrun ends at %v: not after %v", p.End(), now)
	}
	if len(logged) != 1 || !strings.Contains(logged[0], "overran the 500ms batch interval (closing and committing it took 600ms)") {
		t.Fatalf("logged %q", logged)
	}

	// A commit ending on a grid point's edge: the next batch is a whole
	// interval, not one that ends as it starts.
	now = p.End().Add(every)
	p.Next(now)
	if got, want := p.End(), now.Add(every); !got.Equal(want) {
		t.Fatalf("end after a commit ending on a grid point %v, want %v", got, want)
	}

	// 40 more overruns, a second each: one summary after reportEvery,
	// not a line each.
	for range 40 {
		now = p.End().Add(700 * time.Millisecond)
		p.Next(now)
	}
	if len(logged) != 2 || !strings.Contains(logged[1], "30 of 30 batches since 00:00:01 overran the 500ms batch interval (closing and committing took up to 700ms)") {
		t.Fatalf("logged %d lines, want 2 (the first overrun and one summary):\n%s", len(logged), strings.Join(logged, "\n"))
	}
}
