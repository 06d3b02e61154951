package planner

import (
	"slices"
	"strings"

	"github.com/streamsql/streamsql/parser"
	"github.com/streamsql/streamsql/sinks"
)

// Target is where an INSERT INTO sends its results: a registered sink and
// the options to open it with.
type Target struct {
	Spec    *sinks.Spec
	Options sinks.Options
	Call    *parser.SourceCall
}

// Describe is the sink's line in EXPLAIN.
func (t *Target) Describe() string { return "Sink " + t.Call.String() }

// PlanInsert plans `INSERT INTO sink(...) SELECT ...`: the query, and the
// sink it writes to, checked now so a misspelt sink is a plan-time error.
//
// A sink that keeps rows by key (a database table) gets the window bounds
// of a windowed aggregate as columns window_start and window_end, added at
// the end of the select list when the query does not select them, so its
// key tells the windows apart: one window's rows never replace another's.
func PlanInsert(ins *parser.Insert, text string, opts Options) (*Plan, *Target, error) {
	p := &planning{text: text, opts: opts}
	call := ins.Sink
	spec, ok := sinks.Lookup(strings.ToLower(call.Name))
	query := ins.Query
	if ok && spec.WindowBounds {
		query = p.withWindowBounds(query)
	}
	plan, err := p.plan(query)
	if err != nil {
		return nil, nil, err
	}
	if !ok {
		return nil, nil, p.errorf(call.Pos, ErrSourceNotFound, "unknown sink %s()%s", call.Name, hintOrList(call.Name, sinks.Names(), "sinks"))
	}
	args, named, err := p.callArgs(call)
	if err != nil {
		return nil, nil, err
	}
	t := &Target{Spec: spec, Call: call, Options: sinks.Options{
		Args: args, Named: named, Columns: plan.Columns, Kinds: plan.Kinds, Key: plan.Key,
	}}
	if spec.Paths != nil {
		if err := p.checkPaths(call.Pos, spec.Paths(t.Options)...); err != nil {
			return nil, nil, err
		}
	}
	return plan, t, nil
}

// withWindowBounds returns sel with window_start and window_end added to
// its select list when it is an aggregate whose results belong to a window
// (WINDOW ...) and does not select them (under any alias). Running totals
// (WINDOW UNBOUNDED) and an aggregate without WINDOW (an updating table,
// one row per key) get none; nor does a UNION ALL, whose branches would
// all need them. sel itself is not changed.
func (p *planning) withWindowBounds(sel *parser.Select) *parser.Select {
	if len(sel.UnionAll) > 0 || !p.isAggregate(sel) || sel.Window == nil || sel.Window.Kind == "UNBOUNDED" {
		return sel
	}
	var add []*parser.SelectItem
	for _, name := range []string{"window_start", "window_end"} {
		selected := slices.ContainsFunc(sel.Items, func(it *parser.SelectItem) bool {
			c, ok := it.Expr.(*parser.ColumnRef)
			return ok && c.Table == "" && strings.EqualFold(c.Name, name)
		})
		if !selected {
			add = append(add, &parser.SelectItem{Pos: sel.Pos, Expr: &parser.ColumnRef{Pos: sel.Pos, Name: name}})
		}
	}
	if len(add) == 0 {
		return sel
	}
	c := *sel
	c.Items = append(slices.Clone(sel.Items), add...)
	return &c
}
