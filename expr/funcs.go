package expr

import (
	"fmt"
	"math"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/streamsql/streamsql/types"
)

// Scalar is a built-in scalar function. The functions themselves are
// registered by the funcs_*.go files, one per theme; docs/functions.md
// describes each of them for users.
type Scalar struct {
	Name    string
	MinArgs int
	MaxArgs int // -1 for variadic
	// Doc is a one-line example with its result, as `f(x) = y`.
	Doc string
	// Fn computes the result from evaluated arguments. Unless NullSafe,
	// any NULL argument makes the result NULL without calling Fn. Fn must
	// not keep args (or a slice of it) after it returns: the caller reuses
	// the slice for the next row. Fn must not panic on any input.
	Fn       func(args []types.Value) types.Value
	NullSafe bool
	// Prepare, when set, specialises the function for one call site before
	// any row is seen. constArgs has one entry per argument: a pointer to
	// the argument's value when it is a constant known at plan time, nil
	// otherwise (for a function that is not NullSafe, a constant is never
	// NULL here). Prepare returns the function to use instead of Fn (nil:
	// use Fn), or an error that makes the query fail at plan time, e.g.
	// for an invalid constant regular expression. With no constant
	// argument Prepare must not fail.
	//
	// Prepare is where work that depends only on constants is done once
	// (compiling a pattern, parsing a layout) and where a call site keeps
	// state of its own (a cache of the last pattern seen); the returned
	// function may be called from several goroutines at once.
	Prepare func(constArgs []*types.Value) (func([]types.Value) types.Value, error)
}

var (
	scalarsMu sync.RWMutex
	scalars   = map[string]*Scalar{}
)

func register(s *Scalar) {
	if err := addScalar(s); err != nil {
		panic("expr: " + err.Error())
	}
}

// CheckScalar reports a Scalar that cannot be called: no name or Fn, an
// arity that cannot be met.
func CheckScalar(s *Scalar) error {
	if s == nil || s.Name == "" || s.Fn == nil {
		return fmt.Errorf("scalar function needs a name and a Fn")
	}
	if s.MinArgs < 0 || (s.MaxArgs >= 0 && s.MaxArgs < s.MinArgs) {
		return fmt.Errorf("scalar function %s: bad arity %d to %d", s.Name, s.MinArgs, s.MaxArgs)
	}
	return nil
}

// addScalar adds a built-in scalar function, from init: the built-ins are
// fixed once the program runs (user-defined functions belong to an engine,
// which looks them up itself). s.Name is taken in lower case.
func addScalar(s *Scalar) error {
	if err := CheckScalar(s); err != nil {
		return err
	}
	if lower := strings.ToLower(s.Name); lower != s.Name {
		c := *s
		c.Name = lower
		s = &c
	}
	scalarsMu.Lock()
	defer scalarsMu.Unlock()
	if _, dup := scalars[s.Name]; dup {
		return fmt.Errorf("scalar function %s already exists", s.Name)
	}
	scalars[s.Name] = s
	return nil
}

// alias registers s under another name, sharing everything but the name
// and the example.
func alias(name, doc string, s *Scalar) {
	c := *s
	c.Name, c.Doc = name, doc
	register(&c)
}

// LookupScalar finds a built-in scalar function by name.
func LookupScalar(name string) (*Scalar, bool) {
	scalarsMu.RLock()
	defer scalarsMu.RUnlock()
	s, ok := scalars[strings.ToLower(name)]
	return s, ok
}

// ScalarNames lists the built-in scalar functions.
func ScalarNames() []string {
	scalarsMu.RLock()
	defer scalarsMu.RUnlock()
	out := make([]string, 0, len(scalars))
	for n := range scalars {
		out = append(out, n)
	}
	return out
}

// Call builds the Func that calls s on the given argument Funcs, treating
// every argument as varying from row to row. It is Compile without
// constants, which cannot fail.
func Call(s *Scalar, args []Func) Func {
	f, err := Compile(s, args, nil)
	if err != nil {
		// Prepare fails only on constants, so this is a wrong number of
		// arguments, which the planner rejects before calling Call. Keep
		// the old behaviour: call Fn as is.
		return call(s, s.Fn, args)
	}
	return f
}

