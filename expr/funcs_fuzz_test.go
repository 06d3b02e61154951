package expr

import (
	"math"
	"sort"
	"testing"

	"github.com/streamsql/streamsql/types"
)

// FuzzScalars calls every registered function, with every arity it
// takes (up to 4 arguments), on values built from the fuzzer's input, by
// each of the three paths (Fn, Call, Compile with constant arguments).
// Nothing may panic, and the constant path must agree with the row path
// whenever it compiles.
//
//	go test -run '^$' -fuzz FuzzScalars -fuzztime 1m ./expr/
func FuzzScalars(f *testing.F) {
	f.Add("hello", ",", int64(2), 1.5, uint32(0o4432))
	f.Add("héllo wörld", "", int64(-3), -2.5, uint32(0o2244))
	f.Add("a(b", "(a)(b)?", int64(1), 0.5, uint32(0o4544))
	f.Add("2026-01-02T03:04:05Z", "%F %T.%f %j %z", int64(1700000000000), 1e300, uint32(0o5454))
	f.Add("day", "2026-01-02 03:04:05", int64(math.MinInt64), math.NaN(), uint32(0o6542))
	f.Add("%Y%m%d%H%M%S", "20260102030405", int64(math.MaxInt64), math.Inf(-1), uint32(0o4545))
	f.Add("\xff\xfe", "\x00%", int64(0), math.Copysign(0, -1), uint32(0o7777))
	f.Add("epoch", "-1.5", int64(-1), 4503599627370497.0, uint32(0o1236))

	names := ScalarNames()
	sort.Strings(names)
	f.Fuzz(func(t *testing.T, a, b string, x int64, y float64, kinds uint32) {
		vals := make([]types.Value, 4)
		for j := range vals {
			text := a
			if j%2 == 1 {
				text = b
			}
			switch (kinds >> (3 * j)) & 7 {
			case 0:
				vals[j] = types.Null
			case 1:
				vals[j] = types.Bool(x&1 == 1)
			case 2:
				vals[j] = types.Int(x)
			case 3:
				vals[j] = types.Float(y)
			case 4, 5:
				vals[j] = types.Text(text)
			case 6:
				vals[j] = types.Time(types.Int(x).AsTime())
			case 7:
				vals[j] = types.Array([]types.Value{types.Text(a), types.Int(x)})
			}
		}
		for _, name := range names {
			sc, _ := LookupScalar(name)
			hi := sc.MaxArgs
			if hi < 0 || hi > len(vals) {
				hi = len(vals)
			}
			for nargs := sc.MinArgs; nargs <= hi; nargs++ {
				args := vals[:nargs]
				constPath, rowPath, err := evalAllQuiet(sc, args)
				if err == nil && name != "now" && !same(constPath, rowPath) {
					t.Errorf("%s: constant path %s, row path %s", callString(name, args), show(constPath), show(rowPath))
				}
				if k := rowPath.Kind(); k == types.KindFloat && math.IsNaN(rowPath.AsFloat()) && !isPassThrough(name) {
					t.Errorf("%s = NaN", callString(name, args))
				}
			}
		}
	})
}

// isPassThrough names the functions that return one of their arguments
// as is, so a NaN argument may come back.
func isPassThrough(name string) bool {
	switch name {
	case "coalesce", "nullif", "greatest", "least", "iif":
		return true
	}
	return false
}

// evalAllQuiet is evalAll without a *testing.T: it calls Fn directly too,
// for the panic check only.
func evalAllQuiet(sc *Scalar, args []types.Value) (constPath, rowPath types.Value, err error) {
	consts := make([]*types.Value, len(args))
	cols := make([]Func, len(args))
	anyNull := false
	for k := range args {
		consts[k] = &args[k]
		cols[k] = Column(k)
		anyNull = anyNull || args[k].IsNull()
	}
	row := types.Row(args)
	rowPath = Call(sc, cols)(row)
	if sc.NullSafe || !anyNull {
		sc.Fn(append([]types.Value(nil), args...))
	}
	cf, err := Compile(sc, cols, consts)
	if err == nil {
		constPath = cf(row)
	}
	return constPath, rowPath, err
}
