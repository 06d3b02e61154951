package planner

import (
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
func PlanInsert(ins *parser.Insert, text string, opts Options) (*Plan, *Target, error) {
	p := &planning{text: text, opts: opts}
	plan, err := p.plan(ins.Query)
	if err != nil {
		return nil, nil, err
	}
	call := ins.Sink
	spec, ok := sinks.Lookup(strings.ToLower(call.Name))
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
	return plan, t, nil
}
