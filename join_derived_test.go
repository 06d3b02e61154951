package streamsql_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/streamsql/streamsql"
	"github.com/streamsql/streamsql/clock"
	"github.com/streamsql/streamsql/types"
)

// q5 is Nexmark's query 5 (the hottest auctions) in streamsql: counts is
// the number of bids per auction in 10 s windows sliding by 2 s, maxes the
// largest of those counts per window (a 2 s window over the counts' window
// start holds one sliding window's counts), and the join keeps the
// auctions whose count is the window's largest. Both sides of the join
// derive from one stream, and the maxes side produces one slide after the
// counts side it depends on.
const q5 = `CREATE STREAM counts AS
  SELECT auction, COUNT(*) AS num, window_start AS starttime, window_end AS endtime
  FROM test('bids', format => 'jsonl') GROUP BY auction WINDOW 10s SLIDE 2s EVENT TIME ts;
CREATE STREAM maxes AS
  SELECT MAX(num) AS maxn, window_start AS mstart FROM counts WINDOW 2s EVENT TIME starttime;
SELECT c.auction, c.num, c.starttime, c.endtime
FROM counts AS c JOIN maxes AS m WITHIN 1ms EVENT TIME c.starttime, m.mstart
  ON c.starttime = m.mstart AND c.num >= m.maxn`

// q5Bids makes n bids on 5 auctions, one every 25 ms of event time, in
// order, then one bid older than every window still open: late.
func q5Bids(n int) []string {
	rng := rand.New(rand.NewPCG(5, 5))
	bids := make([]string, n, n+1)
	for i := range bids {
		bids[i] = fmt.Sprintf(`{"auction": %d, "ts": %d}`, 1+rng.IntN(5), 1000+i*25)
	}
	return append(bids, `{"auction": 1, "ts": 500}`)
}

// liveRun runs sql on a virtual clock with batch-long batches, feeding the
// pieces of test('bids') one per batch, then lets quiet batches pass for
// drain, then stops the query (closing every window still open). It
// returns every row emitted, sorted, the rows the stop emitted, and the
// query's late rows.
func liveRun(t *testing.T, sql string, batch time.Duration, pieces [][]string, drain time.Duration) (rows []string, atStop int, late int64) {
	t.Helper()
	fake := clock.NewFake(time.Unix(0, 0).UTC())
	eng := streamsql.New(streamsql.Config{BatchInterval: batch, Clock: fake, Log: &logLines{added: make(chan struct{}, 1)}})
	feeder.Lock()
	feeder.srcs = nil
	feeder.Unlock()
	stmts, err := eng.Prepare(sql)
	if err != nil {
		t.Fatal(err)
	}
	qs, err := eng.Start(context.Background(), stmts)
	if err != nil {
		t.Fatal(err)
	}
	feeder.Lock()
	src := feeder.srcs["bids"] // the receiver the start opened
	feeder.Unlock()
	defer eng.Stop()
	q := qs[0]
	take := func(r *types.Result) {
		for _, row := range r.Rows {
			vals := make([]string, len(row))
			for i, v := range row {
				vals[i] = v.String()
			}
			rows = append(rows, strings.Join(vals, " | "))
		}
	}
	now := fake.Now()
	for i := 0; i < len(pieces)+int(drain/batch); i++ {
		if i < len(pieces) {
			// The piece arrives in the middle of a batch, which then
			// closes.
			fake.Set(now.Add(batch / 2))
			f := feed{lines: pieces[i], done: make(chan struct{})}
			src.feed <- f
			<-f.done
		}
		now = now.Add(batch)
		fake.Set(now)
		select {
		case r, ok := <-q.Results():
			if !ok {
				t.Fatalf("query ended early: %v", q.Wait())
			}
			if !r.Time.Equal(now) {
				t.Fatalf("result of batch %s, want %s", offset(r.Time), offset(now))
			}
			take(r)
		case <-time.After(10 * time.Second):
			t.Fatalf("no result for the batch of %s", offset(now))
		}
	}
	live := len(rows)
	q.Stop()
	for r := range q.Results() {
		take(r)
	}
	if err := q.Wait(); err != nil {
		t.Fatal(err)
	}
	sort.Strings(rows)
	return rows, len(rows) - live, q.Stats().Late
}

// TestLiveDerivedJoinInPieces: Nexmark q5 fed in 20 pieces, one per
// 100 ms batch, gives the rows it gives when fed in one batch, and the
// one late bid is counted once (the other bids are in order; counts'
// late rows reach the join on both sides). The maxes side produces one slide
// after the counts side: until then it must not count as idle, or the
// join's watermark passes the first windows before their maxima come.
// Then the input goes quiet: 30 s later every window has come out live
// (the windows close by the idle rule, each side waiting for its
// upstream), with nothing left for the stop.
func TestLiveDerivedJoinInPieces(t *testing.T) {
	const batch = 100 * time.Millisecond
	bids := q5Bids(400) // 10 s of event time: a piece is half a slide
	want, _, late := liveRun(t, q5, batch, [][]string{bids}, 0)
	if len(want) < 10 || late != 1 {
		t.Fatalf("in one batch: %d rows, %d late rows, want 1", len(want), late)
	}
	var pieces [][]string
	for i := 0; i < 20; i++ {
		pieces = append(pieces, bids[i*20:(i+1)*20])
	}
	pieces[19] = bids[380:] // and the late bid
	for _, drain := range []time.Duration{0, 30 * time.Second} {
		got, atStop, late := liveRun(t, q5, batch, pieces, drain)
		if late != 1 {
			t.Errorf("in 20 pieces, stopped after %v: %d late rows, want 1", drain, late)
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("in 20 pieces, stopped after %v:\n  %s\nin one batch:\n  %s", drain, strings.Join(got, "\n  "), strings.Join(want, "\n  "))
		}
		if drain > 0 && atStop != 0 {
			t.Errorf("in 20 pieces: %d rows came out only at the stop, %v after the input went quiet", atStop, drain)
		}
	}
}
