package planner

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/streamsql/streamsql/agg"
	"github.com/streamsql/streamsql/expr"
	"github.com/streamsql/streamsql/parser"
	"github.com/streamsql/streamsql/sources"
	"github.com/streamsql/streamsql/tables"
	"github.com/streamsql/streamsql/types"
	"github.com/streamsql/streamsql/window"
)

// Options are the run settings planning depends on.
type Options struct {
	Batch time.Duration // batch interval; windows must be multiples of it
	Once  bool          // bounded run: read what is there, as one batch
	// StateTTL, when positive, is how long an aggregate without WINDOW
	// keeps a key that receives no rows: then its row is deleted and its
	// state dropped.
	StateTTL time.Duration
	// Streams resolves the named streams FROM may read; nil means none
	// are defined.
	Streams Catalog
	// CheckPath, when set, is asked about every file or directory a query
	// names (sources' and sinks' Paths, dead letters, tables) before
	// anything is opened; an error refuses the query.
	CheckPath func(path string) error
	// Context bounds what planning waits for: reading the columns of a
	// database table. Nil is context.Background().
	Context context.Context
	// Functions are the functions queries may call besides the built-ins
	// (an engine's user-defined ones); nil for none.
	Functions Functions
	// Sources are the sources FROM may call besides the registered ones
	// (an engine's push sources), looked up first; nil for none.
	Sources SourceSet
	// Params holds the values of $1, $2, ... each time the plan runs (a
	// prepared pull query); nil refuses parameters.
	Params *[]types.Value
}

// Functions is a set of functions beyond the built-ins. A name is a
// scalar function or an aggregate, not both, and no built-in's.
type Functions interface {
	Scalar(name string) (*expr.Scalar, bool)
	Aggregate(name string) (agg.Maker, bool)
	FunctionNames() []string
}

// SourceSet is a set of sources beyond the registry.
type SourceSet interface {
	Source(name string) (*sources.Spec, bool)
	SourceNames() []string
}

func (p *planning) isAggName(name string) bool {
	if agg.IsAggregate(name) {
		return true
	}
	if f := p.opts.Functions; f != nil {
		_, ok := f.Aggregate(strings.ToLower(name))
		return ok
	}
	return false
}

func (p *planning) lookupScalar(name string) (*expr.Scalar, bool) {
	if s, ok := expr.LookupScalar(name); ok {
		return s, true
	}
	if f := p.opts.Functions; f != nil {
		return f.Scalar(strings.ToLower(name))
	}
	return nil, false
}

func (p *planning) newAgg(name string, arg expr.Func, distinct bool) (agg.Func, error) {
	if f := p.opts.Functions; f != nil && !agg.IsAggregate(name) {
		if m, ok := f.Aggregate(name); ok {
			return agg.Bind(name, m, arg, distinct)
		}
	}
	return agg.New(name, arg, distinct)
}

func (p *planning) lookupSource(name string) (*sources.Spec, bool) {
	if s := p.opts.Sources; s != nil {
		if spec, ok := s.Source(strings.ToLower(name)); ok {
			return spec, true
		}
	}
	return sources.Lookup(name)
}

func (p *planning) sourceNames() []string {
	names := sources.Names()
	if s := p.opts.Sources; s != nil {
		names = append(names, s.SourceNames()...)
		sort.Strings(names)
	}
	return names
}

func (o *Options) context() context.Context {
	if o.Context == nil {
		return context.Background()
	}
	return o.Context
}

// checkPaths asks opts.CheckPath about each path, failing at pos.
func (p *planning) checkPaths(pos parser.Pos, paths ...string) error {
	if p.opts.CheckPath == nil {
		return nil
	}
	for _, path := range paths {
		if path == "" {
			continue
		}
		if err := p.opts.CheckPath(path); err != nil {
			return p.errorf(pos, err, "%v", err)
		}
	}
	return nil
}

// Catalog resolves named streams (CREATE STREAM) for the planner. Queries
// planned together should get the same *Plan for the same name, so they
// share its receiver.
type Catalog interface {
	// Stream returns the plan of the named stream, ok false if there is
	// none.
	Stream(name string) (plan *Plan, ok bool, err error)
	// Names lists the defined streams, for suggestions.
	Names() []string
}

type planning struct {
	text  string
	opts  Options
	types map[typeKey]types.Kind // typeOf's memo
	// openStar allows the plan being made to be Open: a named stream
	// `SELECT * FROM source` whose source has no columns to show yet.
	openStar bool
}

// PlanSelect plans one SELECT. text is the script the statement came from,
// for error snippets.
func PlanSelect(sel *parser.Select, text string, opts Options) (*Plan, error) {
	p := &planning{text: text, opts: opts}
	return p.plan(sel)
}

// PlanStream plans the SELECT of CREATE STREAM. Unlike a query's, a
// stream's `SELECT * FROM source` may be planned before its schemaless
// source has data to show its columns: the stream is then Open, and has
// the columns the queries reading it name.
func PlanStream(sel *parser.Select, text string, opts Options) (*Plan, error) {
	p := &planning{text: text, opts: opts, openStar: isOpenStarShape(sel)}
	return p.plan(sel)
}

