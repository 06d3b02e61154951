package main

import (
	"sort"
	"strings"
	"unicode"

	"github.com/streamsql/streamsql/agg"
	"github.com/streamsql/streamsql/expr"
	"github.com/streamsql/streamsql/sinks"
	"github.com/streamsql/streamsql/sources"
)

// sqlKeywords are the words tab completes besides names.
var sqlKeywords = []string{
	"ALL", "AND", "AS", "ASC", "BETWEEN", "BY", "CASE", "CAST", "CHANGES", "CREATE",
	"DESC", "DESCRIBE", "DISTINCT", "DROP", "ELSE", "EMIT", "END", "EVENT",
	"EXISTS", "EXPLAIN", "FALSE", "FIRST", "FROM", "GROUP", "HAVING", "IF",
	"IN", "INNER", "INSERT", "INTO", "IS", "JOIN", "LAST", "LATENESS", "LEFT",
	"LIKE", "LIMIT", "NOT", "NULL", "NULLS", "ON", "OR", "ORDER", "OUTER",
	"QUERIES", "QUERY", "SELECT", "SESSION", "SET", "SHOW", "SLIDE", "STOP",
	"STREAM", "STREAMS", "THEN", "TIME", "TIMEOUT", "TRUE", "UNBOUNDED",
	"UNION", "UNNEST", "WHEN", "WHERE", "WINDOW", "WITHIN",
	"batch_interval", "output", "table", "checkpoint",
}

// completer offers the words that start like the one before the cursor:
// keywords, functions, sources, sinks, streams and their columns.
type completer struct{ s *session }

func isWordRune(r rune) bool {
	return r == '_' || r == '\\' || unicode.IsLetter(r) || unicode.IsDigit(r)
}

// Do is readline's AutoCompleter: the endings of the candidates for the
// word before pos, and that word's length.
func (c *completer) Do(line []rune, pos int) ([][]rune, int) {
	if pos > len(line) {
		pos = len(line)
	}
	start := pos
	for start > 0 && isWordRune(line[start-1]) {
		start--
	}
	prefix := string(line[start:pos])
	if calls, ok := c.afterCallKeyword(line[:start]); ok {
		// Only a sink may follow INSERT INTO, and only a source or a
		// stream FROM and JOIN: those are offered, even for no prefix.
		var out [][]rune
		for _, w := range calls {
			if strings.HasPrefix(strings.ToLower(w), strings.ToLower(prefix)) && len(w) > len(prefix) {
				out = append(out, []rune(w[len(prefix):]))
			}
		}
		return out, len([]rune(prefix))
	}
	if prefix == "" {
		return nil, 0
	}
	var out [][]rune
	for _, w := range c.words() {
		if len(w) <= len(prefix) || !strings.EqualFold(w[:len(prefix)], prefix) {
			continue
		}
		rest := w[len(prefix):]
		// Keywords follow the case the user types in.
		if isUpperWord(w) && strings.ToLower(prefix) == prefix {
			rest = strings.ToLower(rest)
		}
		out = append(out, []rune(rest+" "))
	}
	return out, len([]rune(prefix))
}

// afterCallKeyword reports whether the text before the word being
// completed ends with INSERT INTO (then a sink comes) or FROM or JOIN (a
// source or a stream; after JOIN a table too), and returns those candidates: calls end with "(",
// streams with " ".
func (c *completer) afterCallKeyword(before []rune) ([]string, bool) {
	words := strings.FieldsFunc(string(before), func(r rune) bool { return !isWordRune(r) })
	last := func(i int) string {
		if i <= len(words) {
			return strings.ToLower(words[len(words)-i])
		}
		return ""
	}
	if len(before) > 0 && !unicode.IsSpace(before[len(before)-1]) {
		return nil, false // the word is glued to something: a.b, f(x
	}
	var out []string
	switch {
	case last(2) == "insert" && last(1) == "into":
		for _, n := range sinks.Names() {
			out = append(out, n+"(")
		}
	case last(1) == "from" || last(1) == "join":
		for _, n := range sources.Names() {
			out = append(out, n+"(")
		}
		for _, n := range c.s.eng.StreamNames() {
			out = append(out, n+" ")
		}
		if last(1) == "join" {
			out = append(out, "table(") // a stream is joined with a table(...)
		}
		sort.Strings(out)
	default:
		return nil, false
	}
	return out, true
}

func isUpperWord(w string) bool { return strings.ToUpper(w) == w && strings.ToLower(w) != w }

// words are the completion candidates, without duplicates.
func (c *completer) words() []string {
	seen := map[string]bool{}
	var out []string
	add := func(ws ...string) {
		for _, w := range ws {
			if !seen[strings.ToLower(w)] {
				seen[strings.ToLower(w)] = true
				out = append(out, w)
			}
		}
	}
	add(sqlKeywords...)
	add(`\help`, `\i`, `\q`)
	add(upper(agg.Names)...)
	add(upper(expr.ScalarNames())...)
	add(sources.Names()...)
	add(sinks.Names()...)
	add(c.s.eng.StreamNames()...)
	c.s.mu.Lock()
	for _, cols := range c.s.columns {
		add(cols...)
	}
	c.s.mu.Unlock()
	sort.Strings(out)
	return out
}

func upper(ws []string) []string {
	out := make([]string, len(ws))
	for i, w := range ws {
		out[i] = strings.ToUpper(w)
	}
	return out
}
