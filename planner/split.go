package planner

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/streamsql/streamsql/agg"
	"github.com/streamsql/streamsql/expr"
	"github.com/streamsql/streamsql/operators"
	"github.com/streamsql/streamsql/parser"
	"github.com/streamsql/streamsql/window"
)

// ErrNotSplittable is the class of errors of a query that cannot run in
// two stages across machines (see Split).
var ErrNotSplittable = errors.New("query cannot run in a cluster")

// Split is a grouped query cut at its aggregate, to run in two stages on
// several machines (package cluster): stage 1 runs Pre over the rows of
// some input partitions and folds what it yields into partial aggregates
// per (pane, key); stage 2 merges the partials of some keys into window
// state and runs Post over each closed window's rows.
type Split struct {
	Plan *Plan
	// Keys and Aggs are the aggregate's grouping, as operators.Grouping
	// takes them; Cols marks the keys that are plain columns.
	Keys []expr.Func
	Cols []int
	Aggs []agg.Func
	// KeyNames are the GROUP BY expressions as written.
	KeyNames []string
	Window   window.Spec
	// EventTime is the row's event time (nil: processing time, a row's
	// pane is its batch's), Lateness how far the watermark trails it.
	EventTime expr.Func
	Lateness  time.Duration

	agg *Aggregate
}

// Split cuts p at its aggregate. Only a GROUP BY with a tumbling or
// sliding WINDOW over one source splits: that is what partial aggregates
// merge into exactly.
func (p *Plan) Split() (*Split, error) {
	if p.Source == nil {
		return nil, fmt.Errorf("%w: it must read one source directly (not a named stream, subquery, join of streams or UNION ALL)", ErrNotSplittable)
	}
	if len(p.Tables) > 0 {
		return nil, fmt.Errorf("%w: joins with tables are not supported in a cluster yet", ErrNotSplittable)
	}
	var a *Aggregate
	for _, n := range chainOf(p.Root, nil) {
		if x, ok := n.(*Aggregate); ok {
			a = x
			break
		}
	}
	if a == nil {
		return nil, fmt.Errorf("%w: it needs GROUP BY with a WINDOW (a query without aggregates needs no second stage)", ErrNotSplittable)
	}
	if a.Time.Kind == NoWindow {
		return nil, fmt.Errorf("%w: an aggregate without WINDOW is an updating result, and a cluster's output topic only takes windows that close (WINDOW 10s [SLIDE 5s]) yet", ErrNotSplittable)
	}
	if a.Time.Kind != Fixed {
		return nil, fmt.Errorf("%w: only tumbling and sliding windows (WINDOW 10s [SLIDE 5s]) run in a cluster, not %s", ErrNotSplittable, a.Time)
	}
	if a.Changes {
		return nil, fmt.Errorf("%w: EMIT CHANGES is not supported in a cluster yet", ErrNotSplittable)
	}
	s := &Split{Plan: p, Keys: a.keyFns, Cols: a.keyCols, Aggs: a.aggFns, Window: a.Time.Window,
		EventTime: a.timeFn, Lateness: a.Time.Lateness, agg: a}
	for _, k := range a.Keys {
		s.KeyNames = append(s.KeyNames, k.String())
	}
	return s, nil
}

// chainOf lists the nodes from n down its inputs, stopping before stop
// (nil: to the bottom).
func chainOf(n, stop Node) []Node {
	var out []Node
	for n != nil && n != stop {
		out = append(out, n)
		kids := n.Children()
		if len(kids) == 0 {
			break
		}
		n = kids[0]
	}
	return out
}

// build instantiates nodes (top first) feeding sink.
func build(nodes []Node, sink operators.Operator) operators.Operator {
	op := sink
	for _, n := range nodes {
		op = n.operator(op)
	}
	return op
}

// Pre builds the operators below the aggregate, feeding sink with the rows
// the aggregate groups. The source's rows are pushed into the returned head.
func (s *Split) Pre(sink operators.Operator) operators.Operator {
	return build(chainOf(s.agg.input, nil), sink)
}

// Post builds the operators above the aggregate, feeding sink. The rows
// pushed into the returned head are the aggregate's: the keys, the
// aggregates, window_start and window_end.
func (s *Split) Post(sink operators.Operator) operators.Operator {
	return build(chainOf(s.Plan.Root, s.agg), sink)
}

// Explain prints the two stages as EXPLAIN shows a split query.
func (s *Split) Explain(name, repartition, changelog string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Cluster query %s: two stages, every member runs both\n", name)
	fmt.Fprintf(&b, "Stage 2 (per partition of %s, state in %s)\n", repartition, changelog)
	fmt.Fprintf(&b, "  Result [%s]\n", strings.Join(s.Plan.Columns, ", "))
	for _, n := range chainOf(s.Plan.Root, s.agg) {
		fmt.Fprintf(&b, "  %s\n", n.Describe())
	}
	fmt.Fprintf(&b, "  Merge partials by [%s], %s; a window closes when every input partition's watermark has passed its end\n",
		strings.Join(s.KeyNames, ", "), s.agg.Time)
	fmt.Fprintf(&b, "Stage 1 (per input partition)\n")
	fmt.Fprintf(&b, "  Partial aggregates per (pane of %s, key) each batch -> %s, partitioned by [%s], with the partition's watermark\n",
		parser.FormatDuration(s.Window.Pane()), repartition, strings.Join(s.KeyNames, ", "))
	for _, n := range chainOf(s.agg.input, nil) {
		fmt.Fprintf(&b, "  %s\n", n.Describe())
	}
	return b.String()
}
