package parser

import (
	"strconv"
	"strings"
	"time"

	"github.com/streamsql/streamsql/types"
)

// Pos is a position in the query text, 1-based as editors show it.
type Pos struct {
	Offset int // byte offset from the start of the text
	Line   int
	Column int
}

func (p Pos) String() string { return strconv.Itoa(p.Line) + ":" + strconv.Itoa(p.Column) }

// Node is any element of the syntax tree. String prints it back as SQL that
// parses to the same tree.
type Node interface {
	Position() Pos
	String() string
}

// Statement is a top-level statement of a script.
type Statement interface {
	Node
	statement()
}

// Expr is a scalar or aggregate expression.
type Expr interface {
	Node
	expr()
}

// Select is a continuous query.
type Select struct {
	Pos      Pos
	Distinct bool
	Items    []*SelectItem
	From     *From // nil for a constant query (SELECT 1 AS x): one row, no columns
	Where    Expr  // nil if absent
	GroupBy  []Expr
	Having   Expr // nil if absent
	Window   *Window
	// Emit is "" (the default: a window emits once, when it closes) or
	// "CHANGES" (`EMIT CHANGES`: every batch, the updated rows of every
	// open window).
	Emit    string
	OrderBy []*OrderItem
	Limit   *Limit
	// UnionAll are the queries after `UNION ALL`, whose rows are added to
	// this one's; the result columns are named by this one.
	UnionAll []*Select
}

// SelectItem is one entry of the select list: `*`, or an expression with an
// optional alias.
type SelectItem struct {
	Pos   Pos
	Star  bool
	Table string // `t.*`: the FROM item whose columns Star means ("" for all)
	Expr  Expr   // nil when Star
	Alias string // "" when absent
	// Text is the expression exactly as written in the query, which
	// names the result column when there is no alias (as SQLite does).
	// Empty for items built by hand; String() is used then.
	Text string

	start, end int // byte span of Text in the parsed text
}

// From is the FROM clause: a source call, a named stream or a subquery,
// optionally joined to more items and flat-mapped by UNNEST:
// `FROM file('logs') AS l, UNNEST(split(line, ' ')) AS w`. A joined item
// (Join.Right) has no Joins or Unnest of its own.
type From struct {
	Pos      Pos
	Source   *SourceCall // nil when Stream or Subquery is set
	Stream   string      // a stream made by CREATE STREAM
	Subquery *Select     // `(SELECT ...)`, which may be a UNION ALL
	Alias    string      // "" when absent
	Joins    []*Join
	Unnest   *Unnest // nil when absent
}

// Join is `[INNER | LEFT [OUTER]] JOIN item [WITHIN d [EVENT TIME l[, r]
// [LATENESS d]]] ON cond`.
type Join struct {
	Pos  Pos
	Left bool // LEFT (or FULL) JOIN: rows of the left side without a partner are kept, with NULLs
	// RightOuter is RIGHT (or FULL) JOIN: rows of the right side without
	// a partner are kept, with NULLs.
	RightOuter bool
	// Right is the joined item: a table(...) call, a source, a stream or
	// a subquery, with its alias.
	Right *From
	// Within bounds a stream-stream join: rows pair only when their
	// times differ by at most this much. Zero when absent.
	Within time.Duration
	// EventTime is nil (processing time), the two sides' time
	// expressions (left first), or one expression read on each side.
	EventTime []Expr
	Lateness  time.Duration
	On        Expr
}

// SourceCall is a source function with positional and named
// (`name => value`) arguments, e.g. file('logs', format => 'jsonl').
type SourceCall struct {
	Pos   Pos
	Name  string
	Args  []Expr
	Named []*NamedArg
}

// Unnest is `UNNEST(expr) [AS] name` after a comma in FROM: one row per
// element of the array expr, the element in column name ("unnest" when no
// name is given).
type Unnest struct {
	Pos   Pos
	Expr  Expr
	Alias string
}

// CreateStream is `CREATE STREAM name AS SELECT ...`: a named
// intermediate stream later queries can read FROM.
type CreateStream struct {
	Pos   Pos
	Name  string
	Query *Select
}

// Insert is `INSERT INTO sink(args) SELECT ...`: a continuous query whose
// results go to a sink (a file directory, a database table, a topic)
// instead of the console.
type Insert struct {
	Pos   Pos
	Sink  *SourceCall // the sink call: its name, positional and named arguments
	Query *Select
}

// CreateView is `CREATE MATERIALIZED VIEW name [WITH (option = value,
// ...)] AS SELECT ...`: a query whose result the engine keeps, to be read
// at once by pull queries (SELECT ... FROM name) and followed by
// SUBSCRIBE.
type CreateView struct {
	Pos     Pos
	Name    string
	Options []*NamedArg
	Query   *Select
}

// DropView is `DROP MATERIALIZED VIEW [IF EXISTS] name`.
type DropView struct {
	Pos      Pos
	Name     string
	IfExists bool
}

