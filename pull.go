package streamsql

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/streamsql/streamsql/operators"
	"github.com/streamsql/streamsql/parser"
	"github.com/streamsql/streamsql/planner"
	"github.com/streamsql/streamsql/sources"
	"github.com/streamsql/streamsql/types"
)

// A pull query reads a materialized view as it is now and ends: SELECT
// ... FROM v [WHERE ...] [GROUP BY ...] [ORDER BY ... LIMIT ...]. It is
// planned as a bounded query over a source that yields the view's rows,
// and run on the caller's goroutine: the rows are pushed through the
// operators as one final batch. A WHERE that fixes every key column of
// the view (`word = 'x'`) reads only that key's rows from the view's
// index.

// pullOf returns the view sel reads when sel is a pull query: it reads
// one view by name, alone.
func (e *Engine) pullOf(sel *parser.Select) *view {
	if sel.From == nil || sel.From.Stream == "" || len(sel.UnionAll) > 0 {
		return nil
	}
	return e.lookupView(sel.From.Stream)
}

// preparePull plans a pull query over v.
func (e *Engine) preparePull(sel *parser.Select, text string, v *view, c *catalog, s *Statement) error {
	if len(sel.From.Joins) > 0 || sel.From.Unnest != nil || sel.Window != nil {
		return &parser.Error{Pos: sel.From.Pos, Msg: fmt.Sprintf("a pull query reads materialized view %s alone, without JOIN, UNNEST or WINDOW (its rows as they are now); SUBSCRIBE TO %s follows its changes", v.name, v.name), Query: text, Err: planner.ErrUnsupported}
	}
	// The view is read as a source of that name: a copy of the query
	// with FROM v() instead of FROM v.
	pull := *sel
	from := *sel.From
	from.Source, from.Stream = &parser.SourceCall{Pos: from.Pos, Name: v.name}, ""
	if from.Alias == "" {
		from.Alias = v.name
	}
	pull.From = &from
	opts := c.opts
	opts.Once = true
	opts.Sources = viewSources{v: v, rest: opts.Sources}
	s.params = new([]types.Value)
	opts.Params = s.params
	plan, err := planner.PlanSelect(&pull, text, opts)
	if err != nil {
		return err
	}
	s.Kind, s.plan, s.pullView = KindPull, plan, v
	s.lookup = v.lookupIn(sel.Where)
	return nil
}

// viewSources puts a view first among the sources FROM may call.
type viewSources struct {
	v    *view
	rest planner.SourceSet
}

func (vs viewSources) Source(name string) (*sources.Spec, bool) {
	if strings.EqualFold(name, vs.v.name) {
		return vs.v.spec(), true
	}
	if vs.rest == nil {
		return nil, false
	}
	return vs.rest.Source(name)
}

func (vs viewSources) SourceNames() []string {
	if vs.rest == nil {
		return []string{vs.v.name}
	}
	return append(vs.rest.SourceNames(), vs.v.name)
}

// spec is the source a pull query plans over: the view's columns, typed.
func (v *view) spec() *sources.Spec {
	return &sources.Spec{Name: v.name, Usage: v.name, Open: func(sources.Args) (sources.Source, error) {
		return &viewSource{v: v}, nil
	}}
}

// viewSource is planned, never run: Pull pushes the rows itself.
type viewSource struct {
	v     *view
	bound []string
}

// Schema is the view's columns, and after Bind the bound ones.
func (s *viewSource) Schema() sources.Schema {
	var cols types.Schema
	for i, c := range s.v.columns {
		cols = append(cols, types.Column{Name: c, Type: s.v.kinds[i]})
	}
	if s.bound != nil {
		all := cols
		cols = nil
		for _, name := range s.bound {
			if i := all.Index(name); i >= 0 {
				cols = append(cols, all[i])
			} else {
				cols = append(cols, types.Column{Name: name})
			}
		}
	}
	return sources.Schema{Columns: cols, Typed: true}
}

func (s *viewSource) Bind(columns []string) error {
	s.bound = columns
	return nil
}

func (s *viewSource) Bounded() bool { return true }

func (s *viewSource) Run(context.Context, sources.Emitter) error {
	return fmt.Errorf("materialized view %s is read by pull queries only", s.v.name)
}

func (s *viewSource) Describe() string { return "materialized view " + s.v.name }

// lookupTerm is what a pull query's WHERE fixes a key column to: a
// literal, or parameter param (1-based) when param > 0.
type lookupTerm struct {
	val   types.Value
	param int
}

