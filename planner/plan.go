package planner

import (
	"fmt"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/streamsql/streamsql/agg"
	"github.com/streamsql/streamsql/expr"
	"github.com/streamsql/streamsql/operators"
	"github.com/streamsql/streamsql/parser"
	"github.com/streamsql/streamsql/sources"
	"github.com/streamsql/streamsql/tables"
	"github.com/streamsql/streamsql/types"
	"github.com/streamsql/streamsql/window"
)

// Node is a step of the logical plan. A plan is a chain from its input to
// its result; the input is a source, a named stream or subquery, or, for
// a join of two streams and UNION ALL, a node reading several plans
// (Inputs), which makes the whole a tree, hence Children.
type Node interface {
	Children() []Node
	// Describe is the node's line in EXPLAIN.
	Describe() string
	// operator instantiates the node's physical operator feeding next.
	operator(next operators.Operator) operators.Operator
}

// Plan is a planned query (or named stream). It reads either a source or
// the output of another plan, a named stream.
type Plan struct {
	Root    Node
	Columns []string     // result column names
	Kinds   []types.Kind // their static types (KindNull: known at run time)
	// Key names the result columns that identify a row (group keys and
	// window bounds), for sinks that upsert.
	Key    []string
	Source *sources.Call // nil when reading a stream
	// Upstream is the plan of the named stream (or subquery) this one
	// reads, nil when reading a source.
	Upstream *Plan
	// Inputs are the plans a join of two streams or a UNION ALL reads,
	// when Source and Upstream are nil.
	Inputs []*Plan
	// Tables are the tables this plan joins with, kept up to date while
	// it runs.
	Tables []*tables.Table
	Time   TimeSpec
	// Bounded is true when the input ends by itself (--once, stdin).
	Bounded bool
	// Updating says the result is a table that keeps changing (an
	// aggregate without a window, or what reads one): the plan's output
	// edge carries deletions besides insertions, keyed by Key. Otherwise
	// it only appends.
	Updating bool
	// Open says the plan is `SELECT * FROM source` over a schemaless
	// source with no data to sample yet: its columns are those its
	// readers name, added (extendOpen) as each reader is planned.
	Open     bool
	openScan *Scan
	openProj *Project
	// rank is the plan's ROW_NUMBER(), and rankCol the result column
	// holding the number (-1: not selected as is): a query reading the
	// plan as a subquery and keeping rn <= N limits it.
	rank    *Rank
	rankCol int
}

// Build instantiates the physical DAG: fresh operators feeding sink. It
// returns the head operator, into which the source's rows are pushed.
//
// For a plan reading a named stream, the chain ends at the stream: the
// returned head is fed by the stream's plan (see Graph).
func (p *Plan) Build(sink operators.Operator) operators.Operator {
	return p.build(sink)[0].head
}

// edge is where rows enter a built chain: from the plan's source (up nil)
// or from the output of plan up.
type edge struct {
	up   *Plan
	head operators.Operator
}

// multiInput is a node reading several plans: its operator has one input
// per plan.
type multiInput interface {
	Node
	inputs() []*Plan
	operators(next operators.Operator) []operators.Operator
}

func (p *Plan) build(sink operators.Operator) []edge {
	op := sink
	for n := p.Root; n != nil; {
		if m, ok := n.(multiInput); ok {
			ops := m.operators(op)
			edges := make([]edge, len(ops))
			for i, in := range m.inputs() {
				edges[i] = edge{in, ops[i]}
			}
			return edges
		}
		op = n.operator(op)
		if s, ok := n.(*StreamScan); ok {
			return []edge{{s.Upstream, op}}
		}
		kids := n.Children()
		if len(kids) == 0 {
			break
		}
		n = kids[0]
	}
	return []edge{{nil, op}}
}

// Upstreams are the plans p reads: its named stream or subquery, or its
// Inputs.
func Upstreams(p *Plan) []*Plan {
	if len(p.Inputs) > 0 {
		return p.Inputs
	}
	if p.Upstream != nil {
		return []*Plan{p.Upstream}
	}
	return nil
}

// Explain prints the plan as a tree, result at the top, source at the
// bottom, as data flows upwards.
func (p *Plan) Explain() string { return p.ExplainShared(nil) }

