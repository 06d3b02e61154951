package operators

import (
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/streamsql/streamsql/eventtime"
	"github.com/streamsql/streamsql/expr"
	"github.com/streamsql/streamsql/types"
)

// IntervalJoin joins two streams in a time bound (`a JOIN b WITHIN 10s ON
// a.id = b.id`): a left and a right row pair when their keys are equal
// (never when NULL), Cond holds on the joined row, and their times differ
// by at most Within. With Left, a left row that found no partner is
// emitted once, followed by NULLs, when no partner can come any more.
//
// In event time (LeftTime and RightTime set) each side has a watermark,
// the largest time seen on it minus Lateness, and the join's is the
// smaller of the two (Flink's rule for operators with two inputs), so
// how the two streams' rows interleave does not make rows late: one side
// read far ahead waits for the other. It moves row by row in arrival
// order. A row whose whole interval [t-Within, t+Within] is behind the
// watermark is late: dropped and counted (as a window that has closed).
// Every other row can still meet any partner that is not late, so each
// side keeps its rows until the watermark passes t + 2*Within; that is
// also when an unmatched left row is emitted with NULLs. A side that
// sends nothing for a whole batch and for longer than Lateness is idle,
// and its time is taken to move on with the wall clock from the largest
// time it sent (the windows' rule); a side that has sent nothing at all
// and is idle is left out. A batch in which an operator upstream of a
// side holds rows it will push later (BatchEnd.Pending: the side is a
// derived stream whose windows have not closed yet) is not quiet for that
// side: it has not produced yet because its upstream still works, and
// taking it as idle would move the watermark past the rows it will send.
// The watermark never moves back.
//
// With Whole (a bounded run, where the whole input is one batch and the
// two inputs arrive in no defined order relative to each other), rows
// are held until the batch closes and joined in event-time order, so
// none is late and the result does not depend on that order.
//
// In processing time a row's time is the time of the batch it arrived in:
// rows pair when their batches are at most Within apart, and a row is
// kept (and a left row's NULLs wait) until the batch time passes t +
// Within. Rows are joined when their batch closes.
//
// Input(0) is the left side, Input(1) the right.
type IntervalJoin struct {
	LeftKeys, RightKeys   JoinKeys
	Cond                  expr.Func // the whole ON condition over left ++ right
	LeftWidth, RightWidth int
	Within                time.Duration
	Left                  bool
	LeftTime, RightTime   expr.Func // nil in processing time
	Lateness              time.Duration
	Whole                 bool
	Next                  Operator
	// TimeExprs are the EVENT TIME expressions of the two sides as
	// written and Columns the names of each side's columns: they
	// describe a row without a usable event time in its report.
	TimeExprs [2]string
	Columns   [2][]string
	// Names name the two sides (their aliases) in the state warning and
	// the state limit's error.
	Names [2]string
	// WarnRows is how many rows one side may keep before the join warns,
	// once, through Logf that its state keeps growing; 0: JoinWarnRows.
	WarnRows int64
	// Logf receives that warning (see SetLogf).
	Logf   func(format string, args ...any)
	warned [2]bool

	in      inputs
	sides   [2]joinSide
	ev      eventtime.Sides  // the event time of the two sides
	pending []pendingJoinRow // processing time: the open batch's rows
	late    int64
	bad     int64
	readers [2]expr.TimeReader // event times of each side
	rejects [2]func(where, reason string, record []byte)
	out     []types.Row
	arena   []types.Value
	key     []byte
}

type joinSide struct {
	byKey map[string][]*joinEntry
	order []*joinEntry // in arrival order, for eviction and output order
}

type joinEntry struct {
	row     types.Row
	t       int64
	key     string
	nullKey bool
	matched bool
}

type pendingJoinRow struct {
	side int
	row  types.Row
	t    int64 // event time (Whole)
}

// Input returns the operator side 0 (left) or 1 (right) pushes into.
func (j *IntervalJoin) Input(side int) Operator {
	if j.in.n == 0 {
		j.in.n = 2
	}
	return joinInput{j, side}
}

type joinInput struct {
	j    *IntervalJoin
	side int
}

