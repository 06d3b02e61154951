package planner

import (
	"fmt"
	"path/filepath"
	"strings"
	"time"
	"unicode"

	"github.com/streamsql/streamsql/expr"
	"github.com/streamsql/streamsql/formats"
	"github.com/streamsql/streamsql/operators"
	"github.com/streamsql/streamsql/parser"
	"github.com/streamsql/streamsql/sources"
	"github.com/streamsql/streamsql/tables"
	"github.com/streamsql/streamsql/types"
)

// relation is one item of a FROM clause with joins: a stream (source,
// named stream or subquery) or a table.
type relation struct {
	name  string // what qualifies its columns: alias, stream or call name
	item  *parser.From
	join  *parser.Join // nil for the first item
	avail types.Schema
	open  bool // any column name may exist (schemaless JSON)
	typed bool
	// One of:
	source   *sources.Call
	upstream *Plan
	table    *tables.Table

	need  []string // the columns read, for a source
	cols  []scopeCol
	index int // its position in FROM
}

func (r *relation) find(name string) string {
	for _, c := range r.avail {
		if c.Name == name {
			return c.Name
		}
	}
	for _, c := range r.avail {
		if strings.EqualFold(c.Name, name) {
			return c.Name
		}
	}
	return ""
}

func (r *relation) read(name string) {
	for _, n := range r.need {
		if n == name {
			return
		}
	}
	r.need = append(r.need, name)
}

// isTableCall reports whether a FROM item is table(...).
func isTableCall(f *parser.From) bool {
	return f != nil && f.Source != nil && strings.EqualFold(f.Source.Name, "table")
}

// relations opens the items of a FROM clause with joins.
func (p *planning) relations(from *parser.From) ([]*relation, error) {
	items := []*parser.From{from}
	joins := []*parser.Join{nil}
	for _, j := range from.Joins {
		items = append(items, j.Right)
		joins = append(joins, j)
	}
	var rels []*relation
	streamJoins := 0
	for i, it := range items {
		r := &relation{item: it, join: joins[i], name: it.Alias, index: i}
		switch {
		case isTableCall(it):
			if i == 0 {
				return nil, p.errorf(it.Pos, ErrUnsupported, "a table cannot be the first FROM item: a stream is joined with it (FROM stream JOIN table(...) ON ...)")
			}
			t, err := p.openTable(it.Source)
			if err != nil {
				return nil, err
			}
			r.table, r.avail = t, t.Columns
			if r.name == "" {
				r.name = defaultName(it.Source)
			}
		case it.Source != nil:
			src, err := p.openSource(it.Source)
			if err != nil {
				return nil, err
			}
			sch := src.Schema()
			r.source, r.avail, r.open, r.typed = src, sch.Columns, sch.Open, sch.Typed
			if r.name == "" {
				r.name = defaultName(it.Source)
			}
		case it.Subquery != nil:
			up, err := p.subquery(it.Subquery)
			if err != nil {
				return nil, err
			}
			r.upstream = up
		default:
			up, err := p.stream(it)
			if err != nil {
				return nil, err
			}
			r.upstream = up
			if r.name == "" {
				r.name = it.Stream
			}
		}
		if r.upstream != nil {
			for k, c := range r.upstream.Columns {
				r.avail = append(r.avail, types.Column{Name: c, Type: r.upstream.Kinds[k]})
			}
			r.open = r.upstream.Open // its columns are those the query names
		}
		if j := r.join; j != nil {
			switch {
			case r.table != nil && j.Within > 0:
				return nil, p.errorf(j.Pos, ErrUnsupported, "WITHIN bounds a join of two streams; %s is a table, joined with every row as it arrives", it.Source)
			case j.RightOuter && (r.table != nil || j.Within > 0):
				return nil, p.errorf(j.Pos, ErrUnsupported, "RIGHT and FULL JOIN join two streams without WITHIN (a regular join); for a table or a join WITHIN a time bound, swap the sides and write LEFT JOIN")
			case r.table == nil && i != 1:
				return nil, p.errorf(j.Pos, ErrUnsupported, "only the first join may join two streams; join further streams in a subquery (FROM (SELECT ... FROM a JOIN b WITHIN ...) AS x JOIN c WITHIN ...)")
			}
			if r.table == nil {
				streamJoins++
			}
		}
		for _, o := range rels {
			if r.name != "" && strings.EqualFold(o.name, r.name) {
				return nil, p.errorf(it.Pos, ErrUnsupported, "%q names two FROM items; give one another alias (AS ...)", r.name)
			}
		}
		rels = append(rels, r)
	}
	return rels, nil
}