// ExplainShared is Explain for a plan started together with others:
// readers[u] counts the queries reading named stream u, and a stream
// read by several says they share its receiver.
func (p *Plan) ExplainShared(readers map[*Plan]int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Result [%s]%s\n", strings.Join(p.Columns, ", "), p.edgeKind())
	explain(&b, p.Root, "", true, readers)
	return b.String()
}

// explain prints n and its inputs below it; the inputs of a join or a
// union hang from one line, the last one closing it.
func explain(b *strings.Builder, n Node, indent string, last bool, readers map[*Plan]int) {
	branch, more := "└─ ", "   "
	if !last {
		branch, more = "├─ ", "│  "
	}
	line := n.Describe()
	if s, ok := n.(*StreamScan); ok {
		if !s.Sub && readers[s.Upstream] > 1 {
			line = fmt.Sprintf("Stream %s (fan-out: one receiver shared by %d queries)", s.Name, readers[s.Upstream])
		}
		line += s.Upstream.edgeKind()
	}
	fmt.Fprintf(b, "%s%s%s\n", indent, branch, line)
	kids := n.Children()
	for i, k := range kids {
		explain(b, k, indent+more, i == len(kids)-1, readers)
	}
}

// edgeKind says, for EXPLAIN, what the plan's output edge carries when it
// is not an append-only stream (the default, unmarked): an updating table
// and the key its rows are updated by.
func (p *Plan) edgeKind() string {
	if !p.Updating {
		return ""
	}
	if len(p.Key) == 0 {
		return " updating"
	}
	return " updating by [" + strings.Join(p.Key, ", ") + "]"
}

// CountReaders adds to readers one for every plan p reads (named
// streams, subqueries, the inputs of joins and unions), each once.
func CountReaders(p *Plan, readers map[*Plan]int) {
	seen := map[*Plan]bool{}
	var count func(p *Plan)
	count = func(p *Plan) {
		for _, u := range Upstreams(p) {
			if !seen[u] {
				seen[u] = true
				readers[u]++
				count(u)
			}
		}
	}
	count(p)
}

type chain struct{ input Node }

func (c chain) Children() []Node {
	if c.input == nil {
		return nil
	}
	return []Node{c.input}
}

// Scan reads the source. It is the bottom of every plan: the scheduler,
// not an operator, pushes the source's rows into the DAG.
type Scan struct {
	chain
	Source  *sources.Call
	Columns []string
}

func (s *Scan) Describe() string {
	return fmt.Sprintf("Source %s columns=[%s]", s.Source.Describe(), strings.Join(s.Columns, ", "))
}
func (s *Scan) operator(next operators.Operator) operators.Operator { return next }

// StreamScan reads the rows a named stream or a subquery emits. Several queries reading
// the same stream share its plan and receiver (a fan-out in the DAG).
type StreamScan struct {
	Name     string
	Upstream *Plan
	Sub      bool // a subquery in FROM, Name its alias
}

func (s *StreamScan) Describe() string {
	if s.Sub {
		if s.Name == "" {
			return "Subquery"
		}
		return "Subquery AS " + s.Name
	}
	return "Stream " + s.Name
}

// Children descends into the stream's own plan so EXPLAIN shows the
// whole way from the source.
func (s *StreamScan) Children() []Node { return []Node{s.Upstream.Root} }
func (s *StreamScan) operator(next operators.Operator) operators.Operator {
	return next
}

// Unnest is the general flatMap: one row per element of an array
// expression, the element in a new column.
type Unnest struct {
	chain
	Expr parser.Expr
	As   string
	fn   expr.Func
}

func (u *Unnest) Describe() string { return fmt.Sprintf("FlatMap %s = UNNEST(%s)", u.As, u.Expr) }
func (u *Unnest) operator(next operators.Operator) operators.Operator {
	return &operators.Unnest{Expr: u.fn, Next: next}
}

// SplitWords is the word-count flatMap: one row per whitespace-separated
// word of a text column, in a new column.
type SplitWords struct {
	chain
	From, As string
	col      int
	wordOnly bool
}

func (s *SplitWords) Describe() string {
	return fmt.Sprintf("FlatMap %s = split(%s) (one row per word)", s.As, s.From)
}

// operator fuses the split with the aggregate above when only the words
// are read and the aggregate folds them (FoldWords), folding on two
// goroutines where there are two cores; otherwise it makes rows.
func (s *SplitWords) operator(next operators.Operator) operators.Operator {
	if f, ok := next.(operators.FoldingOperator); ok && s.wordOnly {
		_, forks := next.(operators.Forker)
		return &operators.FoldWords{Col: s.col, Next: f, Parallel: forks && runtime.GOMAXPROCS(0) >= 2}
	}
	return &operators.SplitWords{Col: s.col, WordOnly: s.wordOnly, Next: next}
}