// isOpenStarShape reports whether sel is `SELECT * FROM source(...)
// [WHERE ...]`: rows passed on whole, which an Open plan can do with
// columns added later.
func isOpenStarShape(sel *parser.Select) bool {
	return len(sel.UnionAll) == 0 && len(sel.Items) == 1 && sel.Items[0].Star && sel.Items[0].Table == "" &&
		sel.From != nil && sel.From.Source != nil && len(sel.From.Joins) == 0 && sel.From.Unnest == nil &&
		len(sel.GroupBy) == 0 && sel.Having == nil && sel.Window == nil && len(sel.OrderBy) == 0 && sel.Limit == nil && !sel.Distinct
}

func (p *planning) plan(sel *parser.Select) (*Plan, error) {
	openStar := p.openStar
	p.openStar = false // not for the subqueries below
	if len(sel.UnionAll) > 0 {
		return p.union(sel)
	}
	var in *input
	var err error
	if sel.From != nil && len(sel.From.Joins) > 0 {
		in, err = p.joinInput(sel)
	} else if err = p.qualifiers(sel); err == nil {
		p.openStar = openStar
		in, err = p.input(sel)
		p.openStar = false
	}
	if err != nil {
		return nil, err
	}
	node, inScope := in.node, in.scope
	updating, err := p.updatingInput(sel, in)
	if err != nil {
		return nil, err
	}
	pushRankLimit(sel, in)

	if sel.Where != nil {
		inScope.clause = "WHERE"
		if err := p.checkCondition(sel.Where, inScope, "WHERE"); err != nil {
			return nil, err
		}
		fn, err := p.compile(sel.Where, inScope)
		if err != nil {
			return nil, err
		}
		node = &Filter{chain: chain{node}, Label: "WHERE", Cond: sel.Where, fn: fn}
	}

	win, err := p.window(sel, inScope)
	if err != nil {
		return nil, err
	}
	var rank *Rank
	if calls := windowCalls(sel); len(calls) > 0 && !p.isAggName(calls[0].Name) {
		r, sc, err := p.rank(sel, calls, inScope, updating)
		if err != nil {
			return nil, err
		}
		r.input = node
		node, inScope, rank = r, sc, r
		updating = true
	} else if len(calls) > 0 {
		o, sc, err := p.overAgg(sel, calls, inScope, updating)
		if err != nil {
			return nil, err
		}
		o.input = node
		node, inScope = o, sc
	}

	rowScope := inScope // what the select list is compiled against
	if p.isAggregate(sel) {
		a, aggScope, err := p.aggregate(sel, inScope, win)
		if err != nil {
			return nil, err
		}
		if updating && a.Time.Kind != NoWindow {
			return nil, p.errorf(sel.Window.Pos, ErrUnsupported, "a window needs an append-only input, but %s is an updating result (an aggregate without WINDOW): aggregate it without WINDOW, or window the aggregate upstream", fromName(sel))
		}
		a.retracting, a.once, a.ttl = updating, p.opts.Once, p.opts.StateTTL
		updating = a.Time.Kind == NoWindow
		a.input = node
		node = a
		rowScope = aggScope
		if sel.Having != nil {
			aggScope.clause = "HAVING"
			if err := p.checkCondition(sel.Having, aggScope, "HAVING"); err != nil {
				return nil, err
			}
			fn, err := p.compile(sel.Having, aggScope)
			if err != nil {
				return nil, err
			}
			node = &Filter{chain: chain{node}, Label: "HAVING", Cond: sel.Having, fn: fn}
		}
	} else {
		if sel.Having != nil {
			return nil, p.errorf(sel.Having.Position(), ErrAggregate, "HAVING needs GROUP BY or an aggregate in the select list")
		}
		if sel.Window != nil {
			return nil, p.errorf(sel.Window.Pos, ErrWindow, "WINDOW needs GROUP BY or an aggregate in the select list")
		}
		if sel.Emit != "" {
			return nil, p.errorf(sel.Pos, ErrWindow, "EMIT CHANGES needs GROUP BY or an aggregate in the select list")
		}
	}

	proj, outScope, err := p.project(sel, rowScope)
	if err != nil {
		return nil, err
	}
	proj.input = node
	node = proj
	if sel.Distinct {
		node = &Distinct{chain: chain{node}, updating: updating}
	}
	if len(sel.OrderBy) > 0 || sel.Limit != nil {
		o, err := p.order(sel, proj, outScope, rowScope)
		if err != nil {
			return nil, err
		}
		o.input = node
		o.updating = updating
		node = o
		if proj.Hidden > 0 {
			n := len(proj.fns) - proj.Hidden
			trim := &Project{chain: chain{node}, Exprs: outScope.names()[:n], fns: make([]expr.Func, n)}
			for i := range trim.fns {
				trim.fns[i] = expr.Column(i)
			}
			node = trim
		}
	}
	n := len(proj.fns) - proj.Hidden
	cols := outScope.names()[:n]
	kinds := make([]types.Kind, n)
	for i := range kinds {
		kinds[i] = outScope.cols[i].kind
	}
	plan := &Plan{Root: node, Columns: cols, Kinds: kinds, Key: proj.keys, Source: in.source, Upstream: in.upstream,
		Inputs: in.inputs, Tables: in.tables, Time: win.TimeSpec, Updating: updating}
	if openStar && in.source != nil && in.openStar {
		plan.Open, plan.openProj = true, proj
		plan.openScan, _ = scanOf(in.node)
	}
	if rank != nil {
		plan.rank, plan.rankCol = rank, -1
		for i, it := range sel.Items {
			if c, ok := it.Expr.(*parser.Call); ok && c.Over != nil && i < len(cols) {
				plan.rankCol = i
			}
		}
	}
	if updating && plan.Key == nil && p.isAggregate(sel) && len(sel.GroupBy) == 0 {
		plan.Key = []string{} // the one row of a global aggregate: the empty key
	}
	switch {
	case in.source != nil:
		plan.Bounded = in.source.Bounded()
	case in.upstream != nil:
		plan.Bounded = in.upstream.Bounded
	default:
		plan.Bounded = true
		for _, i := range in.inputs {
			plan.Bounded = plan.Bounded && i.Bounded
		}
	}
	return plan, nil
}

