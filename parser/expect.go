package parser

import (
	"slices"
	"strings"

	"github.com/alecthomas/participle/v2/lexer"
	"github.com/streamsql/streamsql/internal/suggest"
)

// This file words an expected-token set (see diagnoser.expectedAt).

// operandStart are the probes that can begin an expression; when names and
// numbers are both expected they are all summed up as "an expression".
var operandStart = []string{
	"<ident>", "<int>", "<float>", "<string>", "TRUE", "FALSE", "NULL",
	"CASE", "CAST", "NOT", "(", "-", "+", "*",
}

// optional are tokens that could continue what came before but are
// seldom what the user was missing: operators after an operand, an alias,
// ASC/DESC. They are only listed when nothing else fits.
var optional = map[string]bool{
	"<ident>": true, "AS": true, "ASC": true, "DESC": true, "NULLS": true, "DISTINCT": true,
	".": true, "(": true, "IS": true, "IN": true, "NOT": true, "BETWEEN": true, "LIKE": true,
	"AND": true, "OR": true, "*": true, "=": true, "<>": true, "!=": true, "<": true, "<=": true,
	">": true, ">=": true, "+": true, "-": true, "/": true, "%": true, "||": true,
	"JOIN": true, "INNER": true, "LEFT": true, "OUTER": true, "UNION": true, "WITHIN": true,
}

var operators = map[string]bool{
	"*": true, "=": true, "<>": true, "!=": true, "<": true, "<=": true, ">": true, ">=": true,
	"+": true, "-": true, "/": true, "%": true, "||": true,
}

var (
	allKeywords = append(append([]string{}, keywords...), softKeywords...)
	// expectOrder is the order expected tokens are listed in: words in the
	// order they are written in a query (see listedBefore), then
	// punctuation.
	expectOrder = func() []string {
		var out []string
		add := func(k string) {
			if !slices.Contains(out, k) {
				out = append(out, k)
			}
		}
		for _, k := range allKeywords {
			for _, b := range listedBefore[k] {
				add(b)
			}
			add(k)
		}
		return append(out, punctuation...)
	}()
)

// listedBefore places the words of the WINDOW clause: the parts of a
// window before the HAVING that may follow it, EMIT CHANGES after that.
var listedBefore = map[string][]string{
	"HAVING": {"SLIDE", "SESSION", "UNBOUNDED", "TIMEOUT", "EVENT", "TIME", "LATENESS"},
	"ORDER":  {"EMIT", "CHANGES"},
}

// describe words set, the probe keys that may come next; before are the
// tokens already read, for context. set is consumed.
func describe(set map[string]bool, before []lexer.Token) string {
	var words []string
	prev := ""
	if len(before) > 0 {
		prev = strings.ToUpper(before[len(before)-1].Value)
	}
	if set["SELECT"] { // a statement starts here; ";" or the end would be an empty one
		delete(set, ";")
		delete(set, "<eof>")
	}
	switch {
	case set["<ident>"] && set["<int>"]:
		if set["*"] {
			words = append(words, "a column name or expression")
		} else {
			words = append(words, "an expression")
		}
		for _, k := range operandStart {
			delete(set, k)
		}
		delete(set, "DISTINCT")
	case set["<duration>"]:
		words = append(words, "a duration such as 10s")
		delete(set, "<duration>")
		delete(set, "<string>")
		delete(set, "<int>")
	case set["<int>"]:
		words = append(words, "an integer")
		delete(set, "<int>")
	case set["<ident>"] && len(set) == 1:
		words = append(words, nameWord(prev, before))
		delete(set, "<ident>")
	case set["<ident>"] && set["*"] && len(set) == 2 && prev == ".":
		words = append(words, "a column name or *") // t.col, or t.* in a select list
		delete(set, "<ident>")
		delete(set, "*")
	case set["<ident>"] && set["("] && len(set) == 2 && (prev == "FROM" || prev == "JOIN"):
		// A FROM item: a source call, a stream or a subquery.
		words = append(words, nameWord(prev, before))
		delete(set, "<ident>")
		delete(set, "(")
	}
	// Context decides a few: AS is required in CAST and CREATE STREAM
	// (where no bare alias can follow), "(" is required after CAST or
	// UNNEST (where no "." or alias can follow: a name in FROM may be a
	// stream as well as a source call). AND without OR is BETWEEN's.
	required := map[string]bool{
		"AS":  set["AS"] && !set["<ident>"],
		"(":   set["("] && !set["."] && !set["<ident>"],
		"AND": set["AND"] && !set["OR"],
	}
	var main, rest []string
	for _, k := range expectOrder {
		if !set[k] {
			continue
		}
		if optional[k] && !required[k] {
			if !operators[k] {
				rest = append(rest, keywordPhrase(k))
			} else if len(rest) == 0 || rest[len(rest)-1] != "an operator" {
				rest = append(rest, "an operator")
			}
			continue
		}
		main = append(main, keywordPhrase(k))
	}
	if set["<eof>"] {
		if set[";"] {
			main = remove(main, `";"`)
			main = append(main, "end of statement")
		} else {
			main = append(main, "end of input")
		}
	}
	if len(words) == 1 && len(main) > 0 && words[0] == "a column name or expression" {
		words[0] = "an expression" // "a column name or expression or ")"" reads badly
	}
	words = append(words, main...)
	if len(words) == 0 {
		words = rest
	}
	return joinOr(words)
}

