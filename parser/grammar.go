package parser

import (
	"strings"

	"github.com/alecthomas/participle/v2"
	"github.com/alecthomas/participle/v2/lexer"
)

// This file is the grammar as participle structs: one struct per rule,
// operator precedence by layering (each level's operands are the next level
// up). Nothing here leaves the package; convert.go turns a parse into the AST.
//
// Token values are kept exactly as written (strings keep their quotes) so
// that error messages can quote the user's text; literal.go decodes them.

// keywords are the reserved words, in the order error messages list them.
// Anything else that looks like a name (count, window_start, line) is an
// identifier.
var keywords = []string{
	"SELECT", "EXPLAIN", "DISTINCT", "FROM", "WHERE", "GROUP", "BY", "HAVING",
	"WINDOW", "SLIDE", "ORDER", "ASC", "DESC", "NULLS", "LIMIT",
	"AS", "AND", "OR", "NOT", "IS", "NULL", "IN", "BETWEEN", "LIKE",
	"CASE", "WHEN", "THEN", "ELSE", "END", "CAST", "TRUE", "FALSE",
	"JOIN", "INNER", "LEFT", "OUTER", "ON", "UNION", "ALL",
}

// softKeywords have a meaning in one place of the grammar but are names
// everywhere else, so they need no quoting as column, alias or stream names:
// users have columns called timestamp and stream. The grammar matches them
// as Ident tokens ('STREAM':Ident, case-insensitively), and each one is
// only recognised where a name cannot stand, or where a lookahead tells
// the two apart (`DROP STREAM if` drops the stream "if"; `TIMESTAMP '...'`
// is a literal only when a string follows). TIMESTAMP is not listed: it
// never stands where a name could not.
var softKeywords = append([]string{"CREATE", "DROP", "SHOW", "STREAM", "STREAMS", "IF", "EXISTS", "UNNEST", "INSERT", "INTO", "FIRST", "LAST", "WITHIN",
	"MATERIALIZED", "VIEW", "VIEWS", "WITH", "SUBSCRIBE", "TO"}, windowWords...)

// windowWords are the soft keywords of the WINDOW clause and of EMIT
// CHANGES, which may only follow one. No name can stand after WINDOW, after
// its durations or after the EVENT TIME expression, so they need no
// lookahead; users keep their columns called time, event and session.
// Error messages list them where they are written (see listedBefore).
var windowWords = []string{"SESSION", "UNBOUNDED", "TIMEOUT", "EVENT", "TIME", "LATENESS", "EMIT", "CHANGES"}

var keywordSet = func() map[string]bool {
	m := make(map[string]bool, len(keywords))
	for _, k := range keywords {
		m[k] = true
	}
	return m
}()

func isKeyword(s string) bool { return keywordSet[strings.ToUpper(s)] }

var keywordType = sqlLexer.Symbols()["Keyword"]

func keywordMapper(t lexer.Token) (lexer.Token, error) {
	if isKeyword(t.Value) {
		t.Type = keywordType
	}
	return t, nil
}

var parserOptions = []participle.Option{
	participle.Lexer(sqlLexer),
	participle.Map(keywordMapper, "Ident"),
	// Reserved words are retagged Keyword; soft keywords stay Ident.
	participle.CaseInsensitive("Keyword", "Ident"),
	participle.Elide("Comment", "Whitespace"),
	// No backtracking: a rule that has consumed a token and then fails is
	// an error right there. The grammar is LL(1) (plus one explicit
	// lookaheads in gArg, gFrom, gDrop and gPrimary), and errors then
	// point at the token that really broke the query instead of where some
	// optional branch began.
	participle.UseLookahead(0),
}

var (
	scriptParser = participle.MustBuild[gScript](parserOptions...)
	exprParser   = participle.MustBuild[gExpr](parserOptions...)
)

// gScript allows empty statements (`;;`, a trailing `;`); Parse rejects a
// script with none at all.
type gScript struct {
	Stmts []*gStatement `parser:"@@? ( ';' @@? )*"`
}

// EXPLAIN applies to the statements that run a query.
type gStatement struct {
	Pos     lexer.Position
	Explain bool     `parser:"(   @'EXPLAIN'?"`
	Select  *gQuery  `parser:"    ( @@"`
	Create  *gCreate `parser:"    | @@"`
	Insert  *gInsert `parser:"    | @@ )"`
	Drop    *gDrop   `parser:"| @@"`
	Show    *gShow   `parser:"| @@"`
	Sub     *gSub    `parser:"| @@ )"`
}

