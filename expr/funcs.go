package expr

import (
	"math"
	"strings"
	"unicode/utf8"

	"github.com/streamsql/streamsql/types"
)

// Scalar is a built-in scalar function.
type Scalar struct {
	Name    string
	MinArgs int
	MaxArgs int // -1 for variadic
	Doc     string
	// Fn computes the result from evaluated arguments. Unless NullSafe,
	// any NULL argument makes the result NULL without calling Fn.
	Fn       func(args []types.Value) types.Value
	NullSafe bool
}

var scalars = map[string]*Scalar{}

func register(s *Scalar) { scalars[s.Name] = s }

// LookupScalar finds a scalar function by lower-case name.
func LookupScalar(name string) (*Scalar, bool) {
	s, ok := scalars[strings.ToLower(name)]
	return s, ok
}

// ScalarNames lists the known scalar functions.
func ScalarNames() []string {
	out := make([]string, 0, len(scalars))
	for n := range scalars {
		out = append(out, n)
	}
	return out
}

// Call builds the Func that calls s on the given argument Funcs.
func Call(s *Scalar, args []Func) Func {
	return func(r types.Row) types.Value {
		vals := make([]types.Value, len(args))
		for i, a := range args {
			vals[i] = a(r)
			if !s.NullSafe && vals[i].IsNull() {
				return types.Null
			}
		}
		return s.Fn(vals)
	}
}

func text1(f func(string) string) func([]types.Value) types.Value {
	return func(a []types.Value) types.Value { return types.Text(f(a[0].String())) }
}

func init() {
	register(&Scalar{Name: "lower", MinArgs: 1, MaxArgs: 1, Doc: "lower('Hello') = 'hello'", Fn: text1(strings.ToLower)})
	register(&Scalar{Name: "upper", MinArgs: 1, MaxArgs: 1, Doc: "upper('Hello') = 'HELLO'", Fn: text1(strings.ToUpper)})
	register(&Scalar{Name: "trim", MinArgs: 1, MaxArgs: 1, Doc: "trim('  a ') = 'a'", Fn: text1(strings.TrimSpace)})
	register(&Scalar{Name: "length", MinArgs: 1, MaxArgs: 1, Doc: "length('héllo') = 5 (characters)",
		Fn: func(a []types.Value) types.Value { return types.Int(int64(utf8.RuneCountInString(a[0].String()))) }})
	register(&Scalar{Name: "abs", MinArgs: 1, MaxArgs: 1, Doc: "abs(-3) = 3",
		Fn: func(a []types.Value) types.Value {
			v := numeric(a[0])
			if v.Kind() == types.KindInt && v.AsInt() < 0 {
				return Negate(v)
			}
			if v.Kind() == types.KindFloat {
				return types.Float(math.Abs(v.AsFloat()))
			}
			return v
		}})
	register(&Scalar{Name: "coalesce", MinArgs: 1, MaxArgs: -1, NullSafe: true, Doc: "coalesce(NULL, 2) = 2",
		Fn: func(a []types.Value) types.Value {
			for _, v := range a {
				if !v.IsNull() {
					return v
				}
			}
			return types.Null
		}})
	register(&Scalar{Name: "to_timestamp", MinArgs: 1, MaxArgs: 1, Doc: "to_timestamp(1700000000000) and to_timestamp('2026-01-01T00:00:00Z')",
		Fn: func(a []types.Value) types.Value { return ToTimestamp(a[0]) }})
}
