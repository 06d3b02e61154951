package operators

import (
	"math"
	"sort"
	"time"

	"github.com/streamsql/streamsql/agg"
	"github.com/streamsql/streamsql/types"
	"github.com/streamsql/streamsql/window"
)

// Session aggregates per-key session windows: a key's session grows while
// its rows come less than Gap apart and closes once Gap has passed without
// one. A row that falls between two sessions of its key merges them (the
// partial aggregates merge as panes do). A session [start, end) ends Gap
// after its last row.
//
// In event time (Event set) rows are placed by their event time and a
// session closes when the watermark reaches its end; a row that could only
// start or join sessions that are already closed is late. In processing
// time a batch's rows count from the batch's start, and a session closes
// at the batch boundary a gap after the end of the last batch with rows.
type Session struct {
	Grouping
	Gap     time.Duration
	Event   *EventWatermark // nil for processing time
	Changes bool            // EMIT CHANGES
	Next    Operator

	sessions map[string][]*session // per key, ordered by start, disjoint
	staged   *window.Table         // processing time: this batch's rows
	touched  map[*session]string   // EMIT CHANGES: sessions changed this batch
	open     int64                 // sessions held (HeldKeys)
}

type session struct {
	start, end int64
	grp        *window.Group
}

// SetReject passes fn to the event-time watermark (see EventWatermark).
func (s *Session) SetReject(fn func(where, reason string, record []byte)) {
	if s.Event != nil {
		s.Event.SetReject(fn)
	}
}

func (s *Session) Push(rows []types.Row) error {
	if s.Event == nil {
		if s.staged == nil {
			s.staged = window.NewTable()
		}
		for _, r := range rows {
			s.add(s.staged, r)
		}
		return nil
	}
	for _, r := range rows {
		t, ok := s.Event.at(r)
		if !ok {
			continue
		}
		k := s.encode(r)
		sess := s.place(string(k), s.key, t, t, s.Event.Mark())
		if sess == nil {
			s.Event.late++
		} else {
			s.fold(sess.grp, r)
		}
		s.Event.observe(t)
	}
	return nil
}

// place returns the open session of key k that an event at t belongs to,
// creating or merging sessions as needed, or nil when the event is late
// (its session would already be closed by the watermark mark).
func (s *Session) place(k string, key []types.Value, t, last, mark int64) *session {
	if s.sessions == nil {
		s.sessions = map[string][]*session{}
	}
	start, end := t, last+int64(s.Gap)
	var keep []*session
	var merged *session
	for _, x := range s.sessions[k] {
		open := x.end > mark
		if open && x.start < end && start < x.end {
			if merged == nil {
				merged = x
			} else {
				for i, f := range s.Aggs {
					f.Merge(&merged.grp.States[i], &x.grp.States[i])
				}
				merged.start, merged.end = min(merged.start, x.start), max(merged.end, x.end)
				delete(s.touched, x)
				s.open--
				continue
			}
		}
		keep = append(keep, x)
	}
	if merged == nil {
		if end <= mark {
			return nil
		}
		merged = &session{start: start, end: end, grp: &window.Group{Key: window.CloneKey(key), States: make([]agg.State, len(s.Aggs))}}
		keep = append(keep, merged)
		s.open++
	}
	merged.start, merged.end = min(merged.start, start), max(merged.end, end)
	sort.Slice(keep, func(i, j int) bool { return keep[i].start < keep[j].start })
	s.sessions[k] = keep
	if s.Changes {
		if s.touched == nil {
			s.touched = map[*session]string{}
		}
		s.touched[merged] = k
	}
	return merged
}

func (s *Session) EndBatch(b *BatchEnd) error {
	mark := b.Time.UnixNano()
	if s.Event != nil {
		s.Event.account(b)
		s.Event.idle(b)
		mark = s.Event.Mark()
	} else if s.staged != nil {
		// A batch's rows arrived somewhere in [Start, Time): the session
		// starts at Start and lasts a gap past Time, so it closes only
		// after a whole gap without rows.
		for g := range s.staged.All() {
			sess := s.place(g.Enc(), g.Key, b.Start.UnixNano(), b.Time.UnixNano(), math.MinInt64)
			for i, f := range s.Aggs {
				f.Merge(&sess.grp.States[i], &g.States[i])
			}
		}
		s.staged = nil
	}
	if b.Final {
		mark = math.MaxInt64
	}
	var out []*session
	if s.Changes {
		for x := range s.touched {
			out = append(out, x)
		}
		s.touched = nil
	}
	for k, list := range s.sessions {
		var keep []*session
		for _, x := range list {
			if x.end <= mark {
				if !s.Changes {
					out = append(out, x)
				}
				continue
			}
			keep = append(keep, x)
		}
		if len(keep) == 0 {
			delete(s.sessions, k)
		} else {
			s.sessions[k] = keep
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].end != out[j].end {
			return out[i].end < out[j].end
		}
		a, c := out[i].grp.Key, out[j].grp.Key
		for x := range a {
			if d := types.Compare(a[x], c[x]); d != 0 {
				return d < 0
			}
		}
		return false
	})
	var rows []types.Row
	for _, x := range out {
		w := types.Window{Start: time.Unix(0, x.start).UTC(), End: time.Unix(0, x.end).UTC()}
		rows = append(rows, s.rows([]*window.Group{x.grp}, w, false)...)
	}
	if len(rows) > 0 {
		if err := s.Next.Push(rows); err != nil {
			return err
		}
	}
	b.Emitted = len(out) > 0
	b.Pending = b.Pending || len(s.sessions) > 0 // open sessions hold rows
	b.Window = nil
	s.open = 0
	for _, list := range s.sessions {
		s.open += int64(len(list))
	}
	b.StateKeys += s.open
	return s.Next.EndBatch(b)
}

// SetSplit passes the split of the rows pushed next to the event-time
// watermark (see EventWatermark.SetSplit).
func (s *Session) SetSplit(id int32) {
	if s.Event != nil {
		s.Event.SetSplit(id)
	}
}