// gCreate is CREATE STREAM or CREATE MATERIALIZED VIEW, the latter with
// options: WITH (windows = 3).
type gCreate struct {
	Pos   lexer.Position
	Name  string     `parser:"'CREATE':Ident ( 'STREAM':Ident @(Ident | QuotedIdent)"`
	View  *gViewHead `parser:"| @@ )"`
	Query *gQuery    `parser:"'AS' @@"`
}

type gViewHead struct {
	Name    string     `parser:"'MATERIALIZED':Ident 'VIEW':Ident @(Ident | QuotedIdent)"`
	Options []*gOption `parser:"( 'WITH':Ident '(' @@ ( ',' @@ )* ')' )?"`
}

// gOption is `name = value` in a view's WITH list.
type gOption struct {
	Pos   lexer.Position
	Name  string `parser:"@(Ident | QuotedIdent) '='"`
	Value *gExpr `parser:"@@"`
}

// gSub is SUBSCRIBE [TO] view, or SUBSCRIBE [TO] (query).
type gSub struct {
	Pos   lexer.Position
	Query *gQuery `parser:"'SUBSCRIBE':Ident 'TO':Ident? ( '(' @@ ')'"`
	Name  string  `parser:"| @(Ident | QuotedIdent) )"`
}

// gInsert is INSERT INTO sink(args) SELECT ...; the sink call has the
// shape of a source call.
type gInsert struct {
	Pos   lexer.Position
	Sink  *gSource `parser:"'INSERT':Ident 'INTO':Ident @@"`
	Query *gQuery  `parser:"@@"`
}

// IF is taken as the flag only when EXISTS follows, so that a stream may
// be called "if" (or "exists") like any other.
type gDrop struct {
	Pos      lexer.Position
	View     bool   `parser:"'DROP':Ident ( 'STREAM':Ident | @'MATERIALIZED':Ident 'VIEW':Ident )"`
	IfExists bool   `parser:"( (?= 'IF':Ident 'EXISTS':Ident) @'IF':Ident 'EXISTS':Ident )?"`
	Name     string `parser:"@(Ident | QuotedIdent)"`
}

type gShow struct {
	Pos  lexer.Position
	What string `parser:"'SHOW':Ident ( @'STREAMS':Ident | 'MATERIALIZED':Ident? @'VIEWS':Ident )"`
}

// HAVING and WINDOW may come in either order (WINDOW reads naturally right
// after GROUP BY); the Having2, Window2 and Emit2 fields hold the second
// order. EMIT CHANGES comes after both, and only when there is a WINDOW:
// without one the diagnoser says so (see emitWithoutWindow).
type gSelect struct {
	Pos      lexer.Position
	Distinct bool          `parser:"'SELECT' @'DISTINCT'?"`
	Items    []*gItem      `parser:"@@ ( ',' @@ )*"`
	From     *gFrom        `parser:"( 'FROM' @@ )?"`
	Where    *gExpr        `parser:"( 'WHERE' @@ )?"`
	GroupBy  []*gExpr      `parser:"( 'GROUP' 'BY' @@ ( ',' @@ )* )?"`
	Having   *gExpr        `parser:"( 'HAVING' @@"`
	Window   *gWindow      `parser:"  ( @@"`
	Emit     string        `parser:"    ( 'EMIT':Ident @'CHANGES':Ident )? )?"`
	Window2  *gWindow      `parser:"| @@"`
	Having2  *gExpr        `parser:"  ( 'HAVING' @@ )?"`
	Emit2    string        `parser:"  ( 'EMIT':Ident @'CHANGES':Ident )? )?"`
	OrderBy  []*gOrderItem `parser:"( 'ORDER' 'BY' @@ ( ',' @@ )* )?"`
	Limit    *gLimit       `parser:"@@?"`
}

// gItem is `*`, `t.*` or an expression; `t.` starts both of the last two,
// so the parser looks ahead for the star.
type gItem struct {
	Pos   lexer.Position
	Star  bool   `parser:"  @'*'"`
	Table string `parser:"| (?= (Ident | QuotedIdent) '.' '*') @(Ident | QuotedIdent) '.' '*'"`
	Expr  *gExpr `parser:"| @@"`
	Alias string `parser:"  ( 'AS'? @(Ident | QuotedIdent) )?"`
}

// gQuery is a SELECT, or several joined by UNION ALL.
type gQuery struct {
	First *gSelect   `parser:"@@"`
	Rest  []*gSelect `parser:"( 'UNION' 'ALL' @@ )*"`
}