func (p *planning) openSource(call *parser.SourceCall) (*sources.Call, error) {
	spec, ok := p.lookupSource(call.Name)
	if !ok {
		return nil, p.errorf(call.Pos, ErrSourceNotFound, "unknown source %s()%s", call.Name, hintOrList(call.Name, p.sourceNames(), "sources"))
	}
	pos, named, err := p.callArgs(call)
	if err != nil {
		return nil, err
	}
	args := sources.Args{Positional: pos, Named: named, Once: p.opts.Once}
	if err := p.checkPaths(call.Pos, spec.PathsOf(args)...); err != nil {
		return nil, err
	}
	src, err := sources.NewCall(spec, args)
	if err != nil {
		return nil, p.errorf(call.Pos, ErrSource, "%v", err)
	}
	return src, nil
}

// callArgs evaluates the arguments of a source or sink call.
func (p *planning) callArgs(call *parser.SourceCall) ([]types.Value, map[string]types.Value, error) {
	var pos []types.Value
	named := map[string]types.Value{}
	for _, a := range call.Args {
		v, err := p.constant(a)
		if err != nil {
			return nil, nil, err
		}
		pos = append(pos, v)
	}
	for _, a := range call.Named {
		v, err := p.constant(a.Value)
		if err != nil {
			return nil, nil, err
		}
		named[strings.ToLower(a.Name)] = v
	}
	return pos, named, nil
}

// constant evaluates a source argument, which must not depend on rows.
func (p *planning) constant(e parser.Expr) (types.Value, error) {
	f, err := p.compile(e, &scope{clause: "source arguments"})
	if err != nil {
		return types.Null, p.errorf(e.Position(), ErrSource, "source arguments must be constants, got %s", e)
	}
	return f(nil), nil
}

// input is what the query reads, as the expressions below any aggregate
// see it: the plan so far and the scope of its rows.
// updatingInput reports whether the rows the query reads form an updating
// stream (a named stream or subquery that is an aggregate without
// WINDOW), and refuses what cannot consume one yet.
func (p *planning) updatingInput(sel *parser.Select, in *input) (bool, error) {
	updating := in.upstream != nil && in.upstream.Updating
	for _, i := range in.inputs {
		updating = updating || i.Updating
	}
	if j := in.join; j != nil {
		if updating && j.Join.Within > 0 {
			return true, p.errorf(j.Join.Pos, ErrUnsupported, "a join WITHIN a time bound needs append-only inputs, but one side is an updating result (an aggregate without WINDOW): join without WITHIN, or give the aggregate a WINDOW")
		}
		// An outer regular join deletes the NULL-padded row of a row
		// that finds its first partner.
		updating = updating || (j.Join.Within == 0 && (j.Join.Left || j.Join.RightOuter))
	}
	if !updating {
		return false, nil
	}
	switch {
	case len(in.tables) > 0:
		return true, p.errorf(sel.From.Pos, ErrUnsupported, "a join with a table of an updating result (an aggregate without WINDOW, or an outer join of two streams) is not supported yet: join the table first")
	case unnestOf(sel) != nil:
		return true, p.errorf(sel.From.Pos, ErrUnsupported, "UNNEST over an updating result (an aggregate without WINDOW) is not supported yet")
	}
	return true, nil
}

// fromName names what a query reads, for errors.
func fromName(sel *parser.Select) string {
	if sel.From != nil && sel.From.Stream != "" {
		return sel.From.Stream
	}
	return "its input"
}

type input struct {
	node     Node
	scope    *scope
	source   *sources.Call // set when reading a source
	upstream *Plan         // set when reading a named stream or subquery
	inputs   []*Plan       // set when joining two streams
	join     *StreamJoin   // the join of two streams, when there is one
	tables   []*tables.Table
	openStar bool // * over a source with no columns yet: the plan is Open
}

