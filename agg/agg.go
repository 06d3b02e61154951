// Package agg holds the aggregate functions (COUNT, SUM, AVG, MIN, MAX).
// Each keeps a small, plain State that can be updated row by row, merged
// with another State (so a window combines the partial aggregates of its
// panes instead of rescanning rows) and serialised for checkpoints.
package agg

import (
	"fmt"
	"strings"

	"github.com/cockroachdb/apd/v3"

	"github.com/streamsql/streamsql/expr"
	"github.com/streamsql/streamsql/types"
)

// State is the partial aggregate of one group in one pane. One struct
// serves every function so group state is a flat []State with no interface
// boxing per group.
type State struct {
	N     int64       // rows (COUNT(*)), non-NULL inputs (others)
	I     int64       // integer part of a SUM
	F     float64     // float part of a SUM / AVG
	Float bool        // the SUM has seen a DOUBLE, so it is one
	V     types.Value // current MIN / MAX
	// Set holds the distinct values seen by an aggregate over DISTINCT,
	// keyed by their group-key encoding.
	Set map[string]types.Value
	// Sketch is the HyperLogLog registers of approx_count_distinct.
	Sketch []byte
}

// The DECIMAL part of a SUM or AVG is kept in V (which only MIN and MAX
// use otherwise), so a sum of DECIMALs (and BIGINTs) stays exact without
// making every state bigger.

// Func is an aggregate function bound to its argument.
type Func interface {
	Add(s *State, r types.Row)
	Merge(dst, src *State)
	Result(s *State) types.Value
	// Kind is the result type, KindNull if it depends on the input.
	Kind() types.Kind
}

// Maker binds an aggregate function to its compiled argument. arg is nil
// for COUNT(*) (the planner allows * for count only).
type Maker func(arg expr.Func) (Func, error)

// makers are the built-in aggregate functions, fixed after init.
var makers = map[string]Maker{}

// Names are the built-in aggregate function names, in order. Do not
// modify.
var Names []string

func init() {
	for _, b := range []struct {
		name string
		make Maker
	}{
		{"count", func(arg expr.Func) (Func, error) {
			if arg == nil {
				return countStar{}, nil
			}
			return count{arg}, nil
		}},
		{"sum", func(arg expr.Func) (Func, error) { return sum{arg}, nil }},
		{"avg", func(arg expr.Func) (Func, error) { return avg{arg}, nil }},
		{"min", func(arg expr.Func) (Func, error) { return extreme{arg, -1}, nil }},
		{"max", func(arg expr.Func) (Func, error) { return extreme{arg, 1}, nil }},
		{"approx_count_distinct", func(arg expr.Func) (Func, error) { return approxDistinct{arg}, nil }},
	} {
		if err := register(b.name, b.make); err != nil {
			panic(err)
		}
	}
}

// register adds a built-in aggregate function under name, from init: the
// built-ins are fixed once the program runs (user-defined aggregates
// belong to an engine, which binds them itself with Bind).
func register(name string, m Maker) error {
	if name == "" || m == nil {
		return fmt.Errorf("agg: register needs a name and a Maker")
	}
	name = strings.ToLower(name)
	if _, dup := makers[name]; dup {
		return fmt.Errorf("aggregate function %q already exists", name)
	}
	makers[name] = m
	Names = append(Names, name)
	return nil
}

// IsAggregate reports whether name is a built-in aggregate function.
func IsAggregate(name string) bool {
	_, ok := makers[strings.ToLower(name)]
	return ok
}

// New binds the aggregate name to its compiled argument. arg is nil for
// COUNT(*). With distinct the function sees each distinct non-NULL value
// of arg once (COUNT(DISTINCT x)).
func New(name string, arg expr.Func, distinct bool) (Func, error) {
	m, ok := makers[strings.ToLower(name)]
	if !ok {
		return nil, fmt.Errorf("unknown aggregate %q", name)
	}
	return Bind(name, m, arg, distinct)
}

// Bind binds the aggregate m (called name) to its compiled argument, as
// New does for a built-in; an engine binds its user-defined aggregates
// with it.
func Bind(name string, m Maker, arg expr.Func, distinct bool) (Func, error) {
	if distinct {
		if arg == nil {
			return nil, fmt.Errorf("%s(DISTINCT *) is not allowed", name)
		}
		inner, err := m(expr.Column(0))
		if err != nil {
			return nil, err
		}
		return distinctOf{inner: inner, arg: arg}, nil
	}
	return m(arg)
}

// Filtered is f over the rows for which pred holds: an aggregate's
// FILTER (WHERE pred).
func Filtered(f Func, pred expr.Func) Func { return filtered{f, pred} }

type filtered struct {
	Func
	pred expr.Func
}

func (f filtered) Add(s *State, r types.Row) {
	if expr.TruthOf(f.pred(r)) == expr.True {
		f.Func.Add(s, r)
	}
}

// CountStar is COUNT(*).
func CountStar() Func { return countStar{} }