func (i joinInput) Push(rows []types.Row) error { return i.j.push(i.side, rows) }

// SetReject makes the side report each row it drops for want of a usable
// event time to fn, besides counting it (see Rejecter).
func (i joinInput) SetReject(fn func(where, reason string, record []byte)) { i.j.rejects[i.side] = fn }
func (i joinInput) EndBatch(b *BatchEnd) error {
	i.j.ev.SetPending(i.side, b.Pending)
	if !i.j.in.arrive(b) {
		return nil
	}
	m := i.j.in.merged
	return i.j.endBatch(&m)
}

func (j *IntervalJoin) eventTime() bool { return j.LeftTime != nil }

// mark is the event-time watermark (see eventtime.Sides).
func (j *IntervalJoin) mark() int64 {
	j.ev.Lateness = j.Lateness
	return j.ev.Mark()
}

func (j *IntervalJoin) push(side int, rows []types.Row) error {
	if !j.eventTime() {
		for _, r := range rows {
			j.pending = append(j.pending, pendingJoinRow{side: side, row: r})
		}
		return nil
	}
	timeFn := j.LeftTime
	if side == 1 {
		timeFn = j.RightTime
	}
	if len(rows) > 0 {
		j.ev.Arrive(side)
	}
	for _, r := range rows {
		t, err := j.readers[side].Read(timeFn(r))
		if err != nil {
			j.bad++
			if fn := j.rejects[side]; fn != nil {
				fn("EVENT TIME "+j.TimeExprs[side], err.Error(), RowJSON(j.Columns[side], r))
			}
			continue
		}
		if j.Whole {
			j.pending = append(j.pending, pendingJoinRow{side, r, t})
			continue
		}
		if w := j.mark(); w != math.MinInt64 && t+int64(j.Within) < w {
			j.late++
			continue
		}
		j.ev.Observe(side, t)
		j.add(side, r, t)
	}
	j.warnState(side)
	return j.flush()
}

func (j *IntervalJoin) flush() error {
	if len(j.out) == 0 {
		return nil
	}
	out := j.out
	j.out = nil
	return j.Next.Push(out)
}

// add pairs r with the other side's rows and keeps it.
func (j *IntervalJoin) add(side int, r types.Row, t int64) {
	e := &joinEntry{row: r, t: t}
	keys := j.LeftKeys
	if side == 1 {
		keys = j.RightKeys
	}
	k, ok := keys.appendKey(j.key[:0], r)
	j.key = k
	s := &j.sides[side]
	if !ok {
		if side == 0 && j.Left {
			e.nullKey = true // never matches; waits for its NULLs
			s.order = append(s.order, e)
		}
		return
	}
	e.key = string(k)
	within := int64(j.Within)
	for _, o := range j.sides[1-side].byKey[e.key] {
		if d := t - o.t; d > within || d < -within {
			continue
		}
		l, rt := e, o
		if side == 1 {
			l, rt = o, e
		}
		prev := j.arena
		row := joinRow(&j.arena, l.row, rt.row, j.RightWidth)
		if expr.TruthOf(j.Cond(row)) != expr.True {
			j.arena = prev
			continue
		}
		j.out = append(j.out, row)
		l.matched, rt.matched = true, true
	}
	if s.byKey == nil {
		s.byKey = map[string][]*joinEntry{}
	}
	s.byKey[e.key] = append(s.byKey[e.key], e)
	s.order = append(s.order, e)
}

func (j *IntervalJoin) endBatch(b *BatchEnd) error {
	var horizon int64 // rows with t below it are dropped
	if j.Whole && j.eventTime() {
		sort.SliceStable(j.pending, func(a, b int) bool { return j.pending[a].t < j.pending[b].t })
		for _, p := range j.pending {
			j.add(p.side, p.row, p.t)
		}
		j.pending = j.pending[:0]
	}
	if j.eventTime() {
		j.ev.Lateness = j.Lateness
		horizon = eventtime.SatSub(j.ev.EndBatch(b.Time.Sub(b.Start)), 2*int64(j.Within))
	} else {
		now := b.Time.UnixNano()
		for _, p := range j.pending {
			j.add(p.side, p.row, now)
		}
		j.pending = j.pending[:0]
		horizon = now - int64(j.Within)
	}
	if b.Final {
		horizon = math.MaxInt64
	}
	for side := range j.sides {
		j.evict(side, horizon)
		j.warnState(side)
	}
	b.Late += j.late
	b.Malformed += j.bad
	j.late, j.bad = 0, 0
	b.StateKeys += int64(len(j.sides[0].order) + len(j.sides[1].order))
	if err := j.flush(); err != nil {
		return err
	}
	return j.Next.EndBatch(b)
}

