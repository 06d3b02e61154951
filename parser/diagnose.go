package parser

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/alecthomas/participle/v2/lexer"
)

// A diagnoser turns a failed participle parse into an *Error that says what
// was found and, in words, what could have come instead.
//
// participle's own expectation is the EBNF of whatever sequence happened to
// fail, which reads badly and misses alternatives that ended earlier. So
// the expected set is found by asking the parser: each probe token (a
// keyword, a punctuation mark, a sample name, number, string, duration) is
// put after the text preceding the bad token, and it is expected if the
// parse gets past it. That costs a few dozen parses of a short prefix, only
// on the error path, and it can never disagree with the grammar.
type diagnoser struct {
	parse func(text string) error // the raw participle parse of one grammar
}

func syntaxError(text string, p lexer.Position, msg string) *Error {
	return &Error{Pos: pos(p), Kind: "syntax error", Msg: msg, Query: text}
}

func errPosition(err error) lexer.Position {
	var pe interface{ Position() lexer.Position }
	if errors.As(err, &pe) {
		return pe.Position()
	}
	return lexer.Position{Line: 1, Column: 1}
}

func (d diagnoser) explain(text string, err error) *Error {
	p := errPosition(err)
	var early *earlyError
	if errors.As(err, &early) {
		// Lexing and the depth check come before parsing, so look for a
		// syntax error in the text before the problem first.
		if err2 := d.parse(text[:p.Offset]); err2 != nil && errPosition(err2).Offset < p.Offset {
			e := d.explain(text[:p.Offset], err2)
			e.Query = text
			return e
		}
		return syntaxError(text, p, early.msg)
	}
	var litErr *literalError
	if errors.As(err, &litErr) {
		return syntaxError(text, p, litErr.msg)
	}
	return d.unexpected(text, p.Offset)
}

var emptyQuotes = regexp.MustCompile(`^""(?:[^"]|$)`)

// lexMessage explains why no token starts at the beginning of rest.
func lexMessage(rest string) string {
	switch {
	case strings.HasPrefix(rest, "'"):
		return "unterminated string literal"
	case emptyQuotes.MatchString(rest):
		return `empty quoted name ""`
	case strings.HasPrefix(rest, `"`):
		return "unterminated quoted name"
	}
	r, _ := utf8.DecodeRuneInString(rest)
	return fmt.Sprintf("unexpected character %q", string(r))
}

// maxProbeTokens is the longest statement whose syntax errors are
// explained by probing (what was expected, did you mean).
const maxProbeTokens = 2000

// unexpected explains a parse that cannot continue at byte offset at (a
// token start, or len(text) for the end).
func (d diagnoser) unexpected(text string, at int) *Error {
	toks := significantTokens(text)
	i := 0
	for i < len(toks)-1 && toks[i].Pos.Offset < at {
		i++
	}
	// Probing needs only the statement the error is in, which is much
	// cheaper than the whole script.
	from, first := 0, 0
	for j, t := range toks[:i] {
		if t.Value == ";" {
			from, first = t.Pos.Offset+1, j+1
		}
	}
	// Each probe parses the statement again, and there are a hundred of
	// them: past a few thousand tokens that would take minutes, so a long
	// statement gets the bare message.
	if i-first > maxProbeTokens {
		found := "end of input"
		if !toks[i].EOF() {
			found = quoteToken(toks[i].Value)
		}
		return syntaxError(text, toks[i].Pos, "unexpected "+found)
	}
	if e := d.emitWithoutWindow(text, from, toks, i); e != nil {
		return e
	}
	if e := unsupportedJoin(text, toks, i); e != nil {
		return e
	}
	if e := d.misspeltName(text, from, toks, i); e != nil {
		return e
	}
	if d.startsStatement(text, from, toks, i-1) {
		i-- // the ";" before it is missing
	}
	tok := toks[i]
	found := "end of input"
	if !tok.EOF() {
		found = quoteToken(tok.Value)
	}
	set := d.expectedAt(text[from:tok.Pos.Offset])
	nameFits := set["<ident>"]
	suggestion := suggestKeyword(tok.Value, set)
	if isSoftKeyword(tok.Value) && !isSoftKeyword(suggestion) {
		suggestion = "" // a word of the language, spelt right: DROP is no misspelt GROUP
	}
	msg := "unexpected " + found
	if want := describe(set, toks[:i]); want != "" {
		msg += "; expected " + want
	}
	switch {
	case tok.Type == keywordType && nameFits && d.parsesAsName(text, tok):
		msg += fmt.Sprintf(` (%s is a reserved word; write "%s" to use it as a name)`, strings.ToUpper(tok.Value), tok.Value)
	case tok.Type == identType && suggestion != "":
		msg += " (did you mean " + suggestion + "?)"
	}
	return syntaxError(text, tok.Pos, msg)
}

