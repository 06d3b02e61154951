package parser

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/alecthomas/participle/v2/lexer"
)

// regexLexer is the rule set sqlLexer follows, as regular expressions:
// the reference the hand-written lexer is checked against.
var regexLexer = lexer.MustSimple([]lexer.SimpleRule{
	{Name: "Comment", Pattern: `--[^\n]*`},
	{Name: "Whitespace", Pattern: `\s+`},
	{Name: "Float", Pattern: `(?:\d+\.\d*|\.\d+)(?:[eE][+-]?\d+)?|\d+[eE][+-]?\d+`},
	{Name: "Duration", Pattern: `\d+[\p{L}_][\p{L}\p{N}_]*`},
	{Name: "Int", Pattern: `\d+`},
	{Name: "String", Pattern: `'(?:[^']|'')*'`},
	{Name: "QuotedIdent", Pattern: `"(?:[^"]|"")+"|` + "`(?:[^`]|``)+`"},
	{Name: "Ident", Pattern: `[\p{L}_][\p{L}\p{N}_]*`},
	{Name: "Param", Pattern: `\$\d+`},
	{Name: "Keyword", Pattern: `[\p{L}_][\p{L}\p{N}_]*`},
	{Name: "Punct", Pattern: `=>|<=|>=|<>|!=|\|\||[-+*/%=<>(),.;]`},
})

// tokens lexes text with def and prints each token as type:value@offset,
// or the error with its position.
func tokens(def lexer.Definition, text string) string {
	l, err := def.Lex("", strings.NewReader(text))
	if err != nil {
		return "error: " + err.Error()
	}
	names := map[lexer.TokenType]string{}
	for name, t := range def.Symbols() {
		names[t] = name
	}
	var b strings.Builder
	for {
		t, err := l.Next()
		if err != nil {
			b.WriteString("error: " + err.Error())
			return b.String()
		}
		b.WriteString(names[t.Type] + ":" + t.Value + "@" + t.Pos.String() + " ")
		if t.EOF() {
			return b.String()
		}
	}
}

func TestLexerMatchesRules(t *testing.T) {
	cases := []string{
		"SELECT word, COUNT(*) FROM file('logfile') GROUP BY word WINDOW 10s",
		"1.5e3 1. .5 1e 12e5x 1.e5 1.5e 10ms 3h1m 7 007 .e5",
		"'it''s' '' ''' 'abc'' 'open",
		`"a""b" "" """ "a"" "x" """a"`,
		"`day` `a``b` `` ``` `open",
		"a--comment\n-- x\n--",
		"=> <= >= <> != || | ! - + * / % = < > ( ) , . ;",
		"naïve 名前 _x x1 1x ½ x½ \u00a0 \v",
		"\t\r\f\n x",
		"\xff 'a\xffb' \"\xfe\"",
		"a @ b", "#", "`x`", "$1", "?",
	}
	rng := rand.New(rand.NewPCG(1, 2))
	alphabet := []string{"a", "Z", "_", "é", "1", "0", ".", "e", "E", "+", "-", "'", `"`, " ", "\n", "|", "=", ">", "<", "!", "(", ")", "s", "\xff", "½", "*", "/", ",", ";"}
	for i := 0; i < 20000; i++ {
		var b strings.Builder
		for n := rng.IntN(12); n >= 0; n-- {
			b.WriteString(alphabet[rng.IntN(len(alphabet))])
		}
		cases = append(cases, b.String())
	}
	for _, c := range cases {
		if got, want := tokens(sqlLexer, c), tokens(regexLexer, c); got != want {
			t.Fatalf("lexing %q\n got: %s\nwant: %s", c, got, want)
		}
	}
}
