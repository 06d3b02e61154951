package parser

import (
	"strconv"
	"strings"
	"time"

	"github.com/alecthomas/participle/v2/lexer"
	"github.com/streamsql/streamsql/types"
)

// Converting a parse into the AST cannot fail: everything the grammar does
// not check itself is checked by the literal captures (literal.go).

func pos(p lexer.Position) Pos { return Pos{Offset: p.Offset, Line: p.Line, Column: p.Column} }

func convStatement(g *gStatement) Statement {
	var s Statement
	switch {
	case g.Drop != nil && g.Drop.View:
		return &DropView{Pos: pos(g.Drop.Pos), Name: ident(g.Drop.Name), IfExists: g.Drop.IfExists}
	case g.Drop != nil:
		return &DropStream{Pos: pos(g.Drop.Pos), Name: ident(g.Drop.Name), IfExists: g.Drop.IfExists}
	case g.Sub != nil:
		sub := &Subscribe{Pos: pos(g.Sub.Pos), View: ident(g.Sub.Name)}
		if g.Sub.Query != nil {
			sub.Query = convQuery(g.Sub.Query)
		}
		s = sub
	case g.Create != nil && g.Create.View != nil:
		v := &CreateView{Pos: pos(g.Create.Pos), Name: ident(g.Create.View.Name), Query: convQuery(g.Create.Query)}
		for _, o := range g.Create.View.Options {
			v.Options = append(v.Options, &NamedArg{Pos: pos(o.Pos), Name: ident(o.Name), Value: convExpr(o.Value)})
		}
		s = v
	case g.Show != nil:
		return &Show{Pos: pos(g.Show.Pos), What: strings.ToUpper(g.Show.What)}
	case g.Create != nil:
		s = &CreateStream{Pos: pos(g.Create.Pos), Name: ident(g.Create.Name), Query: convQuery(g.Create.Query)}
	case g.Insert != nil:
		s = &Insert{Pos: pos(g.Insert.Pos), Sink: convSource(g.Insert.Sink), Query: convQuery(g.Insert.Query)}
	default:
		s = convQuery(g.Select)
	}
	if g.Explain {
		return &Explain{Pos: pos(g.Pos), Stmt: s}
	}
	return s
}

func convQuery(g *gQuery) *Select {
	s := convSelect(g.First)
	for _, r := range g.Rest {
		s.UnionAll = append(s.UnionAll, convSelect(r))
	}
	return s
}

func convSelect(g *gSelect) *Select {
	s := &Select{Pos: pos(g.Pos), Distinct: g.Distinct}
	for _, it := range g.Items {
		item := &SelectItem{Pos: pos(it.Pos), Star: it.Star || it.Table != "", Table: ident(it.Table), Alias: ident(it.Alias)}
		if !item.Star {
			item.Expr = convExpr(it.Expr)
			item.start, item.end = it.Expr.Pos.Offset, it.Expr.EndPos.Offset
		}
		s.Items = append(s.Items, item)
	}
	if g.From != nil {
		s.From = convFrom(g.From)
	}
	s.Where = convOptExpr(g.Where)
	if g.From != nil && g.From.Comma != nil {
		// FROM a, b WHERE cond is FROM a JOIN b ON cond: for an inner
		// join the two say the same.
		on := s.Where
		if on == nil {
			on = &Literal{Pos: pos(g.From.Comma.Pos), Value: types.Bool(true)}
		}
		s.From.Joins = append(s.From.Joins, &Join{Pos: pos(g.From.Comma.Pos), Right: convFromItem(g.From.Comma), On: on})
		s.Where = nil
	}
	for _, e := range g.GroupBy {
		s.GroupBy = append(s.GroupBy, convExpr(e))
	}
	s.Having = convOptExpr(g.Having)
	w, emit := g.Window, g.Emit
	if g.Window2 != nil {
		s.Having = convOptExpr(g.Having2)
		w, emit = g.Window2, g.Emit2
	}
	if w != nil {
		s.Window = convWindow(w)
	}
	s.Emit = strings.ToUpper(emit)
	s.OrderBy = convOrderBy(g.OrderBy)
	if g.Limit != nil {
		s.Limit = &Limit{Pos: pos(g.Limit.Pos), Count: int64(g.Limit.Count)}
	}
	return s
}