// gFrom is the first FROM item, the items joined to it, and an UNNEST
// or a second item after a comma (`FROM a, b WHERE a.id = b.id`, a join
// whose condition is the WHERE).
type gFrom struct {
	Pos    lexer.Position
	Item   *gFromItem `parser:"@@"`
	Joins  []*gJoin   `parser:"@@*"`
	Unnest *gUnnest   `parser:"( ',' ( (?= 'UNNEST':Ident '(') @@"`
	Comma  *gFromItem `parser:"      | @@ ) )?"`
}

// gFromItem reads a subquery, a source call or a stream name. The last
// two start with a name, so the parser looks ahead for the "(" of a call
// rather than backtracking. A bare alias cannot be WITHIN (the bound of
// a join) nor a kind of join streamsql does not have, which would
// otherwise be taken for an alias (`a RIGHT JOIN b` as `a AS right JOIN
// b`); the diagnoser explains those.
type gFromItem struct {
	Pos    lexer.Position
	Sub    *gQuery  `parser:"(   '(' @@ ')'"`
	Source *gSource `parser:"  | (?= (Ident | QuotedIdent) '(') @@"`
	Stream string   `parser:"  | @(Ident | QuotedIdent) )"`
	Alias  string   `parser:"(   'AS' @(Ident | QuotedIdent)"`
	Bare   string   `parser:"  | (?! 'WITHIN':Ident | 'RIGHT':Ident | 'FULL':Ident | 'CROSS':Ident | 'NATURAL':Ident) @(Ident | QuotedIdent) )?"`
}

// gJoin is `[INNER | LEFT [OUTER]] JOIN item [WITHIN d [EVENT TIME l[, r]
// [LATENESS d]]] ON cond`.
type gJoin struct {
	Pos       lexer.Position
	Left      bool       `parser:"( @'LEFT' 'OUTER'?"`
	RightJoin bool       `parser:"| @'RIGHT':Ident 'OUTER'?"`
	Full      bool       `parser:"| @'FULL':Ident 'OUTER'? | 'INNER' )? 'JOIN'"`
	Item      *gFromItem `parser:"@@"`
	Within    *gDuration `parser:"( 'WITHIN':Ident @@"`
	EventTime *gJoinTime `parser:"  @@? )?"`
	On        *gExpr     `parser:"'ON' @@"`
}

// gJoinTime is `EVENT TIME ts` (the same expression on both sides) or
// `EVENT TIME a.ts, b.ts` (left, then right).
type gJoinTime struct {
	Left     *gExpr     `parser:"'EVENT':Ident 'TIME':Ident @@"`
	Right    *gExpr     `parser:"( ',' @@ )?"`
	Lateness *gLateness `parser:"( 'LATENESS':Ident @@ )?"`
}

type gSource struct {
	Pos  lexer.Position
	Name string  `parser:"@(Ident | QuotedIdent) '('"`
	Args []*gArg `parser:"( @@ ( ',' @@ )* )? ')'"`
}

type gUnnest struct {
	Pos   lexer.Position
	Expr  *gExpr `parser:"'UNNEST':Ident '(' @@ ')'"`
	Alias string `parser:"( 'AS'? @(Ident | QuotedIdent) )?"`
}

// gArg is positional or `name => value`. An option may be named by a
// reserved word (generate(limit => 10)): the `=>` after it leaves no
// doubt. The parser never backtracks (see parserOptions), so the name is
// only taken when `=>` is seen to follow.
type gArg struct {
	Pos   lexer.Position
	Name  string `parser:"( (?= (Ident | QuotedIdent | Keyword) '=>') @(Ident | QuotedIdent | Keyword) '=>' )?"`
	Value *gExpr `parser:"@@"`
}

// gWindow is one of
//
//	WINDOW 10s [SLIDE 5s] [EVENT TIME expr [LATENESS 5s]]
//	WINDOW SESSION 30s [EVENT TIME expr [LATENESS 5s]]
//	WINDOW UNBOUNDED [TIMEOUT 1h]
//
// SESSION and UNBOUNDED cannot be durations, so no lookahead is needed.
// SLIDE after the other two kinds is taken only to say that they do not
// slide (see literal.go).
type gWindow struct {
	Pos            lexer.Position
	Unbounded      bool           `parser:"'WINDOW' ( @'UNBOUNDED':Ident"`
	Timeout        *gDuration     `parser:"    ( 'TIMEOUT':Ident @@ )?"`
	UnboundedSlide unboundedSlide `parser:"    @'SLIDE'?"`
	Session        *gDuration     `parser:"  | ( 'SESSION':Ident @@"`
	SessionSlide   sessionSlide   `parser:"      @'SLIDE'?"`
	Size           *gDuration     `parser:"    | @@"`
	Slide          *gDuration     `parser:"      ( 'SLIDE' @@ )? )"`
	EventTime      *gEventTime    `parser:"    @@? )"`
}