// input plans the FROM clause: the source (bound to the columns the query
// reads) or the named stream, the `word` shorthand and UNNEST.
func (p *planning) input(sel *parser.Select) (*input, error) {
	in := &input{}
	var avail types.Schema // the columns FROM offers
	open, typed := false, true
	if isTableCall(sel.From) {
		return nil, p.errorf(sel.From.Pos, ErrUnsupported, "a table cannot be read on its own: join a stream with it (FROM stream JOIN table(...) ON ...)")
	}
	if sel.From == nil || sel.From.Source != nil {
		var src *sources.Call
		if sel.From == nil {
			// A constant query (no FROM) reads one row without columns,
			// so it answers once, as in any SQL shell, and ends.
			src = sources.OneRowCall()
		} else {
			var err error
			if src, err = p.openSource(sel.From.Source); err != nil {
				return nil, err
			}
		}
		in.source = src
		sch := src.Schema()
		avail, open, typed = sch.Columns, sch.Open, sch.Typed
	} else {
		up, err := p.fromPlan(sel.From)
		if err != nil {
			return nil, err
		}
		in.upstream = up
		if up.Open {
			if err := p.starOverOpen(sel, sel.From); err != nil {
				return nil, err
			}
			open = true
		}
		for i, c := range up.Columns {
			avail = append(avail, types.Column{Name: c, Type: up.Kinds[i]})
		}
	}
	if open && len(avail) == 0 && p.openStar {
		in.openStar = true // resolveInputs lets * stand for the columns readers will name
	}
	need, words, err := p.resolveInputs(sel, avail, open, typed)
	if err != nil {
		return nil, err
	}
	if up := in.upstream; up != nil && up.Open {
		if err := extendOpen(up, need); err != nil {
			return nil, p.errorf(sel.From.Pos, ErrSource, "%v", err)
		}
		avail = avail[:0]
		for i, c := range up.Columns {
			avail = append(avail, types.Column{Name: c, Type: up.Kinds[i]})
		}
	}
	sc := &scope{}
	if in.source != nil {
		if err := in.source.Bind(need); err != nil {
			return nil, p.errorf(sel.From.Pos, ErrSource, "%v", err)
		}
		bound := in.source.Schema().Columns
		for i, n := range need {
			c := scopeCol{name: n}
			if typed && i < len(bound) {
				c.kind = bound[i].Type
			}
			sc.cols = append(sc.cols, c)
		}
		in.node = &Scan{Source: in.source, Columns: need}
	} else {
		// A stream's rows carry all its columns.
		for _, c := range avail {
			sc.cols = append(sc.cols, scopeCol{name: c.Name, kind: c.Type})
		}
		if sel.From.Subquery != nil {
			in.node = &StreamScan{Name: sel.From.Alias, Upstream: in.upstream, Sub: true}
		} else {
			in.node = &StreamScan{Name: sel.From.Stream, Upstream: in.upstream}
		}
	}
	if words {
		sw := &SplitWords{chain: chain{in.node}, From: "line", As: "word", col: sc.lookup("line")}
		in.node = sw
		if readsOnlyWords(sel) && len(sc.cols) == 1 {
			// Nothing reads the line itself: rows carry just the word,
			// and a text source may hand over many lines in one row.
			sw.wordOnly = true
			sc.cols = nil
			if in.source != nil {
				in.source.JoinLines()
			}
		}
		sc.cols = append(sc.cols, scopeCol{name: "word", kind: types.KindText})
	}
	if u := unnestOf(sel); u != nil {
		sc.clause = "UNNEST"
		fn, err := p.compile(u.Expr, sc)
		if err != nil {
			return nil, err
		}
		name := unnestName(u)
		in.node = &Unnest{chain: chain{in.node}, Expr: u.Expr, As: name, fn: fn}
		sc.cols = append(sc.cols, scopeCol{name: name})
	}
	in.scope = sc
	return in, nil
}

// unnestOf is the query's UNNEST, nil when it has none (or no FROM).
func unnestOf(sel *parser.Select) *parser.Unnest {
	if sel.From == nil {
		return nil
	}
	return sel.From.Unnest
}

// joinsOf are the query's joins, none when it has no FROM.
func joinsOf(sel *parser.Select) []*parser.Join {
	if sel.From == nil {
		return nil
	}
	return sel.From.Joins
}

func unnestName(u *parser.Unnest) string {
	if u.Alias != "" {
		return u.Alias
	}
	return "unnest"
}

// qualifiers resolves `t.col` references: a qualifier naming the FROM
// alias, the stream or the UNNEST alias is dropped; any other is taken as
// a path into nested data (`meta.loc` reads field loc of JSON object meta).
func (p *planning) qualifiers(sel *parser.Select) error {
	names := map[string]bool{}
	if sel.From != nil {
		for _, n := range []string{sel.From.Alias, sel.From.Stream} {
			if n != "" {
				names[strings.ToLower(n)] = true
			}
		}
	}
	if u := unnestOf(sel); u != nil && u.Alias != "" {
		names[strings.ToLower(u.Alias)] = true
	}
	visitSelect(sel, func(e parser.Expr) {
		if c, ok := e.(*parser.ColumnRef); ok && c.Table != "" {
			if !names[strings.ToLower(c.Table)] {
				c.Name = c.Table + "." + c.Name
			}
			c.Table = ""
		}
	})
	for _, it := range sel.Items {
		if it.Table == "" {
			continue
		}
		if !names[strings.ToLower(it.Table)] {
			return p.errorf(it.Pos, ErrColumnNotFound, "%s.* names no FROM item", it.Table)
		}
		it.Table = ""
	}
	return nil
}

