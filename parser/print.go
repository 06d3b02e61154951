package parser

import (
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/streamsql/streamsql/types"
)

// String methods print SQL that parses back to the same tree: keywords
// upper-case, names as written (quoted only when they must be), and
// parentheses only where precedence needs them. An unaliased select item's
// String is its result column name, so `count(*)` must stay `count(*)`.

// Precedence levels, lowest first, matching the layers in grammar.go.
const (
	precOr = iota + 1
	precAnd
	precNot
	precCmp // comparisons, IS, IN, BETWEEN, LIKE
	precConcat
	precAdd
	precMul
	precUnary
	precPrimary
)

var binaryPrec = map[string]int{
	"OR": precOr, "AND": precAnd,
	"=": precCmp, "<>": precCmp, "<": precCmp, "<=": precCmp, ">": precCmp, ">=": precCmp,
	"||": precConcat, "+": precAdd, "-": precAdd, "*": precMul, "/": precMul, "%": precMul,
}

func prec(e Expr) int {
	switch e := e.(type) {
	case *Binary:
		return binaryPrec[e.Op]
	case *Unary:
		if e.Op == "NOT" {
			return precNot
		}
		return precUnary
	case *IsNull, *In, *Between, *Like:
		return precCmp
	}
	return precPrimary
}

// exprPrinter prints expressions into one buffer, so printing costs time
// linear in the expression's size however deep it nests (concatenating
// the operands' strings at every level was quadratic in a long chain such
// as 1+1+...+1).
type exprPrinter struct{ buf []byte }

func exprString(e Expr) string {
	var p exprPrinter
	p.expr(e)
	return string(p.buf)
}

func (p *exprPrinter) str(s string) { p.buf = append(p.buf, s...) }

// operand prints e, parenthesised if it binds looser than min.
func (p *exprPrinter) operand(e Expr, min int) {
	if prec(e) < min {
		p.str("(")
		p.expr(e)
		p.str(")")
		return
	}
	p.expr(e)
}

func (p *exprPrinter) list(es []Expr) {
	for i, e := range es {
		if i > 0 {
			p.str(", ")
		}
		p.expr(e)
	}
}

func not(b bool) string {
	if b {
		return "NOT "
	}
	return ""
}

func (p *exprPrinter) expr(e Expr) {
	switch n := e.(type) {
	case *ColumnRef:
		if n.Table != "" {
			p.str(quoteIdent(n.Table))
			p.str(".")
		}
		p.str(quoteIdent(n.Name))
	case *Literal:
		p.str(literalString(n.Value))
	case *Param:
		p.str("$" + strconv.Itoa(n.N))
	case *Interval:
		p.str("INTERVAL '" + strings.ReplaceAll(n.Value, "'", "''") + "' " + strings.ToUpper(n.Unit))
	case *Unary:
		if n.Op == "NOT" {
			p.str("NOT ")
			p.operand(n.X, precNot)
			return
		}
		p.str(n.Op)
		at := len(p.buf)
		p.operand(n.X, precUnary)
		if at < len(p.buf) && p.buf[at] == '-' { // "--" would start a comment
			p.buf = append(p.buf[:at+1], p.buf[at:]...)
			p.buf[at] = ' '
		}
	case *Binary:
		// A left operand of equal precedence needs no parentheses (the
		// operators are left-associative); a right one does.
		pr := binaryPrec[n.Op]
		p.operand(n.L, pr)
		p.str(" ")
		p.str(n.Op)
		p.str(" ")
		p.operand(n.R, pr+1)
	case *Call:
		p.str(quoteIdent(n.Name))
		p.str("(")
		switch {
		case n.Star:
			p.str("*")
		case n.Distinct:
			p.str("DISTINCT ")
			p.list(n.Args)
		default:
			p.list(n.Args)
		}
		p.str(")")
		if n.Filter != nil {
			p.str(" FILTER (WHERE ")
			p.expr(n.Filter)
			p.str(")")
		}
		if n.Over != nil {
			p.str(" OVER (" + n.Over.String() + ")")
		}
	case *IsNull:
		p.operand(n.X, precCmp)
		p.str(" IS ")
		p.str(not(n.Not))
		p.str("NULL")
	case *In:
		p.operand(n.X, precCmp)
		p.str(" ")
		p.str(not(n.Not))
		p.str("IN (")
		p.list(n.List)
		p.str(")")
	case *Between:
		// BETWEEN's bounds and LIKE's pattern sit one level above
		// comparisons in the grammar, so a comparison there needs
		// parentheses.
		p.operand(n.X, precCmp)
		p.str(" ")
		p.str(not(n.Not))
		p.str("BETWEEN ")
		p.operand(n.Lo, precConcat)
		p.str(" AND ")
		p.operand(n.Hi, precConcat)
	case *Like:
		p.operand(n.X, precCmp)
		p.str(" ")
		p.str(not(n.Not))
		p.str("LIKE ")
		p.operand(n.Pattern, precConcat)
	case *Case:
		p.str("CASE")
		if n.Operand != nil {
			p.str(" ")
			p.expr(n.Operand)
		}
		for _, w := range n.Whens {
			p.str(" ")
			p.when(w)
		}
		if n.Else != nil {
			p.str(" ELSE ")
			p.expr(n.Else)
		}
		p.str(" END")
	case *Cast:
		p.str("CAST(")
		p.expr(n.X)
		p.str(" AS ")
		p.str(n.Type)
		if n.Prec > 0 {
			p.str("(" + strconv.Itoa(n.Prec) + ", " + strconv.Itoa(n.Scale) + ")")
		}
		p.str(")")
	default:
		p.str(e.String())
	}
}

