package operators

import (
	"bytes"
	"encoding/gob"
	"fmt"
	"time"

	"github.com/streamsql/streamsql/eventtime"
	"github.com/streamsql/streamsql/window"
)

// Stateful is implemented by operators that hold state from one batch to
// the next (window panes, sessions, running aggregates, the watermark). A
// checkpoint saves it between batches: Snapshot is only called after
// EndBatch, when no batch is open, so per-batch buffers are empty and not
// part of it. Restore is called on a freshly built operator before its
// first row.
type Stateful interface {
	Snapshot() ([]byte, error)
	Restore([]byte) error
}

// SnapshotAll returns the state of every stateful operator of the DAG, in
// Walk order.
func SnapshotAll(head Operator) ([][]byte, error) {
	var out [][]byte
	err := Walk(head, func(op Operator) error {
		s, ok := op.(Stateful)
		if !ok {
			return nil
		}
		b, err := s.Snapshot()
		if err != nil {
			return fmt.Errorf("%T: %w", op, err)
		}
		out = append(out, b)
		return nil
	})
	return out, err
}

// RestoreAll gives the stateful operators of a freshly built DAG the states
// SnapshotAll returned for the same plan.
func RestoreAll(head Operator, states [][]byte) error {
	i := 0
	err := Walk(head, func(op Operator) error {
		s, ok := op.(Stateful)
		if !ok {
			return nil
		}
		if i >= len(states) {
			return fmt.Errorf("checkpoint holds %d operator states; the query has more", len(states))
		}
		if err := s.Restore(states[i]); err != nil {
			return fmt.Errorf("%T: %w", op, err)
		}
		i++
		return nil
	})
	if err == nil && i != len(states) {
		err = fmt.Errorf("checkpoint holds %d operator states; the query has %d", len(states), i)
	}
	return err
}

func encodeState(v any) ([]byte, error) {
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func decodeState(b []byte, v any) error {
	return gob.NewDecoder(bytes.NewReader(b)).Decode(v)
}

// watermarkState is what of an EventWatermark outlives a batch (its
// fields, and so its gob encoding, are eventtime.State's).
type watermarkState = eventtime.State

func (w *EventWatermark) state() watermarkState { return w.wm.State() }

func (w *EventWatermark) restore(s watermarkState) { w.wm.Restore(s) }

// aggregateState is an Aggregate's state between batches: its panes. The
// sliding window's running merge is rebuilt from them at the next window.
type aggregateState struct{ Panes *window.Panes }

func (a *Aggregate) Snapshot() ([]byte, error) { return encodeState(aggregateState{a.panes}) }

func (a *Aggregate) Restore(b []byte) error {
	var s aggregateState
	if err := decodeState(b, &s); err != nil {
		return err
	}
	a.panes, a.slide = fixPanes(s.Panes), nil
	if a.panes != nil {
		a.held = a.panes.Size()
	}
	return nil
}

type eventWindowState struct {
	Watermark         watermarkState
	Panes             *window.Panes
	ClosedTo, NextEnd int64
	Started           bool
}

func (e *EventWindow) Snapshot() ([]byte, error) {
	return encodeState(eventWindowState{Watermark: e.state(), Panes: e.panes,
		ClosedTo: e.closedTo, NextEnd: e.nextEnd, Started: e.started})
}

func (e *EventWindow) Restore(b []byte) error {
	var s eventWindowState
	if err := decodeState(b, &s); err != nil {
		return err
	}
	e.restore(s.Watermark)
	e.panes, e.closedTo, e.nextEnd, e.started = fixPanes(s.Panes), s.ClosedTo, s.NextEnd, s.Started
	e.slide = nil // rebuilt from the panes by closeSliding
	if e.panes != nil {
		e.held = e.panes.Size()
	}
	return nil
}

type sessionState struct {
	Start, End int64
	Group      *window.Group
}

type sessionsState struct {
	Watermark *watermarkState
	Sessions  map[string][]sessionState
}

func (s *Session) Snapshot() ([]byte, error) {
	st := sessionsState{Sessions: make(map[string][]sessionState, len(s.sessions))}
	if s.Event != nil {
		w := s.Event.state()
		st.Watermark = &w
	}
	for k, list := range s.sessions {
		for _, x := range list {
			st.Sessions[k] = append(st.Sessions[k], sessionState{x.start, x.end, x.grp})
		}
	}
	return encodeState(st)
}

func (s *Session) Restore(b []byte) error {
	var st sessionsState
	if err := decodeState(b, &st); err != nil {
		return err
	}
	if s.Event != nil && st.Watermark != nil {
		s.Event.restore(*st.Watermark)
	}
	s.sessions = make(map[string][]*session, len(st.Sessions))
	for k, list := range st.Sessions {
		for _, x := range list {
			s.sessions[k] = append(s.sessions[k], &session{start: x.Start, end: x.End, grp: x.Group})
			s.open++
		}
	}
	return nil
}

type runningState struct {
	Table    *window.Table
	LastSeen map[string]time.Time
	Start    time.Time
}

func (r *Running) Snapshot() ([]byte, error) {
	return encodeState(runningState{Table: r.table, LastSeen: r.lastSeen, Start: r.start})
}

func (r *Running) Restore(b []byte) error {
	var s runningState
	if err := decodeState(b, &s); err != nil {
		return err
	}
	r.table, r.lastSeen, r.start = fixTable(s.Table), s.LastSeen, s.Start
	r.changed = map[*window.Group]bool{}
	return nil
}

// fixPanes and fixTable give back the maps gob leaves nil when they were
// empty, so the restored state can be written to.
func fixPanes(p *window.Panes) *window.Panes {
	if p == nil {
		return nil
	}
	if p.Tables == nil {
		p.Tables = map[int64]*window.Table{}
	}
	for i, t := range p.Tables {
		p.Tables[i] = fixTable(t)
	}
	return p
}

func fixTable(t *window.Table) *window.Table {
	if t == nil {
		return window.NewTable()
	}
	return t
}
