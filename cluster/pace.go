package cluster

import "time"

// minPoll is the least wall time a poll waits for records: a poll finds
// what the client has already fetched at once, and waits this long at
// most for a fetch under way. A poll whose deadline has passed finds
// nothing at all (franz-go returns at once on a done context), so every
// poll gets it, also one that starts after its batch's end. It is wall
// time, as the fetches are: on a fake clock a batch still ends when the
// clock reaches its end.
const minPoll = 10 * time.Millisecond

// reportEvery is how often, at most, a stage says that its batches
// overrun after it first said so.
const reportEvery = 30 * time.Second

// pacer paces one stage's batches on the grid of the batch interval
// (aligned to the epoch). A batch reads until its end, then closes and
// commits its transaction. When closing and committing take longer than
// the rest of the next interval, the batch overran: the next batch ends
// at the first grid point after the commit, so batches stretch to whole
// intervals and each one still polls what is waiting; none is skipped
// nor shortened to nothing, whatever the commit latency.
type pacer struct {
	every time.Duration
	stage string
	logf  func(format string, args ...any) // with the query's name

	end time.Time // end of the open batch

	// Overruns since the last report.
	batches, overran int
	longest          time.Duration // longest close and commit of an overrun batch
	since, reported  time.Time
}

func newPacer(every time.Duration, now time.Time, stage string, logf func(string, ...any)) *pacer {
	return &pacer{every: every, stage: stage, logf: logf, end: now.Truncate(every).Add(every), since: now}
}

// Start is the start of the open batch.
func (p *pacer) Start() time.Time { return p.end.Add(-p.every) }

// End is the end of the open batch.
func (p *pacer) End() time.Time { return p.end }

// Next opens the batch after the one that ended at End, whose close and
// commit finished at now, and says so in the log when batches overrun.
func (p *pacer) Next(now time.Time) {
	closed := p.end
	p.end = p.end.Add(p.every)
	p.batches++
	if now.Before(p.end) {
		p.report(now)
		return
	}
	took := now.Sub(closed)
	p.overran++
	p.longest = max(p.longest, took)
	p.end = now.Truncate(p.every).Add(p.every)
	if p.reported.IsZero() {
		p.logf("%s: the batch ending %s overran the %v batch interval (closing and committing it took %v): batches stretch to whole intervals, and each still reads what is waiting",
			p.stage, closed.UTC().Format("15:04:05.000"), p.every, took.Round(time.Millisecond))
		p.batches, p.overran, p.longest, p.since, p.reported = 0, 0, 0, now, now
		return
	}
	p.report(now)
}

// report says how many batches overran since the last report, at most
// every reportEvery.
func (p *pacer) report(now time.Time) {
	if p.overran == 0 || now.Sub(p.reported) < reportEvery {
		return
	}
	p.logf("%s: %d of %d batches since %s overran the %v batch interval (closing and committing took up to %v)",
		p.stage, p.overran, p.batches, p.since.UTC().Format("15:04:05"), p.every, p.longest.Round(time.Millisecond))
	p.batches, p.overran, p.longest, p.since, p.reported = 0, 0, 0, now, now
}
