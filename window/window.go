// Package window assigns time to windows and keeps windowed aggregate state.
//
// Windows are aligned to the Unix epoch: a window of length L ending at E
// covers [E-L, E), and windows end at multiples of the slide S (S = L for a
// tumbling window). State is kept per pane, a slice of time of length
// gcd(L, S) that every window covering it shares, so a sliding window is
// the merge of L/pane partial aggregates rather than a rescan of its rows
// (the panes technique of Li et al., "No pane, no gain").
package window

import (
	"fmt"
	"time"

	"github.com/streamsql/streamsql/types"
)

// Spec is a window's length and slide. The zero Spec means no window: each
// batch is aggregated on its own.
type Spec struct {
	Size  time.Duration
	Slide time.Duration // equal to Size for a tumbling window
}

// Tumbling returns a window of length size that does not overlap.
func Tumbling(size time.Duration) Spec { return Spec{size, size} }

// IsZero reports whether there is no window.
func (s Spec) IsZero() bool { return s.Size == 0 }

// Sliding reports whether windows overlap.
func (s Spec) Sliding() bool { return s.Slide < s.Size }

// Pane is the length of the slices of time state is kept in.
func (s Spec) Pane() time.Duration { return gcd(s.Size, s.Slide) }

// Check validates the spec against the batch interval: length and slide
// must be multiples of it (Spark's rule), so every window boundary is a
// batch boundary.
func (s Spec) Check(batch time.Duration) error {
	if s.IsZero() {
		return nil
	}
	if s.Size%batch != 0 {
		return fmt.Errorf("window length %s is not a multiple of the batch interval %s", s.Size, batch)
	}
	if s.Slide%batch != 0 {
		return fmt.Errorf("window slide %s is not a multiple of the batch interval %s", s.Slide, batch)
	}
	if s.Slide > s.Size {
		return fmt.Errorf("window slide %s is longer than the window %s: rows between windows would be lost", s.Slide, s.Size)
	}
	return nil
}

// Due reports whether a window ends at t.
func (s Spec) Due(t time.Time) bool {
	return t.UnixNano()%int64(s.Slide) == 0
}

// Ending returns the window that ends at t.
func (s Spec) Ending(t time.Time) types.Window {
	return types.Window{Start: t.Add(-s.Size), End: t}
}

// PaneOf returns the index of the pane holding instant t.
func (s Spec) PaneOf(t time.Time) int64 {
	return FloorDiv(t.UnixNano(), int64(s.Pane()))
}

// Panes returns the range [first, last] of pane indexes window w covers.
func (s Spec) Panes(w types.Window) (first, last int64) {
	p := int64(s.Pane())
	return FloorDiv(w.Start.UnixNano(), p), FloorDiv(w.End.UnixNano(), p) - 1
}

// FloorDiv is a/b rounded down (toward minus infinity, where Go's / rounds
// toward zero): the index of the pane or window a time falls in, for times
// before 1970 too. Every operator that assigns times to panes uses it.
func FloorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

func gcd(a, b time.Duration) time.Duration {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}
