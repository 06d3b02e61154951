package expr

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"regexp/syntax"
	"strings"
	"sync/atomic"
	"unicode/utf8"

	"github.com/streamsql/streamsql/types"
)

// String functions. Arguments that are not TEXT are read as their text
// rendering (numbers, timestamps in RFC 3339), as SQLite does. Positions
// and lengths count characters (Unicode code points), not bytes.

func init() {
	register(&Scalar{Name: "lower", MinArgs: 1, MaxArgs: 1, Doc: "lower('HeLLo') = 'hello' (ASCII letters only, as SQLite)",
		Fn: func(a []types.Value) types.Value { return types.Text(asciiLower(textArg(a[0]))) }})
	register(&Scalar{Name: "upper", MinArgs: 1, MaxArgs: 1, Doc: "upper('héllo') = 'HéLLO' (ASCII letters only, as SQLite)",
		Fn: func(a []types.Value) types.Value { return types.Text(asciiUpper(textArg(a[0]))) }})
	register(&Scalar{Name: "length", MinArgs: 1, MaxArgs: 1, Doc: "length('héllo') = 5 (characters)", Fn: lengthFn})
	register(&Scalar{Name: "trim", MinArgs: 1, MaxArgs: 2, Doc: "trim('xxhixx', 'x') = 'hi'", Fn: trimFn(strings.Trim)})
	register(&Scalar{Name: "ltrim", MinArgs: 1, MaxArgs: 2, Doc: "ltrim('  hi  ') = 'hi  '", Fn: trimFn(strings.TrimLeft)})
	register(&Scalar{Name: "rtrim", MinArgs: 1, MaxArgs: 2, Doc: "rtrim('hi!!', '!') = 'hi'", Fn: trimFn(strings.TrimRight)})
	substr := &Scalar{Name: "substr", MinArgs: 2, MaxArgs: 3, Doc: "substr('hello', 2, 3) = 'ell'", Fn: substrFn}
	register(substr)
	alias("substring", "substring('hello', -3) = 'llo'", substr)
	register(&Scalar{Name: "replace", MinArgs: 3, MaxArgs: 3, NullSafe: true, Doc: "replace('a-b-c', '-', '+') = 'a+b+c'", Fn: replaceFn})
	register(&Scalar{Name: "concat", MinArgs: 1, MaxArgs: -1, NullSafe: true, Doc: "concat('a', NULL, 1) = 'a1'", Fn: concatFn})
	register(&Scalar{Name: "split", MinArgs: 2, MaxArgs: 2, Doc: "split('a,b,,c', ',') = ['a','b','','c']", Fn: splitFn})
	register(&Scalar{Name: "split_part", MinArgs: 3, MaxArgs: 3, Doc: "split_part('a,b,c', ',', 2) = 'b'", Fn: splitPartFn})
	register(&Scalar{Name: "starts_with", MinArgs: 2, MaxArgs: 2, Doc: "starts_with('hello', 'he') = true",
		Fn: func(a []types.Value) types.Value { return types.Bool(strings.HasPrefix(textArg(a[0]), textArg(a[1]))) }})
	strpos := &Scalar{Name: "strpos", MinArgs: 2, MaxArgs: 2, Doc: "strpos('héllo', 'l') = 3", Fn: strposFn}
	register(strpos)
	alias("instr", "instr('hello', 'z') = 0", strpos)
	register(&Scalar{Name: "regexp_match", MinArgs: 2, MaxArgs: 2, Doc: "regexp_match('abc123', '[0-9]+$') = true",
		Fn: func(a []types.Value) types.Value {
			re, err := regexp.Compile(textArg(a[1]))
			if err != nil {
				return types.Null
			}
			return types.Bool(re.MatchString(textArg(a[0])))
		},
		Prepare: prepareRegexpMatch})
	register(&Scalar{Name: "regexp_extract", MinArgs: 2, MaxArgs: 3, Doc: "regexp_extract('id=42;', 'id=([0-9]+)', 1) = '42'",
		Fn: func(a []types.Value) types.Value {
			re, err := regexp.Compile(textArg(a[1]))
			if err != nil {
				return types.Null
			}
			return regexpExtract(re, a)
		},
		Prepare: prepareRegexpExtract})
}

// asciiLower and asciiUpper change only the ASCII letters, as SQLite's
// built-in lower and upper do (PostgreSQL maps every letter).
func asciiLower(s string) string { return flipASCII(s, 'A', 'Z') }
func asciiUpper(s string) string { return flipASCII(s, 'a', 'z') }

