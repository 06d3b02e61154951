// Command embed runs streamsql inside a Go program: it pushes a few hundred
// generated orders into a push source, runs a windowed GROUP BY over them,
// prints each window's rows as they arrive on the query's channel, and
// stops cleanly when the input ends.
//
//	go run ./examples/embed
//
// The windows follow the orders' own time (EVENT TIME ts), so the output
// is the same however fast the machine is.
package main

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"time"

	"github.com/streamsql/streamsql"
)

const query = `
SELECT window_start, region, COUNT(*) AS orders, SUM(amount) AS revenue
FROM orders()
GROUP BY region
WINDOW 1m EVENT TIME ts LATENESS 10s
ORDER BY window_start, region`

func main() {
	if err := run(os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "embed:", err)
		os.Exit(1)
	}
}

func run(w io.Writer) error {
	eng := streamsql.New(streamsql.Config{BatchInterval: 100 * time.Millisecond, Log: io.Discard})
	defer eng.Stop()
	orders, err := eng.NewPushSource("orders", "id BIGINT, region TEXT, amount DOUBLE, ts TIMESTAMP")
	if err != nil {
		return err
	}
	q, err := eng.Query(context.Background(), query)
	if err != nil {
		return err
	}

	// The producer: Push blocks while the query is busy, and Close ends
	// the input, after which the query emits the windows still open.
	pushErr := make(chan error, 1)
	go func() {
		defer orders.Close()
		pushErr <- produce(orders, 300)
	}()

	fmt.Fprintln(w, "window  region  orders   revenue")
	for res := range q.Results() {
		for _, row := range res.Rows {
			fmt.Fprintf(w, "%s   %-6s %6d %9.2f\n",
				row[0].AsTime().Format("15:04"), row[1], row[2].AsInt(), row[3].AsFloat())
		}
	}
	if err := q.Wait(); err != nil {
		return err
	}
	if err := <-pushErr; err != nil {
		return err
	}
	st := q.Stats()
	fmt.Fprintf(w, "%d orders read, %d too late for their window\n", st.RowsIn, st.Late)
	return nil
}

// produce pushes n orders, one every 2s of event time from 09:00 with up to
// 8s of jitter (within the query's LATENESS), and every 40th order 2
// minutes late (dropped and counted). The same n gives the same orders.
func produce(orders *streamsql.PushSource, n int) error {
	rng := rand.New(rand.NewPCG(2026, 1))
	regions := []string{"amer", "apac", "emea"}
	start := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	for i := range n {
		ts := start.Add(time.Duration(2*i)*time.Second - time.Duration(rng.IntN(8000))*time.Millisecond)
		if i%40 == 39 {
			ts = ts.Add(-2 * time.Minute)
		}
		amount := float64(500+rng.IntN(20000)) / 100
		if err := orders.Push(i+1, regions[rng.IntN(len(regions))], amount, ts); err != nil {
			return err
		}
	}
	return nil
}
