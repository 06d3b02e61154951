package streamsql

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/streamsql/streamsql/parser"
	"github.com/streamsql/streamsql/planner"
	"github.com/streamsql/streamsql/types"
)

// A materialized view is a query whose result the engine keeps, so that
// it can be read at once (a pull query: SELECT ... FROM v) and followed
// (SUBSCRIBE TO v). Its query runs like an INSERT INTO whose sink is the
// view: every result is applied to the view's table under its lock, and
// handed to each subscriber as changes. An updating query (an aggregate
// without WINDOW) keeps its whole table; an append-only one (windows)
// keeps its last `windows` emissions (one by default: the last window).

// ErrViewExists is the class of the error CREATE MATERIALIZED VIEW gives
// for a name a view or stream already has.
var ErrViewExists = errors.New("view exists")

// ErrSubscriberBehind ends a subscription whose reader stopped taking
// changes: the view never waits for a subscriber.
var ErrSubscriberBehind = errors.New("subscriber fell behind: more than 1024 batches of changes unread")

// subscriberBuffer is how many batches of changes a subscriber may leave
// unread before it is dropped.
const subscriberBuffer = 1024

// view is a materialized view: its definition and the table it keeps.
type view struct {
	name    string
	def     *parser.CreateView
	columns []string
	kinds   []types.Kind
	key     []int // positions of the key columns; nil: rows have no key
	windows int   // append-only queries: emissions kept

	mu      sync.RWMutex
	table   *viewTable
	recent  [][]types.Row // append-only: the emissions kept, oldest first
	updated time.Time     // batch time of the last change
	batches int64         // results applied
	q       *Query        // nil until started
	subs    map[*Subscription]struct{}
	dropped bool

	updating bool       // the query's result is an updating table
	dir      string     // checkpoint directory, "" when not checkpointing
	store    *viewStore // its files there
	restored bool       // started by RestoreViews
}

func (v *view) isUpdating() bool { return v.updating }

// ViewInfo describes a materialized view, for SHOW VIEWS and catalogs.
type ViewInfo struct {
	Name       string
	Definition string // the CREATE MATERIALIZED VIEW statement
	Columns    []types.Column
	Key        []string // the columns a point lookup uses; nil when rows have no key
	Rows       int
	Updated    time.Time // batch time of the last change; zero before the first
	QueryID    int       // the query maintaining it; 0 before it starts
	Err        error     // why that query ended, when it failed
	// Subscribers counts the SUBSCRIBE TO this view running now.
	Subscribers int
}

func (e *Engine) lookupView(name string) *view {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.views[strings.ToLower(name)]
}

// Views describes the materialized views, sorted by name.
func (e *Engine) Views() []ViewInfo {
	e.mu.Lock()
	vs := make([]*view, 0, len(e.views))
	for _, v := range e.views {
		vs = append(vs, v)
	}
	e.mu.Unlock()
	sort.Slice(vs, func(i, j int) bool { return vs[i].name < vs[j].name })
	out := make([]ViewInfo, len(vs))
	for i, v := range vs {
		out[i] = v.info()
	}
	return out
}

// View describes one materialized view.
func (e *Engine) View(name string) (ViewInfo, bool) {
	v := e.lookupView(name)
	if v == nil {
		return ViewInfo{}, false
	}
	return v.info(), true
}

func (v *view) info() ViewInfo {
	v.mu.RLock()
	defer v.mu.RUnlock()
	info := ViewInfo{Name: v.name, Definition: v.def.String(), Rows: len(v.table.rows), Updated: v.updated, Subscribers: len(v.subs)}
	for i, c := range v.columns {
		info.Columns = append(info.Columns, types.Column{Name: c, Type: v.kinds[i]})
	}
	if v.key != nil {
		info.Key = []string{}
		for _, k := range v.key {
			info.Key = append(info.Key, v.columns[k])
		}
	}
	if v.q != nil {
		info.QueryID = v.q.ID
		if isClosedChan(v.q.drained) {
			info.Err = v.q.Wait()
		}
	}
	return info
}

