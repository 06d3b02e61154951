// Command throughput measures the Nexmark queries' throughput through the
// whole engine, in events per second of the generated stream (people,
// auctions and bids together, as Nexmark counts them):
//
//	go run ./bench/nexmark/throughput [-events 1000000] [-queries q0,q5] [-runs 3]
//
// For each query (package nexmark's Queries):
//   - bounded: the events written as JSON lines (one directory per stream)
//     and read with file(dir, format => 'jsonl') in a bounded run;
//   - live: pushed into push sources as fast as the engine takes them,
//     batches of 100 ms on the wall clock, until the query's last result;
//   - hand-written: for the stateless queries (q0, q1, q2), a loop on one
//     goroutine answering the same question from the same files
//     (fastjson), the reference the bounded run is held to.
//
// Results are counted, not printed. The table (markdown) goes to stdout.
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/streamsql/streamsql"
	"github.com/streamsql/streamsql/bench/nexmark"
	"github.com/valyala/fastjson"
)

func main() {
	events := flag.Int("events", 1_000_000, "events to generate (1 person, 3 auctions, 46 bids in 50)")
	only := flag.String("queries", "", "comma-separated query names (default: all)")
	runs := flag.Int("runs", 1, "runs of each measurement; the fastest is reported")
	dir := flag.String("dir", "", "where to write the events (default: a temporary directory)")
	flag.Parse()
	if err := run(*events, *only, *runs, *dir); err != nil {
		fmt.Fprintln(os.Stderr, "throughput:", err)
		os.Exit(1)
	}
}

func run(n int, only string, runs int, dir string) error {
	evs := nexmark.Generate(nexmark.Config{Events: n, Start: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), Every: 10 * time.Millisecond, Seed: 1})
	if dir == "" {
		d, err := os.MkdirTemp("", "nexmark-throughput-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		dir = d
	}
	if err := nexmark.WriteFiles(dir, evs, 8); err != nil {
		return err
	}
	want := map[string]bool{}
	for _, q := range strings.Split(only, ",") {
		if q = strings.TrimSpace(q); q != "" {
			want[q] = true
		}
	}
	fmt.Printf("# Nexmark throughput (%d events, %s of event time; events/s, best of %d)\n\n", n, evs[len(evs)-1].Time.Sub(evs[0].Time).Round(time.Second), runs)
	fmt.Println("| query | bounded events/s | live events/s | hand-written events/s | result rows |")
	fmt.Println("| --- | --- | --- | --- | --- |")
	for _, q := range nexmark.Queries {
		if len(want) > 0 && !want[q.Name] {
			continue
		}
		bounded, rows, err := best(runs, func() (time.Duration, int, error) { return runBounded(dir, q.SQL) })
		if err != nil {
			return fmt.Errorf("%s bounded: %w", q.Name, err)
		}
		live, _, err := best(runs, func() (time.Duration, int, error) { return runLive(evs, q) })
		if err != nil {
			return fmt.Errorf("%s live: %w", q.Name, err)
		}
		hand := "-"
		if f := handWritten[q.Name]; f != nil {
			d, _, err := best(runs, func() (time.Duration, int, error) {
				return timeIt(func() (int, error) { return f(filepath.Join(dir, "bid")) })
			})
			if err != nil {
				return fmt.Errorf("%s hand-written: %w", q.Name, err)
			}
			hand = rate(n, d)
		}
		fmt.Printf("| %s | %s | %s | %s | %d |\n", q.Name, rate(n, bounded), rate(n, live), hand, rows)
	}
	return nil
}

func rate(n int, d time.Duration) string {
	return fmt.Sprintf("%.0f", float64(n)/d.Seconds())
}

// best runs f runs times and returns the fastest duration.
func best(runs int, f func() (time.Duration, int, error)) (time.Duration, int, error) {
	var min time.Duration
	rows := 0
	for i := 0; i < runs; i++ {
		d, n, err := f()
		if err != nil {
			return 0, 0, err
		}
		if i == 0 || d < min {
			min, rows = d, n
		}
	}
	return min, rows, nil
}

func timeIt(f func() (int, error)) (time.Duration, int, error) {
	start := time.Now()
	n, err := f()
	return time.Since(start), n, err
}

// drain counts the rows of q's results until it ends.
func drain(q *streamsql.Query) (int, error) {
	rows := 0
	for r := range q.Results() {
		rows += len(r.Rows)
	}
	return rows, q.Wait()
}

