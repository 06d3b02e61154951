package eventtime

import (
	"math"
	"time"
)

// Partition is what a cluster member knows of the event time of one input
// partition it reads: the largest time read since it got the partition,
// when it last read a row, and when it got the partition.
type Partition struct {
	Seen     bool
	Max      int64 // ns
	LastRow  time.Time
	Assigned time.Time
}

// Observe takes the event time of a row of the partition, in ns.
func (p *Partition) Observe(t int64) {
	if !p.Seen || t > p.Max {
		p.Max, p.Seen = t, true
	}
}

// PartitionIdleAfter is how long a partition must be quiet before its
// mark follows the clock: the lateness plus a batch (longer than
// IdleAfter: a batch of the cluster also spans a transaction's commit).
func PartitionIdleAfter(lateness, batch time.Duration) time.Duration {
	return max(lateness+batch, batch)
}

// Quiet reports whether the partition has sent nothing for idleAfter at
// now (or has had no row since it was assigned that long ago).
func (p *Partition) Quiet(now time.Time, idleAfter time.Duration) bool {
	if p.Seen {
		return now.Sub(p.LastRow) > idleAfter
	}
	return now.Sub(p.Assigned) > idleAfter
}

// Mark is the mark a member reports for the partition at now: its largest
// time minus the lateness; once quiet for idleAfter and caughtUp (read to
// its end, so quiet is not a new owner waiting for the previous one's
// transaction), a mark that follows the clock from there, or idle for a
// partition that never had a row. ok is false when there is nothing to
// report yet.
func (p *Partition) Mark(now time.Time, lateness, idleAfter time.Duration, caughtUp bool) (at int64, idle, ok bool) {
	switch {
	case p.Seen && (now.Sub(p.LastRow) <= idleAfter || !caughtUp):
		return p.Max - int64(lateness), false, true
	case p.Seen:
		return p.Max - int64(lateness) + int64(now.Sub(p.LastRow)-idleAfter), false, true
	case now.Sub(p.Assigned) > idleAfter && caughtUp:
		return 0, true, true
	}
	return 0, false, false
}

// Least combines the marks of n partitions (mark(i) says partition i's
// mark, or that it is idle, or that it has not reported): the least mark
// of those not idle. ok is false while a partition has not reported, or
// when every partition is idle.
func Least(n int32, mark func(i int32) (at int64, idle, reported bool)) (int64, bool) {
	w, any := int64(math.MaxInt64), false
	for i := int32(0); i < n; i++ {
		at, idle, reported := mark(i)
		if !reported {
			return 0, false
		}
		if idle {
			continue
		}
		w, any = min(w, at), true
	}
	return w, any
}
