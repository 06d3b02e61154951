package parser

import (
	"math"
	"regexp"
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

// operand prints e, parenthesised if it binds looser than min.
func operand(e Expr, min int) string {
	if prec(e) < min {
		return "(" + e.String() + ")"
	}
	return e.String()
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
	s := make([]string, len(es))
	for i, e := range es {
		s[i] = e.String()
	}
	return strings.Join(s, ", ")
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

func (n *Join) String() string {
	s := "JOIN "
	if n.Left {
		s = "LEFT JOIN "
	}
	s += n.Right.String()
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

// A named argument may be a reserved word (limit => 10), so it needs
// quotes only when it is not a plain name.
func (n *NamedArg) String() string {
	name := n.Name
	if !plainIdent.MatchString(name) {
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

func (n *ColumnRef) String() string {
	if n.Table != "" {
		return quoteIdent(n.Table) + "." + quoteIdent(n.Name)
	}
	return quoteIdent(n.Name)
}

func (n *Literal) String() string {
	v := n.Value
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
	}
	return v.String()
}

// formatFloat keeps a decimal point or exponent so the number reads back as
// DOUBLE rather than BIGINT.
func formatFloat(f float64) string {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return "CAST(" + quoteString(strconv.FormatFloat(f, 'g', -1, 64)) + " AS DOUBLE)"
	}
	s := strconv.FormatFloat(f, 'g', -1, 64)
	if !strings.ContainsAny(s, ".e") {
		s += ".0"
	}
	return s
}

func (n *Unary) String() string {
	if n.Op == "NOT" {
		return "NOT " + operand(n.X, precNot)
	}
	x := operand(n.X, precUnary)
	if strings.HasPrefix(x, "-") { // "--" would start a comment
		return n.Op + " " + x
	}
	return n.Op + x
}

// A left operand of equal precedence needs no parentheses (the operators
// are left-associative); a right one does.
func (n *Binary) String() string {
	p := binaryPrec[n.Op]
	return operand(n.L, p) + " " + n.Op + " " + operand(n.R, p+1)
}

func (n *Call) String() string {
	var args string
	switch {
	case n.Star:
		args = "*"
	case n.Distinct:
		args = "DISTINCT " + exprList(n.Args)
	default:
		args = exprList(n.Args)
	}
	return quoteIdent(n.Name) + "(" + args + ")"
}

func not(b bool) string {
	if b {
		return "NOT "
	}
	return ""
}

func (n *IsNull) String() string {
	return operand(n.X, precCmp) + " IS " + not(n.Not) + "NULL"
}

func (n *In) String() string {
	return operand(n.X, precCmp) + " " + not(n.Not) + "IN (" + exprList(n.List) + ")"
}

// BETWEEN's bounds and LIKE's pattern sit one level above comparisons in
// the grammar, so a comparison there needs parentheses.
func (n *Between) String() string {
	return operand(n.X, precCmp) + " " + not(n.Not) + "BETWEEN " +
		operand(n.Lo, precConcat) + " AND " + operand(n.Hi, precConcat)
}

func (n *Like) String() string {
	return operand(n.X, precCmp) + " " + not(n.Not) + "LIKE " + operand(n.Pattern, precConcat)
}

func (n *Case) String() string {
	var b strings.Builder
	b.WriteString("CASE")
	if n.Operand != nil {
		b.WriteString(" " + n.Operand.String())
	}
	for _, w := range n.Whens {
		b.WriteString(" " + w.String())
	}
	if n.Else != nil {
		b.WriteString(" ELSE " + n.Else.String())
	}
	b.WriteString(" END")
	return b.String()
}

func (n *When) String() string { return "WHEN " + n.Cond.String() + " THEN " + n.Then.String() }

func (n *Cast) String() string { return "CAST(" + n.X.String() + " AS " + n.Type + ")" }

var plainIdent = regexp.MustCompile(`^` + identPattern + `$`)

// quoteIdent writes a name bare when the lexer would read it back as the
// same identifier, and double-quoted otherwise.
func quoteIdent(s string) string {
	if plainIdent.MatchString(s) && !isKeyword(s) {
		return s
	}
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

func quoteString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }
