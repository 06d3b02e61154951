package expr

import (
	"math"
	"os"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/streamsql/streamsql/types"
)

var b = types.Bool

// arr is an ARRAY of TEXT.
func arr(elems ...string) types.Value {
	out := make([]types.Value, len(elems))
	for k, e := range elems {
		out[k] = types.Text(e)
	}
	return types.Array(out)
}

// ts is a TIMESTAMP from RFC 3339 text.
func ts(text string) types.Value {
	t, err := time.Parse(time.RFC3339Nano, text)
	if err != nil {
		panic(err)
	}
	return types.Time(t)
}

// fcase is one call of a scalar function with its exact expected result.
type fcase struct {
	fn   string
	args []types.Value
	want types.Value
}

func c(fn string, want types.Value, args ...types.Value) fcase {
	return fcase{fn: fn, args: args, want: want}
}

// same reports whether two values are identical: same kind and equal (for
// DOUBLE, the same number, so 0 and -0 differ).
func same(x, y types.Value) bool {
	if x.Kind() != y.Kind() {
		return false
	}
	if x.Kind() == types.KindFloat {
		fx, fy := x.AsFloat(), y.AsFloat()
		return fx == fy && math.Signbit(fx) == math.Signbit(fy) || math.IsNaN(fx) && math.IsNaN(fy)
	}
	if x.Kind() == types.KindArray {
		ex, ey := x.AsArray(), y.AsArray()
		if len(ex) != len(ey) {
			return false
		}
		for k := range ex {
			if !same(ex[k], ey[k]) {
				return false
			}
		}
		return true
	}
	return types.Compare(x, y) == 0
}

func show(v types.Value) string {
	if v.Kind() == types.KindText {
		return sqlQuote(v.AsText())
	}
	return v.Kind().String() + " " + v.String()
}

func callString(fn string, args []types.Value) string {
	parts := make([]string, len(args))
	for k, a := range args {
		if a.Kind() == types.KindText {
			parts[k] = sqlQuote(a.AsText())
		} else {
			parts[k] = a.String()
		}
	}
	return fn + "(" + strings.Join(parts, ", ") + ")"
}

// evalAll computes a call the three ways a function can be reached: with
// every argument a plan-time constant (Compile, the planner's path for
// literals), with every argument read from the row (Call), and Fn directly
// (when Call would reach it). compileErr is the plan-time error, if any;
// then only the row path has a result.
func evalAll(t *testing.T, fn string, args []types.Value) (constPath, rowPath types.Value, compileErr error) {
	t.Helper()
	sc, ok := LookupScalar(fn)
	if !ok {
		t.Fatalf("no function %s", fn)
	}
	consts := make([]*types.Value, len(args))
	cols := make([]Func, len(args))
	for k := range args {
		consts[k] = &args[k]
		cols[k] = Column(k)
	}
	row := types.Row(args)
	rowPath = Call(sc, cols)(row)
	cf, err := Compile(sc, cols, consts)
	if err == nil {
		constPath = cf(row)
	}
	anyNull := false
	for _, a := range args {
		anyNull = anyNull || a.IsNull()
	}
	if sc.NullSafe || !anyNull {
		if direct := sc.Fn(append([]types.Value(nil), args...)); !same(direct, rowPath) {
			t.Errorf("%s: Fn gives %s, Call gives %s", callString(fn, args), show(direct), show(rowPath))
		}
	}
	return constPath, rowPath, err
}

func runCases(t *testing.T, cases []fcase) {
	t.Helper()
	for _, tc := range cases {
		constPath, rowPath, err := evalAll(t, tc.fn, tc.args)
		if err != nil {
			t.Errorf("%s: unexpected plan-time error: %v", callString(tc.fn, tc.args), err)
			continue
		}
		if !same(rowPath, tc.want) {
			t.Errorf("%s = %s, want %s", callString(tc.fn, tc.args), show(rowPath), show(tc.want))
		}
		if !same(constPath, rowPath) {
			t.Errorf("%s with constant arguments = %s, but %s from a row", callString(tc.fn, tc.args), show(constPath), show(rowPath))
		}
	}
}

// planErrCase is a call whose constant arguments are rejected at plan time
// (the error contains msg) and which gives NULL when the same values come
// from a row.
type planErrCase struct {
	fn   string
	args []types.Value
	msg  string
}

func runPlanErrors(t *testing.T, cases []planErrCase) {
	t.Helper()
	for _, tc := range cases {
		_, rowPath, err := evalAll(t, tc.fn, tc.args)
		if err == nil || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%s: plan-time error %v, want one containing %q", callString(tc.fn, tc.args), err, tc.msg)
		} else if !strings.HasPrefix(err.Error(), tc.fn+": ") {
			t.Errorf("%s: error %q does not start with the function name", callString(tc.fn, tc.args), err)
		}
		if !rowPath.IsNull() {
			t.Errorf("%s from a row = %s, want NULL", callString(tc.fn, tc.args), show(rowPath))
		}
	}
}

func TestRegistry(t *testing.T) {
	names := ScalarNames()
	sort.Strings(names)
	if len(names) < 40 {
		t.Errorf("only %d functions registered: %v", len(names), names)
	}
	for _, name := range names {
		sc, _ := LookupScalar(name)
		if sc.Name != name || name != strings.ToLower(name) {
			t.Errorf("%s: registered as %q", name, sc.Name)
		}
		if sc.Fn == nil || sc.MinArgs < 0 || (sc.MaxArgs >= 0 && sc.MaxArgs < sc.MinArgs) {
			t.Errorf("%s: bad arity %d..%d or no Fn", name, sc.MinArgs, sc.MaxArgs)
		}
		if !strings.HasPrefix(sc.Doc, name+"(") || !strings.Contains(sc.Doc, " = ") {
			t.Errorf("%s: Doc %q is not an example `%s(...) = result`", name, sc.Doc, name)
		}
	}
	if _, ok := LookupScalar("UPPER"); !ok {
		t.Error("LookupScalar is not case-insensitive")
	}
}

// TestDocsListEveryFunction keeps docs/functions.md complete: every
// registered function has a heading there, and every heading names a
// registered function.
func TestDocsListEveryFunction(t *testing.T) {
	data, err := os.ReadFile("../docs/functions.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(data)
	documented := map[string]bool{}
	for _, m := range regexp.MustCompile("(?m)^### `([a-z_0-9]+)\\(").FindAllStringSubmatch(doc, -1) {
		documented[m[1]] = true
	}
	for _, name := range ScalarNames() {
		if !documented[name] {
			t.Errorf("function %s is registered but has no \"### `%s(...)`\" heading in docs/functions.md", name, name)
		}
	}
	for name := range documented {
		if _, ok := LookupScalar(name); !ok {
			t.Errorf("docs/functions.md documents %s, which is not registered", name)
		}
	}
}

func TestCompileArityAndNullConstant(t *testing.T) {
	sc, _ := LookupScalar("substr")
	if _, err := Compile(sc, []Func{Const(s("x"))}, nil); err == nil || err.Error() != "substr takes 2 to 3 arguments, got 1" {
		t.Errorf("arity error = %v", err)
	}
	null := types.Null
	f, err := Compile(sc, []Func{Column(0), Const(null)}, []*types.Value{nil, &null})
	if err != nil || !f(types.Row{s("abc")}).IsNull() {
		t.Errorf("substr(x, NULL) did not compile to NULL: %v", err)
	}
	// A NullSafe function sees its NULL constants.
	co, _ := LookupScalar("coalesce")
	f, err = Compile(co, []Func{Const(null), Column(0)}, []*types.Value{&null, nil})
	if err != nil || f(types.Row{i(7)}).String() != "7" {
		t.Errorf("coalesce(NULL, x) = %v, %v", f, err)
	}
}

func TestCallDoesNotAllocate(t *testing.T) {
	for _, tc := range []struct {
		fn   string
		args []types.Value
	}{
		{"upper", []types.Value{s("ALREADY UPPER")}},
		{"abs", []types.Value{i(-3)}},
		{"coalesce", []types.Value{n, i(1), i(2)}},
		{"greatest", []types.Value{i(1), f(2.5), n}},
		{"date_part", []types.Value{s("hour"), ts("2026-01-02T03:04:05Z")}},
		{"substr", []types.Value{s("hello"), i(2), i(3)}},
	} {
		sc, _ := LookupScalar(tc.fn)
		cols := make([]Func, len(tc.args))
		for k := range cols {
			cols[k] = Column(k)
		}
		call := Call(sc, cols)
		row := types.Row(tc.args)
		if allocs := testing.AllocsPerRun(100, func() { call(row) }); allocs != 0 {
			t.Errorf("%s allocates %v times per call", tc.fn, allocs)
		}
	}
}

// TestCallConcurrent runs one compiled Func from several goroutines; with
// -race it checks that the reused argument slice is never shared.
func TestCallConcurrent(t *testing.T) {
	sc, _ := LookupScalar("concat")
	call := Call(sc, []Func{Column(0), Const(s("-")), Column(1)})
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range 500 {
				got := call(types.Row{i(int64(g)), i(int64(k))})
				if want := types.Int(int64(g)).String() + "-" + types.Int(int64(k)).String(); got.AsText() != want {
					t.Errorf("got %s, want %s", got, want)
					return
				}
			}
		}()
	}
	wg.Wait()
}