// gEventTime is `EVENT TIME expr [LATENESS duration]`. The expression
// cannot swallow LATENESS or whatever follows the window: an expression
// never ends in an implicit alias.
type gEventTime struct {
	Expr     *gExpr     `parser:"'EVENT':Ident 'TIME':Ident @@"`
	Lateness *gLateness `parser:"( 'LATENESS':Ident @@ )?"`
}

// A window duration may also be a quoted string. A bare integer is taken
// too, so that `WINDOW 10` is told about the missing unit (see literal.go).
type gDuration struct {
	Value durationLit `parser:"@(Duration | String | Int)"`
}

// gLateness is a duration that may be zero (rows must then come in
// event-time order).
type gLateness struct {
	Value latenessLit `parser:"@(Duration | String | Int)"`
}

type gOrderItem struct {
	Pos   lexer.Position
	Expr  *gExpr `parser:"@@"`
	Dir   string `parser:"@('ASC' | 'DESC')?"`
	Nulls string `parser:"( 'NULLS' @('FIRST':Ident | 'LAST':Ident) )?"`
}

type gLimit struct {
	Pos   lexer.Position
	Count intLit `parser:"'LIMIT' @Int"`
}

// Expressions, lowest precedence first. A Binary takes the position of its
// left operand, so levels without their own token need no Pos.

type gExpr struct {
	Pos    lexer.Position
	EndPos lexer.Position // where the expression's text ends: names result columns
	Left   *gAnd          `parser:"@@"`
	Right  []*gAnd        `parser:"( 'OR' @@ )*"`
}

type gAnd struct {
	Left  *gNot   `parser:"@@"`
	Right []*gNot `parser:"( 'AND' @@ )*"`
}

type gNot struct {
	Pos lexer.Position
	Not *gNot `parser:"  'NOT' @@"`
	X   *gCmp `parser:"| @@"`
}

// gCmp is a concat-level operand followed by any number of comparisons and
// predicates, applied left to right: `a = b IS NULL` is `(a = b) IS NULL`.
type gCmp struct {
	Left *gConcat    `parser:"@@"`
	Tail []*gCmpTail `parser:"@@*"`
}

// NOT is taken before choosing IN, BETWEEN or LIKE so that no branch has
// to be undone.
type gCmpTail struct {
	Compare *gCompare `parser:"  @@"`
	IsNull  *gIsNull  `parser:"| @@"`
	Not     bool      `parser:"| @'NOT'?"`
	In      *gIn      `parser:"  ( @@"`
	Between *gBetween `parser:"  | @@"`
	Like    *gLike    `parser:"  | @@ )"`
}

type gCompare struct {
	Op    string   `parser:"@('=' | '<>' | '!=' | '<=' | '>=' | '<' | '>')"`
	Right *gConcat `parser:"@@"`
}

type gIsNull struct {
	Not bool `parser:"'IS' @'NOT'? 'NULL'"`
}

type gIn struct {
	List []*gExpr `parser:"'IN' '(' @@ ( ',' @@ )* ')'"`
}

// The bounds are concat-level so that the AND is BETWEEN's own.
type gBetween struct {
	Lo *gConcat `parser:"'BETWEEN' @@"`
	Hi *gConcat `parser:"'AND' @@"`
}

type gLike struct {
	Pattern *gConcat `parser:"'LIKE' @@"`
}

type gConcat struct {
	Left  *gAdd   `parser:"@@"`
	Right []*gAdd `parser:"( '||' @@ )*"`
}

type gAdd struct {
	Left *gMul     `parser:"@@"`
	Tail []*gAddOp `parser:"@@*"`
}

type gAddOp struct {
	Op    string `parser:"@('+' | '-')"`
	Right *gMul  `parser:"@@"`
}

type gMul struct {
	Left *gUnary   `parser:"@@"`
	Tail []*gMulOp `parser:"@@*"`
}

type gMulOp struct {
	Op    string  `parser:"@('*' | '/' | '%')"`
	Right *gUnary `parser:"@@"`
}