// Subscribe is `SUBSCRIBE [TO] view` or `SUBSCRIBE [TO] (SELECT ...)`:
// the view's (or query's) rows, then every change to them, each with its
// op. Exactly one of View and Query is set.
type Subscribe struct {
	Pos   Pos
	View  string
	Query *Select
}

// DropStream is `DROP STREAM [IF EXISTS] name`.
type DropStream struct {
	Pos      Pos
	Name     string
	IfExists bool
}

// Show is `SHOW STREAMS` or `SHOW [MATERIALIZED] VIEWS` (What is
// "STREAMS" or "VIEWS").
type Show struct {
	Pos  Pos
	What string
}

// NamedArg is `name => value` in a source call.
type NamedArg struct {
	Pos   Pos
	Name  string
	Value Expr
}

// Window is the WINDOW clause:
//
//	WINDOW 10s [SLIDE 5s] [EVENT TIME ts [LATENESS 5s]]   tumbling or sliding
//	WINDOW SESSION 30s [EVENT TIME ts [LATENESS 5s]]      per-key session, closed by a gap
//	WINDOW UNBOUNDED [TIMEOUT 1h]                         running totals (updateStateByKey)
type Window struct {
	Pos  Pos
	Kind string // "" (tumbling or sliding), "SESSION" or "UNBOUNDED"
	// Size is the window length, or the gap of a session; zero for
	// UNBOUNDED.
	Size time.Duration
	// Slide is zero for a tumbling window.
	Slide time.Duration
	// EventTime is the column (or expression) rows carry their time in;
	// nil for processing time.
	EventTime Expr
	// Lateness is how far behind the largest event time seen a row may
	// arrive and still count.
	Lateness time.Duration
	// Timeout drops the running state of a key that saw no rows for this
	// long (UNBOUNDED only); zero keeps keys forever.
	Timeout time.Duration
}

// OrderItem is one ORDER BY key.
type OrderItem struct {
	Pos  Pos
	Expr Expr
	Desc bool
	// Nulls is "FIRST", "LAST" or "" (the default: NULLs sort as the
	// smallest value, as in SQLite).
	Nulls string
}

// Limit is `LIMIT n`.
type Limit struct {
	Pos   Pos
	Count int64
}

// Explain is `EXPLAIN statement`: print the plan instead of running it.
type Explain struct {
	Pos  Pos
	Stmt Statement
}

// ColumnRef names a column, optionally qualified (`t.col`).
type ColumnRef struct {
	Pos   Pos
	Table string
	Name  string
}

// Literal is a constant: number, string, TRUE/FALSE or NULL.
type Literal struct {
	Pos   Pos
	Value types.Value
}

// Param is `$1`: a parameter of a prepared pull query, given a value
// each time it runs.
type Param struct {
	Pos Pos
	N   int // 1-based
}

// Interval is `INTERVAL '10' SECOND`: a length of time, added to or
// subtracted from a timestamp. Value is the quoted number as written
// (without quotes), Unit the unit word; the planner checks both.
type Interval struct {
	Pos   Pos
	Value string
	Unit  string
}

// Unary is `-x`, `+x` or `NOT x`.
type Unary struct {
	Pos Pos
	Op  string // "-", "+", "NOT"
	X   Expr
}

// Binary is an infix operation. Op is one of
// OR AND = <> < <= > >= + - * / % ||
// (`!=` is normalised to `<>`).
type Binary struct {
	Pos  Pos
	Op   string
	L, R Expr
}

// Call is a function call. Aggregates are calls too: COUNT(*) has Star set,
// COUNT(DISTINCT x) has Distinct set. Name keeps the spelling of the query.
type Call struct {
	Pos      Pos
	Name     string
	Args     []Expr
	Star     bool
	Distinct bool
	// Filter is an aggregate's FILTER (WHERE cond): only rows for which
	// it holds are aggregated. Nil when absent.
	Filter Expr
	// Over makes the call a window function (ROW_NUMBER() OVER (...),
	// AVG(x) OVER (...)). Nil when absent.
	Over *Over
}

// Over is `OVER (PARTITION BY ... ORDER BY ... [frame])`.
type Over struct {
	Pos         Pos
	PartitionBy []Expr
	OrderBy     []*OrderItem
	// Frame is nil when absent: all rows of the partition up to the
	// current one (RANGE UNBOUNDED PRECEDING).
	Frame *Frame
}

// Frame is `ROWS BETWEEN n PRECEDING AND CURRENT ROW` (Rows, N rows
// before the current one) or `RANGE BETWEEN INTERVAL ... PRECEDING AND
// CURRENT ROW` (Range: rows whose ORDER BY value is at most that much
// before the current row's). Unbounded is UNBOUNDED PRECEDING.
type Frame struct {
	Pos       Pos
	Rows      bool
	Unbounded bool
	N         int64
	Range     *Interval
}

