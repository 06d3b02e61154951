// Package agg holds the aggregate functions (COUNT, SUM, AVG, MIN, MAX).
// Each keeps a small, plain State that can be updated row by row, merged
// with another State (so a window combines the partial aggregates of its
// panes instead of rescanning rows) and serialised for checkpoints.
package agg

import (
	"fmt"
	"slices"
	"strings"
	"sync"

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

var (
	registryMu sync.RWMutex
	makers     = map[string]Maker{}
)

// Names are the aggregate function names the planner recognises: the
// built-ins, then those added with Register, in order. Register replaces
// the slice rather than appending to it in place; RegisteredNames returns
// a copy taken under the registry's lock.
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
		if err := Register(b.name, b.make); err != nil {
			panic(err)
		}
	}
}

// Register adds an aggregate function under name (case-insensitive), for
// user-defined aggregates. It fails when the name is taken. It is safe to
// call from several goroutines, and alongside New and IsAggregate.
func Register(name string, m Maker) error {
	if name == "" || m == nil {
		return fmt.Errorf("agg: Register needs a name and a Maker")
	}
	name = strings.ToLower(name)
	registryMu.Lock()
	defer registryMu.Unlock()
	if _, dup := makers[name]; dup {
		return fmt.Errorf("aggregate function %q already exists", name)
	}
	makers[name] = m
	names := make([]string, len(Names), len(Names)+1)
	copy(names, Names)
	Names = append(names, name)
	return nil
}

// RegisteredNames returns the aggregate function names, as Names, taken
// under the registry's lock.
func RegisteredNames() []string {
	registryMu.RLock()
	defer registryMu.RUnlock()
	return slices.Clone(Names)
}

// IsAggregate reports whether name is an aggregate function.
func IsAggregate(name string) bool {
	registryMu.RLock()
	defer registryMu.RUnlock()
	_, ok := makers[strings.ToLower(name)]
	return ok
}

// New binds the aggregate name to its compiled argument. arg is nil for
// COUNT(*). With distinct the function sees each distinct non-NULL value
// of arg once (COUNT(DISTINCT x)).
func New(name string, arg expr.Func, distinct bool) (Func, error) {
	if distinct {
		if arg == nil {
			return nil, fmt.Errorf("%s(DISTINCT *) is not allowed", name)
		}
		inner, err := New(name, expr.Column(0), false)
		if err != nil {
			return nil, err
		}
		return distinctOf{inner: inner, arg: arg}, nil
	}
	registryMu.RLock()
	m, ok := makers[strings.ToLower(name)]
	registryMu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("unknown aggregate %q", name)
	}
	return m(arg)
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
}

type sum struct{ arg expr.Func }

func (f sum) Add(s *State, r types.Row) { addNumber(s, f.arg(r)) }
func (sum) Merge(d, s *State)           { mergeSum(d, s) }
func (sum) Result(s *State) types.Value {
	switch {
	case s.N == 0:
		return types.Null
	case s.Float:
		return types.Float(float64(s.I) + s.F)
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
	return types.Float((float64(s.I) + s.F) / float64(s.N))
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