func (p *exprPrinter) when(w *When) {
	p.str("WHEN ")
	p.expr(w.Cond)
	p.str(" THEN ")
	p.expr(w.Then)
}

func (n *Select) String() string {
	var b strings.Builder
	b.WriteString("SELECT ")
	if n.Distinct {
		b.WriteString("DISTINCT ")
	}
	for i, it := range n.Items {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(it.String())
	}
	if n.From != nil {
		b.WriteString(" FROM " + n.From.String())
	}
	if n.Where != nil {
		b.WriteString(" WHERE " + n.Where.String())
	}
	if len(n.GroupBy) > 0 {
		b.WriteString(" GROUP BY " + exprList(n.GroupBy))
	}
	if n.Having != nil {
		b.WriteString(" HAVING " + n.Having.String())
	}
	if n.Window != nil {
		b.WriteString(" " + n.Window.String())
	}
	if n.Emit != "" {
		b.WriteString(" EMIT " + n.Emit)
	}
	for i, o := range n.OrderBy {
		if i == 0 {
			b.WriteString(" ORDER BY ")
		} else {
			b.WriteString(", ")
		}
		b.WriteString(o.String())
	}
	if n.Limit != nil {
		b.WriteString(" " + n.Limit.String())
	}
	for _, u := range n.UnionAll {
		b.WriteString(" UNION ALL " + u.String())
	}
	return b.String()
}

func exprList(es []Expr) string {
	var p exprPrinter
	p.list(es)
	return string(p.buf)
}

func (n *SelectItem) String() string {
	if n.Star {
		if n.Table != "" {
			return quoteIdent(n.Table) + ".*"
		}
		return "*"
	}
	return n.Expr.String() + alias(n.Alias)
}

func alias(a string) string {
	if a == "" {
		return ""
	}
	return " AS " + quoteIdent(a)
}

func (n *SourceCall) String() string {
	args := make([]string, 0, len(n.Args)+len(n.Named))
	for _, a := range n.Args {
		args = append(args, a.String())
	}
	for _, a := range n.Named {
		args = append(args, a.String())
	}
	return quoteIdent(n.Name) + "(" + strings.Join(args, ", ") + ")"
}

