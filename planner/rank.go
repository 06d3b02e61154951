package planner

import (
	"fmt"
	"slices"
	"strings"

	"github.com/streamsql/streamsql/expr"
	"github.com/streamsql/streamsql/operators"
	"github.com/streamsql/streamsql/parser"
	"github.com/streamsql/streamsql/types"
)

// Rank numbers the rows of each partition (ROW_NUMBER() OVER (PARTITION
// BY ... ORDER BY ...)), kept up to date: an updating result. Limit is set
// when the query reading it keeps only rn <= N (a top-N, or a
// deduplication with 1).
type Rank struct {
	chain
	Call       *parser.Call
	Limit      int64
	partition  []expr.Func
	order      []operators.SortKey
	retracting bool
}

func (r *Rank) Describe() string {
	s := fmt.Sprintf("Rank %s", r.Call)
	if r.Limit >= 0 {
		s += fmt.Sprintf(", first %d per partition", r.Limit)
	}
	return s + ", updating"
}

func (r *Rank) operator(next operators.Operator) operators.Operator {
	return &operators.Rank{Partition: r.partition, Order: r.order, Limit: r.Limit, Number: true, Retracting: r.retracting, Next: next}
}

// windowCalls are the window functions (calls with OVER) of the select
// list.
func windowCalls(sel *parser.Select) []*parser.Call {
	var out []*parser.Call
	for _, it := range sel.Items {
		walk(it.Expr, func(e parser.Expr) bool {
			if c, ok := e.(*parser.Call); ok && c.Over != nil {
				out = append(out, c)
				return false
			}
			return true
		})
	}
	return out
}

// rank plans the window functions of sel over the rows of in: one
// ROW_NUMBER() per query, whose number is a column of the returned scope.
func (p *planning) rank(sel *parser.Select, calls []*parser.Call, in *scope, retracting bool) (*Rank, *scope, error) {
	c := calls[0]
	for _, o := range calls[1:] {
		if !parser.Equal(o, c) {
			return nil, nil, p.errorf(o.Pos, ErrUnsupported, "one window function per query is supported yet; compute %s in a subquery", o)
		}
	}
	if !strings.EqualFold(c.Name, "row_number") {
		return nil, nil, p.errorf(c.Pos, ErrUnsupported, "%s OVER (...) is not supported; the window functions are ROW_NUMBER() and the aggregates (COUNT, SUM, AVG, MIN, MAX, ...)", c.Name)
	}
	if len(c.Args) > 0 || c.Star || c.Distinct || c.Filter != nil {
		return nil, nil, p.errorf(c.Pos, ErrUnsupported, "ROW_NUMBER() takes no arguments")
	}
	if c.Over.Frame != nil {
		return nil, nil, p.errorf(c.Over.Frame.Pos, ErrUnsupported, "ROW_NUMBER() numbers every row of its partition and takes no frame (ROWS/RANGE BETWEEN ...)")
	}
	if p.isAggregate(sel) {
		return nil, nil, p.errorf(c.Pos, ErrUnsupported, "ROW_NUMBER() OVER (...) cannot be combined with GROUP BY or aggregates in one SELECT yet: aggregate in a subquery and number its rows outside")
	}
	if len(c.Over.OrderBy) == 0 {
		return nil, nil, p.errorf(c.Over.Pos, ErrUnsupported, "ROW_NUMBER() needs ORDER BY in its OVER (...): it says which row comes first")
	}
	r := &Rank{Call: c, Limit: -1, retracting: retracting}
	in.clause = "PARTITION BY"
	for _, e := range c.Over.PartitionBy {
		if p.containsAgg(e) {
			return nil, nil, p.errorf(e.Position(), ErrAggregate, "aggregate functions are not allowed in PARTITION BY")
		}
		fn, err := p.compile(e, in)
		if err != nil {
			return nil, nil, err
		}
		r.partition = append(r.partition, fn)
	}
	order, err := p.overOrder(c.Over, in)
	if err != nil {
		return nil, nil, err
	}
	r.order = order
	out := &scope{cols: append(append([]scopeCol{}, in.cols...), scopeCol{expr: c, kind: types.KindInt})}
	return r, out, nil
}

// pushRankLimit gives the Rank of the subquery sel reads the limit its
// WHERE puts on the row number (rn <= 10, rn < 11, rn = 1), so the
// subquery keeps only that many rows per partition.
func pushRankLimit(sel *parser.Select, in *input) {
	up := in.upstream
	scan, ok := in.node.(*StreamScan)
	if up == nil || up.rank == nil || !ok || !scan.Sub || sel.Where == nil || up.rankCol < 0 {
		return
	}
	col := up.Columns[up.rankCol]
	limit := int64(-1)
	var visit func(e parser.Expr)
	visit = func(e parser.Expr) {
		b, ok := e.(*parser.Binary)
		if !ok {
			return
		}
		if b.Op == "AND" {
			visit(b.L)
			visit(b.R)
			return
		}
		ref, lit, op := b.L, b.R, b.Op
		if _, isLit := b.L.(*parser.Literal); isLit {
			ref, lit = b.R, b.L
			op = map[string]string{"<": ">", "<=": ">=", ">": "<", ">=": "<=", "=": "="}[op]
		}
		c, ok1 := ref.(*parser.ColumnRef)
		l, ok2 := lit.(*parser.Literal)
		if !ok1 || !ok2 || !strings.EqualFold(c.Name, col) || l.Value.Kind() != types.KindInt {
			return
		}
		n := l.Value.AsInt()
		switch op {
		case "<":
			n--
		case "<=", "=":
		default:
			return
		}
		if n >= 0 && (limit < 0 || n < limit) {
			limit = n
		}
	}
	visit(sel.Where)
	if limit >= 0 {
		up.rank.Limit = limit
	}
}

