package planner

import (
	"sort"
	"strconv"
	"strings"

	"github.com/streamsql/streamsql/agg"
	"github.com/streamsql/streamsql/expr"
	"github.com/streamsql/streamsql/parser"
	"github.com/streamsql/streamsql/types"
)

// scope is the row shape an expression is compiled against: what each
// column is called and, for computed columns, which expression it holds.
type scope struct {
	cols []scopeCol
	// inner is the scope below an aggregate. A column found there but not
	// here was not grouped by.
	inner *scope
	// clause names the clause being compiled, for error messages.
	clause string
}

type scopeCol struct {
	name  string      // what a ColumnRef calls it ("" if unnamed)
	table string      // the FROM item it comes from, in a join ("" otherwise)
	expr  parser.Expr // the expression it holds (nil if a plain column)
	kind  types.Kind  // its static type, KindNull if known only at run time
	key   bool        // a GROUP BY key (in an aggregate's output)
}

func (s *scope) names() []string {
	var out []string
	for _, c := range s.cols {
		if c.name != "" {
			out = append(out, c.name)
		}
	}
	return out
}

// lookup finds a column by name: exact match first, then a unique
// case-insensitive one (SQL identifiers fold case; JSON fields do not).
func (s *scope) lookup(name string) int {
	for i, c := range s.cols {
		if c.name == name {
			return i
		}
	}
	found := -1
	for i, c := range s.cols {
		if strings.EqualFold(c.name, name) {
			if found >= 0 {
				return -1
			}
			found = i
		}
	}
	return found
}

// lookupExpr finds the column that holds e already computed (a GROUP BY
// key, an aggregate), or -1.
func (s *scope) lookupExpr(e parser.Expr) int {
	for i, c := range s.cols {
		if c.expr != nil && parser.Equal(c.expr, e) {
			return i
		}
	}
	return -1
}

// columnIndex is the column of sc that e reads as is (what compile turns
// into expr.Column), or -1 if e computes something.
func columnIndex(e parser.Expr, sc *scope) int {
	if i := sc.lookupExpr(e); i >= 0 {
		return i
	}
	if c, ok := e.(*parser.ColumnRef); ok {
		return sc.lookup(c.Name)
	}
	return -1
}