// Filter keeps rows where Cond holds.
type Filter struct {
	chain
	Label string // WHERE or HAVING
	Cond  parser.Expr
	fn    expr.Func
}

func (f *Filter) Describe() string { return fmt.Sprintf("Filter %s %s", f.Label, f.Cond) }
func (f *Filter) operator(next operators.Operator) operators.Operator {
	return &operators.Filter{Pred: f.fn, Next: next}
}

// Aggregate groups rows by Keys and computes Aggs per group, per batch or
// per window.
type Aggregate struct {
	chain
	Keys []parser.Expr
	Aggs []*parser.Call
	Time TimeSpec
	// Changes is EMIT CHANGES: updated rows every batch.
	Changes bool
	keyFns  []expr.Func
	keyCols []int
	aggFns  []agg.Func
	timeFn  expr.Func
	inCols  []string // the names of the columns of the rows aggregated
	// retracting: the input is updating, so the aggregate takes deletions.
	retracting bool
	// ttl: an aggregate without a window forgets keys idle this long.
	ttl time.Duration
	// once: a bounded run, one batch; an aggregate without a window then
	// answers once, with no earlier rows to update, and folds like a
	// per-batch aggregate (on two goroutines for the word count).
	once bool
}

// WindowKind is the kind of window an aggregate groups rows into.
type WindowKind int

const (
	NoWindow  WindowKind = iota // no WINDOW: a table kept up to date over all input (an updating result)
	Fixed                       // tumbling or sliding
	Session                     // per key, closed by a gap
	Unbounded                   // running totals
)

// TimeSpec says how an aggregate groups rows in time.
type TimeSpec struct {
	Kind   WindowKind
	Window window.Spec // Fixed: length and slide; Session: Size is the gap
	// EventTime is the expression rows carry their time in; nil for
	// processing time.
	EventTime parser.Expr
	Lateness  time.Duration
	Timeout   time.Duration // Unbounded: forget keys idle this long
}

func (t TimeSpec) String() string {
	var w string
	switch t.Kind {
	case NoWindow:
		return "none"
	case Unbounded:
		w = "unbounded"
		if t.Timeout > 0 {
			w += ", keys idle " + parser.FormatDuration(t.Timeout) + " dropped"
		}
		return w
	case Session:
		w = "session gap " + parser.FormatDuration(t.Window.Size)
	default:
		if t.Window.Sliding() {
			w = fmt.Sprintf("sliding %s every %s, panes of %s", parser.FormatDuration(t.Window.Size),
				parser.FormatDuration(t.Window.Slide), parser.FormatDuration(t.Window.Pane()))
		} else {
			w = "tumbling " + parser.FormatDuration(t.Window.Size)
		}
	}
	if t.EventTime != nil {
		w += fmt.Sprintf(", event time %s, lateness %s", t.EventTime, parser.FormatDuration(t.Lateness))
	}
	return w
}

func (a *Aggregate) Describe() string {
	keys := make([]string, len(a.Keys))
	for i, k := range a.Keys {
		keys[i] = k.String()
	}
	aggs := make([]string, len(a.Aggs))
	for i, c := range a.Aggs {
		aggs[i] = c.String()
	}
	s := fmt.Sprintf("Aggregate keys=[%s] aggs=[%s] window=%s", strings.Join(keys, ", "), strings.Join(aggs, ", "), a.Time)
	if a.Changes {
		s += " emit=changes"
	}
	if a.Time.Kind == NoWindow {
		s += ", updating"
		if a.retracting {
			s += ", takes deletions"
		}
		if a.ttl > 0 && !a.once {
			s += ", keys idle " + parser.FormatDuration(a.ttl) + " deleted"
		}
	}
	return s
}