// namesOf returns the aliases a query defines (select list, UNNEST) and
// the column references that can only mean input columns: names in the
// select list, WHERE, UNNEST, EVENT TIME and join conditions; in GROUP BY,
// HAVING and ORDER BY an alias may be meant.
func namesOf(sel *parser.Select) (aliases map[string]bool, inputOnly map[*parser.ColumnRef]bool) {
	aliases, inputOnly = map[string]bool{}, map[*parser.ColumnRef]bool{}
	for _, it := range sel.Items {
		if it.Alias != "" {
			aliases[strings.ToLower(it.Alias)] = true
		}
	}
	mark := func(e parser.Expr) {
		walk(e, func(e parser.Expr) bool {
			if c, ok := e.(*parser.ColumnRef); ok {
				inputOnly[c] = true
			}
			return true
		})
	}
	for _, it := range sel.Items {
		mark(it.Expr)
	}
	mark(sel.Where)
	if u := unnestOf(sel); u != nil {
		aliases[strings.ToLower(unnestName(u))] = true
		mark(u.Expr)
	}
	if sel.Window != nil {
		mark(sel.Window.EventTime)
	}
	for _, j := range joinsOf(sel) {
		mark(j.On)
		for _, e := range j.EventTime {
			mark(e)
		}
	}
	return aliases, inputOnly
}

// resolveInputs decides which of the available columns the query reads
// (in order of first mention) and whether it uses the `word` shorthand. A
// name that is none of them, nor an alias, nor a window column, is an
// error with a suggestion, unless the schema is open (schemaless JSON).
func (p *planning) resolveInputs(sel *parser.Select, avail types.Schema, open, typed bool) (need []string, words bool, err error) {
	find := func(name string) string {
		for _, c := range avail {
			if c.Name == name {
				return c.Name
			}
		}
		for _, c := range avail {
			if strings.EqualFold(c.Name, name) {
				return c.Name
			}
		}
		return ""
	}
	star := false
	for _, it := range sel.Items {
		star = star || it.Star
	}
	aliases, inputOnly := namesOf(sel)
	add := func(name string) {
		for _, n := range need {
			if n == name {
				return
			}
		}
		need = append(need, name)
	}
	if star {
		if open && len(avail) == 0 && !p.openStar {
			return nil, false, p.errorf(sel.Items[0].Pos, ErrColumnNotFound,
				"SELECT * needs the source's columns, and there are none to show yet (no data to sample); name the columns you want")
		}
		for _, c := range avail {
			// Nested paths of sampled JSON (meta.loc) are reachable by
			// name; * lists the top-level fields only.
			if !strings.Contains(c.Name, ".") || typed {
				add(c.Name)
			}
		}
	}
	for _, ref := range referencedColumns(sel) {
		name := ref.Name
		isAlias := aliases[strings.ToLower(name)] && !inputOnly[ref]
		switch {
		case find(name) != "":
			add(find(name))
		case strings.EqualFold(name, "word") && find("line") != "":
			words = true
			add(find("line"))
		case isWindowColumn(name), isAlias:
		case open:
			// Without a schema any name may be a field, even one that
			// is also an alias (SELECT v AS v); a field that is not
			// there reads as NULL.
			add(name)
		case aliases[strings.ToLower(name)]:
		default:
			if sel.From == nil {
				return nil, false, p.errorf(ref.Pos, ErrColumnNotFound, "column %q not found: a query without FROM has no columns", ref.Name)
			}
			return nil, false, p.unknownColumn(ref, avail)
		}
	}
	return need, words, nil
}

// fromPlan plans a FROM item that is a subquery or a named stream.
func (p *planning) fromPlan(from *parser.From) (*Plan, error) {
	if from.Subquery != nil {
		return p.subquery(from.Subquery)
	}
	return p.stream(from)
}

// stream resolves FROM name against the catalog of named streams.
func (p *planning) stream(from *parser.From) (*Plan, error) {
	var names []string
	if c := p.opts.Streams; c != nil {
		up, ok, err := c.Stream(from.Stream)
		if err != nil {
			return nil, err
		}
		if ok {
			return up, nil
		}
		names = c.Names()
	}
	hint := didYouMean(from.Stream, names)
	if hint == "" {
		hint = fmt.Sprintf(" (define it with CREATE STREAM %s AS SELECT ..., or read a source such as file('%s'))", from.Stream, from.Stream)
	}
	return nil, p.errorf(from.Pos, ErrSourceNotFound, "stream %q not found%s", from.Stream, hint)
}