// nameLike are the reserved words that make plausible column names.
var nameLike = map[string]bool{
	"FROM": true, "WHERE": true, "GROUP": true, "BY": true, "HAVING": true, "WINDOW": true,
	"SLIDE": true, "ORDER": true, "ASC": true, "DESC": true, "NULLS": true, "FIRST": true,
	"LAST": true, "LIMIT": true, "END": true,
}

// parsesAsName reports whether keyword tok was meant as a name: it is
// name-like and the whole text parses once it is quoted (`SELECT first
// FROM t`, but not `SELECT FROM t`).
func (d diagnoser) parsesAsName(text string, tok lexer.Token) bool {
	if !nameLike[strings.ToUpper(tok.Value)] {
		return false
	}
	end := tok.Pos.Offset + len(tok.Value)
	return d.parse(text[:tok.Pos.Offset]+`"`+tok.Value+`"`+text[end:]) == nil
}

// misspeltName catches a misspelt keyword that the grammar took for an
// implicit alias, as in `SELECT word FORM file('x')`: the parse only fails
// at the token after it. If the name before the bad token is close to a
// keyword that fits in its place, the name is the real mistake.
func (d diagnoser) misspeltName(text string, from int, toks []lexer.Token, i int) *Error {
	if i == 0 || toks[i-1].Type != identType || (i >= 2 && strings.EqualFold(toks[i-2].Value, "AS")) ||
		isSoftKeyword(toks[i-1].Value) { // spelt right, whatever it was meant as
		return nil
	}
	name := toks[i-1]
	k := suggestKeyword(name.Value, nil)
	if k == "" || !d.accepts(text[from:name.Pos.Offset], k) {
		return nil
	}
	return syntaxError(text, name.Pos, fmt.Sprintf("unexpected %s; expected %s (did you mean %s?)", quoteToken(name.Value), keywordPhrase(k), k))
}

// emitWithoutWindow catches EMIT CHANGES in a query without a WINDOW
// clause, where the grammar has no place for it: the parse fails at EMIT,
// or, where a name may stand (`FROM f() EMIT CHANGES`), EMIT is taken for
// an alias and the parse fails at CHANGES. It is the mistake if EMIT would
// fit right there after a WINDOW clause.
func (d diagnoser) emitWithoutWindow(text string, from int, toks []lexer.Token, i int) *Error {
	j := i
	if i > 0 && isWord(toks[i-1], "EMIT") && isWord(toks[i], "CHANGES") {
		j = i - 1
	}
	if !isWord(toks[j], "EMIT") || !d.accepts(text[from:toks[j].Pos.Offset]+"\nWINDOW 10s", "EMIT") {
		return nil
	}
	return syntaxError(text, toks[j].Pos, "EMIT CHANGES needs a WINDOW clause")
}