// sharedTime checks `EVENT TIME ts`, one expression read on both sides
// of a join, and has both sides provide its columns.
func (p *planning) sharedTime(e parser.Expr, sides []*relation) error {
	var err error
	walk(e, func(x parser.Expr) bool {
		c, ok := x.(*parser.ColumnRef)
		if !ok || err != nil {
			return err == nil
		}
		if c.Table != "" {
			err = p.errorf(c.Pos, ErrColumnNotFound, "EVENT TIME %s is read on both sides of the join, so it cannot be qualified; give one expression per side: EVENT TIME %s.x, %s.y",
				e, sides[0].name, sides[1].name)
			return false
		}
		for _, r := range sides {
			name := r.find(c.Name)
			if name == "" && !r.open {
				err = p.errorf(c.Pos, ErrColumnNotFound, "EVENT TIME %s is read on both sides of the join, but %s has no column %q%s",
					e, r.name, c.Name, didYouMean(c.Name, r.avail.Names()))
				return false
			}
			if name == "" {
				name = c.Name
			}
			r.read(name)
		}
		return true
	})
	return err
}

// defaultName is what qualifies the columns of a FROM item called
// without an alias: the name of the file, directory or database table it
// reads (table('data/cities.csv') is cities, as a table in SQL), else the
// call's name.
func defaultName(call *parser.SourceCall) string {
	arg := 0
	if len(call.Args) == 2 {
		if _, ok := call.Args[0].(*parser.Call); ok {
			arg = 1 // table(sqlite('x.db'), 'cities')
		}
	}
	if arg < len(call.Args) {
		if l, ok := call.Args[arg].(*parser.Literal); ok && l.Value.Kind() == types.KindText {
			base := filepath.Base(strings.TrimRight(l.Value.AsText(), "/"))
			if i := strings.IndexByte(base, '.'); i > 0 {
				base = base[:i]
			}
			if plainName(base) {
				return base
			}
		}
	}
	return call.Name
}

func plainName(s string) bool {
	for i, c := range s {
		if !(c == '_' || unicode.IsLetter(c) || i > 0 && unicode.IsDigit(c)) {
			return false
		}
	}
	return s != ""
}

// subquery plans a subquery in FROM.
func (p *planning) subquery(sel *parser.Select) (*Plan, error) {
	return (&planning{text: p.text, opts: p.opts}).plan(sel)
}

// openTable reads the columns of table(path [, format => ...]) or table(sqlite('x.db'),
// 'name' [, refresh => '1m']) (or postgres('postgres://...')) for a join.
func (p *planning) openTable(call *parser.SourceCall) (*tables.Table, error) {
	if len(call.Args) > 0 {
		if db, ok := call.Args[0].(*parser.Call); ok {
			return p.openDatabaseTable(call, db)
		}
	}
	pos, named, err := p.callArgs(call)
	if err != nil {
		return nil, err
	}
	if len(pos) != 1 || pos[0].Kind() != types.KindText {
		return nil, p.errorf(call.Pos, ErrSource, "table() takes the path of a CSV or JSON-lines file: table('cities.csv' [, format => 'csv'|'jsonl'])")
	}
	for name := range named {
		if !isTableOption(name) {
			return nil, p.errorf(call.Pos, ErrSource, "table() has no option %q (options: format, schema, header, delimiter)", name)
		}
	}
	if err := p.checkPaths(call.Pos, pos[0].AsText()); err != nil {
		return nil, err
	}
	t, err := tables.File(pos[0].AsText(), formats.Settings(named), !p.opts.Once)
	if err != nil {
		return nil, p.errorf(call.Pos, ErrSource, "table(): %v", err)
	}
	return t, nil
}

const tableDBUsage = "table(sqlite('file.db'), 'table' [, refresh => '1m']) or table(postgres('postgres://user@host/db'), 'table' [, refresh => '1m'])"

