// Package ratelog keeps a flood of like messages from flooding the log:
// the first few are printed whole, the rest are counted and summed up in
// one line at most every so often. A query fed ten million malformed
// records logs a hundred of them and a summary every ten seconds, not
// gigabytes.
package ratelog

import (
	"fmt"
	"sync"
	"time"
)

// Limiter passes the first Burst messages to Logf, then counts the others
// and prints a summary (how many, and the latest) when a message comes at
// least Every after the previous summary, and on Flush. Safe for
// concurrent use.
type Limiter struct {
	Logf  func(format string, args ...any)
	Now   func() time.Time // the clock summaries are paced by
	Burst int
	Every time.Duration
	// What names the messages in a summary: "malformed records".
	What string
	// Prefix starts each message shown whole ("skipped malformed record:
	// "), not the summary, which says What instead.
	Prefix string

	mu         sync.Mutex
	printed    int
	suppressed int
	latestF    string // the latest message counted, formatted only when shown
	latestA    []any
	last       time.Time // of the last summary, or the last printed message
}

// Printf prints the message, or counts it once Burst were printed.
func (l *Limiter) Printf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.Now()
	if l.printed < l.Burst {
		l.printed++
		l.last = now
		l.Logf(l.Prefix+format, args...)
		if l.printed == l.Burst {
			l.Logf("(after %d %s the log shows only a count every %s)", l.Burst, l.What, l.Every)
		}
		return
	}
	l.suppressed++
	l.latestF, l.latestA = format, args
	if now.Sub(l.last) >= l.Every {
		l.summaryLocked(now)
	}
}

// Flush prints the summary of the messages counted since the last one.
func (l *Limiter) Flush() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.summaryLocked(l.Now())
}

func (l *Limiter) summaryLocked(now time.Time) {
	if l.suppressed == 0 {
		return
	}
	l.Logf("%d more %s not shown; the latest: %s", l.suppressed, l.What, fmt.Sprintf(l.latestF, l.latestA...))
	l.suppressed, l.latestF, l.latestA, l.last = 0, "", nil, now
}