func (n *From) String() string {
	var s string
	switch {
	case n.Source != nil:
		s = n.Source.String()
	case n.Subquery != nil:
		s = "(" + n.Subquery.String() + ")"
	default:
		s = quoteIdent(n.Stream)
	}
	s += alias(n.Alias)
	for _, j := range n.Joins {
		s += " " + j.String()
	}
	if n.Unnest != nil {
		s += ", " + n.Unnest.String()
	}
	return s
}

// Kind is the join's kind as SQL writes it: JOIN, LEFT JOIN, RIGHT JOIN or
// FULL JOIN.
func (n *Join) Kind() string {
	switch {
	case n.Left && n.RightOuter:
		return "FULL JOIN"
	case n.Left:
		return "LEFT JOIN"
	case n.RightOuter:
		return "RIGHT JOIN"
	}
	return "JOIN"
}

func (n *Join) String() string {
	s := n.Kind() + " " + n.Right.String()
	if n.Within > 0 {
		s += " WITHIN " + FormatDuration(n.Within)
		if len(n.EventTime) > 0 {
			s += " EVENT TIME " + exprList(n.EventTime)
			if n.Lateness > 0 {
				s += " LATENESS " + FormatDuration(n.Lateness)
			}
		}
	}
	return s + " ON " + n.On.String()
}

func (n *Unnest) String() string { return "UNNEST(" + n.Expr.String() + ")" + alias(n.Alias) }

func (n *CreateStream) String() string {
	return "CREATE STREAM " + quoteIdent(n.Name) + " AS " + n.Query.String()
}

func (n *Insert) String() string {
	return "INSERT INTO " + n.Sink.String() + " " + n.Query.String()
}

func (n *DropStream) String() string {
	s := "DROP STREAM "
	if n.IfExists {
		s += "IF EXISTS "
	}
	return s + quoteIdent(n.Name)
}

func (n *Show) String() string { return "SHOW " + n.What }

func (n *CreateView) String() string {
	s := "CREATE MATERIALIZED VIEW " + quoteIdent(n.Name)
	if len(n.Options) > 0 {
		opts := make([]string, len(n.Options))
		for i, o := range n.Options {
			opts[i] = quoteIdent(o.Name) + " = " + o.Value.String()
		}
		s += " WITH (" + strings.Join(opts, ", ") + ")"
	}
	return s + " AS " + n.Query.String()
}

func (n *DropView) String() string {
	s := "DROP MATERIALIZED VIEW "
	if n.IfExists {
		s += "IF EXISTS "
	}
	return s + quoteIdent(n.Name)
}

func (n *Subscribe) String() string {
	if n.Query != nil {
		return "SUBSCRIBE TO (" + n.Query.String() + ")"
	}
	return "SUBSCRIBE TO " + quoteIdent(n.View)
}

// A named argument may be a reserved word (limit => 10), so it needs
// quotes only when it is not a plain name.
func (n *NamedArg) String() string {
	name := n.Name
	if !isPlainIdent(name) {
		name = quoteIdent(name)
	}
	return name + " => " + n.Value.String()
}

// Window prints only the parts its Kind has: SLIDE for a window of fixed
// size, TIMEOUT for an UNBOUNDED one, EVENT TIME for the other two. A zero
// LATENESS is the default and is left out.
func (n *Window) String() string {
	switch n.Kind {
	case "UNBOUNDED":
		s := "WINDOW UNBOUNDED"
		if n.Timeout != 0 {
			s += " TIMEOUT " + FormatDuration(n.Timeout)
		}
		return s
	case "SESSION":
		return "WINDOW SESSION " + FormatDuration(n.Size) + n.eventTime()
	}
	s := "WINDOW " + FormatDuration(n.Size)
	if n.Slide != 0 {
		s += " SLIDE " + FormatDuration(n.Slide)
	}
	return s + n.eventTime()
}

func (n *Window) eventTime() string {
	if n.EventTime == nil {
		return ""
	}
	s := " EVENT TIME " + n.EventTime.String()
	if n.Lateness != 0 {
		s += " LATENESS " + FormatDuration(n.Lateness)
	}
	return s
}