func isClosedChan(c chan struct{}) bool {
	if c == nil {
		return false
	}
	select {
	case <-c:
		return true
	default:
		return false
	}
}

// prepareView plans CREATE MATERIALIZED VIEW and registers the view, so
// later statements of the script can read it; its query starts with
// Start.
func (e *Engine) prepareView(st *parser.CreateView, text string, c *catalog, s *Statement) error {
	windows := 1
	for _, o := range st.Options {
		lit, ok := o.Value.(*parser.Literal)
		if !strings.EqualFold(o.Name, "windows") || !ok || lit.Value.Kind() != types.KindInt || lit.Value.AsInt() < 1 {
			return &parser.Error{Pos: o.Pos, Msg: fmt.Sprintf("unknown view option %s = %s; a view takes WITH (windows = N), N >= 1: the windows an append-only view keeps", o.Name, o.Value), Query: text, Err: planner.ErrUnsupported}
		}
		windows = int(lit.Value.AsInt())
	}
	if old := e.lookupView(st.Name); old != nil && sameView(old, st) {
		s.Kind, s.view, s.resumed = KindCreateView, old, true
		s.Output = fmt.Sprintf("materialized view %s resumed from its checkpoint\n", old.name)
		return nil
	}
	if err := e.nameFree(st.Name, st.Pos, text); err != nil {
		return err
	}
	plan, err := planner.PlanSelect(st.Query, text, c.opts)
	if err != nil {
		return err
	}
	v := &view{name: st.Name, def: st, columns: plan.Columns, kinds: plan.Kinds, windows: windows, updating: plan.Updating,
		key: types.KeyColumns(plan.Columns, plan.Key), subs: map[*Subscription]struct{}{}}
	v.table = newViewTable(v.key)
	e.mu.Lock()
	e.views[strings.ToLower(st.Name)] = v
	e.mu.Unlock()
	s.Kind, s.plan, s.view = KindCreateView, plan, v
	s.Output = fmt.Sprintf("materialized view %s created (%s)\n", st.Name, strings.Join(plan.Columns, ", "))
	return nil
}

// nameFree refuses a name a stream or a view already has: FROM name reads
// either.
func (e *Engine) nameFree(name string, pos parser.Pos, text string) error {
	key := strings.ToLower(name)
	e.mu.Lock()
	_, isStream := e.streams[key]
	_, isView := e.views[key]
	e.mu.Unlock()
	switch {
	case isStream:
		return &parser.Error{Pos: pos, Msg: fmt.Sprintf("stream %q already exists; DROP STREAM %s first", name, name), Query: text, Err: ErrStreamExists}
	case isView:
		return &parser.Error{Pos: pos, Msg: fmt.Sprintf("materialized view %q already exists; DROP MATERIALIZED VIEW %s first", name, name), Query: text, Err: ErrViewExists}
	}
	return nil
}

// dropView stops the view's query and forgets the view; its subscribers
// end.
func (e *Engine) dropView(st *parser.DropView, text string) (string, error) {
	key := strings.ToLower(st.Name)
	e.mu.Lock()
	v, ok := e.views[key]
	delete(e.views, key)
	e.mu.Unlock()
	if !ok {
		if st.IfExists {
			return fmt.Sprintf("materialized view %s does not exist; nothing dropped\n", st.Name), nil
		}
		msg := fmt.Sprintf("materialized view %q does not exist", st.Name)
		if names := e.viewNames(); len(names) > 0 {
			msg += " (views: " + strings.Join(names, ", ") + ")"
		}
		return "", &parser.Error{Pos: st.Pos, Msg: msg, Query: text, Err: planner.ErrSourceNotFound}
	}
	v.mu.Lock()
	v.dropped = true
	q := v.q
	dir := v.dir
	for sub := range v.subs {
		sub.end(fmt.Errorf("materialized view %s was dropped", v.name))
	}
	clear(v.subs)
	v.mu.Unlock()
	if q != nil {
		q.Stop()
		q.Wait()
	}
	if dir != "" {
		v.closeStore()
		files := viewFiles(dir, v.name)
		for _, f := range []string{files.snap, files.log, viewCheckpoint(dir, v.name)} {
			os.Remove(f)
		}
		if err := e.saveCatalog(dir); err != nil {
			return "", err
		}
	}
	return fmt.Sprintf("materialized view %s dropped\n", st.Name), nil
}