// unknownColumn reports the first column the source cannot provide,
// suggesting the closest one it can.
func (p *planning) unknownColumn(ref *parser.ColumnRef, avail types.Schema) error {
	cands := avail.Names()
	if avail.Index("line") >= 0 {
		cands = append(cands, "word")
	}
	hint := didYouMean(ref.Name, cands)
	if hint == "" && len(cands) > 0 && len(cands) <= 20 {
		hint = " (columns: " + strings.Join(cands, ", ") + ")"
	}
	return p.errorf(ref.Pos, ErrColumnNotFound, "column %q not found%s", ref.Name, hint)
}

// referencedColumns lists the columns a query mentions, in clause order.
func referencedColumns(sel *parser.Select) []*parser.ColumnRef {
	var out []*parser.ColumnRef
	visitSelect(sel, func(e parser.Expr) {
		if c, ok := e.(*parser.ColumnRef); ok {
			out = append(out, c)
		}
	})
	return out
}

// visitSelect calls fn on every expression node of the query, clause by
// clause in the order they are written.
func visitSelect(sel *parser.Select, fn func(parser.Expr)) {
	visit := func(e parser.Expr) {
		walk(e, func(e parser.Expr) bool {
			fn(e)
			return true
		})
	}
	for _, it := range sel.Items {
		visit(it.Expr)
	}
	if u := unnestOf(sel); u != nil {
		visit(u.Expr)
	}
	visit(sel.Where)
	if sel.Window != nil {
		visit(sel.Window.EventTime)
	}
	for _, g := range sel.GroupBy {
		visit(g)
	}
	visit(sel.Having)
	for _, o := range sel.OrderBy {
		visit(o.Expr)
	}
}

// timing is the planned WINDOW clause.
type timing struct {
	TimeSpec
	timeFn  expr.Func
	changes bool
}

func (p *planning) window(sel *parser.Select, in *scope) (timing, error) {
	w := sel.Window
	t := timing{changes: sel.Emit == "CHANGES"}
	if w == nil {
		return t, nil
	}
	if w.EventTime != nil {
		in.clause = "EVENT TIME"
		if p.containsAgg(w.EventTime) {
			return t, p.errorf(w.EventTime.Position(), ErrAggregate, "aggregate functions are not allowed in EVENT TIME")
		}
		switch k := p.typeOf(w.EventTime, in); k {
		case types.KindBool, types.KindArray:
			return t, p.errorf(w.EventTime.Position(), ErrType, "EVENT TIME needs a timestamp (RFC 3339 text, epoch milliseconds or TIMESTAMP), but %s is %s", w.EventTime, k)
		}
		fn, err := p.compile(w.EventTime, in)
		if err != nil {
			return t, err
		}
		t.EventTime, t.timeFn, t.Lateness = w.EventTime, fn, w.Lateness
	}
	switch w.Kind {
	case "UNBOUNDED":
		t.Kind, t.Timeout = Unbounded, w.Timeout
		return t, nil
	case "SESSION":
		t.Kind, t.Window = Session, window.Spec{Size: w.Size, Slide: w.Size}
		return t, nil
	}
	spec := window.Spec{Size: w.Size, Slide: w.Slide}
	if spec.Slide == 0 {
		spec.Slide = spec.Size
	}
	t.Kind, t.Window = Fixed, spec
	if spec.Slide > spec.Size {
		return t, p.errorf(w.Pos, ErrWindow, "window slide %s is longer than the window %s: rows between windows would be lost", spec.Slide, spec.Size)
	}
	if p.opts.Once || w.EventTime != nil {
		// Event-time windows follow the data, not the batches; a bounded
		// run is one batch whose window covers all of it.
		return t, nil
	}
	if err := spec.Check(p.opts.Batch); err != nil {
		return t, p.errorf(w.Pos, ErrWindow, "%v", err)
	}
	return t, nil
}

func (p *planning) isAggCall(e parser.Expr) bool {
	c, ok := e.(*parser.Call)
	return ok && c.Over == nil && p.isAggName(c.Name)
}

func (p *planning) containsAgg(e parser.Expr) bool {
	found := false
	walk(e, func(e parser.Expr) bool {
		if p.isAggCall(e) {
			found = true
		}
		return !found
	})
	return found
}

func (p *planning) isAggregate(sel *parser.Select) bool {
	if len(sel.GroupBy) > 0 || p.containsAgg(sel.Having) {
		return true
	}
	for _, it := range sel.Items {
		if p.containsAgg(it.Expr) {
			return true
		}
	}
	return false
}

