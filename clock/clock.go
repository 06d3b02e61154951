// Package clock gives the scheduler its notion of time. Production code uses
// the wall clock; tests use a Fake clock they move by hand, so no test ever
// sleeps waiting for a batch to close.
package clock

import (
	"sync"
	"time"
)

// Clock tells the time and wakes a waiter when a moment has come.
type Clock interface {
	Now() time.Time
	// At returns a channel that receives the clock's time once it has
	// reached t. If t has already passed, the channel is ready at once.
	At(t time.Time) <-chan time.Time
}

// Real is the wall clock.
type Real struct{}

func (Real) Now() time.Time { return time.Now() }

func (Real) At(t time.Time) <-chan time.Time {
	ch := make(chan time.Time, 1)
	d := time.Until(t)
	if d <= 0 {
		ch <- time.Now()
		return ch
	}
	time.AfterFunc(d, func() { ch <- time.Now() })
	return ch
}

// Fake is a clock that only moves when Set or Advance is called.
type Fake struct {
	mu      sync.Mutex
	now     time.Time
	waiters []waiter
}

type waiter struct {
	at time.Time
	ch chan time.Time
}

// NewFake returns a fake clock reading start.
func NewFake(start time.Time) *Fake { return &Fake{now: start} }

func (f *Fake) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

func (f *Fake) At(t time.Time) <-chan time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	ch := make(chan time.Time, 1)
	if !t.After(f.now) {
		ch <- f.now
		return ch
	}
	f.waiters = append(f.waiters, waiter{t, ch})
	return ch
}

// Set moves the clock to t (never backwards) and wakes every waiter whose
// moment has come.
func (f *Fake) Set(t time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if t.Before(f.now) {
		return
	}
	f.now = t
	kept := f.waiters[:0]
	for _, w := range f.waiters {
		if !w.at.After(t) {
			w.ch <- t
		} else {
			kept = append(kept, w)
		}
	}
	f.waiters = kept
}

// Advance moves the clock forward by d.
func (f *Fake) Advance(d time.Duration) { f.Set(f.Now().Add(d)) }
