package streamsql

import (
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/streamsql/streamsql/agg"
	"github.com/streamsql/streamsql/expr"
	"github.com/streamsql/streamsql/parser"
	"github.com/streamsql/streamsql/types"
)

// User-defined functions. RegisterFunction and RegisterAggregate add to
// the engine's own functions: a registered function is usable in the SQL
// the engine prepares from then on, is offered in its "did you mean"
// suggestions, and cannot be unregistered. Two engines in one process do
// not see each other's functions.

// ErrFunctionExists is the class of the error RegisterFunction and
// RegisterAggregate return for a name that is taken.
var ErrFunctionExists = errors.New("function exists")

// functions are an engine's user-defined functions (planner.Functions).
type functions struct {
	mu      sync.RWMutex
	scalars map[string]*expr.Scalar
	aggs    map[string]agg.Maker
}

func (f *functions) Scalar(name string) (*expr.Scalar, bool) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	s, ok := f.scalars[name]
	return s, ok
}

func (f *functions) Aggregate(name string) (agg.Maker, bool) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	m, ok := f.aggs[name]
	return m, ok
}

func (f *functions) FunctionNames() []string {
	f.mu.RLock()
	defer f.mu.RUnlock()
	names := make([]string, 0, len(f.scalars)+len(f.aggs))
	for n := range f.scalars {
		names = append(names, n)
	}
	for n := range f.aggs {
		names = append(names, n)
	}
	return names
}

// RegisterFunction adds a scalar SQL function name(arg, ...) computed by
// fn. It takes minArgs to maxArgs arguments (maxArgs -1: any number from
// minArgs); a call with another number is a planning error.
//
// NULL handling: fn is never called with a NULL argument. As for most
// built-in functions, a NULL argument makes the result NULL. fn may
// return NULL (types.Null) itself.
//
// fn gets the evaluated arguments of one row. It must not keep args (or
// a slice of it) after it returns, because the slice is reused for the
// next row; it must not panic; and it may be called from several
// goroutines at once (queries run side by side). Its result may be of
// any type: the planner treats it as known only at run time, as it does
// for JSON fields.
//
// Names are case-insensitive and must be callable in SQL (letters,
// digits and _, not a reserved word). A name already taken by a built-in
// or registered function or aggregate is an error wrapping
// ErrFunctionExists. It is safe to call from several goroutines.
func (e *Engine) RegisterFunction(name string, minArgs, maxArgs int, fn func(args []types.Value) types.Value) error {
	key, err := checkFunctionName("function", name)
	if err != nil {
		return err
	}
	if fn == nil {
		return fmt.Errorf("streamsql: RegisterFunction %s: fn is nil", key)
	}
	if minArgs < 0 || (maxArgs >= 0 && maxArgs < minArgs) {
		return fmt.Errorf("streamsql: RegisterFunction %s: takes %d to %d arguments: no call can match", key, minArgs, maxArgs)
	}
	sc := &expr.Scalar{Name: key, MinArgs: minArgs, MaxArgs: maxArgs, Fn: fn}
	if err := expr.CheckScalar(sc); err != nil {
		return fmt.Errorf("streamsql: cannot register function %s: %w", key, err)
	}
	f := &e.funcs
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.nameTaken("function", key); err != nil {
		return err
	}
	if f.scalars == nil {
		f.scalars = map[string]*expr.Scalar{}
	}
	f.scalars[key] = sc
	return nil
}

// Aggregate is a user-defined aggregate function over one argument. Its
// state is an agg.State: the partial aggregate of one group in one pane of
// a window. A window's result is the Merge of the states of its panes, so
// Merge is what lets sliding windows reuse work: merging the states of
// two sets of rows must give the state of all of them (in any order and
// grouping), and merging a zero State must change nothing.
//
// Keep all of the state in the State's exported fields (N, I, F, Float,
// V, Set, Sketch), which are plain data that window state checkpoints
// serialise; use no pointers to memory of your own. A zero State is the
// state of no rows.
//
// NULL values are skipped: Add is never called with NULL (as SUM and AVG
// do), and with DISTINCT it sees each distinct value once. Result gets
// the zero State for a group that saw only NULLs, and should then return
// types.Null (or what the function means for no rows, as COUNT's 0).
// Methods must not panic and may be called from several goroutines for
// different states.
type Aggregate interface {
	Add(s *agg.State, v types.Value)
	Merge(dst, src *agg.State)
	Result(s *agg.State) types.Value
}

// RegisterAggregate adds an aggregate SQL function name(x) (also
// name(DISTINCT x)) computed by a. Names follow the rules of
// RegisterFunction, and a taken name is an error wrapping
// ErrFunctionExists. It is safe to call from several goroutines.
func (e *Engine) RegisterAggregate(name string, a Aggregate) error {
	key, err := checkFunctionName("aggregate", name)
	if err != nil {
		return err
	}
	if a == nil {
		return fmt.Errorf("streamsql: RegisterAggregate %s: the Aggregate is nil", key)
	}
	f := &e.funcs
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.nameTaken("aggregate", key); err != nil {
		return err
	}
	if f.aggs == nil {
		f.aggs = map[string]agg.Maker{}
	}
	f.aggs[key] = func(arg expr.Func) (agg.Func, error) {
		if arg == nil {
			return nil, fmt.Errorf("%s(*) is not allowed", key)
		}
		return userAgg{a: a, arg: arg}, nil
	}
	return nil
}

func checkFunctionName(what, name string) (string, error) {
	key := strings.ToLower(name)
	if e, err := parser.ParseExpr(key + "(1)"); err == nil {
		if c, ok := e.(*parser.Call); ok && strings.EqualFold(c.Name, key) {
			return key, nil
		}
	}
	return "", fmt.Errorf("streamsql: cannot register %s %q: not a name SQL can call (use letters, digits and _, not a reserved word)", what, name)
}

// nameTaken reports a name already used by a scalar function or an
// aggregate, built in or registered. f.mu must be held.
func (f *functions) nameTaken(what, key string) error {
	kind, owner := "", "built-in"
	_, userScalar := f.scalars[key]
	_, userAgg := f.aggs[key]
	switch _, builtin := expr.LookupScalar(key); {
	case builtin:
		kind = "function"
	case agg.IsAggregate(key):
		kind = "aggregate function"
	case userScalar:
		kind, owner = "function", "registered"
	case userAgg:
		kind, owner = "aggregate function", "registered"
	default:
		return nil
	}
	return &existsError{fmt.Sprintf("streamsql: cannot register %s %s: a %s %s has that name", what, key, owner, kind)}
}

// existsError is a name clash: its text says with what, and errors.Is
// matches it with ErrFunctionExists.
type existsError struct{ msg string }

func (e *existsError) Error() string { return e.msg }
func (e *existsError) Unwrap() error { return ErrFunctionExists }

// userAgg adapts an Aggregate to agg.Func: it evaluates the argument and
// skips NULLs.
type userAgg struct {
	a   Aggregate
	arg expr.Func
}

func (u userAgg) Add(s *agg.State, r types.Row) {
	if v := u.arg(r); !v.IsNull() {
		u.a.Add(s, v)
	}
}

func (u userAgg) Merge(dst, src *agg.State)       { u.a.Merge(dst, src) }
func (u userAgg) Result(s *agg.State) types.Value { return u.a.Result(s) }
func (userAgg) Kind() types.Kind                  { return types.KindNull }