func (p *planning) openDatabaseTable(call *parser.SourceCall, db *parser.Call) (*tables.Table, error) {
	kind := strings.ToLower(db.Name)
	if kind != "sqlite" && kind != "postgres" || len(db.Args) != 1 || len(call.Args) != 2 {
		return nil, p.errorf(call.Pos, ErrSource, "a database table is written %s", tableDBUsage)
	}
	dsn, err := p.constant(db.Args[0])
	if err != nil {
		return nil, err
	}
	name, err := p.constant(call.Args[1])
	if err != nil {
		return nil, err
	}
	if dsn.Kind() != types.KindText || name.Kind() != types.KindText {
		return nil, p.errorf(call.Pos, ErrSource, "a database table is written %s", tableDBUsage)
	}
	refresh := tables.DefaultRefresh
	for _, a := range call.Named {
		if !strings.EqualFold(a.Name, "refresh") {
			return nil, p.errorf(a.Pos, ErrSource, "table() of a database has no option %q (refresh only)", a.Name)
		}
		v, err := p.constant(a.Value)
		if err != nil {
			return nil, err
		}
		d, err := time.ParseDuration(v.String())
		if err != nil || d < 0 {
			return nil, p.errorf(a.Pos, ErrSource, "refresh must be a duration such as '30s', got %s", a.Value)
		}
		refresh = d
	}
	if p.opts.Once {
		refresh = 0
	}
	if kind == "sqlite" {
		if err := p.checkPaths(call.Pos, dsn.AsText()); err != nil {
			return nil, err
		}
	}
	t, err := tables.Database(p.opts.context(), kind, dsn.AsText(), name.AsText(), refresh)
	if err != nil {
		return nil, p.errorf(call.Pos, ErrSource, "table(): %v", err)
	}
	return t, nil
}

func isTableOption(name string) bool {
	switch name {
	case "format", "schema", "header", "delimiter":
		return true
	}
	return false
}

// ref is where a column reference of a join query points.
type ref struct {
	rel  int
	name string
}

// resolveJoin decides, for every column the query mentions, which FROM
// item it comes from, and which columns each item must provide. A name
// in several items must be qualified; a qualifier that names no item is a
// path into nested data (meta.loc), as without joins.
func (p *planning) resolveJoin(sel *parser.Select, rels []*relation) (map[*parser.ColumnRef]ref, []*parser.ColumnRef, error) {
	aliases, inputOnly := namesOf(sel)
	var refs []*parser.ColumnRef
	collect := func(e parser.Expr) {
		walk(e, func(e parser.Expr) bool {
			if c, ok := e.(*parser.ColumnRef); ok {
				refs = append(refs, c)
			}
			return true
		})
	}
	for _, j := range sel.From.Joins {
		collect(j.On)
		if len(j.EventTime) == 2 {
			for _, e := range j.EventTime {
				collect(e)
			}
		}
	}
	refs = append(refs, referencedColumns(sel)...)

	byName := func(q string) int {
		for i, r := range rels {
			if r.name != "" && strings.EqualFold(r.name, q) {
				return i
			}
		}
		return -1
	}
	out := map[*parser.ColumnRef]ref{}
	for _, c := range refs {
		if c.Table != "" && byName(c.Table) < 0 {
			c.Name, c.Table = c.Table+"."+c.Name, "" // a nested path
		}
		if c.Table != "" {
			i := byName(c.Table)
			r := rels[i]
			name := r.find(c.Name)
			if name == "" && !r.open {
				return nil, nil, p.errorf(c.Pos, ErrColumnNotFound, "column %q not found in %s%s", c.Table+"."+c.Name, r.name,
					didYouMean(c.Name, r.avail.Names()))
			}
			if name == "" {
				name = c.Name
			}
			out[c] = ref{i, name}
			continue
		}
		var in []int
		for i, r := range rels {
			if r.find(c.Name) != "" {
				in = append(in, i)
			}
		}
		if len(in) == 0 && (isWindowColumn(c.Name) || aliases[strings.ToLower(c.Name)] && !inputOnly[c]) {
			continue
		}
		if len(in) == 0 && (inputOnly[c] || !aliases[strings.ToLower(c.Name)]) {
			// Without a schema any name may be a field, even one that
			// is also an alias (SELECT v AS v).
			for i, r := range rels {
				if r.open {
					in = append(in, i)
				}
			}
		}
		switch len(in) {
		case 0:
			if aliases[strings.ToLower(c.Name)] {
				continue
			}
			var cands []string
			for _, r := range rels {
				cands = append(cands, r.avail.Names()...)
			}
			return nil, nil, p.errorf(c.Pos, ErrColumnNotFound, "column %q not found%s", c.Name, didYouMean(c.Name, cands))
		case 1:
			name := rels[in[0]].find(c.Name)
			if name == "" {
				name = c.Name
			}
			out[c] = ref{in[0], name}
		default:
			var qs []string
			for _, i := range in {
				qs = append(qs, rels[i].name+"."+c.Name)
			}
			return nil, nil, p.errorf(c.Pos, ErrColumnNotFound, "column %q is ambiguous; qualify it as %s", c.Name, strings.Join(qs, " or "))
		}
	}
	return out, refs, nil
}

