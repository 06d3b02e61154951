package streamsql_test

import (
	"context"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/streamsql/streamsql"
	"github.com/streamsql/streamsql/agg"
	"github.com/streamsql/streamsql/clock"
	"github.com/streamsql/streamsql/types"
)

// Word count over lines a program pushes. With Once the query reads its
// input to the end (Close) as one batch, and emits one final result.
func ExampleEngine_Query() {
	eng := streamsql.New(streamsql.Config{Once: true})
	lines, err := eng.NewPushSource("lines", "line TEXT")
	if err != nil {
		panic(err)
	}
	q, err := eng.Query(context.Background(),
		"SELECT word, COUNT(*) AS n FROM lines() GROUP BY word ORDER BY n DESC, word LIMIT 3")
	if err != nil {
		panic(err)
	}
	go func() {
		lines.Push("to be or not to be")
		lines.Push("that is the question")
		lines.Close()
	}()
	for res := range q.Results() {
		for _, row := range res.Rows {
			fmt.Println(row[0], row[1])
		}
	}
	// Output:
	// be 2
	// to 2
	// is 1
}

// A scalar function registered from Go is usable in any clause of the
// engine's queries.
func ExampleEngine_RegisterFunction() {
	eng := streamsql.New(streamsql.Config{Once: true})
	err := eng.RegisterFunction("slug", 1, 1, func(args []types.Value) types.Value {
		// args[0] is never NULL here: a NULL argument gives NULL.
		return types.Text(strings.Join(strings.Fields(strings.ToLower(args[0].String())), "-"))
	})
	if err != nil {
		panic(err)
	}
	posts, err := eng.NewPushSource("posts", "title TEXT")
	if err != nil {
		panic(err)
	}
	q, err := eng.Query(context.Background(), "SELECT slug(title) AS url FROM posts() WHERE slug(title) LIKE 'hello%'")
	if err != nil {
		panic(err)
	}
	go func() {
		posts.Push("Hello  World")
		posts.Push("Goodbye World")
		posts.Push(nil)
		posts.Push("hello Streams")
		posts.Close()
	}()
	err = q.Each(func(res *streamsql.Result) error {
		for _, row := range res.Rows {
			fmt.Println(row[0])
		}
		return nil
	})
	fmt.Println("error:", err)
	// Output:
	// hello-world
	// hello-streams
	// error: <nil>
}

// rms is the root mean square of numbers: the count in N, the sum of the
// squares in F. Merging two states adds them, so windows can combine the
// states of their panes.
type rms struct{}

func (rms) Add(s *agg.State, v types.Value) {
	if f, ok := v.Float64(); ok {
		s.N++
		s.F += f * f
	}
}

func (rms) Merge(dst, src *agg.State) {
	dst.N += src.N
	dst.F += src.F
}

func (rms) Result(s *agg.State) types.Value {
	if s.N == 0 {
		return types.Null
	}
	return types.Float(math.Sqrt(s.F / float64(s.N)))
}

// A user aggregate: any Go type with Add, Merge and Result over an
// agg.State.
func ExampleEngine_RegisterAggregate() {
	eng := streamsql.New(streamsql.Config{Once: true})
	if err := eng.RegisterAggregate("rms", rms{}); err != nil {
		panic(err)
	}
	readings, err := eng.NewPushSource("readings", "sensor TEXT, volts DOUBLE")
	if err != nil {
		panic(err)
	}
	q, err := eng.Query(context.Background(), "SELECT sensor, rms(volts) AS rms, COUNT(*) AS n FROM readings() GROUP BY sensor")
	if err != nil {
		panic(err)
	}
	go func() {
		readings.Push("a", 3)
		readings.Push("a", -4)
		readings.Push("b", 1.5)
		readings.Push("b", nil) // NULLs are skipped, as by SUM
		readings.Close()
	}()
	for res := range q.Results() {
		for _, row := range res.Rows {
			fmt.Printf("%s rms=%.3f n=%s\n", row[0], row[1].AsFloat(), row[2])
		}
	}
	// Output:
	// a rms=3.536 n=2
	// b rms=1.500 n=2
}

// A tumbling window over processing time, driven by a fake clock so the
// output does not depend on how fast the machine is. A real program
// leaves Clock nil.
func ExampleEngine_NewPushSource_window() {
	clk := clock.NewFake(time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC))
	eng := streamsql.New(streamsql.Config{BatchInterval: time.Second, Clock: clk})
	clicks, err := eng.NewPushSource("clicks", "page TEXT")
	if err != nil {
		panic(err)
	}
	q, err := eng.Query(context.Background(), "SELECT page, COUNT(*) AS n FROM clicks() GROUP BY page WINDOW 2s")
	if err != nil {
		panic(err)
	}
	show := func(res *streamsql.Result) {
		if !res.Emitted {
			return // a batch closed, but no window
		}
		fmt.Printf("window %s-%s final=%v\n", res.Window.Start.Format("15:04:05"), res.Window.End.Format("15:04:05"), res.Final)
		for _, row := range res.Rows {
			fmt.Println(" ", row[0], row[1])
		}
	}

	clicks.Push("home")
	clicks.Push("cart")
	clicks.Push("home")
	clk.Advance(2 * time.Second) // the batches ending at 12:00:01 and 12:00:02 close
	show(<-q.Results())
	show(<-q.Results())

	clk.Advance(500 * time.Millisecond)
	clicks.Push("checkout")
	clicks.Close() // the open batch closes as the final one
	for res := range q.Results() {
		show(res)
	}
	// Output:
	// window 12:00:00-12:00:02 final=false
	//   cart 1
	//   home 2
	// window 12:00:02-12:00:04 final=true
	//   checkout 1
}