// aggregate plans GROUP BY and the aggregate calls, and returns the scope
// of its output rows: keys, aggregates, window_start, window_end.
func (p *planning) aggregate(sel *parser.Select, in *scope, win timing) (*Aggregate, *scope, error) {
	a := &Aggregate{Time: win.TimeSpec, Changes: win.changes, timeFn: win.timeFn, inCols: columnNames(in)}
	out := &scope{inner: in}
	in.clause = "GROUP BY"
	for _, g := range sel.GroupBy {
		g, err := p.groupKey(g, sel, in)
		if err != nil {
			return nil, nil, err
		}
		if p.containsAgg(g) {
			return nil, nil, p.errorf(g.Position(), ErrAggregate, "aggregate functions are not allowed in GROUP BY")
		}
		fn, err := p.compile(g, in)
		if err != nil {
			return nil, nil, err
		}
		a.Keys = append(a.Keys, g)
		a.keyFns = append(a.keyFns, fn)
		a.keyCols = append(a.keyCols, columnIndex(g, in))
		name := ""
		if c, ok := g.(*parser.ColumnRef); ok {
			name = c.Name
		}
		out.cols = append(out.cols, scopeCol{name: name, expr: g, kind: p.typeOf(g, in), key: true})
	}
	seen := map[string]bool{}
	var calls []*parser.Call
	collect := func(e parser.Expr) {
		walk(e, func(e parser.Expr) bool {
			if p.isAggCall(e) {
				c := e.(*parser.Call)
				if !seen[c.String()] {
					seen[c.String()] = true
					calls = append(calls, c)
				}
				return false
			}
			return true
		})
	}
	for _, it := range sel.Items {
		collect(it.Expr)
	}
	collect(sel.Having)
	for _, o := range sel.OrderBy {
		collect(o.Expr)
	}
	in.clause = "aggregate arguments"
	for _, c := range calls {
		f, err := p.aggCall(c, in)
		if err != nil {
			return nil, nil, err
		}
		a.Aggs = append(a.Aggs, c)
		a.aggFns = append(a.aggFns, f)
		out.cols = append(out.cols, scopeCol{expr: c, kind: p.typeOf(c, in)})
	}
	out.cols = append(out.cols, scopeCol{name: "window_start", kind: types.KindTime}, scopeCol{name: "window_end", kind: types.KindTime})
	return a, out, nil
}

// groupKey resolves `GROUP BY 2` (a select-list position) and `GROUP BY
// alias` to the select expression they stand for.
func (p *planning) groupKey(g parser.Expr, sel *parser.Select, in *scope) (parser.Expr, error) {
	switch g := g.(type) {
	case *parser.Literal:
		if g.Value.Kind() != types.KindInt {
			return g, nil
		}
		i := g.Value.AsInt()
		if i < 1 || int(i) > len(sel.Items) || sel.Items[i-1].Star {
			return nil, p.errorf(g.Pos, ErrGroupBy, "GROUP BY position %d is not in the select list (1 to %d)", i, len(sel.Items))
		}
		return sel.Items[i-1].Expr, nil
	case *parser.ColumnRef:
		if in.lookup(g.Name) >= 0 {
			return g, nil
		}
		for _, it := range sel.Items {
			if it.Alias != "" && strings.EqualFold(it.Alias, g.Name) {
				return it.Expr, nil
			}
		}
	}
	return g, nil
}

func (p *planning) aggCall(c *parser.Call, in *scope) (agg.Func, error) {
	f, err := p.aggFunc(c, in)
	if err != nil || c.Filter == nil {
		return f, err
	}
	clause := in.clause
	in.clause = "FILTER"
	defer func() { in.clause = clause }()
	if p.containsAgg(c.Filter) {
		return nil, p.errorf(c.Filter.Position(), ErrAggregate, "aggregate functions are not allowed in FILTER")
	}
	if err := p.checkCondition(c.Filter, in, "FILTER"); err != nil {
		return nil, err
	}
	pred, err := p.compile(c.Filter, in)
	if err != nil {
		return nil, err
	}
	return agg.Filtered(f, pred), nil
}

// aggFunc binds the aggregate c calls to its argument.
func (p *planning) aggFunc(c *parser.Call, in *scope) (agg.Func, error) {
	name := strings.ToLower(c.Name)
	if c.Star {
		if name != "count" {
			return nil, p.errorf(c.Pos, ErrAggregate, "only COUNT takes *, not %s", c.Name)
		}
		return p.newAgg(name, nil, false)
	}
	if len(c.Args) != 1 {
		return nil, p.errorf(c.Pos, ErrAggregate, "%s takes exactly one argument, got %d", c.Name, len(c.Args))
	}
	if p.containsAgg(c.Args[0]) {
		return nil, p.errorf(c.Args[0].Position(), ErrAggregate, "aggregate calls cannot be nested")
	}
	if name == "sum" || name == "avg" {
		if k, ok := p.numericOperand(c.Args[0], in); !ok {
			return nil, p.errorf(c.Args[0].Position(), ErrType, "%s needs numbers, but %s is %s", c.Name, c.Args[0], k)
		}
	}
	arg, err := p.compile(c.Args[0], in)
	if err != nil {
		return nil, err
	}
	return p.newAgg(name, arg, c.Distinct)
}