func convWindow(g *gWindow) *Window {
	w := &Window{Pos: pos(g.Pos)}
	switch {
	case g.Unbounded:
		w.Kind = "UNBOUNDED"
		w.Timeout = g.Timeout.duration()
	case g.Session != nil:
		w.Kind = "SESSION"
		w.Size = g.Session.duration()
	default:
		w.Size = g.Size.duration()
		w.Slide = g.Slide.duration()
	}
	if e := g.EventTime; e != nil {
		w.EventTime = convExpr(e.Expr)
		if e.Lateness != nil {
			w.Lateness = time.Duration(e.Lateness.Value)
		}
	}
	return w
}

// duration is zero for an absent (nil) duration.
func (g *gDuration) duration() time.Duration {
	if g == nil {
		return 0
	}
	return time.Duration(g.Value)
}

func convFrom(g *gFrom) *From {
	f := convFromItem(g.Item)
	f.Pos = pos(g.Pos)
	for _, j := range g.Joins {
		join := &Join{Pos: pos(j.Pos), Left: j.Left || j.Full, RightOuter: j.RightJoin || j.Full, Right: convFromItem(j.Item), Within: j.Within.duration(), On: convExpr(j.On)}
		if t := j.EventTime; t != nil {
			join.EventTime = []Expr{convExpr(t.Left)}
			if t.Right != nil {
				join.EventTime = append(join.EventTime, convExpr(t.Right))
			}
			if t.Lateness != nil {
				join.Lateness = time.Duration(t.Lateness.Value)
			}
		}
		f.Joins = append(f.Joins, join)
	}
	if u := g.Unnest; u != nil {
		f.Unnest = &Unnest{Pos: pos(u.Pos), Expr: convExpr(u.Expr), Alias: ident(u.Alias)}
	}
	return f
}

func convFromItem(g *gFromItem) *From {
	f := &From{Pos: pos(g.Pos), Stream: ident(g.Stream), Alias: ident(g.Alias + g.Bare)}
	switch {
	case g.Source != nil:
		f.Source = convSource(g.Source)
	case g.Sub != nil:
		f.Subquery = convQuery(g.Sub)
	}
	return f
}

func convSource(g *gSource) *SourceCall {
	s := &SourceCall{Pos: pos(g.Pos), Name: ident(g.Name)}
	for _, a := range g.Args {
		v := convExpr(a.Value)
		if a.Name == "" {
			s.Args = append(s.Args, v)
		} else {
			s.Named = append(s.Named, &NamedArg{Pos: pos(a.Pos), Name: ident(a.Name), Value: v})
		}
	}
	return s
}

func convOptExpr(g *gExpr) Expr {
	if g == nil {
		return nil
	}
	return convExpr(g)
}

// Binary nodes take the position of their left operand (its first token),
// so a chain `a + b + c` has every node at `a`.

func convExpr(g *gExpr) Expr {
	x := convAnd(g.Left)
	for _, r := range g.Right {
		x = &Binary{Pos: x.Position(), Op: "OR", L: x, R: convAnd(r)}
	}
	return x
}

func convAnd(g *gAnd) Expr {
	x := convNot(g.Left)
	for _, r := range g.Right {
		x = &Binary{Pos: x.Position(), Op: "AND", L: x, R: convNot(r)}
	}
	return x
}

func convNot(g *gNot) Expr {
	if g.Not != nil {
		return &Unary{Pos: pos(g.Pos), Op: "NOT", X: convNot(g.Not)}
	}
	return convCmp(g.X)
}

func convCmp(g *gCmp) Expr {
	x := convConcat(g.Left)
	for _, t := range g.Tail {
		p := x.Position()
		switch {
		case t.Compare != nil:
			op := t.Compare.Op
			if op == "!=" {
				op = "<>"
			}
			x = &Binary{Pos: p, Op: op, L: x, R: convConcat(t.Compare.Right)}
		case t.IsNull != nil:
			x = &IsNull{Pos: p, X: x, Not: t.IsNull.Not}
		case t.In != nil:
			in := &In{Pos: p, X: x, Not: t.Not}
			for _, e := range t.In.List {
				in.List = append(in.List, convExpr(e))
			}
			x = in
		case t.Between != nil:
			x = &Between{Pos: p, X: x, Not: t.Not, Lo: convConcat(t.Between.Lo), Hi: convConcat(t.Between.Hi)}
		case t.Like != nil:
			x = &Like{Pos: p, X: x, Not: t.Not, Pattern: convConcat(t.Like.Pattern)}
		}
	}
	return x
}

func convConcat(g *gConcat) Expr {
	x := convAdd(g.Left)
	for _, r := range g.Right {
		x = &Binary{Pos: x.Position(), Op: "||", L: x, R: convAdd(r)}
	}
	return x
}

