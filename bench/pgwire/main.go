// Command pgwire measures the PostgreSQL wire server (package pgwire) with
// pgx clients over loopback, against an engine in the same process that
// keeps a materialized view up to date while rows arrive:
//
//		go run ./bench/pgwire [-keys 1000000] [-rate 100000] [-batch 100ms] [-lookups 20000] [-conns 1000] [-seconds 10]
//
//	  - pull: the view `SELECT k, COUNT(*) AS n, SUM(v) AS total FROM ev()
//	    GROUP BY k` is filled with -keys keys, then rows keep arriving at
//	    -rate rows/s over random keys while one client runs -lookups point
//	    lookups (`SELECT n, total FROM kv WHERE k = $1`, a prepared
//	    statement, binary results) one after the other; prints the
//	    latency's p50, p99, p99.9 and maximum, and checks every answer
//	    against the count the benchmark pushed (n is exact: the rows of
//	    a key pushed before the lookup began and after it ended bound it).
//	  - conns: -conns clients connect at once (SCRAM-SHA-256 each), each
//	    runs a point lookup, and all stay connected until every one has
//	    answered; prints how long that took and how many were served.
//	  - lag: a client subscribes to a view of the latest send time per key
//	    while rows for it arrive at -rate (the big view's rows stopped),
//	    keys drawn from -lagkeys: with a million nearly every change is one
//	    row (the worst case); with 1000 a change sums many rows and carries
//	    the newest one's time. Each change's lag is its receipt time minus
//	    that send time. Prints p50, p99 and the maximum over -seconds,
//	    after the first second.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"runtime/pprof"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/streamsql/streamsql"
	"github.com/streamsql/streamsql/pgwire"
)

func main() {
	keys := flag.Int("keys", 1000000, "keys in the view")
	rate := flag.Int("rate", 100000, "rows per second arriving while measuring")
	batch := flag.Duration("batch", 100*time.Millisecond, "batch interval")
	lookups := flag.Int("lookups", 20000, "point lookups to time")
	conns := flag.Int("conns", 1000, "concurrent connections")
	seconds := flag.Int("seconds", 10, "seconds of subscription to measure")
	lagKeys := flag.Int64("lagkeys", 1000000, "keys of the subscribed view: rows arrive for keys drawn from this many")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the whole run to `file`")
	flag.Parse()
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "pgwire bench:", err)
			os.Exit(1)
		}
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	if err := run(*keys, *rate, *batch, *lookups, *conns, *seconds, *lagKeys); err != nil {
		pprof.StopCPUProfile()
		fmt.Fprintln(os.Stderr, "pgwire bench:", err)
		os.Exit(1)
	}
}