// unsupportedJoin explains the joins and set operations streamsql does
// not have, where the parse fails at their first word.
func unsupportedJoin(text string, toks []lexer.Token, i int) *Error {
	if i > 0 && strings.EqualFold(toks[i-1].Value, "UNION") && !strings.EqualFold(toks[i].Value, "ALL") {
		i-- // the parse fails after UNION, but UNION is the mistake
	}
	t := toks[i]
	next := ""
	if i+1 < len(toks) {
		next = strings.ToUpper(toks[i+1].Value)
	}
	var msg string
	switch w := strings.ToUpper(t.Value); {
	case (w == "CROSS" || w == "NATURAL") && (next == "JOIN" || next == "OUTER"):
		msg = w + " JOIN is not supported; streamsql has [INNER] JOIN and LEFT, RIGHT and FULL [OUTER] JOIN ... ON, with an equality"
	case w == "UNION" && next != "ALL":
		msg = "UNION without ALL is not supported; write UNION ALL (rows are not deduplicated across the branches)"
	default:
		return nil
	}
	return syntaxError(text, t.Pos, msg)
}

// isWord reports whether t is the unreserved word w.
func isWord(t lexer.Token, w string) bool {
	return t.Type == identType && strings.EqualFold(t.Value, w)
}

// startsStatement reports whether toks[j] is CREATE, DROP or SHOW taken for
// an alias where a statement could have ended, as in `SELECT a FROM f()
// SHOW STREAMS` without the ";". These words are not reserved, so the parse
// only fails after them, but the word is where the mistake is.
func (d diagnoser) startsStatement(text string, from int, toks []lexer.Token, j int) bool {
	if j < 1 || toks[j].Type != identType || toks[j-1].Value == ";" || strings.EqualFold(toks[j-1].Value, "AS") {
		return false // it starts the statement, or is a named alias
	}
	switch strings.ToUpper(toks[j].Value) {
	case "CREATE", "DROP", "SHOW", "INSERT":
		return d.accepts(text[from:toks[j].Pos.Offset], ";")
	}
	return false
}

var identType = sqlLexer.Symbols()["Ident"]

// significantTokens lexes text, which is known to lex cleanly.
func significantTokens(text string) []lexer.Token {
	toks, err := lex(text)
	if err != nil {
		return []lexer.Token{lexer.EOFToken(lexer.Position{Offset: len(text), Line: 1, Column: 1})}
	}
	return toks
}

// probes are the sample tokens tried after a prefix. "text" stands for any
// name; it is also a valid type name, so CAST(x AS accepts it.
var probes = func() map[string]string {
	m := map[string]string{
		"<ident>": "text", "<int>": "1", "<float>": "1.5", "<string>": "'s'", "<duration>": "10s",
	}
	for _, k := range keywords {
		m[k] = k
	}
	for _, k := range softKeywords {
		m[k] = k
	}
	for _, p := range punctuation {
		m[p] = p
	}
	return m
}()

var punctuation = []string{",", ")", "=>", ";", "(", ".", "*", "=", "<>", "!=", "<", "<=", ">", ">=", "+", "-", "/", "%", "||"}

// accepts reports whether the token probe may follow prefix. The probe goes
// on a new line so that a comment at the end of prefix cannot swallow it.
func (d diagnoser) accepts(prefix, probe string) bool {
	err := d.parse(prefix + "\n" + probe)
	return err == nil || errPosition(err).Offset > len(prefix)+1
}

// expectedAt is the set of probe keys that may follow prefix, plus "<eof>"
// if the prefix is complete. A soft keyword is a name wherever a name may
// stand, so it only counts as expected where no name may.
func (d diagnoser) expectedAt(prefix string) map[string]bool {
	set := map[string]bool{}
	for key, probe := range probes {
		if d.accepts(prefix, probe) {
			set[key] = true
		}
	}
	if set["<ident>"] {
		for _, k := range softKeywords {
			delete(set, k)
		}
	}
	if d.parse(prefix) == nil {
		set["<eof>"] = true
	}
	return set
}