func convAdd(g *gAdd) Expr {
	x := convMul(g.Left)
	for _, t := range g.Tail {
		x = &Binary{Pos: x.Position(), Op: t.Op, L: x, R: convMul(t.Right)}
	}
	return x
}

func convMul(g *gMul) Expr {
	x := convUnary(g.Left)
	for _, t := range g.Tail {
		x = &Binary{Pos: x.Position(), Op: t.Op, L: x, R: convUnary(t.Right)}
	}
	return x
}

func convUnary(g *gUnary) Expr {
	if g.X != nil {
		return &Unary{Pos: pos(g.Pos), Op: g.Op, X: convUnary(g.X)}
	}
	return convPrimary(g.Primary)
}

func convPrimary(g *gPrimary) Expr {
	p := pos(g.Pos)
	lit := func(v types.Value) Expr { return &Literal{Pos: p, Value: v} }
	switch {
	case g.Float != nil:
		return lit(g.Float.v)
	case g.Int != nil:
		return lit(types.Int(int64(*g.Int)))
	case g.Str != "":
		return lit(types.Text(unquote(g.Str, '\'')))
	case g.Bool != "":
		return lit(types.Bool(strings.EqualFold(g.Bool, "TRUE")))
	case g.Null:
		return lit(types.Null)
	case g.Param != "":
		n, _ := strconv.Atoi(g.Param[1:])
		return &Param{Pos: p, N: n}
	case g.Timestamp != nil:
		return lit(types.Time(time.Time(*g.Timestamp)))
	case g.Interval != nil:
		return &Interval{Pos: pos(g.Interval.Pos), Value: unquote(g.Interval.Value, '\''), Unit: g.Interval.Unit}
	case g.Case != nil:
		k := &Case{Pos: p, Operand: convOptExpr(g.Case.Operand)}
		for _, w := range g.Case.Whens {
			k.Whens = append(k.Whens, &When{Pos: pos(w.Pos), Cond: convExpr(w.Cond), Then: convExpr(w.Then)})
		}
		k.Else = convOptExpr(g.Case.Else)
		return k
	case g.Cast != nil:
		c := &Cast{Pos: p, X: convExpr(g.Cast.X), Type: string(g.Cast.Type)}
		if g.Cast.Prec != nil {
			c.Prec, c.Scale = int(*g.Cast.Prec), 0
			if g.Cast.Scale != nil {
				c.Scale = int(*g.Cast.Scale)
			}
		}
		return c
	case g.Name != nil:
		return convName(g.Name)
	default:
		return convExpr(g.Paren) // parentheses are not a node
	}
}

func convName(g *gName) Expr {
	p := pos(g.Pos)
	switch {
	case g.Call != nil:
		call := &Call{Pos: p, Name: ident(g.Name), Star: g.Call.Star, Distinct: g.Call.Distinct}
		for _, a := range g.Call.Args {
			call.Args = append(call.Args, convExpr(a))
		}
		if g.Call.Filter != nil {
			call.Filter = convExpr(g.Call.Filter)
		}
		if o := g.Call.Over; o != nil {
			call.Over = &Over{Pos: pos(o.Pos), OrderBy: convOrderBy(o.OrderBy)}
			for _, e := range o.Partition {
				call.Over.PartitionBy = append(call.Over.PartitionBy, convExpr(e))
			}
			if f := o.Frame; f != nil {
				fr := &Frame{Pos: pos(f.Pos), Rows: strings.EqualFold(f.Unit, "ROWS"), Unbounded: f.Unbounded}
				switch {
				case f.Rows != nil:
					fr.N = int64(*f.Rows)
				case f.Interval != nil:
					fr.Range = &Interval{Pos: pos(f.Interval.Pos), Value: unquote(f.Interval.Value, '\''), Unit: f.Interval.Unit}
				}
				call.Over.Frame = fr
			}
		}
		return call
	case g.Column != "":
		return &ColumnRef{Pos: p, Table: ident(g.Name), Name: ident(g.Column)}
	default:
		return &ColumnRef{Pos: p, Name: ident(g.Name)}
	}
}

func convOrderBy(items []*gOrderItem) []*OrderItem {
	var out []*OrderItem
	for _, o := range items {
		out = append(out, &OrderItem{
			Pos:   pos(o.Pos),
			Expr:  convExpr(o.Expr),
			Desc:  strings.EqualFold(o.Dir, "DESC"),
			Nulls: strings.ToUpper(o.Nulls),
		})
	}
	return out
}