// runBounded runs query over the files in dir, read once.
func runBounded(dir, query string) (time.Duration, int, error) {
	var script strings.Builder
	for _, name := range []string{"person", "auction", "bid"} {
		fmt.Fprintf(&script, "CREATE STREAM %s AS SELECT * FROM file('%s', format => 'jsonl', schema => '%s');\n",
			name, filepath.Join(dir, name), nexmark.Schemas[name])
	}
	return timeIt(func() (int, error) {
		eng := streamsql.New(streamsql.Config{Once: true, Partial: true, Log: io.Discard})
		defer eng.Stop()
		stmts, err := eng.Prepare(script.String() + query)
		if err != nil {
			return 0, err
		}
		qs, err := eng.Start(context.Background(), stmts)
		if err != nil {
			return 0, err
		}
		return drain(qs[0])
	})
}

// runLive pushes the events into a live engine as fast as it takes them
// and waits for the query's last result.
func runLive(evs []nexmark.Event, q nexmark.Query) (time.Duration, int, error) {
	eng := streamsql.New(streamsql.Config{BatchInterval: 100 * time.Millisecond, Log: io.Discard})
	defer eng.Stop()
	var script strings.Builder
	srcs := map[string]*streamsql.PushSource{}
	for _, name := range []string{"person", "auction", "bid"} {
		src, err := eng.NewPushSource(name+"_src", nexmark.Schemas[name])
		if err != nil {
			return 0, 0, err
		}
		srcs[name] = src
		fmt.Fprintf(&script, "CREATE STREAM %s AS SELECT * FROM %s_src();\n", name, name)
	}
	stmts, err := eng.Prepare(script.String() + q.SQL)
	if err != nil {
		return 0, 0, err
	}
	start := time.Now()
	qs, err := eng.Start(context.Background(), stmts)
	if err != nil {
		return 0, 0, err
	}
	done := make(chan struct{})
	var rows int
	var qerr error
	go func() {
		rows, qerr = drain(qs[0])
		close(done)
	}()
	// Only the streams the query reads: nobody takes the others' rows.
	reads := map[string]bool{}
	for name := range srcs {
		reads[name] = q.Reads(name)
	}
	for _, e := range evs {
		if name := e.Stream(); reads[name] {
			if err := srcs[name].Push(e.Values()...); err != nil {
				return 0, 0, err
			}
		}
	}
	for _, s := range srcs {
		s.Close()
	}
	<-done
	return time.Since(start), rows, qerr
}

// handWritten are loops on one goroutine answering a query from the bid
// files in dir, returning the rows they found.
var handWritten = map[string]func(dir string) (int, error){
	"q0": func(dir string) (int, error) {
		return eachBid(dir, func(v *fastjson.Value, out *[]byte) bool {
			*out = append(*out, v.GetStringBytes("dateTime")...)
			*out = append(*out, v.GetStringBytes("extra")...)
			return v.GetInt64("auction")+v.GetInt64("bidder")+v.GetInt64("price") != -1
		})
	},
	"q1": func(dir string) (int, error) {
		return eachBid(dir, func(v *fastjson.Value, out *[]byte) bool {
			price := 0.908 * float64(v.GetInt64("price"))
			*out = append(*out, v.GetStringBytes("dateTime")...)
			*out = append(*out, v.GetStringBytes("extra")...)
			return v.GetInt64("auction")+v.GetInt64("bidder") != -1 && price != -1
		})
	},
	"q2": func(dir string) (int, error) {
		return eachBid(dir, func(v *fastjson.Value, out *[]byte) bool {
			a := v.GetInt64("auction")
			return a%123 == 0 || a%7 == 0
		})
	},
}

// eachBid parses every bid line of the files in dir and counts those keep
// accepts; keep may append the row's texts to out, a scratch buffer.
func eachBid(dir string, keep func(v *fastjson.Value, out *[]byte) bool) (int, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return 0, err
	}
	var p fastjson.Parser
	var out []byte
	n := 0
	for _, e := range entries {
		f, err := os.Open(filepath.Join(dir, e.Name()))
		if err != nil {
			return 0, err
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			v, err := p.ParseBytes(sc.Bytes())
			if err != nil {
				f.Close()
				return 0, err
			}
			out = out[:0]
			if keep(v, &out) {
				n++
			}
		}
		f.Close()
		if err := sc.Err(); err != nil {
			return 0, err
		}
	}
	return n, nil
}