// joinInput plans a FROM clause with joins: each stream item bound to the
// columns the query reads, the join of two streams (the first join, when
// there is one), then the joins with tables in the order written. Rows
// carry the columns of every item, in FROM order.
func (p *planning) joinInput(sel *parser.Select) (*input, error) {
	rels, err := p.relations(sel.From)
	if err != nil {
		return nil, err
	}
	refs, order, err := p.resolveJoin(sel, rels)
	if err != nil {
		return nil, err
	}
	for _, it := range sel.Items {
		if it.Star {
			found := false
			for _, r := range rels {
				if it.Table != "" && !strings.EqualFold(r.name, it.Table) {
					continue
				}
				found = true
				for _, c := range r.avail {
					if r.source != nil && strings.Contains(c.Name, ".") && !r.typed {
						continue // sampled nested paths are reachable by name only
					}
					r.read(c.Name)
				}
			}
			if !found {
				return nil, p.errorf(it.Pos, ErrColumnNotFound, "%s.* names no FROM item", it.Table)
			}
		}
	}
	for _, c := range order {
		if rf, ok := refs[c]; ok {
			rels[rf.rel].read(rf.name)
		}
	}
	for _, r := range rels {
		if r.upstream == nil || !r.upstream.Open {
			continue
		}
		if err := p.starOverOpen(sel, r.item); err != nil {
			return nil, err
		}
		if err := extendOpen(r.upstream, r.need); err != nil {
			return nil, p.errorf(r.item.Pos, ErrSource, "%v", err)
		}
		r.avail = r.avail[:0]
		for k, c := range r.upstream.Columns {
			r.avail = append(r.avail, types.Column{Name: c, Type: r.upstream.Kinds[k]})
		}
	}
	if j := sel.From.Joins[0]; len(j.EventTime) == 1 {
		if err := p.sharedTime(j.EventTime[0], rels[:2]); err != nil {
			return nil, err
		}
	}
	// Sources produce the columns read, in order of first mention; the
	// others all of theirs.
	for _, r := range rels {
		switch {
		case r.source != nil:
			need := r.need
			if len(need) == 0 && len(r.avail) > 0 {
				// Nothing is read, but every row still counts.
				need = []string{r.avail[0].Name}
			}
			if err := r.source.Bind(need); err != nil {
				return nil, p.errorf(r.item.Pos, ErrSource, "%v", err)
			}
			r.need = need
			bound := r.source.Schema().Columns
			for i, n := range need {
				c := scopeCol{name: n, table: r.name}
				if r.typed && i < len(bound) {
					c.kind = bound[i].Type
				}
				r.cols = append(r.cols, c)
			}
		default:
			for _, c := range r.avail {
				k := c.Type
				if r.table != nil {
					// A table's values are typed one by one, like a CSV
					// source's: the types seen are no promise.
					k = types.KindNull
				}
				r.cols = append(r.cols, scopeCol{name: c.Name, table: r.name, kind: k})
			}
		}
	}
	// ON may only read the items joined so far.
	for _, c := range order {
		rf, ok := refs[c]
		if !ok {
			continue
		}
		for k, j := range sel.From.Joins {
			if rf.rel > k+1 && inCondition(c, j) {
				return nil, p.errorf(c.Pos, ErrColumnNotFound, "%s is joined after this ON condition; it can only read %s", rels[rf.rel].name, namesUpTo(rels, k+1))
			}
		}
	}

	in := &input{}
	sc := &scope{}
	first := rels[0]
	var node Node
	rest := rels[1:]
	if len(rels) > 1 && rels[1].table == nil {
		// A join of two streams: both sides are plans of their own.
		left, right := p.sidePlan(first), p.sidePlan(rels[1])
		sj, err := p.streamJoin(sel.From.Joins[0], rels[:2], refs, left, right)
		if err != nil {
			return nil, err
		}
		node = sj
		in.join = sj
		in.inputs = []*Plan{left, right}
		sc.cols = append(append(sc.cols, first.cols...), rels[1].cols...)
		rest = rels[2:]
	} else {
		sc.cols = append(sc.cols, first.cols...)
		if first.source != nil {
			in.source = first.source
			node = &Scan{Source: first.source, Columns: first.need}
		} else {
			in.upstream = first.upstream
			node = &StreamScan{Name: first.name, Upstream: first.upstream, Sub: first.item.Subquery != nil}
		}
	}
	for _, r := range rest {
		lj, err := p.lookupJoin(r, sc, first.name, refs)
		if err != nil {
			return nil, err
		}
		lj.input = node
		node = lj
		in.tables = append(in.tables, r.table)
		sc.cols = append(sc.cols, r.cols...)
	}
	if u := sel.From.Unnest; u != nil {
		sc.clause = "UNNEST"
		fn, err := p.compile(u.Expr, sc)
		if err != nil {
			return nil, err
		}
		name := unnestName(u)
		node = &Unnest{chain: chain{node}, Expr: u.Expr, As: name, fn: fn}
		sc.cols = append(sc.cols, scopeCol{name: name})
	}
	in.node, in.scope = node, sc
	return in, nil
}