// project compiles the select list. The output scope names each result
// column (alias, column name, or the expression's text).
func (p *planning) project(sel *parser.Select, sc *scope) (*Project, *scope, error) {
	proj := &Project{}
	out := &scope{}
	sc.clause = "the select list"
	for _, it := range sel.Items {
		if it.Star {
			if sc.inner != nil {
				return nil, nil, p.errorf(it.Pos, ErrGroupBy, "SELECT * cannot be used with GROUP BY or aggregates; name the columns")
			}
			for i, c := range sc.cols {
				if it.Table != "" && !strings.EqualFold(c.table, it.Table) {
					continue // t.*: the columns of FROM item t only
				}
				if c.name == "" {
					continue // computed for the query (a row number), not a column of FROM
				}
				proj.fns = append(proj.fns, expr.Column(i))
				proj.Exprs = append(proj.Exprs, c.name)
				out.cols = append(out.cols, scopeCol{name: c.name, expr: &parser.ColumnRef{Name: c.name}, kind: c.kind})
			}
			continue
		}
		fn, err := p.compile(it.Expr, sc)
		if err != nil {
			return nil, nil, err
		}
		name := it.Alias
		switch c, isCol := it.Expr.(*parser.ColumnRef); {
		case name != "":
		case isCol:
			name = c.Name
		case it.Text != "":
			name = it.Text // as written, as SQLite names it
		default:
			name = it.Expr.String()
		}
		proj.fns = append(proj.fns, fn)
		proj.Exprs = append(proj.Exprs, it.String())
		out.cols = append(out.cols, scopeCol{name: name, expr: it.Expr, kind: p.typeOf(it.Expr, sc)})
		if sc.inner != nil && isKeyColumn(it.Expr, sc) {
			proj.keys = append(proj.keys, name)
		}
	}
	return proj, out, nil
}

// order compiles ORDER BY against the result columns (so aliases and
// positions work); a key that needs a column not in the result is computed
// as a hidden column of the projection and trimmed after sorting.
func (p *planning) order(sel *parser.Select, proj *Project, out, below *scope) (*Order, error) {
	o := &Order{Items: sel.OrderBy, Limit: -1}
	if sel.Limit != nil {
		o.Limit = sel.Limit.Count
	}
	out.clause, below.clause = "ORDER BY", "ORDER BY"
	for _, it := range sel.OrderBy {
		key := sortKey(it, nil)
		if l, ok := it.Expr.(*parser.Literal); ok && l.Value.Kind() == types.KindInt {
			i := l.Value.AsInt()
			if i < 1 || int(i) > len(proj.fns)-proj.Hidden {
				return nil, p.errorf(l.Pos, ErrColumnNotFound, "ORDER BY position %d is not in the select list (1 to %d)", i, len(proj.fns)-proj.Hidden)
			}
			key.Expr = expr.Column(int(i - 1))
		} else if fn, err := p.compile(it.Expr, out); err == nil {
			key.Expr = fn
		} else {
			fn, err2 := p.compile(it.Expr, below)
			if err2 != nil {
				return nil, err2
			}
			if sel.Distinct {
				return nil, p.errorf(it.Pos, ErrColumnNotFound, "with SELECT DISTINCT, ORDER BY expressions must appear in the select list")
			}
			proj.fns = append(proj.fns, fn)
			proj.Exprs = append(proj.Exprs, it.Expr.String())
			proj.Hidden++
			out.cols = append(out.cols, scopeCol{expr: it.Expr})
			key.Expr = expr.Column(len(proj.fns) - 1)
		}
		o.keys = append(o.keys, key)
	}
	return o, nil
}

// isKeyColumn reports whether a select expression of an aggregate query is
// one of its group keys or the window bounds: together they identify a
// result row, the key a table sink upserts by.
func isKeyColumn(e parser.Expr, aggScope *scope) bool {
	i := aggScope.lookupExpr(e)
	if i < 0 {
		if c, ok := e.(*parser.ColumnRef); ok {
			i = aggScope.lookup(c.Name)
		}
	}
	if i < 0 {
		return false
	}
	c := aggScope.cols[i]
	return c.key || c.name == "window_start" || c.name == "window_end"
}

// readsOnlyWords reports whether a query using the `word` shorthand never
// names `line` (or *) itself.
func readsOnlyWords(sel *parser.Select) bool {
	for _, it := range sel.Items {
		if it.Star {
			return false
		}
	}
	for _, ref := range referencedColumns(sel) {
		if strings.EqualFold(ref.Name, "line") {
			return false
		}
	}
	return true
}

// columnNames names every column of a scope (by its expression when it
// has no name), to show a row of it.
func columnNames(sc *scope) []string {
	out := make([]string, len(sc.cols))
	for i, c := range sc.cols {
		out[i] = c.name
		if out[i] == "" && c.expr != nil {
			out[i] = c.expr.String()
		}
	}
	return out
}

// starOverOpen refuses `SELECT *` over an Open stream: its columns are
// only those readers name, so * cannot list them.
func (p *planning) starOverOpen(sel *parser.Select, item *parser.From) error {
	for _, it := range sel.Items {
		if it.Star && (it.Table == "" || strings.EqualFold(it.Table, item.Alias) || strings.EqualFold(it.Table, item.Stream)) {
			return p.errorf(it.Pos, ErrColumnNotFound, "SELECT * over stream %s, whose source had no data to show its columns when it was created: name the columns you want (or give the source a schema)", item.Stream)
		}
	}
	return nil
}

// scanOf finds the Scan a chain of nodes starts from.
func scanOf(n Node) (*Scan, bool) {
	for n != nil {
		if s, ok := n.(*Scan); ok {
			return s, true
		}
		kids := n.Children()
		if len(kids) != 1 {
			return nil, false
		}
		n = kids[0]
	}
	return nil, false
}
