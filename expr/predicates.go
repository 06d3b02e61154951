package expr

import (
	"strings"
	"unicode/utf8"

	"github.com/streamsql/streamsql/types"
)

// IsNull is `x IS [NOT] NULL`; never NULL itself.
func IsNull(x Func, not bool) Func {
	return func(r types.Row) types.Value { return types.Bool(x(r).IsNull() != not) }
}

// In is `x [NOT] IN (list)`: NULL when x is NULL, or when x matches nothing
// and the list holds a NULL (SQL's rule).
func In(x Func, list []Func, not bool) Func {
	return func(r types.Row) types.Value {
		v := x(r)
		if v.IsNull() {
			return types.Null
		}
		sawNull := false
		for _, f := range list {
			e := f(r)
			if e.IsNull() {
				sawNull = true
				continue
			}
			if compareCoerced(v, e) == 0 {
				return types.Bool(!not)
			}
		}
		if sawNull {
			return types.Null
		}
		return types.Bool(not)
	}
}

// Between is `x [NOT] BETWEEN lo AND hi`, i.e. lo <= x AND x <= hi.
func Between(x, lo, hi Func, not bool) Func {
	ge := func(r types.Row) types.Value { return Compare(GE, x(r), lo(r)) }
	le := func(r types.Row) types.Value { return Compare(LE, x(r), hi(r)) }
	f := And(ge, le)
	if not {
		return Not(f)
	}
	return f
}

// Like is `x [NOT] LIKE pattern` with % and _ wildcards, case-sensitive. A
// constant pattern is compiled once.
func Like(x, pattern Func, constPattern *string, not bool) Func {
	match := func(s, p string) bool { return likeMatch(s, p) }
	if constPattern != nil {
		p := *constPattern
		if m, ok := simpleLike(p); ok {
			match = func(s, _ string) bool { return m(s) }
		}
	}
	return func(r types.Row) types.Value {
		v, p := x(r), pattern(r)
		if v.IsNull() || p.IsNull() {
			return types.Null
		}
		return types.Bool(match(v.String(), p.String()) != not)
	}
}

// simpleLike recognises the patterns users write most (prefix%, %suffix,
// %infix%, exact) and matches them without backtracking.
func simpleLike(p string) (func(string) bool, bool) {
	if strings.ContainsRune(p, '_') {
		return nil, false
	}
	inner := strings.Trim(p, "%")
	if strings.ContainsRune(inner, '%') {
		return nil, false
	}
	pre, suf := strings.HasPrefix(p, "%"), strings.HasSuffix(p, "%")
	switch {
	case pre && suf:
		return func(s string) bool { return strings.Contains(s, inner) }, true
	case pre:
		return func(s string) bool { return strings.HasSuffix(s, inner) }, true
	case suf:
		return func(s string) bool { return strings.HasPrefix(s, inner) }, true
	}
	return func(s string) bool { return s == p }, true
}

// likeMatch matches s against a LIKE pattern, rune by rune, with the classic
// greedy-with-backtrack algorithm for %.
func likeMatch(s, p string) bool {
	si, pi := 0, 0
	starP, starS := -1, 0
	for si < len(s) {
		if pi < len(p) {
			pc, pw := utf8.DecodeRuneInString(p[pi:])
			switch pc {
			case '%':
				starP, starS = pi+pw, si
				pi += pw
				continue
			case '_':
				_, sw := utf8.DecodeRuneInString(s[si:])
				si += sw
				pi += pw
				continue
			default:
				sc, sw := utf8.DecodeRuneInString(s[si:])
				if sc == pc {
					si += sw
					pi += pw
					continue
				}
			}
		}
		if starP < 0 {
			return false
		}
		_, sw := utf8.DecodeRuneInString(s[starS:])
		starS += sw
		si, pi = starS, starP
	}
	for pi < len(p) && p[pi] == '%' {
		pi++
	}
	return pi == len(p)
}

// When is one arm of a CASE.
type When struct{ Cond, Then Func }

// Case is the searched CASE; the simple form `CASE x WHEN v` is compiled by
// the planner into conditions `x = v`.
func Case(whens []When, els Func) Func {
	return func(r types.Row) types.Value {
		for _, w := range whens {
			if TruthOf(w.Cond(r)) == True {
				return w.Then(r)
			}
		}
		if els == nil {
			return types.Null
		}
		return els(r)
	}
}