// inCondition reports whether c is part of j's ON condition.
func inCondition(c *parser.ColumnRef, j *parser.Join) bool {
	found := false
	walk(j.On, func(e parser.Expr) bool {
		found = found || e == parser.Expr(c)
		return !found
	})
	return found
}

func namesUpTo(rels []*relation, n int) string {
	var out []string
	for _, r := range rels[:n+1] {
		out = append(out, r.name)
	}
	return strings.Join(out, ", ")
}

// sidePlan is the plan of one side of a join of two streams: the stream
// itself, or a plan reading the source.
func (p *planning) sidePlan(r *relation) *Plan {
	if r.upstream != nil {
		return r.upstream
	}
	cols := make([]string, len(r.cols))
	kinds := make([]types.Kind, len(r.cols))
	for i, c := range r.cols {
		cols[i], kinds[i] = c.name, c.kind
	}
	return &Plan{Root: &Scan{Source: r.source, Columns: r.need}, Columns: cols, Kinds: kinds, Source: r.source, Bounded: r.source.Bounded()}
}

// equiKeys splits an ON condition into its conjuncts and picks those of
// the form left = right, one side reading only the items before the
// joined one, the other only the joined one (rel).
func (p *planning) equiKeys(on parser.Expr, rel int, refs map[*parser.ColumnRef]ref) (lefts, rights []parser.Expr) {
	var conj []parser.Expr
	var split func(e parser.Expr)
	split = func(e parser.Expr) {
		if b, ok := e.(*parser.Binary); ok && b.Op == "AND" {
			split(b.L)
			split(b.R)
			return
		}
		conj = append(conj, e)
	}
	split(on)
	// side is 0 when e reads only items before rel, 1 when only rel, -1
	// otherwise (both, or no column at all).
	side := func(e parser.Expr) int {
		s := -2
		walk(e, func(e parser.Expr) bool {
			c, ok := e.(*parser.ColumnRef)
			if !ok {
				return true
			}
			rf, ok := refs[c]
			k := 0
			if !ok {
				k = -1
			} else if rf.rel == rel {
				k = 1
			}
			if s == -2 {
				s = k
			} else if s != k {
				s = -1
			}
			return true
		})
		if s == -2 || p.containsAgg(e) {
			return -1
		}
		return s
	}
	for _, c := range conj {
		b, ok := c.(*parser.Binary)
		if !ok || b.Op != "=" {
			continue
		}
		l, r := side(b.L), side(b.R)
		switch {
		case l == 0 && r == 1:
			lefts, rights = append(lefts, b.L), append(rights, b.R)
		case l == 1 && r == 0:
			lefts, rights = append(lefts, b.R), append(rights, b.L)
		}
	}
	return lefts, rights
}

