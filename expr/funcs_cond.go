package expr

import "github.com/streamsql/streamsql/types"

// Conditional functions. All of them are NullSafe: they see NULL
// arguments and decide what a NULL means. Arguments are all evaluated (no
// function here has side effects or can fail, so this is not observable).

func init() {
	register(&Scalar{Name: "coalesce", MinArgs: 1, MaxArgs: -1, NullSafe: true, Doc: "coalesce(NULL, 2, 3) = 2", Fn: coalesceFn})
	register(&Scalar{Name: "nullif", MinArgs: 2, MaxArgs: 2, NullSafe: true, Doc: "nullif(0, 0) = NULL and nullif(5, 0) = 5", Fn: nullifFn})
	register(&Scalar{Name: "greatest", MinArgs: 1, MaxArgs: -1, NullSafe: true, Doc: "greatest(1, NULL, 2.5) = 2.5", Fn: extremum(1)})
	register(&Scalar{Name: "least", MinArgs: 1, MaxArgs: -1, NullSafe: true, Doc: "least(3, NULL, 2) = 2", Fn: extremum(-1)})
	register(&Scalar{Name: "iif", MinArgs: 3, MaxArgs: 3, NullSafe: true, Doc: "iif(NULL, 'yes', 'no') = 'no'", Fn: iifFn})
}

// coalesceFn is the first non-NULL argument, NULL if there is none.
func coalesceFn(a []types.Value) types.Value {
	for _, v := range a {
		if !v.IsNull() {
			return v
		}
	}
	return types.Null
}

// nullifFn is NULL when a = b (with the = operator's rules, so 1 = 1.0 and
// '12' = 12), else a. A NULL b never equals, so nullif(a, NULL) is a.
func nullifFn(a []types.Value) types.Value {
	if a[0].IsNull() {
		return types.Null
	}
	if !a[1].IsNull() && compareCoerced(a[0], a[1]) == 0 {
		return types.Null
	}
	return a[0]
}

// extremum returns greatest (sign 1) or least (sign -1): NULLs are
// ignored as in PostgreSQL, so the result is NULL only when every argument
// is; values compare as < and > do (BIGINT with DOUBLE numerically) and
// the winner is returned unchanged, the first of equals.
func extremum(sign int) func([]types.Value) types.Value {
	return func(a []types.Value) types.Value {
		best := types.Null
		for _, v := range a {
			if v.IsNull() {
				continue
			}
			if best.IsNull() || compareCoerced(v, best)*sign > 0 {
				best = v
			}
		}
		return best
	}
}

// iifFn is iif(cond, a, b), SQLite's shorthand for CASE WHEN cond THEN a
// ELSE b END: a NULL condition chooses b.
func iifFn(a []types.Value) types.Value {
	if TruthOf(a[0]) == True {
		return a[1]
	}
	return a[2]
}