// evict drops a side's rows older than horizon, emitting unmatched left
// rows with NULLs for a LEFT join.
func (j *IntervalJoin) evict(side int, horizon int64) {
	s := &j.sides[side]
	kept := s.order[:0]
	for _, e := range s.order {
		if e.t >= horizon {
			kept = append(kept, e)
			continue
		}
		if side == 0 && j.Left && !e.matched {
			j.out = append(j.out, joinRow(&j.arena, e.row, nil, j.RightWidth))
		}
		if e.nullKey {
			continue
		}
		bucket := s.byKey[e.key]
		for i, o := range bucket {
			if o == e {
				bucket = append(bucket[:i], bucket[i+1:]...)
				break
			}
		}
		if len(bucket) == 0 {
			delete(s.byKey, e.key)
		} else {
			s.byKey[e.key] = bucket
		}
	}
	clear(s.order[len(kept):])
	s.order = kept
}

// JoinWarnRows is how many rows one side of a join of two streams keeps
// before the join warns that its state keeps growing (IntervalJoin.WarnRows).
const JoinWarnRows = 1_000_000

// SetLogf sets where the join's state warning goes.
func (j *IntervalJoin) SetLogf(fn func(format string, args ...any)) { j.Logf = fn }

// SetWarnRows sets how many rows a side keeps before the join warns.
func (j *IntervalJoin) SetWarnRows(n int64) { j.WarnRows = n }

// sideName names side s of the join for a message.
func (j *IntervalJoin) sideName(s int) string {
	which := [2]string{"left", "right"}[s]
	if j.Names[s] != "" {
		return fmt.Sprintf("%s side (%s)", which, j.Names[s])
	}
	return which + " side"
}

// warnState warns, once per side, when a side keeps more rows than
// WarnRows: the join's state is growing, and why it is kept is said.
func (j *IntervalJoin) warnState(side int) {
	limit := j.WarnRows
	if limit <= 0 {
		limit = JoinWarnRows
	}
	n := int64(len(j.sides[side].order))
	if j.warned[side] || n <= limit || j.Logf == nil {
		return
	}
	j.warned[side] = true
	j.Logf("warning: unbounded state: the join of two streams keeps %d rows of its %s%s; cap the state with --max-keys",
		n, j.sideName(side), j.why())
}

// why says what keeps the join's rows: in event time, the side holding
// the watermark back.
func (j *IntervalJoin) why() string {
	if !j.eventTime() || j.Whole {
		return ""
	}
	held, at := j.ev.Holding()
	within := 2 * j.Within
	if held < 0 {
		return fmt.Sprintf(": rows are kept until the join's watermark passes their time + %s", within)
	}
	return fmt.Sprintf(": rows are kept until the join's watermark passes their time + %s, and the %s holds the watermark back (its latest event time is %s)",
		within, j.sideName(held), time.Unix(0, at).UTC().Format(time.RFC3339Nano))
}

// DescribeState says how many rows each side keeps, and why, for the
// state limit's error.
func (j *IntervalJoin) DescribeState() string {
	return fmt.Sprintf("the join of two streams keeps %d rows of its %s and %d of its %s%s",
		len(j.sides[0].order)+j.pendingOf(0), j.sideName(0), len(j.sides[1].order)+j.pendingOf(1), j.sideName(1), j.why())
}

// pendingOf is how many rows of side s wait for the batch to close.
func (j *IntervalJoin) pendingOf(s int) int {
	n := 0
	for _, p := range j.pending {
		if p.side == s {
			n++
		}
	}
	return n
}