// flipASCII flips the case of the bytes in [lo, hi], allocating only when
// there is one.
func flipASCII(s string, lo, hi byte) string {
	i := 0
	for i < len(s) && (s[i] < lo || s[i] > hi) {
		i++
	}
	if i == len(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	b.WriteString(s[:i])
	for ; i < len(s); i++ {
		c := s[i]
		if c >= lo && c <= hi {
			c ^= 0x20
		}
		b.WriteByte(c)
	}
	return b.String()
}

func lengthFn(a []types.Value) types.Value {
	if a[0].Kind() == types.KindArray {
		return types.Int(int64(len(a[0].AsArray())))
	}
	return types.Int(int64(utf8.RuneCountInString(textArg(a[0]))))
}

// trimFn strips the characters of the optional second argument (spaces
// when it is absent, as in SQLite and PostgreSQL) from one or both ends.
func trimFn(trim func(s, cutset string) string) func([]types.Value) types.Value {
	return func(a []types.Value) types.Value {
		cut := " "
		if len(a) > 1 {
			cut = textArg(a[1])
		}
		return types.Text(trim(textArg(a[0]), cut))
	}
}

// substrFn is SQLite's substr: start is 1-based; a negative start counts
// from the end; start 0 is one before the first character (so
// substr(s, 0, 2) has one character); a negative length takes the
// characters before start.
func substrFn(a []types.Value) types.Value {
	p1, ok := intArg(a[1])
	if !ok {
		return types.Null
	}
	hasLen := len(a) > 2
	var p2 int64
	if hasLen {
		if p2, ok = intArg(a[2]); !ok {
			return types.Null
		}
	}
	return types.Text(substr(textArg(a[0]), p1, p2, hasLen))
}

// substr follows SQLite's substrFunc step by step, including its 64-bit
// arithmetic (which wraps around in Go as it does there) and its default
// length when len is omitted (the largest BIGINT, as in SQLite 3.54).
func substr(s string, p1, p2 int64, hasLen bool) string {
	negP2 := false
	if !hasLen {
		p2 = math.MaxInt64
	} else if p2 < 0 {
		p2, negP2 = -p2, true
	}
	if p1 < 0 {
		p1 += int64(utf8.RuneCountInString(s))
		if p1 < 0 {
			p2 += p1
			if p2 < 0 {
				p2 = 0
			}
			p1 = 0
		}
	} else if p1 > 0 {
		p1--
	} else if p2 > 0 {
		p2--
	}
	if negP2 {
		p1 -= p2
		if p1 < 0 {
			p2 += p1
			p1 = 0
		}
	}
	start := skipRunes(s, p1)
	s = s[start:]
	return s[:skipRunes(s, p2)]
}

// skipRunes returns the byte offset just after the first n characters of
// s (len(s) if it has fewer).
func skipRunes(s string, n int64) int {
	i := 0
	for ; n > 0 && i < len(s); n-- {
		if s[i] < utf8.RuneSelf {
			i++
			continue
		}
		_, w := utf8.DecodeRuneInString(s[i:])
		i += w
	}
	return i
}

// replaceFn is SQLite's replace: NULL when s or from is NULL; s unchanged
// when from is empty (even if to is NULL); otherwise NULL when to is.
func replaceFn(a []types.Value) types.Value {
	if a[0].IsNull() || a[1].IsNull() {
		return types.Null
	}
	s, from := textArg(a[0]), textArg(a[1])
	if from == "" {
		return types.Text(s)
	}
	if a[2].IsNull() {
		return types.Null
	}
	return types.Text(strings.ReplaceAll(s, from, textArg(a[2])))
}

// concatFn joins the non-NULL arguments, as PostgreSQL's (and SQLite
// 3.44's) concat: all NULL gives the empty string.
func concatFn(a []types.Value) types.Value {
	var b strings.Builder
	for _, v := range a {
		if !v.IsNull() {
			b.WriteString(textArg(v))
		}
	}
	return types.Text(b.String())
}

// splitFn splits s at every sep into an ARRAY of TEXT. An empty sep splits
// into characters; an empty s gives the empty array (as PostgreSQL's
// string_to_array), so UNNEST of an empty line yields no rows.
func splitFn(a []types.Value) types.Value {
	s, sep := textArg(a[0]), textArg(a[1])
	if s == "" {
		return types.Array([]types.Value{})
	}
	if sep == "" {
		out := make([]types.Value, 0, utf8.RuneCountInString(s))
		for len(s) > 0 {
			_, w := utf8.DecodeRuneInString(s)
			out = append(out, types.Text(s[:w]))
			s = s[w:]
		}
		return types.Array(out)
	}
	out := make([]types.Value, 0, strings.Count(s, sep)+1)
	for {
		i := strings.Index(s, sep)
		if i < 0 {
			break
		}
		out = append(out, types.Text(s[:i]))
		s = s[i+len(sep):]
	}
	return types.Array(append(out, types.Text(s)))
}

// splitPartFn is PostgreSQL's split_part: field n (1-based; negative
// counts from the end) of s split at sep, the empty string when there is
// no such field.
// An empty sep leaves s as a single field.
func splitPartFn(a []types.Value) types.Value {
	n, ok := intArg(a[2])
	if !ok {
		return types.Null
	}
	s, sep := textArg(a[0]), textArg(a[1])
	if sep == "" {
		if n == 1 || n == -1 {
			return types.Text(s)
		}
		return types.Text("")
	}
	switch {
	case n > 0:
		for ; n > 1; n-- {
			i := strings.Index(s, sep)
			if i < 0 {
				return types.Text("")
			}
			s = s[i+len(sep):]
		}
		if i := strings.Index(s, sep); i >= 0 {
			s = s[:i]
		}
		return types.Text(s)
	case n < 0:
		for ; n < -1; n++ {
			i := strings.LastIndex(s, sep)
			if i < 0 {
				return types.Text("")
			}
			s = s[:i]
		}
		if i := strings.LastIndex(s, sep); i >= 0 {
			s = s[i+len(sep):]
		}
		return types.Text(s)
	}
	return types.Text("")
}

// strposFn is the 1-based character position of the first occurrence of
// sub in s, 0 if there is none (PostgreSQL's strpos, SQLite's instr).
func strposFn(a []types.Value) types.Value {
	s := textArg(a[0])
	i := strings.Index(s, textArg(a[1]))
	if i < 0 {
		return types.Int(0)
	}
	return types.Int(int64(utf8.RuneCountInString(s[:i])) + 1)
}

// Regular expressions use Go's RE2 syntax (no backreferences or
// look-around; matching time is linear in the input). A constant pattern is
// compiled once at plan time, where an invalid one is an error; a pattern
// that varies by row is compiled when it changes (a one-entry cache per
// call site), and an invalid one gives NULL for that row.

func compileRegexp(name, pat string) (*regexp.Regexp, error) {
	re, err := regexp.Compile(pat)
	if err == nil {
		return re, nil
	}
	var se *syntax.Error
	if errors.As(err, &se) {
		msg := fmt.Sprintf("%s: invalid regular expression %s: %s", name, sqlQuote(pat), se.Code)
		if se.Expr != "" && se.Expr != pat {
			msg += " at `" + se.Expr + "`"
		}
		return nil, errors.New(msg)
	}
	return nil, fmt.Errorf("%s: invalid regular expression %s: %w", name, sqlQuote(pat), err)
}

func sqlQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// patternCache remembers the last pattern a call site compiled; safe for
// concurrent use.
type patternCache struct{ last atomic.Pointer[cachedPattern] }

type cachedPattern struct {
	pat string
	re  *regexp.Regexp // nil: the pattern does not compile
}

func (c *patternCache) get(pat string) *regexp.Regexp {
	if e := c.last.Load(); e != nil && e.pat == pat {
		return e.re
	}
	re, err := regexp.Compile(pat)
	if err != nil {
		re = nil
	}
	c.last.Store(&cachedPattern{pat: pat, re: re})
	return re
}

// regexpAt returns how a call site gets its compiled pattern from argument
// i: the constant compiled now, or the per-site cache.
func regexpAt(name string, consts []*types.Value, i int) (func([]types.Value) *regexp.Regexp, *regexp.Regexp, error) {
	if c := consts[i]; c != nil {
		re, err := compileRegexp(name, textArg(*c))
		if err != nil {
			return nil, nil, err
		}
		return func([]types.Value) *regexp.Regexp { return re }, re, nil
	}
	cache := &patternCache{}
	return func(a []types.Value) *regexp.Regexp { return cache.get(textArg(a[i])) }, nil, nil
}

func prepareRegexpMatch(consts []*types.Value) (func([]types.Value) types.Value, error) {
	get, _, err := regexpAt("regexp_match", consts, 1)
	if err != nil {
		return nil, err
	}
	return func(a []types.Value) types.Value {
		re := get(a)
		if re == nil {
			return types.Null
		}
		return types.Bool(re.MatchString(textArg(a[0])))
	}, nil
}

func prepareRegexpExtract(consts []*types.Value) (func([]types.Value) types.Value, error) {
	get, re, err := regexpAt("regexp_extract", consts, 1)
	if err != nil {
		return nil, err
	}
	if len(consts) > 2 && consts[2] != nil {
		g, ok := intArg(*consts[2])
		if !ok || g < 0 {
			return nil, fmt.Errorf("regexp_extract: group must be a non-negative integer, got %s", consts[2].String())
		}
		if re != nil && g > int64(re.NumSubexp()) {
			return nil, fmt.Errorf("regexp_extract: group %d out of range: %s has %d capturing group(s)", g, sqlQuote(re.String()), re.NumSubexp())
		}
	}
	return func(a []types.Value) types.Value {
		re := get(a)
		if re == nil {
			return types.Null
		}
		return regexpExtract(re, a)
	}, nil
}

// regexpExtract returns group a[2] (default 0, the whole match) of the
// first match of re in a[0]; NULL when there is no match, no such group,
// or the group took no part in the match.
func regexpExtract(re *regexp.Regexp, a []types.Value) types.Value {
	g := int64(0)
	if len(a) > 2 {
		var ok bool
		if g, ok = intArg(a[2]); !ok || g < 0 || g > int64(re.NumSubexp()) {
			return types.Null
		}
	}
	s := textArg(a[0])
	m := re.FindStringSubmatchIndex(s)
	if m == nil || m[2*g] < 0 {
		return types.Null
	}
	return types.Text(s[m[2*g]:m[2*g+1]])
}