func (p *planning) noEquality(j *parser.Join, left, right string) error {
	return p.errorf(j.On.Position(), ErrUnsupported,
		"the join condition needs an equality between the two sides, such as %s.x = %s.y (a condition without one would pair every row with every row)",
		left, right)
}

// joinKeys compiles the two halves of the equalities: the left ones over
// the rows joined so far, the right ones over the joined item's own rows.
func (p *planning) joinKeys(lefts, rights []parser.Expr, left *scope, right *scope) (operators.JoinKeys, operators.JoinKeys, error) {
	left.clause, right.clause = "ON", "ON"
	lk, err := p.compileList(lefts, left)
	if err != nil {
		return nil, nil, err
	}
	rk, err := p.compileList(rights, right)
	if err != nil {
		return nil, nil, err
	}
	return lk, rk, nil
}

func (p *planning) lookupJoin(r *relation, left *scope, leftName string, refs map[*parser.ColumnRef]ref) (*LookupJoin, error) {
	j := r.join
	lefts, rights := p.equiKeys(j.On, r.index, refs)
	if len(lefts) == 0 {
		return nil, p.noEquality(j, leftName, r.name)
	}
	lk, rk, err := p.joinKeys(lefts, rights, left, &scope{cols: r.cols})
	if err != nil {
		return nil, err
	}
	all := &scope{cols: append(append([]scopeCol{}, left.cols...), r.cols...), clause: "ON"}
	if err := p.checkCondition(j.On, all, "ON"); err != nil {
		return nil, err
	}
	cond, err := p.compile(j.On, all)
	if err != nil {
		return nil, err
	}
	return &LookupJoin{Join: j, Table: r.table, Name: r.name, keys: lk, tableKeys: rk, cond: cond, width: len(r.cols)}, nil
}

func (p *planning) streamJoin(j *parser.Join, rels []*relation, refs map[*parser.ColumnRef]ref, left, right *Plan) (*StreamJoin, error) {
	l, r := rels[0], rels[1]
	lefts, rights := p.equiKeys(j.On, 1, refs)
	if len(lefts) == 0 {
		return nil, p.noEquality(j, l.name, r.name)
	}
	ls, rs := &scope{cols: l.cols}, &scope{cols: r.cols}
	lk, rk, err := p.joinKeys(lefts, rights, ls, rs)
	if err != nil {
		return nil, err
	}
	all := &scope{cols: append(append([]scopeCol{}, l.cols...), r.cols...), clause: "ON"}
	if err := p.checkCondition(j.On, all, "ON"); err != nil {
		return nil, err
	}
	cond, err := p.compile(j.On, all)
	if err != nil {
		return nil, err
	}
	sj := &StreamJoin{Join: j, Left: left, Right: right, leftKeys: lk, rightKeys: rk, cond: cond,
		leftWidth: len(l.cols), rightWidth: len(r.cols), whole: p.opts.Once, names: [2]string{l.name, r.name}}
	if len(j.EventTime) > 0 {
		ls.clause, rs.clause = "EVENT TIME", "EVENT TIME"
		for i, sc := range []*scope{ls, rs} {
			e := j.EventTime[min(i, len(j.EventTime)-1)]
			if p.containsAgg(e) {
				return nil, p.errorf(e.Position(), ErrAggregate, "aggregate functions are not allowed in EVENT TIME")
			}
			switch k := p.typeOf(e, sc); k {
			case types.KindBool, types.KindArray:
				return nil, p.errorf(e.Position(), ErrType, "EVENT TIME needs a timestamp (RFC 3339 text, epoch milliseconds or TIMESTAMP), but %s is %s", e, k)
			}
			fn, err := p.compile(e, sc)
			if err != nil {
				if i == 0 {
					return nil, p.errorf(e.Position(), ErrColumnNotFound, "the first EVENT TIME expression is the time of %s and can only read its columns: %v", l.name, err)
				}
				return nil, p.errorf(e.Position(), ErrColumnNotFound, "the second EVENT TIME expression is the time of %s and can only read its columns: %v", r.name, err)
			}
			sj.times[i] = fn
			sj.timeExprs[i], sj.columns[i] = e.String(), columnNames(sc)
		}
	}
	return sj, nil
}

