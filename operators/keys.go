package operators

// KeyHolder is an operator whose state grows with the keys (or rows) it
// is given: groups per pane, the groups of the open batch, sessions,
// running keys, a DISTINCT's rows of the batch, the rows a stream–stream
// join keeps. The scheduler asks it, between two chunks of input, how
// many it holds, so a query over the state limit (--max-keys) stops as
// its state grows rather than after a batch.
//
// HeldKeys is called on the query's goroutine, between Push calls; it is
// cheap (no walk over the state), so asking after every chunk costs
// nothing per row.
type KeyHolder interface {
	HeldKeys() int64
}

// StateDescriber is a KeyHolder that can say what its state is made of
// and why it is kept, for the state limit's error.
type StateDescriber interface {
	DescribeState() string
}

// Warner is an operator that warns at run time, through the function the
// scheduler gives it, when its state keeps growing (a join of two streams
// whose side is held back), at the count SetWarnRows gives.
type Warner interface {
	SetLogf(fn func(format string, args ...any))
	SetWarnRows(n int64)
}

// Settler is an operator that keeps partial state on the side while a
// batch is open (a word count folding on a helper goroutine). Settle
// merges it into the state proper, so HeldKeys counts each key once; the
// scheduler calls it when the count it has seen is over the limit,
// before it decides.
type Settler interface {
	Settle()
}

// KeyHolders returns the operators reachable from heads that hold keys,
// and those that settle side state, each once (see Visit).
func KeyHolders(heads []Operator) ([]KeyHolder, []Settler) {
	var hs []KeyHolder
	var ss []Settler
	Visit(heads, func(op any) {
		if h, ok := op.(KeyHolder); ok {
			hs = append(hs, h)
		}
		if s, ok := op.(Settler); ok {
			ss = append(ss, s)
		}
	})
	return hs, ss
}

// HeldKeys is the groups of the panes after the last batch, of the open
// batch, and of the partial tables being folded on helper goroutines. A
// key of the open batch is counted even when the pane it will merge into
// holds it already (a window longer than the batch): until the batch
// closes, it is a group of its own.
func (a *Aggregate) HeldKeys() int64 {
	n := a.held
	if a.batch != nil {
		n += int64(a.batch.Len())
	}
	for _, t := range a.parts {
		n += int64(t.Len())
	}
	for _, p := range a.forks {
		n += p.n.Load()
	}
	return n
}

// HeldKeys is the running keys, new ones of the open batch included.
func (r *Running) HeldKeys() int64 {
	if r.table == nil {
		return 0
	}
	return int64(r.table.Len())
}

// HeldKeys is the keys of the table, new ones of the open batch included.
func (u *Updating) HeldKeys() int64 {
	if u.table == nil {
		return 0
	}
	return int64(u.table.Len())
}

// HeldKeys is the groups of the open panes.
func (e *EventWindow) HeldKeys() int64 { return e.held }

// HeldKeys is the open sessions, and in processing time the keys of the
// open batch not placed in a session yet.
func (s *Session) HeldKeys() int64 {
	n := s.open
	if s.staged != nil {
		n += int64(s.staged.Len())
	}
	return n
}

// HeldKeys is the distinct rows of the open batch.
func (d *Distinct) HeldKeys() int64 { return int64(len(d.seen)) }

// HeldKeys is the rows both sides keep, and those of the open batch
// waiting to be joined when it closes.
func (j *IntervalJoin) HeldKeys() int64 {
	return int64(len(j.sides[0].order) + len(j.sides[1].order) + len(j.pending))
}