// IsNull is `x IS [NOT] NULL`.
type IsNull struct {
	Pos Pos
	X   Expr
	Not bool
}

// In is `x [NOT] IN (a, b, ...)`.
type In struct {
	Pos  Pos
	X    Expr
	List []Expr
	Not  bool
}

// Between is `x [NOT] BETWEEN lo AND hi`.
type Between struct {
	Pos    Pos
	X      Expr
	Lo, Hi Expr
	Not    bool
}

// Like is `x [NOT] LIKE pattern`.
type Like struct {
	Pos     Pos
	X       Expr
	Pattern Expr
	Not     bool
}

// Case is `CASE [operand] WHEN .. THEN .. [ELSE ..] END`.
type Case struct {
	Pos     Pos
	Operand Expr // nil for the searched form
	Whens   []*When
	Else    Expr // nil if absent
}

// When is one WHEN cond THEN result arm of a CASE.
type When struct {
	Pos        Pos
	Cond, Then Expr
}

// Cast is `CAST(x AS type)`. Type is upper-cased: BOOLEAN, BIGINT, DOUBLE,
// TEXT, TIMESTAMP (or a synonym the planner maps, such as INT or VARCHAR).
type Cast struct {
	Pos  Pos
	X    Expr
	Type string
	// Prec and Scale are DECIMAL(p, s)'s, Prec 0 when not given: the
	// value is rounded to Scale digits after the point.
	Prec, Scale int
}

func (*Select) statement()       {}
func (*Explain) statement()      {}
func (*CreateStream) statement() {}
func (*Insert) statement()       {}
func (*DropStream) statement()   {}
func (*Show) statement()         {}
func (*CreateView) statement()   {}
func (*DropView) statement()     {}
func (*Subscribe) statement()    {}

func (*ColumnRef) expr() {}
func (*Literal) expr()   {}
func (*Param) expr()     {}
func (*Interval) expr()  {}
func (*Unary) expr()     {}
func (*Binary) expr()    {}
func (*Call) expr()      {}
func (*IsNull) expr()    {}
func (*In) expr()        {}
func (*Between) expr()   {}
func (*Like) expr()      {}
func (*Case) expr()      {}
func (*Cast) expr()      {}

func (n *Select) Position() Pos       { return n.Pos }
func (n *SelectItem) Position() Pos   { return n.Pos }
func (n *SourceCall) Position() Pos   { return n.Pos }
func (n *From) Position() Pos         { return n.Pos }
func (n *Unnest) Position() Pos       { return n.Pos }
func (n *Join) Position() Pos         { return n.Pos }
func (n *CreateStream) Position() Pos { return n.Pos }
func (n *Insert) Position() Pos       { return n.Pos }
func (n *DropStream) Position() Pos   { return n.Pos }
func (n *Show) Position() Pos         { return n.Pos }
func (n *CreateView) Position() Pos   { return n.Pos }
func (n *DropView) Position() Pos     { return n.Pos }
func (n *Subscribe) Position() Pos    { return n.Pos }
func (n *NamedArg) Position() Pos     { return n.Pos }
func (n *Window) Position() Pos       { return n.Pos }
func (n *OrderItem) Position() Pos    { return n.Pos }
func (n *Limit) Position() Pos        { return n.Pos }
func (n *Explain) Position() Pos      { return n.Pos }
func (n *ColumnRef) Position() Pos    { return n.Pos }
func (n *Literal) Position() Pos      { return n.Pos }
func (n *Param) Position() Pos        { return n.Pos }
func (n *Interval) Position() Pos     { return n.Pos }
func (n *Unary) Position() Pos        { return n.Pos }
func (n *Binary) Position() Pos       { return n.Pos }
func (n *Call) Position() Pos         { return n.Pos }
func (n *IsNull) Position() Pos       { return n.Pos }
func (n *In) Position() Pos           { return n.Pos }
func (n *Between) Position() Pos      { return n.Pos }
func (n *Like) Position() Pos         { return n.Pos }
func (n *Case) Position() Pos         { return n.Pos }
func (n *When) Position() Pos         { return n.Pos }
func (n *Cast) Position() Pos         { return n.Pos }

// FormatDuration prints a duration in the spelling the grammar accepts:
// 500ms, 10s, 5m, 1h, 1m30s.
func FormatDuration(d time.Duration) string {
	if d == 0 {
		return "0s"
	}
	var b strings.Builder
	for _, u := range []struct {
		d    time.Duration
		name string
	}{{time.Hour, "h"}, {time.Minute, "m"}, {time.Second, "s"}, {time.Millisecond, "ms"}} {
		if d >= u.d {
			b.WriteString(strconv.FormatInt(int64(d/u.d), 10))
			b.WriteString(u.name)
			d %= u.d
		}
	}
	return b.String()
}