// Compile builds the Func that calls s on args for one call site. consts
// is nil or has one entry per argument: a pointer to the argument's value
// when the planner knows it is constant (a literal), nil otherwise. Work
// that depends only on constants is then done once, and an invalid
// constant (a regular expression that does not compile, an unknown
// date_trunc unit or format directive) is an error here, at plan time,
// instead of a NULL on every row. The error text starts with the
// function's name. A function that is not NullSafe with a NULL constant
// argument compiles to the constant NULL.
//
// The returned Func reuses one argument slice across calls; it is safe to
// call from several goroutines at once (a caller that finds the slice in
// use allocates its own), though operators call each Func from one
// goroutine, where no allocation happens.
func Compile(s *Scalar, args []Func, consts []*types.Value) (Func, error) {
	if len(args) < s.MinArgs || (s.MaxArgs >= 0 && len(args) > s.MaxArgs) {
		return nil, fmt.Errorf("%s takes %s, got %d", s.Name, arityText(s), len(args))
	}
	if consts != nil && len(consts) != len(args) {
		return nil, fmt.Errorf("%s: %d constants given for %d arguments", s.Name, len(consts), len(args))
	}
	if consts == nil {
		consts = make([]*types.Value, len(args))
	}
	if !s.NullSafe {
		for _, c := range consts {
			if c != nil && c.IsNull() {
				return Const(types.Null), nil
			}
		}
	}
	fn := s.Fn
	if s.Prepare != nil {
		p, err := s.Prepare(consts)
		if err != nil {
			return nil, err
		}
		if p != nil {
			fn = p
		}
	}
	return call(s, fn, args), nil
}

func arityText(s *Scalar) string {
	plural := func(n int) string {
		if n == 1 {
			return "1 argument"
		}
		return fmt.Sprintf("%d arguments", n)
	}
	switch {
	case s.MaxArgs < 0:
		return "at least " + plural(s.MinArgs)
	case s.MinArgs == s.MaxArgs:
		return plural(s.MinArgs)
	}
	return fmt.Sprintf("%d to %d arguments", s.MinArgs, s.MaxArgs)
}

// call evaluates the arguments into a slice owned by the returned Func, so
// a row costs no allocation beyond what fn itself makes. The slice is
// claimed with an atomic flag: a second goroutine calling the same Func
// while it is in use (the planner does not share Funcs across goroutines
// today) takes a fresh slice instead of racing.
func call(s *Scalar, fn func([]types.Value) types.Value, args []Func) Func {
	if len(args) == 0 {
		return func(types.Row) types.Value { return fn(nil) }
	}
	nullSafe := s.NullSafe
	buf := make([]types.Value, len(args))
	var busy atomic.Bool
	return func(r types.Row) types.Value {
		vals := buf
		owned := busy.CompareAndSwap(false, true)
		if !owned {
			vals = make([]types.Value, len(args))
		}
		out, null := types.Null, false
		for i, a := range args {
			vals[i] = a(r)
			if !nullSafe && vals[i].IsNull() {
				null = true
				break
			}
		}
		if !null {
			out = fn(vals)
		}
		if owned {
			clear(vals) // do not pin the row's strings until the next call
			busy.Store(false)
		}
		return out
	}
}

// Helpers shared by the funcs_*.go files.

// textArg renders any non-NULL value as text, as SQL functions on strings
// read numbers and timestamps.
func textArg(v types.Value) string {
	if v.Kind() == types.KindText {
		return v.AsText()
	}
	return v.String()
}

// intArg reads v as an integer argument (a position, a count, a number of
// digits): numbers and numeric text, DOUBLE truncated toward zero and
// saturated at the BIGINT range, as SQLite's sqlite3_value_int64. ok is
// false for anything else (non-numeric text, NaN, timestamps, arrays).
func intArg(v types.Value) (int64, bool) {
	v = numeric(v)
	if v.Kind() == types.KindDecimal {
		f, _ := v.Float64()
		v = types.Float(f)
	}
	switch v.Kind() {
	case types.KindInt:
		return v.AsInt(), true
	case types.KindFloat:
		f := v.AsFloat()
		switch {
		case math.IsNaN(f):
			return 0, false
		case f >= 1<<63:
			return math.MaxInt64, true
		case f <= -(1 << 63):
			return math.MinInt64, true
		}
		return int64(f), true
	}
	return 0, false
}

// floatResult is a DOUBLE result as SQLite returns one: NaN becomes NULL.
// (-0 stays -0, as in SQLite and PostgreSQL: ceil(-0.5) is -0.)
func floatResult(f float64) types.Value {
	if math.IsNaN(f) {
		return types.Null
	}
	return types.Float(f)
}