// OverAgg computes aggregates over each row's frame (AVG(x) OVER
// (PARTITION BY ... ORDER BY ... ROWS BETWEEN n PRECEDING AND CURRENT
// ROW)): every row once, with its aggregates; an append-only result.
type OverAgg struct {
	chain
	Calls []*parser.Call
	op    operators.Over
}

func (o *OverAgg) Describe() string {
	names := make([]string, len(o.Calls))
	for i, c := range o.Calls {
		names[i] = c.String()
	}
	return "Over " + strings.Join(names, ", ")
}

func (o *OverAgg) operator(next operators.Operator) operators.Operator {
	op := o.op
	op.Next = next
	return &op
}

// overAgg plans aggregates OVER (...) of sel over the rows of in; their
// values are columns of the returned scope.
func (p *planning) overAgg(sel *parser.Select, calls []*parser.Call, in *scope, updating bool) (*OverAgg, *scope, error) {
	c := calls[0]
	var uniq []*parser.Call
	for _, o := range calls {
		if !p.isAggName(o.Name) {
			return nil, nil, p.errorf(o.Pos, ErrUnsupported, "%s OVER (...) is not supported; the window functions are ROW_NUMBER() and the aggregates (COUNT, SUM, AVG, MIN, MAX, ...)", o.Name)
		}
		if o.Over.String() != c.Over.String() {
			return nil, nil, p.errorf(o.Pos, ErrUnsupported, "the aggregates OVER (...) of one query must share their OVER (...); compute %s in a subquery", o)
		}
		if !slices.ContainsFunc(uniq, func(u *parser.Call) bool { return parser.Equal(u, o) }) {
			uniq = append(uniq, o)
		}
	}
	switch {
	case p.isAggregate(sel):
		return nil, nil, p.errorf(c.Pos, ErrUnsupported, "an aggregate OVER (...) cannot be combined with GROUP BY or other aggregates in one SELECT yet: aggregate in a subquery")
	case updating:
		return nil, nil, p.errorf(c.Pos, ErrUnsupported, "an aggregate OVER (...) needs an append-only input, but %s is an updating result (an aggregate without WINDOW)", fromName(sel))
	case len(c.Over.OrderBy) == 0:
		return nil, nil, p.errorf(c.Over.Pos, ErrUnsupported, "an aggregate OVER (...) needs ORDER BY: the rows before each row in that order make its frame")
	}
	o := &OverAgg{Calls: uniq, op: operators.Over{Rows: -1}}
	switch f := c.Over.Frame; {
	case f == nil || f.Unbounded:
		o.op.Unbounded = true
	case f.Rows:
		o.op.Rows = f.N
	default:
		d, err := p.interval(f.Range)
		if err != nil {
			return nil, nil, err
		}
		if len(c.Over.OrderBy) != 1 || c.Over.OrderBy[0].Desc {
			return nil, nil, p.errorf(f.Pos, ErrUnsupported, "RANGE BETWEEN INTERVAL ... PRECEDING needs one ascending ORDER BY time")
		}
		if d <= 0 {
			return nil, nil, p.errorf(f.Pos, ErrUnsupported, "RANGE BETWEEN INTERVAL ... PRECEDING needs a positive interval")
		}
		o.op.Range = d
	}
	in.clause = "PARTITION BY"
	for _, e := range c.Over.PartitionBy {
		fn, err := p.compile(e, in)
		if err != nil {
			return nil, nil, err
		}
		o.op.Partition = append(o.op.Partition, fn)
	}
	order, err := p.overOrder(c.Over, in)
	if err != nil {
		return nil, nil, err
	}
	o.op.Order = order
	out := &scope{cols: append([]scopeCol{}, in.cols...)}
	in.clause = "aggregate arguments"
	for _, u := range uniq {
		f, err := p.aggCall(u, in)
		if err != nil {
			return nil, nil, err
		}
		o.op.Aggs = append(o.op.Aggs, f)
		out.cols = append(out.cols, scopeCol{expr: u, kind: p.typeOf(u, in)})
	}
	return o, out, nil
}

// overOrder compiles the ORDER BY of an OVER (...) over the rows of in.
func (p *planning) overOrder(over *parser.Over, in *scope) ([]operators.SortKey, error) {
	in.clause = "ORDER BY"
	var out []operators.SortKey
	for _, it := range over.OrderBy {
		fn, err := p.compile(it.Expr, in)
		if err != nil {
			return nil, err
		}
		out = append(out, sortKey(it, fn))
	}
	return out, nil
}

// sortKey is the sort key of an ORDER BY item over fn: NULLs first when
// ascending and last when descending unless the item says.
func sortKey(it *parser.OrderItem, fn expr.Func) operators.SortKey {
	key := operators.SortKey{Expr: fn, Desc: it.Desc, NullsFirst: !it.Desc}
	switch it.Nulls {
	case "FIRST":
		key.NullsFirst = true
	case "LAST":
		key.NullsFirst = false
	}
	return key
}