func (e *Engine) viewNames() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []string
	for _, v := range e.views {
		out = append(out, v.name)
	}
	sort.Strings(out)
	return out
}

func (e *Engine) showViews() string {
	vs := e.Views()
	if len(vs) == 0 {
		return "no materialized views (define one with CREATE MATERIALIZED VIEW name AS SELECT ...)\n"
	}
	var b strings.Builder
	for _, v := range vs {
		fmt.Fprintf(&b, "%s (%d rows): %s\n", v.Name, v.Rows, v.Definition)
	}
	return b.String()
}

// Write applies one result of the view's query: the view is the query's
// sink. A checkpointing view saves the change before it returns (and so
// before the result is acknowledged).
func (v *view) Write(_ context.Context, r *types.Result) error {
	if !r.Emitted {
		return nil
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.store != nil && !v.updated.IsZero() && !r.Time.After(v.updated) {
		return nil // delivered again by a query resumed from its checkpoint: applied before
	}
	change := r
	if !r.Updating {
		// An append-only query's emission replaces the oldest one kept.
		change = &types.Result{Updating: true, Rows: r.Rows}
		if len(v.recent) >= v.windows {
			change.Deletes = v.recent[0]
			v.recent = v.recent[1:]
		}
		v.recent = append(v.recent, r.Rows)
	}
	changes := &Changes{Time: r.Time, Changes: v.applyLocked(change, r.Time, len(v.subs) > 0)}
	if v.store != nil {
		if err := v.persist(change, r.Time); err != nil {
			return err
		}
	}
	if len(changes.Changes) > 0 {
		for sub := range v.subs {
			sub.send(changes)
		}
	}
	return nil
}

// applyLocked applies an updating change to the table; with changes set
// it returns the changelog.
func (v *view) applyLocked(change *types.Result, t time.Time, changes bool) []types.Change {
	out := v.table.apply(change.Deletes, change.Rows, changes)
	v.updated = t
	v.batches++
	return out
}

// Close is the end of the view's query: the table stays readable.
func (v *view) Close() error { return nil }

// snapshot copies the view's rows; with lookup set (a value for every key
// column, in key order) only the rows with that key.
func (v *view) snapshot(lookup []types.Value) []types.Row {
	if lookup != nil {
		var buf []byte
		for _, val := range lookup {
			buf = types.AppendKey(buf, val)
		}
		v.mu.RLock()
		defer v.mu.RUnlock()
		return v.table.lookup(buf, nil)
	}
	v.mu.RLock()
	defer v.mu.RUnlock()
	return slices.Clone(v.table.rows)
}

// Changes is one batch of changes to a subscribed view or query.
type Changes struct {
	Time    time.Time // the batch time; zero for a view's rows when subscribing
	Changes []types.Change
}

// Subscription delivers a view's (or a query's) rows, then each batch of
// changes, on C until Close or until the view or query ends; Err then
// says why it ended (nil: closed, or the query's input ended).
type Subscription struct {
	Columns []string
	Kinds   []types.Kind
	C       <-chan *Changes

	c     chan *Changes
	mu    sync.Mutex
	err   error
	ended bool
	stop  func() // stops what feeds it
	quit  chan struct{}
	once  sync.Once
}

func newSubscription(cols []string, kinds []types.Kind) *Subscription {
	c := make(chan *Changes, subscriberBuffer)
	return &Subscription{Columns: cols, Kinds: kinds, C: c, c: c, quit: make(chan struct{})}
}

// send hands over a batch of changes, never waiting: a subscriber whose
// buffer is full is ended with ErrSubscriberBehind.
func (s *Subscription) send(ch *Changes) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ended {
		return
	}
	select {
	case s.c <- ch:
	default:
		s.endLocked(ErrSubscriberBehind)
	}
}