// nameWord says what kind of name is expected after prev.
func nameWord(prev string, before []lexer.Token) string {
	switch prev {
	case "FROM", "JOIN":
		return "a source such as file('path') or a stream name"
	case "STREAM", "EXISTS": // CREATE STREAM, DROP STREAM [IF EXISTS]
		return "a stream name"
	case ".":
		return "a column name"
	case "AS":
		if insideCast(before) {
			return "a type name such as BIGINT"
		}
		return "an alias"
	}
	return "a name"
}

// insideCast reports whether the innermost open parenthesis is CAST's.
func insideCast(before []lexer.Token) bool {
	depth := 0
	for i := len(before) - 1; i >= 0; i-- {
		switch before[i].Value {
		case ")":
			depth++
		case "(":
			if depth == 0 {
				return i > 0 && strings.EqualFold(before[i-1].Value, "CAST")
			}
			depth--
		}
	}
	return false
}

func keywordPhrase(k string) string {
	switch {
	case k == "GROUP" || k == "ORDER":
		return k + " BY"
	case k == "EVENT": // words that are never listed without their second
		return "EVENT TIME"
	case k == "EMIT":
		return "EMIT CHANGES"
	case isKeyword(k) || isSoftKeyword(k):
		return k
	}
	return `"` + k + `"`
}

func remove(list []string, s string) []string {
	out := list[:0]
	for _, x := range list {
		if x != s {
			out = append(out, x)
		}
	}
	return out
}

// joinOr writes "a", "a or b", "a, b or c".
func joinOr(words []string) string {
	switch len(words) {
	case 0:
		return ""
	case 1:
		return words[0]
	}
	return strings.Join(words[:len(words)-1], ", ") + " or " + words[len(words)-1]
}

func isSoftKeyword(s string) bool {
	for _, k := range softKeywords {
		if strings.EqualFold(s, k) {
			return true
		}
	}
	return false
}

// suggestKeyword returns the keyword that word is probably a misspelling of,
// preferring those in expected, or "". A soft keyword is only suggested
// where it is expected: anywhere else the word may well be a name.
func suggestKeyword(word string, expected map[string]bool) string {
	w := strings.ToUpper(word)
	best, bestD := "", 0
	for pass := 0; pass < 2 && best == ""; pass++ {
		for _, k := range allKeywords {
			if pass == 0 && !expected[k] || pass == 1 && isSoftKeyword(k) {
				continue
			}
			// Short keywords only tolerate proportionally small typos, so
			// `x` is not taken for AS.
			// A keyword that does not fit here must be a closer match
			// (one edit) to be worth suggesting: `file` is no FALSE.
			d := suggest.Distance(w, k)
			limit := 2
			if pass == 1 {
				limit = 1
			}
			if d > 0 && d <= limit && d <= (len(k)-1)/2 && (best == "" || d < bestD) {
				best, bestD = k, d
			}
		}
	}
	return best
}