// compile turns an AST expression into a Func over rows of sc.
func (p *planning) compile(e parser.Expr, sc *scope) (expr.Func, error) {
	if i := sc.lookupExpr(e); i >= 0 {
		return expr.Column(i), nil
	}
	switch e := e.(type) {
	case *parser.Interval:
		return nil, p.errorf(e.Pos, ErrType, "an INTERVAL can only be added to a timestamp or subtracted from one (ts + INTERVAL '10' SECOND, ts - INTERVAL '10' SECOND)")
	case *parser.Literal:
		return expr.Const(e.Value), nil
	case *parser.Param:
		params := p.opts.Params
		if params == nil {
			return nil, p.errorf(e.Pos, ErrUnsupported, "parameters ($%d) are taken by prepared pull queries over materialized views; write the value here", e.N)
		}
		if e.N < 1 || e.N > 65535 {
			return nil, p.errorf(e.Pos, ErrUnsupported, "parameters are numbered from $1 to $65535")
		}
		i := e.N - 1
		return func(types.Row) types.Value {
			if i < len(*params) {
				return (*params)[i]
			}
			return types.Null
		}, nil
	case *parser.ColumnRef:
		return p.compileColumn(e, sc)
	case *parser.Unary:
		x, err := p.compile(e.X, sc)
		if err != nil {
			return nil, err
		}
		switch e.Op {
		case "NOT":
			return expr.Not(x), nil
		case "-":
			return func(r types.Row) types.Value { return expr.Negate(x(r)) }, nil
		}
		return x, nil
	case *parser.Binary:
		return p.compileBinary(e, sc)
	case *parser.Call:
		return p.compileCall(e, sc)
	case *parser.IsNull:
		x, err := p.compile(e.X, sc)
		if err != nil {
			return nil, err
		}
		return expr.IsNull(x, e.Not), nil
	case *parser.In:
		x, err := p.compile(e.X, sc)
		if err != nil {
			return nil, err
		}
		list, err := p.compileList(e.List, sc)
		if err != nil {
			return nil, err
		}
		return expr.In(x, list, e.Not), nil
	case *parser.Between:
		fs, err := p.compileList([]parser.Expr{e.X, e.Lo, e.Hi}, sc)
		if err != nil {
			return nil, err
		}
		return expr.Between(fs[0], fs[1], fs[2], e.Not), nil
	case *parser.Like:
		fs, err := p.compileList([]parser.Expr{e.X, e.Pattern}, sc)
		if err != nil {
			return nil, err
		}
		var constPat *string
		if l, ok := e.Pattern.(*parser.Literal); ok && l.Value.Kind() == types.KindText {
			s := l.Value.AsText()
			constPat = &s
		}
		return expr.Like(fs[0], fs[1], constPat, e.Not), nil
	case *parser.Case:
		return p.compileCase(e, sc)
	case *parser.Cast:
		k, ok := expr.KindByName(e.Type)
		if !ok {
			return nil, p.errorf(e.Pos, ErrUnsupported, "unknown type %s in CAST", e.Type)
		}
		x, err := p.compile(e.X, sc)
		if err != nil {
			return nil, err
		}
		if k == types.KindDecimal && e.Prec > 0 {
			if e.Scale > e.Prec || e.Prec > 38 {
				return nil, p.errorf(e.Pos, ErrType, "DECIMAL(%d, %d): the scale must be at most the precision, and the precision at most 38", e.Prec, e.Scale)
			}
			return func(r types.Row) types.Value { return expr.CastDecimal(x(r), e.Prec, e.Scale) }, nil
		}
		return func(r types.Row) types.Value { return expr.Cast(x(r), k) }, nil
	}
	return nil, p.errorf(e.Position(), ErrUnsupported, "unsupported expression %s", e)
}

func (p *planning) compileList(es []parser.Expr, sc *scope) ([]expr.Func, error) {
	out := make([]expr.Func, len(es))
	for i, e := range es {
		f, err := p.compile(e, sc)
		if err != nil {
			return nil, err
		}
		out[i] = f
	}
	return out, nil
}

// lookupRef finds a column reference, qualified or not. A qualified one
// matches the columns of its FROM item, or a column of no item (a GROUP
// BY key of an aggregate's output).
func (s *scope) lookupRef(e *parser.ColumnRef) int {
	if e.Table == "" {
		return s.lookup(e.Name)
	}
	found := -1
	for i, c := range s.cols {
		if strings.EqualFold(c.table, e.Table) && strings.EqualFold(c.name, e.Name) {
			if c.name == e.Name {
				return i
			}
			found = i
		}
	}
	if found >= 0 {
		return found
	}
	for i, c := range s.cols {
		if c.table == "" && strings.EqualFold(c.name, e.Name) {
			return i
		}
	}
	return -1
}

func (p *planning) compileColumn(e *parser.ColumnRef, sc *scope) (expr.Func, error) {
	if i := sc.lookupRef(e); i >= 0 {
		return expr.Column(i), nil
	}
	if sc.inner != nil && sc.inner.lookupRef(e) >= 0 {
		return nil, p.errorf(e.Pos, ErrGroupBy,
			"column %q must appear in GROUP BY or be used in an aggregate function", e.Name)
	}
	if isWindowColumn(e.Name) {
		return nil, p.errorf(e.Pos, ErrColumnNotFound,
			"%s is only defined in queries with GROUP BY or an aggregate", e.Name)
	}
	cands := sc.names()
	if sc.inner != nil {
		cands = append(cands, sc.inner.names()...)
	}
	return nil, p.errorf(e.Pos, ErrColumnNotFound, "column %q not found%s", e.Name, didYouMean(e.Name, cands))
}

func isWindowColumn(name string) bool {
	return strings.EqualFold(name, "window_start") || strings.EqualFold(name, "window_end")
}