func (a *Aggregate) operator(next operators.Operator) operators.Operator {
	g := operators.Grouping{Keys: a.keyFns, Cols: a.keyCols, Aggs: a.aggFns}
	var event *operators.EventWatermark
	if a.timeFn != nil {
		event = &operators.EventWatermark{Time: a.timeFn, Lateness: a.Time.Lateness, Expr: a.Time.EventTime.String(), Columns: a.inCols}
	}
	switch a.Time.Kind {
	case Unbounded:
		return &operators.Running{Grouping: g, Timeout: a.Time.Timeout, Next: next}
	case Session:
		return &operators.Session{Grouping: g, Gap: a.Time.Window.Size, Event: event, Changes: a.Changes, Next: next}
	case Fixed:
		if event != nil {
			return &operators.EventWindow{Grouping: g, EventWatermark: *event, Window: a.Time.Window, Changes: a.Changes, Next: next}
		}
		return &operators.Aggregate{Grouping: g, Window: a.Time.Window, Changes: a.Changes, Next: next}
	}
	if a.once && !a.retracting {
		return &operators.Aggregate{Grouping: g, Next: next}
	}
	return &operators.Updating{Grouping: g, Retracting: a.retracting, TTL: a.ttl, Next: next}
}

// Project computes the result columns (and any hidden sort columns).
type Project struct {
	chain
	Exprs  []string
	Hidden int
	fns    []expr.Func
	keys   []string // result columns that are group keys or window bounds
}

func (p *Project) Describe() string {
	s := "Project " + strings.Join(p.Exprs[:len(p.Exprs)-p.Hidden], ", ")
	if p.Hidden > 0 {
		s += fmt.Sprintf(" (+%d hidden for ORDER BY)", p.Hidden)
	}
	return s
}
func (p *Project) operator(next operators.Operator) operators.Operator {
	return &operators.Project{Exprs: p.fns, Reuse: ownsRows(p.input), Next: next}
}

// ownsRows reports whether the rows n emits are made fresh for its one
// consumer: an aggregate's results, possibly filtered by HAVING.
func ownsRows(n Node) bool {
	for {
		switch x := n.(type) {
		case *Filter:
			n = x.input
		case *Aggregate:
			return true
		default:
			return false
		}
	}
}

// Distinct drops duplicate result rows within an emission.
type Distinct struct {
	chain
	// updating: the distinct rows of an updating table, kept up to date.
	updating bool
}

func (d *Distinct) Describe() string {
	if d.updating {
		return "Distinct (of the table, kept up to date)"
	}
	return "Distinct"
}
func (d *Distinct) operator(next operators.Operator) operators.Operator {
	if d.updating {
		return &operators.DistinctTable{Next: next}
	}
	return &operators.Distinct{Next: next}
}

// Order sorts and limits each emission.
type Order struct {
	chain
	Items []*parser.OrderItem
	Limit int64
	keys  []operators.SortKey
	// updating: the input is an updating table, and the result is its
	// first rows in order, kept up to date (a top-N).
	updating bool
}

func (o *Order) Describe() string {
	var parts []string
	if len(o.Items) > 0 {
		items := make([]string, len(o.Items))
		for i, it := range o.Items {
			items[i] = it.String()
		}
		parts = append(parts, "Sort "+strings.Join(items, ", "))
	}
	if o.Limit >= 0 {
		parts = append(parts, fmt.Sprintf("Limit %d", o.Limit))
	}
	if o.updating && o.Limit >= 0 {
		return strings.Join(parts, " ") + " (of the table, kept up to date)"
	}
	return strings.Join(parts, " ") + " (per emission)"
}
func (o *Order) operator(next operators.Operator) operators.Operator {
	if o.updating && o.Limit >= 0 {
		return &operators.TopN{Order: operators.Order{Keys: o.keys, Limit: o.Limit, Next: next}}
	}
	return &operators.Order{Keys: o.keys, Limit: o.Limit, Next: next}
}

// extendOpen adds to the open plan up the columns names that it does not
// have yet: its source binds them and its rows carry them, after the
// columns it had (so what earlier readers compiled stays right).
func extendOpen(up *Plan, names []string) error {
	if !up.Open {
		return nil
	}
	changed := false
	for _, n := range names {
		if slices.ContainsFunc(up.Columns, func(c string) bool { return strings.EqualFold(c, n) }) {
			continue
		}
		up.Columns = append(up.Columns, n)
		up.Kinds = append(up.Kinds, types.KindNull)
		up.openScan.Columns = append(up.openScan.Columns, n)
		up.openProj.fns = append(up.openProj.fns, expr.Column(len(up.openProj.fns)))
		up.openProj.Exprs = append(up.openProj.Exprs, n)
		changed = true
	}
	if !changed {
		return nil
	}
	return up.openScan.Source.Extend(up.Columns)
}
