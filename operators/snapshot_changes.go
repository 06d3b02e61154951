package operators

import (
	"time"

	"github.com/streamsql/streamsql/agg"
	"github.com/streamsql/streamsql/types"
	"github.com/streamsql/streamsql/window"
)

// The state of the operators of updating results, for checkpoints: what
// they hold between batches, in exported form for encoding/gob.

// bagState is a netting's rows and counts.
type bagState struct {
	Rows []types.Row
	N    []int
}

func (n *netting) state() bagState { return bagState{Rows: n.rows, N: n.n} }

func bagOf(s bagState) *netting {
	n := newNetting()
	for i, r := range s.Rows {
		n.add(r, s.N[i])
	}
	return n
}

type updatingState struct {
	Table   *window.Table
	Bags    map[string]bagState
	Started bool
	Seen    map[string]time.Time
}

func (u *Updating) Snapshot() ([]byte, error) {
	u.init()
	s := updatingState{Table: u.table, Started: u.started, Seen: u.seen}
	if u.Retracting {
		s.Bags = make(map[string]bagState, len(u.bags))
		for k, b := range u.bags {
			s.Bags[k] = b.state()
		}
	}
	return encodeState(s)
}

func (u *Updating) Restore(b []byte) error {
	u.init()
	var s updatingState
	if err := decodeState(b, &s); err != nil {
		return err
	}
	u.table, u.started, u.seen = fixTable(s.Table), s.Started, s.Seen
	if u.Retracting {
		for k, st := range s.Bags {
			u.bags[k] = bagOf(st)
		}
	}
	return nil
}

type rankState struct {
	Parts map[string]rankPartState
}

type rankPartState struct {
	Rows, Shown []types.Row
}

func (k *Rank) Snapshot() ([]byte, error) {
	s := rankState{Parts: make(map[string]rankPartState, len(k.parts))}
	for key, p := range k.parts {
		s.Parts[key] = rankPartState{Rows: p.rows, Shown: p.shown}
	}
	return encodeState(s)
}

func (k *Rank) Restore(b []byte) error {
	var s rankState
	if err := decodeState(b, &s); err != nil {
		return err
	}
	k.parts, k.touched, k.held = map[string]*rankPart{}, map[*rankPart]bool{}, 0
	for key, st := range s.Parts {
		p := &rankPart{key: key, orderedRows: orderedRows{rows: st.Rows}, shown: st.Shown}
		for _, r := range p.rows {
			p.keys = append(p.keys, sortKeys(k.Order).of(r))
		}
		k.parts[key] = p
		k.held += int64(len(p.rows))
	}
	return nil
}

type overState struct {
	Parts map[string]overPartState
}

type overPartState struct {
	Rows   []types.Row
	States []agg.State
}

func (o *Over) Snapshot() ([]byte, error) {
	s := overState{Parts: make(map[string]overPartState, len(o.parts))}
	for k, p := range o.parts {
		s.Parts[k] = overPartState{Rows: p.rows, States: p.states}
	}
	return encodeState(s)
}

func (o *Over) Restore(b []byte) error {
	var s overState
	if err := decodeState(b, &s); err != nil {
		return err
	}
	o.parts, o.held = map[string]*overPart{}, 0
	for k, st := range s.Parts {
		p := &overPart{orderedRows: orderedRows{rows: st.Rows}, states: st.States}
		for _, r := range p.rows {
			key := sortKeys(o.Order).of(r)
			p.keys = append(p.keys, key)
			if o.Range > 0 {
				t, _ := o.rd.Read(key[0])
				p.times = append(p.times, t)
			}
		}
		o.parts[k] = p
		o.held += int64(max(len(p.rows), min(1, len(p.states))))
	}
	return nil
}

type topNState struct {
	All   bagState
	Shown []types.Row
}

func (t *TopN) Snapshot() ([]byte, error) {
	var s topNState
	for _, e := range t.all {
		s.All.Rows, s.All.N = append(s.All.Rows, e.row), append(s.All.N, e.n)
	}
	for _, e := range t.shown {
		s.Shown = append(s.Shown, e.row)
	}
	return encodeState(s)
}

func (t *TopN) Restore(b []byte) error {
	var s topNState
	if err := decodeState(b, &s); err != nil {
		return err
	}
	t.all, t.shown = nil, nil
	t.change(nil, 0)
	for i, r := range s.All.Rows {
		t.buf = types.RowKey(t.buf[:0], r)
		t.all[string(t.buf)] = &topRow{enc: string(t.buf), row: r, key: sortKeys(t.Keys).of(r), n: s.All.N[i]}
	}
	for _, r := range s.Shown {
		t.buf = types.RowKey(t.buf[:0], r)
		if e := t.all[string(t.buf)]; e != nil {
			t.shown = append(t.shown, e)
		} else {
			t.shown = append(t.shown, &topRow{enc: string(t.buf), row: r, key: sortKeys(t.Keys).of(r)})
		}
	}
	return nil
}