func run(keys, rate int, batch time.Duration, lookups, conns, seconds int, lagKeys int64) error {
	eng := streamsql.New(streamsql.Config{BatchInterval: batch, Log: io.Discard})
	defer eng.Stop()
	ev, err := eng.NewPushSource("ev", "k BIGINT, v BIGINT")
	if err != nil {
		return err
	}
	lagged, err := eng.NewPushSource("lagged", "k BIGINT, sent TIMESTAMP")
	if err != nil {
		return err
	}
	for _, q := range []string{
		"CREATE MATERIALIZED VIEW kv AS SELECT k, COUNT(*) AS n, SUM(v) AS total FROM ev() GROUP BY k",
		"CREATE MATERIALIZED VIEW latest AS SELECT k, MAX(sent) AS sent FROM lagged() GROUP BY k",
	} {
		stmts, err := eng.Prepare(q)
		if err != nil {
			return err
		}
		if _, err := eng.Start(context.Background(), stmts); err != nil {
			return err
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go pgwire.Serve(ctx, eng, ln, pgwire.Config{Users: map[string]string{"bench": "bench"}})
	url := fmt.Sprintf("postgres://bench:bench@%s/streamsql?sslmode=disable", ln.Addr())

	// counts[k] is how many rows of key k were pushed.
	counts := make([]atomic.Int64, keys)
	push := func(k int64) error {
		counts[k].Add(1)
		return ev.Push(k, int64(1))
	}
	start := time.Now()
	for k := 0; k < keys; k++ {
		if err := push(int64(k)); err != nil {
			return err
		}
	}
	c, err := pgx.Connect(ctx, url)
	if err != nil {
		return err
	}
	defer c.Close(ctx)
	for {
		var n *int64
		if err := c.QueryRow(ctx, "SELECT COUNT(*) AS c FROM kv").Scan(&n); err != nil {
			return err
		}
		if n != nil && *n == int64(keys) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	fmt.Fprintf(os.Stderr, "view of %d keys filled in %s\n", keys, time.Since(start).Round(time.Millisecond))

	// Rows arrive at the rate, in 1 ms slices, until stopped.
	stopFeed := feed(rate, func(rng *rand.Rand) error { return push(rng.Int64N(int64(keys))) })

	// pull
	rng := rand.New(rand.NewPCG(3, 4))
	lat := make([]time.Duration, 0, lookups)
	for i := 0; i < lookups; i++ {
		k := rng.Int64N(int64(keys))
		before := counts[k].Load()
		var n, total int64
		t := time.Now()
		if err := c.QueryRow(ctx, "SELECT n, total FROM kv WHERE k = $1", k).Scan(&n, &total); err != nil {
			return fmt.Errorf("lookup of %d: %w", k, err)
		}
		lat = append(lat, time.Since(t))
		// The view lags the pushes by up to a batch: n is at most what
		// was pushed by now, and at least 1 (the fill).
		if n < 1 || n > counts[k].Load() || total != n || (before == 1 && n != 1) {
			return fmt.Errorf("lookup of %d: n=%d total=%d, pushed %d..%d", k, n, total, before, counts[k].Load())
		}
	}
	fmt.Printf("pull\tkeys=%d\trate=%d/s\tlookups=%d\tp50=%s\tp99=%s\tp99.9=%s\tmax=%s\n", keys, rate, lookups,
		pct(lat, 50), pct(lat, 99), pct(lat, 99.9), pct(lat, 100))

	// conns
	t := time.Now()
	var wg sync.WaitGroup
	var served atomic.Int64
	var firstErr atomic.Value
	all := make(chan struct{})
	for i := 0; i < conns; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cc, err := pgx.Connect(ctx, url)
			if err != nil {
				firstErr.CompareAndSwap(nil, err)
				return
			}
			defer cc.Close(context.Background())
			var n int64
			if err := cc.QueryRow(ctx, "SELECT n FROM kv WHERE k = $1", int64(i%keys)).Scan(&n); err != nil {
				firstErr.CompareAndSwap(nil, err)
				return
			}
			served.Add(1)
			<-all // stay connected until every client has been served
		}()
	}
	deadline := time.Now().Add(2 * time.Minute)
	for served.Load() < int64(conns) && firstErr.Load() == nil && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	took := time.Since(t)
	close(all)
	wg.Wait()
	fmt.Printf("conns\tclients=%d\tserved=%d\tall-connected-and-answered=%s\n", conns, served.Load(), took.Round(time.Millisecond))
	if e := firstErr.Load(); e != nil {
		return fmt.Errorf("a client failed: %w", e.(error))
	}

	// lag: the big view's rows stop; rows for the subscribed one arrive.
	stopFeed()
	stopLagged := feed(rate, func(rng *rand.Rand) error { return lagged.Push(rng.Int64N(lagKeys), time.Now()) })
	defer stopLagged()
	sc, err := pgx.Connect(ctx, url)
	if err != nil {
		return err
	}
	defer sc.Close(context.Background())
	subCtx, stopSub := context.WithTimeout(ctx, time.Duration(seconds)*time.Second)
	defer stopSub()
	rows, err := sc.Query(subCtx, "SUBSCRIBE TO latest", pgx.QueryExecModeSimpleProtocol)
	if err != nil {
		return err
	}
	from := time.Now().Add(time.Second)
	var lags []time.Duration
	for rows.Next() {
		var op string
		var k int64
		var sent time.Time
		if err := rows.Scan(&op, &k, &sent); err != nil {
			return err
		}
		now := time.Now()
		if op == "-U" || now.Before(from) {
			continue
		}
		lags = append(lags, now.Sub(sent))
	}
	if err := rows.Err(); err != nil && !errors.Is(err, context.DeadlineExceeded) && subCtx.Err() == nil {
		return err
	}
	if len(lags) == 0 {
		return errors.New("the subscription delivered no changes")
	}
	fmt.Printf("lag\trate=%d/s\tkeys=%d\tbatch=%s\tchanges=%d\tp50=%s\tp99=%s\tmax=%s\n", rate, lagKeys, batch, len(lags), pct(lags, 50), pct(lags, 99), pct(lags, 100))
	return nil
}

// feed calls push rate times a second, in 1 ms slices, until the
// returned function is called.
func feed(rate int, push func(*rand.Rand) error) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		rng := rand.New(rand.NewPCG(1, 2))
		t0 := time.Now()
		sent := 0
		for {
			select {
			case <-done:
				return
			default:
			}
			due := int(time.Since(t0).Seconds() * float64(rate))
			for ; sent < due; sent++ {
				if push(rng) != nil {
					return
				}
			}
			time.Sleep(time.Millisecond)
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() {
			close(done)
			wg.Wait()
		})
	}
}

// pct is the p-th percentile of ds.
func pct(ds []time.Duration, p float64) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(float64(len(s)-1) * p / 100)
	return s[i].Round(time.Microsecond)
}
