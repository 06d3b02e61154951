package planner

import (
	"github.com/streamsql/streamsql/operators"
	"github.com/streamsql/streamsql/sources"
)

// Graph is everything one receiver feeds: its source, the named streams
// on the way, and the queries at the leaves. Queries started together
// that read the same stream share one Graph, so the stream's source is
// read once and its rows fan out to every query.
type Graph struct {
	Source  sources.Source
	Bounded bool
	// Queries are the leaves, in the order given to Group.
	Queries []*Plan
}

// root follows a plan's named streams down to the plan reading a source.
func root(p *Plan) *Plan {
	for p.Upstream != nil {
		p = p.Upstream
	}
	return p
}

// Group sorts queries into Graphs by the source they ultimately read.
func Group(queries []*Plan) []*Graph {
	var out []*Graph
	byRoot := map[*Plan]*Graph{}
	for _, q := range queries {
		r := root(q)
		g, ok := byRoot[r]
		if !ok {
			g = &Graph{Source: r.Source, Bounded: r.Bounded}
			byRoot[r] = g
			out = append(out, g)
		}
		g.Queries = append(g.Queries, q)
	}
	return out
}

// Build instantiates the DAG: sinks[i] receives the rows of Queries[i].
// It returns the head operator the source's rows are pushed into.
func (g *Graph) Build(sinks []operators.Operator) operators.Operator {
	// Build each query's chain, then each stream's chain feeding the
	// heads of its readers, from the leaves down to the source.
	heads := map[*Plan][]operators.Operator{} // a plan -> the heads reading its output
	order := []*Plan{}
	var note func(p *Plan, head operators.Operator)
	note = func(p *Plan, head operators.Operator) {
		if _, ok := heads[p]; !ok {
			order = append(order, p)
		}
		heads[p] = append(heads[p], head)
	}
	for i, q := range g.Queries {
		head := q.Build(sinks[i])
		if q.Upstream == nil {
			return head
		}
		note(q.Upstream, head)
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
		readers := heads[p]
		var next operators.Operator = readers[0]
		if len(readers) > 1 {
			next = &operators.Fanout{Next: readers}
		}
		head := p.Build(next)
		if p.Upstream == nil {
			return head
		}
		note(p.Upstream, head)
	}
	return nil
}

// pendingReaders reports whether a plan still waiting to be built reads p
// (directly or through other streams).
func pendingReaders(p *Plan, waiting []*Plan) bool {
	for _, w := range waiting {
		for u := w.Upstream; u != nil; u = u.Upstream {
			if u == p {
				return true
			}
		}
	}
	return false
}
