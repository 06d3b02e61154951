package parser

import (
	"fmt"
	"io"
	"unicode"
	"unicode/utf8"

	"github.com/alecthomas/participle/v2/lexer"
)

// sqlLexer turns SQL text into tokens for participle. The rules, tried in
// order at each position (the first that matches wins, as in a lexer made
// with lexer.MustSimple from regular expressions):
//
//	Comment      --[^\n]*
//	Whitespace   \s+
//	Float        (?:\d+\.\d*|\.\d+)(?:[eE][+-]?\d+)?|\d+[eE][+-]?\d+
//	Duration     \d+ ident
//	Int          \d+
//	String       '(?:[^']|'')*'
//	QuotedIdent  "(?:[^"]|"")+"  or  `(?:[^`]|``)+`
//	Ident        [\p{L}_][\p{L}\p{N}_]*
//	Param        \$\d+       (a prepared statement's parameter)
//	Punct        =>|<=|>=|<>|!=|\|\||[-+*/%=<>(),.;]
//
// Longer forms come first: a float before its integer part, `<=` before
// `<`, `--` before `-`. Duration swallows any letters glued to digits
// ("10s", but also "10x") so a bad unit is reported as one token rather
// than as a number followed by a stray name. Lexing keywords as
// identifiers first means `selection` or `window_start` can never be split
// into a keyword and a remainder.
//
// It is written by hand because the regular-expression lexer spent most of
// a parse matching, several microseconds a token, and a query of a few
// hundred kilobytes (a long IN list) took seconds to lex. Keyword is a
// token type only: keywordMapper retags reserved words to it. The
// differential test in lexer_test.go holds this lexer to those rules.
var sqlLexer = sqlLexerDef{}

// Token types, one per rule; EOF is lexer.EOF.
const (
	tokComment lexer.TokenType = -(iota + 2)
	tokWhitespace
	tokFloat
	tokDuration
	tokInt
	tokString
	tokQuotedIdent
	tokIdent
	tokParam
	tokKeyword
	tokPunct
)

var sqlSymbols = map[string]lexer.TokenType{
	"EOF":         lexer.EOF,
	"Comment":     tokComment,
	"Whitespace":  tokWhitespace,
	"Float":       tokFloat,
	"Duration":    tokDuration,
	"Int":         tokInt,
	"String":      tokString,
	"QuotedIdent": tokQuotedIdent,
	"Ident":       tokIdent,
	"Param":       tokParam,
	"Keyword":     tokKeyword,
	"Punct":       tokPunct,
}

type sqlLexerDef struct{}

func (sqlLexerDef) Symbols() map[string]lexer.TokenType { return sqlSymbols }

func (d sqlLexerDef) Lex(filename string, r io.Reader) (lexer.Lexer, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	return d.LexString(filename, string(b))
}

func (sqlLexerDef) LexString(filename, text string) (lexer.Lexer, error) {
	return &sqlScanner{text: text, pos: lexer.Position{Filename: filename, Line: 1, Column: 1}}, nil
}

// sqlScanner yields the tokens of text one at a time.
type sqlScanner struct {
	text string
	pos  lexer.Position
}

func (s *sqlScanner) Next() (lexer.Token, error) {
	rest := s.text[s.pos.Offset:]
	if rest == "" {
		return lexer.EOFToken(s.pos), nil
	}
	typ, n := scanToken(rest)
	if n == 0 {
		sample := []rune(rest)
		if len(sample) > 16 {
			sample = append(sample[:16], []rune("...")...)
		}
		return lexer.Token{}, &lexer.Error{Msg: fmt.Sprintf("lexer: invalid input text %q", string(sample)), Pos: s.pos}
	}
	t := lexer.Token{Type: typ, Value: rest[:n], Pos: s.pos}
	s.pos.Advance(rest[:n])
	return t, nil
}

