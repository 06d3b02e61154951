package eventtime

import (
	"math"
	"time"
)

// Sides is the event time of a join of two streams. The mark is the
// least of the sides' largest times minus the lateness, and it never goes
// back (the floor is where the last batch closed). A side that sent
// nothing for IdleAfter is idle: with rows, it holds the mark at its
// largest time plus how long it has been quiet, so the other side's rows
// are not held forever; without rows, it is left out. A side whose
// upstream still holds rows for later (pending) is not quiet. Side 0 is
// the left one.
type Sides struct {
	Lateness time.Duration

	max     [2]int64 // largest time seen on each side
	seen    [2]bool
	arrived [2]bool          // rows came on the side in the open batch
	pending [2]bool          // the side's upstream holds rows for later
	quiet   [2]time.Duration // how long the side has sent nothing
	idle    [2]bool
	floor   int64 // the mark the last batch closed at
	started bool  // floor is set
}

// Mark is the join's watermark in ns (math.MinInt64 while a side that is
// not idle has sent nothing, and no batch has closed with a mark).
func (s *Sides) Mark() int64 {
	floor := s.Floor()
	w, live := int64(math.MaxInt64), false
	for i := range s.max {
		switch {
		case s.seen[i] && s.idle[i]:
			w = min(w, s.max[i]+int64(s.quiet[i]))
		case s.seen[i]:
			w = min(w, s.max[i])
		case s.idle[i]:
			continue
		default:
			return floor
		}
		live = true
	}
	if !live {
		return floor
	}
	return max(SatSub(w, int64(s.Lateness)), floor)
}

// Floor is the mark the last batch closed at (math.MinInt64 before).
func (s *Sides) Floor() int64 {
	if !s.started {
		return math.MinInt64
	}
	return s.floor
}

// Arrive records that rows came on side in the open batch.
func (s *Sides) Arrive(side int) { s.arrived[side], s.idle[side] = true, false }

// Observe takes the event time of a row of side, in ns.
func (s *Sides) Observe(side int, t int64) {
	if !s.seen[side] || t > s.max[side] {
		s.max[side], s.seen[side] = t, true
	}
}

// SetPending says whether side's upstream holds rows it will push in a
// later batch (so the side is working, not quiet).
func (s *Sides) SetPending(side int, pending bool) { s.pending[side] = pending }

// EndBatch closes a batch of the given length: sides that sent nothing
// grow quieter, and the mark the batch closes at becomes the floor,
// which it returns.
func (s *Sides) EndBatch(batch time.Duration) int64 {
	for i := range s.arrived {
		if s.arrived[i] || s.pending[i] {
			s.quiet[i] = 0
		} else {
			s.quiet[i] += batch
		}
		s.arrived[i] = false
		s.idle[i] = batch > 0 && s.quiet[i] >= IdleAfter(s.Lateness, batch)
	}
	s.floor, s.started = s.Mark(), true
	return s.floor
}

// Holding is the side holding the mark back (the live side with the
// least largest time), -1 when none has rows and is live, and that
// side's largest time.
func (s *Sides) Holding() (side int, at int64) {
	side = -1
	for i := range s.max {
		if !s.seen[i] || s.idle[i] {
			continue
		}
		if side < 0 || s.max[i] < s.max[side] {
			side = i
		}
	}
	if side < 0 {
		return -1, 0
	}
	return side, s.max[side]
}

// SatSub is a - b, clamped to the int64 range instead of wrapping.
func SatSub(a, b int64) int64 {
	if b > 0 && a < math.MinInt64+b {
		return math.MinInt64
	}
	if b < 0 && a > math.MaxInt64+b {
		return math.MaxInt64
	}
	return a - b
}
