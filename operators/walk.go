package operators

import "fmt"

// Parent is an operator that pushes into others. The walks over a DAG
// (checkpoints, key counts, the splits of event time, the reporting of
// rejected rows) descend through Children, so an operator written in
// another package takes part by listing where it pushes; the walks do not
// know the concrete operators.
type Parent interface {
	Children() []Operator
}

// Shared is an input of an operator fed by several (a side of a join, a
// branch of a union): Node is that operator, the same for every input.
// Visit meets it once; Walk, which follows one input's chain, stops there.
type Shared interface {
	Parent
	Node() any
}

func (f *Filter) Children() []Operator      { return []Operator{f.Next} }
func (p *Project) Children() []Operator     { return []Operator{p.Next} }
func (s *SplitWords) Children() []Operator  { return []Operator{s.Next} }
func (s *FoldWords) Children() []Operator   { return []Operator{s.Next} }
func (u *Unnest) Children() []Operator      { return []Operator{u.Next} }
func (d *Distinct) Children() []Operator    { return []Operator{d.Next} }
func (o *Order) Children() []Operator       { return []Operator{o.Next} }
func (a *Aggregate) Children() []Operator   { return []Operator{a.Next} }
func (j *LookupJoin) Children() []Operator  { return []Operator{j.Next} }
func (e *EventWindow) Children() []Operator { return []Operator{e.Next} }
func (s *Session) Children() []Operator     { return []Operator{s.Next} }
func (r *Running) Children() []Operator     { return []Operator{r.Next} }
func (u *Updating) Children() []Operator    { return []Operator{u.Next} }
func (f *Fanout) Children() []Operator      { return f.Next }
func (c *Collect) Children() []Operator     { return nil }

func (i joinInput) Children() []Operator  { return []Operator{i.j.Next} }
func (i joinInput) Node() any             { return i.j }
func (i unionInput) Children() []Operator { return []Operator{i.u.Next} }
func (i unionInput) Node() any            { return i.u }

// Walk calls fn on every operator of the chain from head, depth first in
// the order of Children, so a DAG built twice from one plan is walked in
// the same order. It returns an error at an operator that is not a
// Parent, or is fed by several inputs (Shared): a DAG holding one cannot
// be checkpointed, since its operators' states could not be matched to
// one input's position.
func Walk(head Operator, fn func(Operator) error) error {
	if head == nil {
		return nil
	}
	if err := fn(head); err != nil {
		return err
	}
	p, ok := head.(Parent)
	if _, shared := head.(Shared); !ok || shared {
		return fmt.Errorf("operator %T cannot be checkpointed", head)
	}
	for _, c := range p.Children() {
		if err := Walk(c, fn); err != nil {
			return err
		}
	}
	return nil
}

// Visit calls fn once on every operator reachable from heads, descending
// through joins, unions and fan-outs: a join's or union's inputs are
// visited as the join (or union) itself (an *IntervalJoin, a *Union),
// once. The walk stops at an operator that is not a Parent.
func Visit(heads []Operator, fn func(any)) {
	seen := map[any]bool{}
	var walk func(op Operator)
	walk = func(op Operator) {
		if op == nil {
			return
		}
		var node any = op
		if s, ok := op.(Shared); ok {
			node = s.Node()
		}
		if seen[node] {
			return
		}
		seen[node] = true
		fn(node)
		if p, ok := op.(Parent); ok {
			for _, c := range p.Children() {
				walk(c)
			}
		}
	}
	for _, h := range heads {
		walk(h)
	}
}