// scanToken returns the type and length of the token rest begins with, or
// a length of 0 if no rule matches.
func scanToken(rest string) (lexer.TokenType, int) {
	c := rest[0]
	switch {
	case c == '-' && len(rest) > 1 && rest[1] == '-':
		n := 2
		for n < len(rest) && rest[n] != '\n' {
			n++
		}
		return tokComment, n
	case isSpace(c):
		n := 1
		for n < len(rest) && isSpace(rest[n]) {
			n++
		}
		return tokWhitespace, n
	case isDigit(c) || c == '.' && len(rest) > 1 && isDigit(rest[1]):
		return scanNumber(rest)
	case c == '\'':
		if n := scanQuoted(rest, '\'', false); n > 0 {
			return tokString, n
		}
		return 0, 0
	case c == '`':
		// `day`: the identifier quoting of MySQL and Flink SQL.
		if n := scanQuoted(rest, '`', true); n > 0 {
			return tokQuotedIdent, n
		}
	case c == '"':
		if n := scanQuoted(rest, '"', true); n > 0 {
			return tokQuotedIdent, n
		}
		return 0, 0
	case c == '$':
		if n := digitsEnd(rest, 1); n > 1 {
			return tokParam, n
		}
		return 0, 0
	}
	if n := scanIdent(rest); n > 0 {
		return tokIdent, n
	}
	return tokPunct, scanPunct(rest)
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' }
func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func digitsEnd(s string, i int) int {
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	return i
}

// exponent returns the end of [eE][+-]?\d+ at i, or i if there is none.
func exponent(s string, i int) int {
	if i >= len(s) || s[i] != 'e' && s[i] != 'E' {
		return i
	}
	j := i + 1
	if j < len(s) && (s[j] == '+' || s[j] == '-') {
		j++
	}
	if k := digitsEnd(s, j); k > j {
		return k
	}
	return i
}

// scanNumber handles Float, Duration and Int, which all begin with a digit
// (or, for a Float, a point and a digit).
func scanNumber(s string) (lexer.TokenType, int) {
	if s[0] == '.' {
		return tokFloat, exponent(s, digitsEnd(s, 1))
	}
	i := digitsEnd(s, 0)
	if i < len(s) && s[i] == '.' {
		return tokFloat, exponent(s, digitsEnd(s, i+1))
	}
	if e := exponent(s, i); e > i {
		return tokFloat, e
	}
	if n := scanIdent(s[i:]); n > 0 {
		return tokDuration, i + n
	}
	return tokInt, i
}

// scanIdent returns the length of [\p{L}_][\p{L}\p{N}_]* at the start of
// s, or 0.
func scanIdent(s string) int {
	n := 0
	for n < len(s) {
		r, size := rune(s[n]), 1
		if r >= utf8.RuneSelf {
			r, size = utf8.DecodeRuneInString(s[n:])
		}
		ok := r == '_' || unicode.IsLetter(r) || n > 0 && unicode.IsNumber(r)
		if !ok || r == utf8.RuneError && size == 1 {
			break
		}
		n += size
	}
	return n
}

// scanQuoted returns the length of a quoted token at the start of s, where
// a doubled quote stands for one, or 0 if it is not closed. When the text
// ends inside a doubled quote's run, the token ends at the first quote of
// the last doubled pair, as a backtracking match of '(?:[^']|”)*' would.
// A quoted identifier must not be empty.
func scanQuoted(s string, q byte, nonEmpty bool) int {
	lastPair := -1
	i := 1
	for i < len(s) {
		if s[i] != q {
			i++
			continue
		}
		if i+1 < len(s) && s[i+1] == q {
			lastPair = i
			i += 2
			continue
		}
		if nonEmpty && i == 1 {
			return 0
		}
		return i + 1
	}
	if lastPair < 0 || nonEmpty && lastPair == 1 {
		return 0
	}
	return lastPair + 1
}

// scanPunct returns the length of an operator or punctuation mark at the
// start of s, or 0.
func scanPunct(s string) int {
	if len(s) >= 2 {
		switch s[:2] {
		case "=>", "<=", ">=", "<>", "!=", "||":
			return 2
		}
	}
	switch s[0] {
	case '-', '+', '*', '/', '%', '=', '<', '>', '(', ')', ',', '.', ';':
		return 1
	}
	return 0
}
