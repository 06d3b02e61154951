package parser

import (
	"fmt"
	"strings"

	"github.com/alecthomas/participle/v2"
	"github.com/alecthomas/participle/v2/lexer"
)

// Parse parses a script: one or more statements separated by `;`, with an
// optional trailing `;`. Errors are *Error with Kind "syntax error",
// pointing at the first token that cannot be part of a valid script.
func Parse(text string) ([]Statement, error) {
	g, err := parseWith(scriptParser, text)
	if err != nil {
		return nil, scriptDiagnoser.explain(text, err)
	}
	if len(g.Stmts) == 0 {
		return nil, scriptDiagnoser.unexpected(text, len(text))
	}
	out := make([]Statement, len(g.Stmts))
	for i, s := range g.Stmts {
		out[i] = convStatement(s)
		setItemText(out[i], text)
	}
	return out, nil
}

// setItemText records, for each select item, its expression as written.
func setItemText(st Statement, text string) {
	var sel *Select
	switch st := st.(type) {
	case *Select:
		sel = st
	case *CreateStream:
		sel = st.Query
	case *CreateView:
		sel = st.Query
	case *Subscribe:
		if st.Query == nil {
			return
		}
		sel = st.Query
	case *Insert:
		sel = st.Query
	case *Explain:
		setItemText(st.Stmt, text)
		return
	default:
		return
	}
	setSelectText(sel, text)
}

func setSelectText(sel *Select, text string) {
	for _, it := range sel.Items {
		if it.Expr != nil && it.start >= 0 && it.start < it.end && it.end <= len(text) {
			it.Text = trimTrailing(text[it.start:it.end])
		}
	}
	for _, u := range sel.UnionAll {
		setSelectText(u, text)
	}
	for _, f := range fromItems(sel.From) {
		if f.Subquery != nil {
			setSelectText(f.Subquery, text)
		}
	}
}

// fromItems lists the items of a FROM clause: the first, then the joined.
func fromItems(f *From) []*From {
	if f == nil {
		return nil
	}
	out := []*From{f}
	for _, j := range f.Joins {
		out = append(out, j.Right)
	}
	return out
}

// trimTrailing cuts the whitespace and comments the parser skipped after
// an expression's last token.
func trimTrailing(span string) string {
	lex, err := sqlLexer.LexString("", span)
	if err != nil {
		return strings.TrimSpace(span)
	}
	comment, space := sqlLexer.Symbols()["Comment"], sqlLexer.Symbols()["Whitespace"]
	end := 0
	for {
		t, err := lex.Next()
		if err != nil || t.EOF() {
			break
		}
		if t.Type != comment && t.Type != space {
			end = t.Pos.Offset + len(t.Value)
		}
	}
	return span[:end]
}

// ParseExpr parses a single expression, for tests and tools.
func ParseExpr(text string) (Expr, error) {
	g, err := parseWith(exprParser, text)
	if err != nil {
		return nil, exprDiagnoser.explain(text, err)
	}
	return convExpr(g), nil
}

var (
	scriptDiagnoser = diagnoser{parse: func(s string) error { _, err := parseWith(scriptParser, s); return err }}
	exprDiagnoser   = diagnoser{parse: func(s string) error { _, err := parseWith(exprParser, s); return err }}
)

// maxDepth bounds the nesting of parentheses, CASE and prefix operators.
// participle parses by recursion, and a few hundred thousand open
// parentheses would overflow the stack, which no recover can catch.
const maxDepth = 100

// maxTokens bounds one statement's length. participle spends several
// microseconds and a few hundred bytes a token, so a statement of a
// million tokens (a generated IN list, say) would hold the planner for
// seconds and take hundreds of megabytes; this one is about 1 s at most.
const maxTokens = 100_000

// earlyError is a problem found before parsing starts: a character no token
// begins with, nesting beyond maxDepth, or a statement beyond maxTokens.
type earlyError struct {
	pos lexer.Position
	msg string
}

func (e *earlyError) Error() string            { return e.msg }
func (e *earlyError) Position() lexer.Position { return e.pos }

// parseWith lexes text, checking its nesting and length as it goes, and
// runs participle on the tokens. Errors carry a position
// (participle.Error or *earlyError).
func parseWith[G any](p *participle.Parser[G], text string) (*G, error) {
	toks, err := lex(text)
	if err != nil {
		return nil, err
	}
	peek, err := lexer.Upgrade(&tokenList{toks: toks})
	if err != nil {
		return nil, err
	}
	return p.ParseFromLexer(peek)
}

// lex returns the tokens of text without spaces and comments, ending with
// EOF. It stops at the first token that nests too deeply or makes a
// statement too long, so a huge hostile text costs no more than the limits
// allow.
func lex(text string) ([]lexer.Token, error) {
	l, _ := sqlLexer.LexString("", text)
	var toks []lexer.Token
	depth, prefix, stmt := 0, 0, 0 // open ( and CASE; the current run of prefix operators; tokens in this statement
	for {
		t, err := l.Next()
		if err != nil {
			p := errPosition(err)
			return nil, &earlyError{p, lexMessage(text[p.Offset:])}
		}
		if t.Type == tokComment || t.Type == tokWhitespace {
			continue
		}
		t, _ = keywordMapper(t)
		switch {
		case t.Value == "(" || isKeywordToken(t, "CASE"):
			depth++
		case t.Value == ")" || isKeywordToken(t, "END"):
			depth--
		}
		if isPrefixOp(t) && (len(toks) == 0 || !endsOperand(toks[len(toks)-1])) {
			prefix++
		} else {
			prefix = 0
		}
		if depth+prefix > maxDepth {
			return nil, &earlyError{t.Pos, fmt.Sprintf("expression nested too deeply (the limit is %d levels)", maxDepth)}
		}
		if stmt++; t.Value == ";" && t.Type == tokPunct {
			stmt = 0
		}
		if stmt > maxTokens {
			return nil, &earlyError{t.Pos, fmt.Sprintf("statement too long: more than %d tokens (the limit); split it up, or put a long IN list in a table and join it", maxTokens)}
		}
		toks = append(toks, t)
		if t.EOF() {
			return toks, nil
		}
	}
}

func isKeywordToken(t lexer.Token, k string) bool {
	return t.Type == keywordType && strings.EqualFold(t.Value, k)
}

func isPrefixOp(t lexer.Token) bool {
	return t.Value == "-" || t.Value == "+" || isKeywordToken(t, "NOT")
}

// endsOperand reports whether t can end an operand, so that a following -
// or + is binary.
func endsOperand(t lexer.Token) bool {
	return t.Type != keywordType && t.Type != punctType || t.Value == ")" ||
		isKeywordToken(t, "END") || isKeywordToken(t, "NULL") ||
		isKeywordToken(t, "TRUE") || isKeywordToken(t, "FALSE")
}

var punctType = sqlLexer.Symbols()["Punct"]

// tokenList feeds already lexed tokens to participle.
type tokenList struct{ toks []lexer.Token }

func (l *tokenList) Next() (lexer.Token, error) {
	t := l.toks[0]
	if len(l.toks) > 1 {
		l.toks = l.toks[1:]
	}
	return t, nil
}