// IsCountStar reports whether f is COUNT(*), which reads nothing of its
// rows: a caller folding many rows may count them without making them.
func IsCountStar(f Func) bool {
	_, ok := f.(countStar)
	return ok
}

type countStar struct{}

func (countStar) Add(s *State, _ types.Row)   { s.N++ }
func (countStar) Merge(d, s *State)           { d.N += s.N }
func (countStar) Result(s *State) types.Value { return types.Int(s.N) }
func (countStar) Kind() types.Kind            { return types.KindInt }

type count struct{ arg expr.Func }

func (c count) Add(s *State, r types.Row) {
	if !c.arg(r).IsNull() {
		s.N++
	}
}
func (count) Merge(d, s *State)           { d.N += s.N }
func (count) Result(s *State) types.Value { return types.Int(s.N) }
func (count) Kind() types.Kind            { return types.KindInt }

// addNumber folds v into a SUM/AVG state. Text that spells a number counts
// as that number (CSV and JSON producers are not always careful); other
// text is ignored like NULL.
func addNumber(s *State, v types.Value) {
	switch v.Kind() {
	case types.KindInt:
		s.N++
		addInt(s, v.AsInt())
	case types.KindFloat:
		s.N++
		s.F += v.AsFloat()
		s.Float = true
	case types.KindDecimal:
		s.N++
		s.V = addDec(s.V, v)
	case types.KindText:
		if n, ok := expr.ParseNumber(v.AsText()); ok {
			addNumber(s, n)
		}
	case types.KindBool:
		// true counts as 1, as in SQLite: SUM(flag) counts the trues.
		s.N++
		if v.AsBool() {
			addInt(s, 1)
		}
	}
}

// addInt adds i to the integer part of a sum; on overflow the sum
// becomes a DOUBLE, as BIGINT arithmetic does, instead of wrapping.
func addInt(s *State, i int64) {
	sum := s.I + i
	if (sum > s.I) == (i > 0) || i == 0 {
		s.I = sum
		return
	}
	s.F += float64(s.I) + float64(i)
	s.I = 0
	s.Float = true
}

func mergeSum(d, s *State) {
	d.N += s.N
	addInt(d, s.I)
	d.F += s.F
	d.Float = d.Float || s.Float
	if s.V.Kind() == types.KindDecimal {
		d.V = addDec(d.V, s.V)
	}
}

// addDec adds the DECIMAL v to the decimal sum acc (NULL for none).
func addDec(acc, v types.Value) types.Value {
	x, ok := v.AsDecimal()
	if !ok {
		return acc
	}
	if !acc.IsNull() {
		y, _ := acc.AsDecimal()
		types.DecimalContext.Add(x, x, y)
	}
	return types.Decimal(x)
}

// decSum is an exact sum's value: the integer part plus the DECIMAL part.
func decSum(s *State) types.Value {
	d, _ := s.V.AsDecimal()
	var i apd.Decimal
	i.SetInt64(s.I)
	types.DecimalContext.Add(d, d, &i)
	return types.Decimal(d)
}

type sum struct{ arg expr.Func }

func (f sum) Add(s *State, r types.Row) { addNumber(s, f.arg(r)) }
func (sum) Merge(d, s *State)           { mergeSum(d, s) }
func (sum) Result(s *State) types.Value {
	switch {
	case s.N == 0:
		return types.Null
	case s.Float:
		f, _ := s.V.Float64()
		return types.Float(float64(s.I) + s.F + f)
	case s.V.Kind() == types.KindDecimal:
		return decSum(s)
	}
	return types.Int(s.I)
}
func (sum) Kind() types.Kind { return types.KindNull }

type avg struct{ arg expr.Func }

func (f avg) Add(s *State, r types.Row) { addNumber(s, f.arg(r)) }
func (avg) Merge(d, s *State)           { mergeSum(d, s) }
func (avg) Result(s *State) types.Value {
	if s.N == 0 {
		return types.Null
	}
	f, _ := s.V.Float64()
	return types.Float((float64(s.I) + s.F + f) / float64(s.N))
}
func (avg) Kind() types.Kind { return types.KindFloat }

// extreme is MIN (sign -1) or MAX (sign 1) over numbers, text or
// timestamps, ordered by types.Compare.
type extreme struct {
	arg  expr.Func
	sign int
}

func (f extreme) Add(s *State, r types.Row) { f.fold(s, f.arg(r)) }

func (f extreme) fold(s *State, v types.Value) {
	if v.IsNull() {
		return
	}
	if s.N == 0 || types.Compare(v, s.V)*f.sign > 0 {
		s.V = v
	}
	s.N++
}

func (f extreme) Merge(d, s *State) {
	if s.N == 0 {
		return
	}
	n := d.N
	f.fold(d, s.V)
	d.N = n + s.N
}
func (extreme) Result(s *State) types.Value { return s.V }
func (extreme) Kind() types.Kind            { return types.KindNull }
