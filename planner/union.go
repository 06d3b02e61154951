package planner

import (
	"fmt"
	"strings"

	"github.com/streamsql/streamsql/operators"
	"github.com/streamsql/streamsql/parser"
	"github.com/streamsql/streamsql/types"
)

// union plans `SELECT ... UNION ALL SELECT ...`: each branch on its own,
// their rows merged. Branches must have as many columns, of compatible
// types (equal, both numbers, or one known only at run time); the first
// branch names them.
func (p *planning) union(sel *parser.Select) (*Plan, error) {
	first := *sel
	first.UnionAll = nil
	branches := append([]*parser.Select{&first}, sel.UnionAll...)
	var plans []*Plan
	for _, b := range branches {
		if len(b.OrderBy) > 0 || b.Limit != nil {
			return nil, p.errorf(b.Pos, ErrUnsupported,
				"ORDER BY and LIMIT cannot be used in a branch of UNION ALL; sort the union in a query around it: SELECT * FROM (... UNION ALL ...) AS u ORDER BY ...")
		}
		bp, err := (&planning{text: p.text, opts: p.opts}).plan(b)
		if err != nil {
			return nil, err
		}
		plans = append(plans, bp)
	}
	head := plans[0]
	kinds := append([]types.Kind(nil), head.Kinds...)
	for i, bp := range plans[1:] {
		b := branches[i+1]
		if len(bp.Columns) != len(head.Columns) {
			return nil, p.errorf(b.Pos, ErrType, "each branch of UNION ALL must have the same number of columns: the first has %d (%s), this one %d (%s)",
				len(head.Columns), strings.Join(head.Columns, ", "), len(bp.Columns), strings.Join(bp.Columns, ", "))
		}
		for c, k := range bp.Kinds {
			h := kinds[c]
			switch {
			case k == h || k == types.KindNull:
			case h == types.KindNull:
				kinds[c] = k
			case k.Numeric() && h.Numeric():
				kinds[c] = types.KindFloat
			default:
				return nil, p.errorf(b.Items[min(c, len(b.Items)-1)].Pos, ErrType,
					"UNION ALL column %d (%s) is %s in the first branch but %s in this one", c+1, head.Columns[c], h, k)
			}
		}
	}
	plan := &Plan{Root: &Union{Branches: plans}, Columns: head.Columns, Kinds: kinds, Inputs: plans, Bounded: true}
	for _, bp := range plans {
		plan.Bounded = plan.Bounded && bp.Bounded
		plan.Updating = plan.Updating || bp.Updating
	}
	return plan, nil
}

// Union merges the rows of its branches (UNION ALL).
type Union struct {
	Branches []*Plan
}

func (u *Union) Children() []Node {
	out := make([]Node, len(u.Branches))
	for i, b := range u.Branches {
		out[i] = b.Root
	}
	return out
}

func (u *Union) Describe() string {
	return fmt.Sprintf("UnionAll of %d inputs", len(u.Branches))
}

func (u *Union) operator(next operators.Operator) operators.Operator { return nil }
func (u *Union) inputs() []*Plan                                     { return u.Branches }
func (u *Union) operators(next operators.Operator) []operators.Operator {
	op := operators.NewUnion(len(u.Branches), next)
	out := make([]operators.Operator, len(u.Branches))
	for i := range out {
		out[i] = op.Input(i)
	}
	return out
}