func (n *OrderItem) String() string {
	s := n.Expr.String()
	if n.Desc {
		s += " DESC"
	}
	if n.Nulls != "" {
		s += " NULLS " + n.Nulls
	}
	return s
}

func (n *Limit) String() string   { return "LIMIT " + strconv.FormatInt(n.Count, 10) }
func (n *Explain) String() string { return "EXPLAIN " + n.Stmt.String() }

func (n *ColumnRef) String() string { return exprString(n) }
func (n *Literal) String() string   { return exprString(n) }
func (n *Param) String() string     { return exprString(n) }
func (n *Unary) String() string     { return exprString(n) }
func (n *Binary) String() string    { return exprString(n) }
func (n *Call) String() string      { return exprString(n) }
func (n *Interval) String() string  { return exprString(n) }
func (n *IsNull) String() string    { return exprString(n) }
func (n *In) String() string        { return exprString(n) }
func (n *Between) String() string   { return exprString(n) }
func (n *Like) String() string      { return exprString(n) }
func (n *Case) String() string      { return exprString(n) }
func (n *Cast) String() string      { return exprString(n) }
func (n *When) String() string {
	var p exprPrinter
	p.when(n)
	return string(p.buf)
}

func literalString(v types.Value) string {
	switch v.Kind() {
	case types.KindNull:
		return "NULL"
	case types.KindBool:
		if v.AsBool() {
			return "TRUE"
		}
		return "FALSE"
	case types.KindInt:
		return strconv.FormatInt(v.AsInt(), 10)
	case types.KindFloat:
		return formatFloat(v.AsFloat())
	case types.KindText:
		return quoteString(v.AsText())
	case types.KindTime:
		return "TIMESTAMP " + quoteString(v.AsTime().UTC().Format(time.RFC3339Nano))
	case types.KindDecimal:
		// A point keeps a whole DECIMAL (`0.`) from reading back as BIGINT.
		s := v.String()
		if !strings.ContainsAny(s, ".eE") {
			s += "."
		}
		return s
	}
	return v.String()
}

// formatFloat keeps an exponent so the number reads back as DOUBLE rather
// than BIGINT or DECIMAL.
func formatFloat(f float64) string {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return "CAST(" + quoteString(strconv.FormatFloat(f, 'g', -1, 64)) + " AS DOUBLE)"
	}
	s := strconv.FormatFloat(f, 'g', -1, 64)
	if !strings.ContainsAny(s, "e") {
		s += "e0"
	}
	return s
}

// isPlainIdent reports whether s lexes as one identifier.
func isPlainIdent(s string) bool { return s != "" && scanIdent(s) == len(s) }

// quoteIdent writes a name bare when the lexer would read it back as the
// same identifier, and double-quoted otherwise.
func quoteIdent(s string) string {
	if isPlainIdent(s) && !isKeyword(s) {
		return s
	}
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

func quoteString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// String is the inside of OVER (...).
func (n *Over) String() string {
	var parts []string
	if len(n.PartitionBy) > 0 {
		parts = append(parts, "PARTITION BY "+exprList(n.PartitionBy))
	}
	if len(n.OrderBy) > 0 {
		items := make([]string, len(n.OrderBy))
		for i, o := range n.OrderBy {
			items[i] = o.String()
		}
		parts = append(parts, "ORDER BY "+strings.Join(items, ", "))
	}
	if f := n.Frame; f != nil {
		s := "RANGE BETWEEN "
		if f.Rows {
			s = "ROWS BETWEEN "
		}
		switch {
		case f.Unbounded:
			s += "UNBOUNDED"
		case f.Range != nil:
			s += f.Range.String()
		default:
			s += strconv.FormatInt(f.N, 10)
		}
		parts = append(parts, s+" PRECEDING AND CURRENT ROW")
	}
	return strings.Join(parts, " ")
}
