package planner

import (
	"slices"

	"github.com/streamsql/streamsql/operators"
	"github.com/streamsql/streamsql/sources"
	"github.com/streamsql/streamsql/tables"
)

// Graph is everything a set of receivers feeds: their sources, the named
// streams and subqueries on the way, and the queries at the leaves.
// Queries started together that read the same stream share one Graph, so
// the stream's source is read once and its rows fan out to every query.
// A join of two streams or a UNION ALL reads several sources: all of them
// feed one Graph, run by one batch loop.
type Graph struct {
	// Source is Sources[0].
	Source  *sources.Call
	Sources []*sources.Call
	// Tables are joined with by the queries; they are kept up to date
	// while the graph runs.
	Tables  []*tables.Table
	Bounded bool
	// Queries are the leaves, in the order given to Group.
	Queries []*Plan
	roots   []*Plan // roots[i] reads Sources[i]
}

// roots lists the plans reading a source that p reads, directly or
// through streams, subqueries and join inputs.
func roots(p *Plan, out []*Plan) []*Plan {
	if p.Source != nil {
		if !slices.Contains(out, p) {
			out = append(out, p)
		}
		return out
	}
	for _, u := range Upstreams(p) {
		out = roots(u, out)
	}
	return out
}

func tablesOf(p *Plan, out []*tables.Table) []*tables.Table {
	for _, t := range p.Tables {
		if !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	for _, u := range Upstreams(p) {
		out = tablesOf(u, out)
	}
	return out
}

// Group sorts queries into Graphs: queries that read a common source (a
// shared named stream) go into the same one.
func Group(queries []*Plan) []*Graph {
	var out []*Graph
	byRoot := map[*Plan]*Graph{}
	for _, q := range queries {
		rs := roots(q, nil)
		var g *Graph
		for _, r := range rs {
			other, ok := byRoot[r]
			if !ok || other == g {
				continue
			}
			if g == nil {
				g = other
				continue
			}
			// q links two graphs: merge other into g.
			g.Queries = append(g.Queries, other.Queries...)
			for _, r2 := range other.roots {
				g.roots = append(g.roots, r2)
				byRoot[r2] = g
			}
			out = slices.DeleteFunc(out, func(x *Graph) bool { return x == other })
		}
		if g == nil {
			g = &Graph{}
			out = append(out, g)
		}
		for _, r := range rs {
			if _, ok := byRoot[r]; !ok {
				byRoot[r] = g
				g.roots = append(g.roots, r)
			}
		}
		g.Queries = append(g.Queries, q)
	}
	for _, g := range out {
		g.Bounded = true
		g.Sources = nil
		for _, r := range g.roots {
			g.Sources = append(g.Sources, r.Source)
			g.Bounded = g.Bounded && r.Bounded
		}
		if len(g.Sources) > 0 {
			g.Source = g.Sources[0]
		}
		for _, q := range g.Queries {
			g.Tables = tablesOf(q, g.Tables)
		}
	}
	return out
}

// Build instantiates the DAG: sinks[i] receives the rows of Queries[i].
// It returns the head operator the first source's rows are pushed into.
func (g *Graph) Build(sinks []operators.Operator) operators.Operator {
	return g.Heads(sinks)[0]
}

// Heads instantiates the DAG like Build and returns the head operator of
// each source: Sources[i]'s rows are pushed into heads[i]. Every head
// must see every batch end: operators with several inputs pass a batch
// end on once all their inputs have closed it.
func (g *Graph) Heads(sinks []operators.Operator) []operators.Operator {
	// Build each query's chain, then each stream's chain feeding the
	// heads of its readers, from the leaves down to the sources.
	readers := map[*Plan][]operators.Operator{} // a plan -> the heads reading its output
	srcHead := map[*Plan]operators.Operator{}
	var order []*Plan
	note := func(p *Plan, edges []edge) {
		for _, e := range edges {
			if e.up == nil {
				srcHead[p] = e.head
				continue
			}
			if _, ok := readers[e.up]; !ok {
				order = append(order, e.up)
			}
			readers[e.up] = append(readers[e.up], e.head)
		}
	}
	for i, q := range g.Queries {
		note(q, q.build(sinks[i]))
	}
	// Streams are built after all their readers are known; a stream read
	// by another stream is built after that one.
	for len(order) > 0 {
		p := order[0]
		order = order[1:]
		if pendingReaders(p, order) {
			order = append(order, p)
			continue
		}
		rs := readers[p]
		var next operators.Operator = rs[0]
		if len(rs) > 1 {
			next = &operators.Fanout{Next: rs}
		}
		note(p, p.build(next))
	}
	heads := make([]operators.Operator, len(g.roots))
	for i, r := range g.roots {
		heads[i] = srcHead[r]
	}
	return heads
}

// pendingReaders reports whether a plan still waiting to be built reads p
// (directly or through other plans).
func pendingReaders(p *Plan, waiting []*Plan) bool {
	for _, w := range waiting {
		if reads(w, p) {
			return true
		}
	}
	return false
}

func reads(w, p *Plan) bool {
	for _, u := range Upstreams(w) {
		if u == p || reads(u, p) {
			return true
		}
	}
	return false
}