func (p *planning) compileBinary(e *parser.Binary, sc *scope) (expr.Func, error) {
	if fn, ok, err := p.compileShift(e, sc); ok {
		return fn, err
	}
	l, err := p.compile(e.L, sc)
	if err != nil {
		return nil, err
	}
	r, err := p.compile(e.R, sc)
	if err != nil {
		return nil, err
	}
	switch e.Op {
	case "AND":
		return expr.And(l, r), nil
	case "OR":
		return expr.Or(l, r), nil
	case "||":
		return func(row types.Row) types.Value { return expr.Concat(l(row), r(row)) }, nil
	case "+", "-", "*", "/", "%":
		for _, x := range []parser.Expr{e.L, e.R} {
			if k, ok := p.numericOperand(x, sc); !ok {
				return nil, p.errorf(x.Position(), ErrType, "operator %s needs numbers, but %s is %s", e.Op, x, k)
			}
		}
		op := expr.ArithOp(e.Op[0])
		return func(row types.Row) types.Value { return expr.Arith(op, l(row), r(row)) }, nil
	}
	cmp, ok := map[string]expr.CmpOp{"=": expr.EQ, "<>": expr.NE, "<": expr.LT, "<=": expr.LE, ">": expr.GT, ">=": expr.GE}[e.Op]
	if !ok {
		return nil, p.errorf(e.Pos, ErrUnsupported, "unsupported operator %s", e.Op)
	}
	// A quoted literal compared with a number or a boolean is read as
	// one, as PostgreSQL reads an untyped literal ('2' = 2): drivers
	// that write parameters into the text quote every value.
	if lit, ok := e.R.(*parser.Literal); ok {
		if v, ok, err := p.literalAs(lit, p.typeOf(e.L, sc)); ok {
			r = expr.Const(v)
		} else if err != nil {
			return nil, err
		}
	}
	if lit, ok := e.L.(*parser.Literal); ok {
		if v, ok, err := p.literalAs(lit, p.typeOf(e.R, sc)); ok {
			l = expr.Const(v)
		} else if err != nil {
			return nil, err
		}
	}
	return func(row types.Row) types.Value { return expr.Compare(cmp, l(row), r(row)) }, nil
}

// literalAs reads a quoted literal as a value of kind k when k is a
// number or a boolean; ok is false for anything else.
func (p *planning) literalAs(lit *parser.Literal, k types.Kind) (types.Value, bool, error) {
	if lit.Value.Kind() != types.KindText {
		return types.Null, false, nil
	}
	s := strings.TrimSpace(lit.Value.AsText())
	var v types.Value
	ok := true
	switch k {
	case types.KindInt:
		n, err := strconv.ParseInt(s, 10, 64)
		v, ok = types.Int(n), err == nil
	case types.KindFloat:
		f, err := strconv.ParseFloat(s, 64)
		v, ok = types.Float(f), err == nil
	case types.KindDecimal:
		v, ok = types.ParseDecimal(s)
	case types.KindBool:
		switch strings.ToLower(s) {
		case "t", "true", "yes", "on", "1":
			v = types.Bool(true)
		case "f", "false", "no", "off", "0":
			v = types.Bool(false)
		default:
			ok = false
		}
	default:
		return types.Null, false, nil
	}
	if !ok {
		return types.Null, false, p.errorf(lit.Pos, ErrType, "%s is compared with a %s, but is not one", lit, k)
	}
	return v, true, nil
}