func (s *Subscription) end(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.endLocked(err)
}

func (s *Subscription) endLocked(err error) {
	if s.ended {
		return
	}
	s.ended, s.err = true, err
	close(s.c)
}

// Err is why the subscription ended; nil while it runs or when it was
// closed or its input ended.
func (s *Subscription) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// Close ends the subscription (and the query of a SUBSCRIBE TO (SELECT
// ...)).
func (s *Subscription) Close() {
	s.once.Do(func() {
		close(s.quit)
		if s.stop != nil {
			s.stop()
		}
	})
}

// subscribeView subscribes to a view: its current rows as inserts first.
func (e *Engine) subscribeView(v *view) *Subscription {
	sub := newSubscription(v.columns, v.kinds)
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.dropped {
		sub.endLocked(fmt.Errorf("materialized view %s was dropped", v.name))
		return sub
	}
	rows := v.table.rows
	first := &Changes{Time: v.updated, Changes: make([]types.Change, len(rows))}
	for i, r := range rows {
		first.Changes[i] = types.Change{Op: types.OpInsert, Row: r}
	}
	sub.c <- first
	v.subs[sub] = struct{}{}
	sub.stop = func() {
		v.mu.Lock()
		delete(v.subs, sub)
		v.mu.Unlock()
		sub.end(nil)
	}
	return sub
}

// Subscribe runs a SUBSCRIBE statement: for a view, its rows then its
// changes; for a query (SUBSCRIBE TO (SELECT ...), or a SELECT), the
// query is started and each of its results is delivered as changes
// (Close stops it).
func (s *Statement) Subscribe(ctx context.Context) (*Subscription, error) {
	if s.Kind != KindSubscribe && s.Kind != KindQuery {
		return nil, fmt.Errorf("streamsql: Subscribe takes a SUBSCRIBE statement or a SELECT, not %s", s.Text)
	}
	if s.subView != nil {
		return s.eng.subscribeView(s.subView), nil
	}
	kind := s.Kind
	s.Kind = KindQuery // started as the query it is
	qs, err := s.eng.Start(ctx, []*Statement{s})
	s.Kind = kind
	if err != nil {
		return nil, err
	}
	q := qs[0]
	sub := newSubscription(q.Columns, s.plan.Kinds)
	sub.stop = q.Stop
	go func() {
		key := types.KeyColumns(q.Columns, q.Key)
		for res := range q.Results() {
			if res.Emitted && (len(res.Rows) > 0 || len(res.Deletes) > 0) {
				select {
				case sub.c <- &Changes{Time: res.Time, Changes: types.Changelog(res, key)}: // the query waits for its subscriber
				case <-sub.quit:
				}
			}
			q.Ack(res, nil)
		}
		sub.end(q.Wait())
	}()
	return sub, nil
}

// Kinds are the types of the result columns of a query, pull query or
// SUBSCRIBE (KindNull: known only at run time); nil for other
// statements.
func (s *Statement) Kinds() []types.Kind {
	if s.subView != nil {
		return s.subView.kinds
	}
	if s.plan == nil {
		return nil
	}
	return s.plan.Kinds
}

// ResultColumns are the names of the columns Pull, Start or Subscribe
// deliver (without the op of SUBSCRIBE).
func (s *Statement) ResultColumns() []string {
	if s.subView != nil {
		return s.subView.columns
	}
	return s.Columns()
}

// Updating says the query's result is a table that keeps changing.
func (s *Statement) Updating() bool {
	return s.subView != nil || (s.plan != nil && s.plan.Updating)
}

func equalRows(a, b types.Row) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !types.Equal(a[i], b[i]) || a[i].Kind() != b[i].Kind() {
			return false
		}
	}
	return true
}

func (v *view) isDropped() bool {
	v.mu.RLock()
	defer v.mu.RUnlock()
	return v.dropped
}