func exprs(es []parser.Expr) string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.String()
	}
	return strings.Join(out, ", ")
}

// LookupJoin joins each row with the rows of a table.
type LookupJoin struct {
	chain
	Join            *parser.Join
	Table           *tables.Table
	Name            string
	keys, tableKeys operators.JoinKeys
	cond            expr.Func
	width           int
}

func (l *LookupJoin) Describe() string {
	kind := "Join"
	if l.Join.Left {
		kind = "LeftJoin"
	}
	return fmt.Sprintf("%s %s AS %s ON %s (table in memory, %s)", kind, l.Table.Describe(), l.Name, l.Join.On, l.Table.Refresh())
}

func (l *LookupJoin) operator(next operators.Operator) operators.Operator {
	return &operators.LookupJoin{Table: l.Table, Keys: l.keys, TableKeys: l.tableKeys, Cond: l.cond, Left: l.Join.Left, Width: l.width, Next: next}
}

// StreamJoin joins two streams within a time bound.
type StreamJoin struct {
	Join                  *parser.Join
	Left, Right           *Plan
	leftKeys, rightKeys   operators.JoinKeys
	cond                  expr.Func
	leftWidth, rightWidth int
	times                 [2]expr.Func
	timeExprs             [2]string   // as written, to report a row without a usable time
	columns               [2][]string // each side's column names, likewise
	whole                 bool        // a bounded run: rows joined in event-time order at the end
	names                 [2]string   // what qualifies each side's columns, to name it in warnings
}

func (s *StreamJoin) Children() []Node { return []Node{s.Left.Root, s.Right.Root} }

func (s *StreamJoin) Describe() string {
	j := s.Join
	if j.Within == 0 {
		kind := map[string]string{"JOIN": "Join", "LEFT JOIN": "LeftJoin", "RIGHT JOIN": "RightJoin", "FULL JOIN": "FullJoin"}[j.Kind()]
		return fmt.Sprintf("%s ON %s (regular: every row of both sides kept, no time bound)", kind, j.On)
	}
	kind := "IntervalJoin"
	if j.Left {
		kind = "LeftIntervalJoin"
	}
	w := parser.FormatDuration(j.Within)
	if len(j.EventTime) > 0 && s.whole {
		return fmt.Sprintf("%s ON %s WITHIN %s, event time %s; bounded run: all rows joined in event-time order once both inputs end",
			kind, j.On, w, exprs(j.EventTime))
	}
	if len(j.EventTime) > 0 {
		return fmt.Sprintf("%s ON %s WITHIN %s, event time %s, lateness %s; rows kept until the watermark passes their time + %s",
			kind, j.On, w, exprs(j.EventTime), parser.FormatDuration(j.Lateness), parser.FormatDuration(2*j.Within))
	}
	return fmt.Sprintf("%s ON %s WITHIN %s, processing time (a row's time is its batch's); rows kept %s", kind, j.On, w, w)
}

func (s *StreamJoin) operator(next operators.Operator) operators.Operator { return nil }
func (s *StreamJoin) inputs() []*Plan                                     { return []*Plan{s.Left, s.Right} }
func (s *StreamJoin) operators(next operators.Operator) []operators.Operator {
	if s.Join.Within == 0 {
		r := &operators.RegularJoin{Keys: [2]operators.JoinKeys{s.leftKeys, s.rightKeys}, Cond: s.cond,
			Width: [2]int{s.leftWidth, s.rightWidth}, Outer: [2]bool{s.Join.Left, s.Join.RightOuter},
			Retracting: [2]bool{s.Left.Updating, s.Right.Updating}, Next: next}
		return []operators.Operator{r.Input(0), r.Input(1)}
	}
	j := &operators.IntervalJoin{
		LeftKeys: s.leftKeys, RightKeys: s.rightKeys, Cond: s.cond,
		LeftWidth: s.leftWidth, RightWidth: s.rightWidth, Within: s.Join.Within, Left: s.Join.Left,
		LeftTime: s.times[0], RightTime: s.times[1], Lateness: s.Join.Lateness, Whole: s.whole, Next: next,
		TimeExprs: s.timeExprs, Columns: s.columns, Names: s.names,
	}
	return []operators.Operator{j.Input(0), j.Input(1)}
}