func (p *planning) compileCall(e *parser.Call, sc *scope) (expr.Func, error) {
	if e.Over != nil {
		return nil, p.errorf(e.Pos, ErrUnsupported, "window function %s is only allowed in the select list", e)
	}
	if p.isAggName(e.Name) {
		// Aggregates were matched by lookupExpr in an aggregate's output
		// scope; reaching here means one appeared where none may.
		return nil, p.errorf(e.Pos, ErrAggregate, "aggregate function %s is not allowed in %s", e, sc.clause)
	}
	fn, ok := p.lookupScalar(e.Name)
	if !ok {
		names := append(expr.ScalarNames(), agg.Names...)
		if f := p.opts.Functions; f != nil {
			names = append(names, f.FunctionNames()...)
		}
		sort.Strings(names)
		return nil, p.errorf(e.Pos, ErrFunctionNotFound, "unknown function %s%s", e.Name, didYouMean(e.Name, names))
	}
	if e.Filter != nil {
		return nil, p.errorf(e.Filter.Position(), ErrAggregate, "FILTER (WHERE ...) applies to aggregate functions, not to %s", e.Name)
	}

	if e.Star || e.Distinct {
		return nil, p.errorf(e.Pos, ErrUnsupported, "%s does not take * or DISTINCT", e.Name)
	}
	if len(e.Args) < fn.MinArgs || (fn.MaxArgs >= 0 && len(e.Args) > fn.MaxArgs) {
		return nil, p.errorf(e.Pos, ErrUnsupported, "%s takes %s, got %d", fn.Name, arity(fn), len(e.Args))
	}
	args, err := p.compileList(e.Args, sc)
	if err != nil {
		return nil, err
	}
	// Constant arguments (a regexp, a date_trunc unit, a layout) are
	// checked and prepared once, now, so a bad one is a plan-time error.
	consts := make([]*types.Value, len(e.Args))
	for i, a := range e.Args {
		if l, ok := a.(*parser.Literal); ok {
			v := l.Value
			consts[i] = &v
		}
	}
	f, err := expr.Compile(fn, args, consts)
	if err != nil {
		return nil, p.errorf(e.Pos, ErrFunctionNotFound, "%v", err)
	}
	return f, nil
}

func arity(fn *expr.Scalar) string {
	switch {
	case fn.MaxArgs < 0:
		return "at least " + plural(fn.MinArgs)
	case fn.MinArgs == fn.MaxArgs:
		return plural(fn.MinArgs)
	}
	return strconv.Itoa(fn.MinArgs) + " to " + plural(fn.MaxArgs)
}

func plural(n int) string {
	if n == 1 {
		return "1 argument"
	}
	return strconv.Itoa(n) + " arguments"
}

func (p *planning) compileCase(e *parser.Case, sc *scope) (expr.Func, error) {
	var operand expr.Func
	if e.Operand != nil {
		f, err := p.compile(e.Operand, sc)
		if err != nil {
			return nil, err
		}
		operand = f
	}
	whens := make([]expr.When, len(e.Whens))
	for i, w := range e.Whens {
		c, err := p.compile(w.Cond, sc)
		if err != nil {
			return nil, err
		}
		if operand != nil {
			v := c
			c = func(r types.Row) types.Value { return expr.Compare(expr.EQ, operand(r), v(r)) }
		}
		t, err := p.compile(w.Then, sc)
		if err != nil {
			return nil, err
		}
		whens[i] = expr.When{Cond: c, Then: t}
	}
	var els expr.Func
	if e.Else != nil {
		f, err := p.compile(e.Else, sc)
		if err != nil {
			return nil, err
		}
		els = f
	}
	return expr.Case(whens, els), nil
}

// walk calls fn on e and every expression inside it, depth first; fn
// returns false to skip a node's children.
func walk(e parser.Expr, fn func(parser.Expr) bool) {
	if e == nil || !fn(e) {
		return
	}
	switch e := e.(type) {
	case *parser.Unary:
		walk(e.X, fn)
	case *parser.Binary:
		walk(e.L, fn)
		walk(e.R, fn)
	case *parser.Call:
		for _, a := range e.Args {
			walk(a, fn)
		}
		walk(e.Filter, fn)
	case *parser.IsNull:
		walk(e.X, fn)
	case *parser.In:
		walk(e.X, fn)
		for _, a := range e.List {
			walk(a, fn)
		}
	case *parser.Between:
		walk(e.X, fn)
		walk(e.Lo, fn)
		walk(e.Hi, fn)
	case *parser.Like:
		walk(e.X, fn)
		walk(e.Pattern, fn)
	case *parser.Case:
		walk(e.Operand, fn)
		for _, w := range e.Whens {
			walk(w.Cond, fn)
			walk(w.Then, fn)
		}
		walk(e.Else, fn)
	case *parser.Cast:
		walk(e.X, fn)
	}
}