type gUnary struct {
	Pos     lexer.Position
	Op      string    `parser:"( @('-' | '+')"`
	X       *gUnary   `parser:"  @@ )"`
	Primary *gPrimary `parser:"| @@"`
}

// TIMESTAMP is a literal's type only when a string follows; otherwise it
// is a name (a column called timestamp, or a function).
type gPrimary struct {
	Pos       lexer.Position
	Float     *floatLit     `parser:"  @Float"`
	Int       *intLit       `parser:"| @Int"`
	Str       string        `parser:"| @String"`
	Bool      string        `parser:"| @('TRUE' | 'FALSE')"`
	Null      bool          `parser:"| @'NULL'"`
	Param     string        `parser:"| @Param"`
	Timestamp *timestampLit `parser:"| (?= 'TIMESTAMP':Ident String) 'TIMESTAMP':Ident @String"`
	Interval  *gInterval    `parser:"| (?= 'INTERVAL':Ident String) @@"`
	Case      *gCase        `parser:"| @@"`
	Cast      *gCast        `parser:"| @@"`
	Name      *gName        `parser:"| @@"`
	Paren     *gExpr        `parser:"| '(' @@ ')'"`
}

// gInterval is `INTERVAL '10' SECOND`; INTERVAL is a name (a column, a
// function) unless a string follows.
type gInterval struct {
	Pos   lexer.Position
	Value string `parser:"'INTERVAL':Ident @String"`
	Unit  string `parser:"@Ident"`
}

type gCase struct {
	Operand *gExpr   `parser:"'CASE' @@?"`
	Whens   []*gWhen `parser:"@@+"`
	Else    *gExpr   `parser:"( 'ELSE' @@ )? 'END'"`
}

type gWhen struct {
	Pos  lexer.Position
	Cond *gExpr `parser:"'WHEN' @@"`
	Then *gExpr `parser:"'THEN' @@"`
}

type gCast struct {
	X     *gExpr   `parser:"'CAST' '(' @@"`
	Type  typeName `parser:"'AS' @Ident"`
	Prec  *intLit  `parser:"( '(' @Int"`
	Scale *intLit  `parser:"  ( ',' @Int )? ')' )? ')'"`
}

// gName is a column reference, `table.column`, or a function call; the
// three share their first token, so they are one rule.
type gName struct {
	Pos    lexer.Position
	Name   string     `parser:"@(Ident | QuotedIdent)"`
	Call   *gCallArgs `parser:"( @@"`
	Column string     `parser:"| '.' @(Ident | QuotedIdent) )?"`
}

// An aggregate call may be followed by FILTER (WHERE cond); the lookahead
// keeps `COUNT(*) filter` an alias.
type gCallArgs struct {
	Star     bool     `parser:"'(' ( @'*'"`
	Distinct bool     `parser:"    | @'DISTINCT'?"`
	Args     []*gExpr `parser:"      @@ ( ',' @@ )* )? ')'"`
	Filter   *gExpr   `parser:"( (?= 'FILTER':Ident '(') 'FILTER':Ident '(' 'WHERE' @@ ')' )?"`
	Over     *gOver   `parser:"( (?= 'OVER':Ident '(') 'OVER':Ident @@ )?"`
}

// gOver is a window function's OVER (PARTITION BY ... ORDER BY ...
// [ROWS | RANGE BETWEEN ... PRECEDING AND CURRENT ROW]).
type gOver struct {
	Pos       lexer.Position
	Partition []*gExpr      `parser:"'(' ( 'PARTITION':Ident 'BY' @@ ( ',' @@ )* )?"`
	OrderBy   []*gOrderItem `parser:"( 'ORDER' 'BY' @@ ( ',' @@ )* )?"`
	Frame     *gFrame       `parser:"@@? ')'"`
}

// gFrame is ROWS BETWEEN n PRECEDING AND CURRENT ROW, or RANGE BETWEEN
// INTERVAL '10' SECOND PRECEDING AND CURRENT ROW (UNBOUNDED PRECEDING for
// either).
type gFrame struct {
	Pos       lexer.Position
	Unit      string     `parser:"@('ROWS':Ident | 'RANGE':Ident) 'BETWEEN'"`
	Unbounded bool       `parser:"( @'UNBOUNDED':Ident"`
	Rows      *intLit    `parser:"| @Int"`
	Interval  *gInterval `parser:"| @@ ) 'PRECEDING':Ident 'AND' 'CURRENT':Ident 'ROW':Ident"`
}