// lookupIn returns the value of every key column that where fixes by
// equality with a literal of the column's type or a parameter (AND-ed
// terms), in key order; nil when it does not fix them all.
func (v *view) lookupIn(where parser.Expr) []lookupTerm {
	if len(v.key) == 0 || where == nil {
		return nil
	}
	found := make([]lookupTerm, len(v.key))
	have := make([]bool, len(v.key))
	var walk func(x parser.Expr)
	walk = func(x parser.Expr) {
		b, ok := x.(*parser.Binary)
		if !ok {
			return
		}
		if strings.EqualFold(b.Op, "AND") {
			walk(b.L)
			walk(b.R)
			return
		}
		if b.Op != "=" {
			return
		}
		col, lit := b.L, b.R
		if _, ok := col.(*parser.ColumnRef); !ok {
			col, lit = lit, col
		}
		c, ok := col.(*parser.ColumnRef)
		if !ok || (c.Table != "" && !strings.EqualFold(c.Table, v.name)) {
			return
		}
		var term lookupTerm
		switch l := lit.(type) {
		case *parser.Literal:
			term.val = l.Value
		case *parser.Param:
			term.param = l.N
		default:
			return
		}
		for i, k := range v.key {
			if strings.EqualFold(v.columns[k], c.Name) && v.kinds[k] != types.KindNull && (term.param > 0 || v.kinds[k] == term.val.Kind()) {
				found[i], have[i] = term, true
			}
		}
	}
	walk(where)
	for _, h := range have {
		if !h {
			return nil
		}
	}
	return found
}

// Pull runs a pull query: the result of the query over the view's rows
// now. args are the values of its parameters ($1, $2, ...): a pull query
// is prepared once and run many times. A Statement is pulled by one
// goroutine at a time.
func (s *Statement) Pull(args ...types.Value) (*Result, error) {
	if s.Kind != KindPull {
		return nil, fmt.Errorf("streamsql: Pull takes a SELECT from a materialized view, not %s", s.Text)
	}
	v := s.pullView
	if v.isDropped() {
		return nil, notFound(fmt.Sprintf("materialized view %s was dropped", v.name))
	}
	*s.params = args
	var lookup []types.Value
	if s.lookup != nil {
		lookup = make([]types.Value, len(s.lookup))
		for i, t := range s.lookup {
			lookup[i] = t.val
			if t.param > 0 {
				if t.param > len(args) {
					return nil, fmt.Errorf("streamsql: the query takes parameter $%d; %d given", t.param, len(args))
				}
				lookup[i] = args[t.param-1]
			}
			if k := v.kinds[v.key[i]]; lookup[i].Kind() != k {
				lookup = nil // compared as the query says, row by row
				break
			}
		}
	}
	rows := v.snapshot(lookup)
	// The rows as the plan bound the source: its columns, in its order.
	idx := make([]int, len(s.plan.Source.Columns))
	for i, name := range s.plan.Source.Columns {
		idx[i] = -1
		for j, c := range v.columns {
			if strings.EqualFold(c, name) {
				idx[i] = j
				break
			}
		}
	}
	in := make([]types.Row, len(rows))
	vals := make([]types.Value, len(rows)*len(idx))
	for r, row := range rows {
		out := vals[r*len(idx) : (r+1)*len(idx) : (r+1)*len(idx)]
		for i, j := range idx {
			if j >= 0 {
				out[i] = row[j]
			}
		}
		in[r] = out
	}
	res := &Result{Columns: s.plan.Columns}
	collect := &operators.Collect{Out: func(b *operators.BatchEnd, rows, deletes []types.Row) error {
		res.Rows, res.Emitted = rows, true
		return nil
	}}
	head := s.plan.Build(collect)
	now := time.Now()
	if err := head.Push(in); err != nil {
		return nil, err
	}
	if err := head.EndBatch(&operators.BatchEnd{Start: now, Time: now, Final: true, Bounded: true, Emitted: true}); err != nil {
		return nil, err
	}
	res.Time = now
	return res, nil
}

// Table is rows a caller holds, for PullFrom.
type Table struct {
	Columns []types.Column
	Rows    []types.Row
}

// PullFrom runs a pull query over tables the caller holds instead of
// views (the PostgreSQL catalog a wire client browses): sql's FROM names
// one of them.
func (e *Engine) PullFrom(sql string, tables map[string]*Table) (*Result, error) {
	stmts, err := parser.Parse(sql)
	if err != nil {
		return nil, err
	}
	sel, ok := stmts[0].(*parser.Select)
	if len(stmts) != 1 || !ok || sel.From == nil || sel.From.Stream == "" {
		return nil, ErrNotOneQuery
	}
	t := tables[strings.ToLower(sel.From.Stream)]
	if t == nil {
		return nil, notFound(fmt.Sprintf("relation %q does not exist", sel.From.Stream))
	}
	v := &view{name: sel.From.Stream, def: &parser.CreateView{Name: sel.From.Stream}}
	for _, c := range t.Columns {
		v.columns = append(v.columns, c.Name)
		v.kinds = append(v.kinds, c.Type)
	}
	v.table = newViewTable(nil)
	v.table.apply(nil, t.Rows, false)
	c := &catalog{e: e, plans: map[string]*planner.Plan{}}
	c.opts = e.planOptions(context.Background(), c)
	s := &Statement{Text: sel.String(), eng: e}
	if err := e.preparePull(sel, sql, v, c, s); err != nil {
		return nil, err
	}
	return s.Pull()
}
