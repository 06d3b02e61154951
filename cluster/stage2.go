package cluster

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/streamsql/streamsql/eventtime"
	"github.com/streamsql/streamsql/operators"
	"github.com/streamsql/streamsql/types"
	"github.com/streamsql/streamsql/window"
)

// partState is stage 2's state of one repartition partition: the merged
// partials of its keys per pane, the watermark of every input partition,
// and how far windows were emitted. The changelog holds the same.
type partState struct {
	panes    map[int64]*window.Table
	marks    map[int32]mark
	closedTo int64 // windows ending at or before were emitted

	dirty       map[string]bool // changelog keys of groups changed this batch
	dirtyMarks  map[int32]bool
	dirtyClosed bool
	late        int64
}

func newPartState() *partState {
	return &partState{panes: map[int64]*window.Table{}, marks: map[int32]mark{}, closedTo: math.MinInt64,
		dirty: map[string]bool{}, dirtyMarks: map[int32]bool{}}
}

// setMark takes an input partition's watermark as stage 1 reports it.
func (st *partState) setMark(mk mark) {
	old, ok := st.marks[mk.Input]
	if ok && !old.Idle && !mk.Idle && mk.At < old.At {
		return // watermarks do not go back (a new owner starts lower)
	}
	if ok && mk.Idle {
		mk.At = old.At
	}
	st.marks[mk.Input] = mk
	st.dirtyMarks[mk.Input] = true
}

// lastEnd is the end of the last window that covers pane i.
func (m *member) lastEnd(i int64) int64 {
	w := m.cfg.Split.Window
	start := i * int64(w.Pane())
	return window.FloorDiv(start+int64(w.Size), int64(w.Slide)) * int64(w.Slide)
}

// apply folds one repartition (or changelog) record into st; fromLog
// records replace state, partials merge into it.
func (m *member) apply(st *partState, rec *kgo.Record, fromLog bool) error {
	if len(rec.Key) == 0 {
		return nil
	}
	s := m.cfg.Split
	switch rec.Key[0] {
	case kindPartial:
		if len(rec.Key) < 9 {
			return fmt.Errorf("short partial key")
		}
		pane := int64(binary.BigEndian.Uint64(rec.Key[1:9]))
		enc := rec.Key[9:]
		if fromLog && rec.Value == nil {
			if t := st.panes[pane]; t != nil {
				t.Delete(string(enc))
				if t.Len() == 0 {
					delete(st.panes, pane)
				}
			}
			return nil
		}
		var p partial
		if err := decode(rec.Value, &p); err != nil {
			return err
		}
		if !fromLog && m.lastEnd(pane) <= st.closedTo {
			st.late++ // every window of its pane was emitted already
			return nil
		}
		t := st.panes[pane]
		if t == nil {
			t = window.NewTable()
			st.panes[pane] = t
		}
		g := t.Get(enc, p.Key, len(s.Aggs))
		for i, f := range s.Aggs {
			if fromLog {
				g.States[i] = p.States[i]
			} else {
				f.Merge(&g.States[i], &p.States[i])
			}
		}
		if !fromLog {
			st.dirty[string(rec.Key)] = true
		}
	case kindMark: // the changelog's
		var mk mark
		if err := decode(rec.Value, &mk); err != nil {
			return err
		}
		st.marks[mk.Input] = mk
	case kindMarks: // stage 1's
		var mks []mark
		if err := decode(rec.Value, &mks); err != nil {
			return err
		}
		for _, mk := range mks {
			st.setMark(mk)
		}
	case kindClosedTo:
		if len(rec.Value) == 8 {
			st.closedTo = int64(binary.BigEndian.Uint64(rec.Value))
		}
	}
	return nil
}

// watermark is the least watermark of the input partitions that are not
// idle, and false while some input partition was never heard of.
func (m *member) watermark(st *partState) (int64, bool) {
	return eventtime.Least(int32(m.parts), func(p int32) (int64, bool, bool) {
		mk, ok := st.marks[p]
		return mk.At, mk.Idle, ok
	})
}

// due emits every window of st that the watermark has passed, through the
// query's upper part, and evicts the panes no window needs.
func (m *member) due(st *partState, post operators.Operator) error {
	wm, ok := m.watermark(st)
	if !ok {
		return nil
	}
	spec := m.cfg.Split.Window
	slide := int64(spec.Slide)
	last := window.FloorDiv(wm, slide) * slide // the last window end the watermark passed
	if last <= st.closedTo {
		return nil
	}
	var panes []int64
	for i := range st.panes {
		panes = append(panes, i)
	}
	sort.Slice(panes, func(a, b int) bool { return panes[a] < panes[b] })
	if len(panes) > 0 {
		first := window.FloorDiv(panes[0]*int64(spec.Pane()), slide)*slide + slide // first end covering the earliest pane
		if st.closedTo != math.MinInt64 {
			first = max(first, st.closedTo+slide)
		}
		for end := first; end <= last; end += slide {
			if err := m.emit(st, panes, end, post); err != nil {
				return err
			}
		}
	}
	st.closedTo, st.dirtyClosed = last, true
	for _, i := range panes {
		if m.lastEnd(i) <= last {
			for g := range st.panes[i].All() {
				st.dirty[string(partialKey(i, []byte(g.Enc())))] = true // deleted: a tombstone
			}
			delete(st.panes, i)
		}
	}
	return nil
}

// emit merges the panes of the window ending at end and pushes its rows.
func (m *member) emit(st *partState, panes []int64, end int64, post operators.Operator) error {
	spec := m.cfg.Split.Window
	s := m.cfg.Split
	paneLen := int64(spec.Pane())
	start := end - int64(spec.Size)
	merged := window.NewTable()
	for _, i := range panes {
		if i*paneLen >= start && i*paneLen < end {
			st.panes[i].MergeInto(merged, s.Aggs)
		}
	}
	if merged.Len() == 0 {
		return nil
	}
	w := types.Window{Start: time.Unix(0, start).UTC(), End: time.Unix(0, end).UTC()}
	groups := merged.Sorted()
	width := len(s.Keys) + len(s.Aggs) + 2
	rows := make([]types.Row, len(groups))
	for i, g := range groups {
		r := make(types.Row, width)
		copy(r, g.Key)
		for j, f := range s.Aggs {
			r[len(s.Keys)+j] = f.Result(&g.States[j])
		}
		r[width-2], r[width-1] = types.Time(w.Start), types.Time(w.End)
		rows[i] = r
	}
	if err := post.Push(rows); err != nil {
		return err
	}
	return post.EndBatch(&operators.BatchEnd{Start: w.Start, Time: w.End, Window: &w, Emitted: true})
}

// stage2 reads repartition partitions in the stage 2 group; each batch is
// one transaction holding the repartition offsets read, the changelog
// records of the state changed and the results emitted.
func (m *member) stage2(ctx context.Context) error {
	var mu sync.Mutex
	revoked := map[int32]bool{}
	onRevoked := func(_ context.Context, _ *kgo.Client, parts map[string][]int32) {
		mu.Lock()
		defer mu.Unlock()
		for _, p := range parts[m.repartition] {
			revoked[p] = true
		}
	}
	opts := append(m.common(m.in.KafkaBrokers()),
		kgo.ConsumerGroup(m.cfg.Name+"-stage2"),
		kgo.ConsumeTopics(m.repartition),
		kgo.TransactionalID(m.cfg.Name+"-stage2-"+m.id),
		kgo.OnPartitionsRevoked(onRevoked),
		kgo.OnPartitionsLost(onRevoked),
	)
	if !sameBrokers(m.in.KafkaBrokers(), m.cfg.OutputBrokers) {
		return fmt.Errorf("%w: the output topic must be on the input's brokers: one transaction holds both", ErrConfig)
	}
	sess, err := kgo.NewGroupTransactSession(opts...)
	if err != nil {
		return err
	}
	defer sess.Close()

	states := map[int32]*partState{}
	var out []types.Row // what the query's upper part emitted
	collect := &operators.Collect{Out: func(_ *operators.BatchEnd, rows, _ []types.Row) error {
		out = append(out, rows...)
		return nil
	}}
	post := m.cfg.Split.Post(collect)
	enc := newRowEncoder(m.cfg.Columns, m.cfg.KeyColumns)

	pace := newPacer(m.cfg.Batch, m.start, "stage 2", m.logf)
	for {
		next := pace.End()
		// At least one poll, however late the batch starts (see stage1).
		ended := m.batchEnd(ctx, next)
		for polled := false; !polled || m.cfg.Clock.Now().Before(next); polled = true {
			fetches, err := m.poll(ctx, sess, ended, "stage 2")
			if err != nil {
				return err
			}
			mu.Lock()
			for p := range revoked {
				delete(states, p)
			}
			clear(revoked)
			mu.Unlock()
			var ferr error
			fetches.EachPartition(func(fp kgo.FetchTopicPartition) {
				if ferr != nil || len(fp.Records) == 0 {
					return
				}
				st := states[fp.Partition]
				if st == nil {
					// New to this member (or dropped after an abort):
					// its state as of the last committed batch.
					if st, ferr = m.restore(ctx, fp.Partition); ferr != nil {
						return
					}
					states[fp.Partition] = st
				}
				for _, rec := range fp.Records {
					if err := m.apply(st, rec, false); err != nil {
						m.cfg.Logf("cluster %s: stage 2: skipped a bad record of %s partition %d offset %d: %v", m.cfg.Name, rec.Topic, rec.Partition, rec.Offset, err)
					}
				}
			})
			if ferr != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				return fmt.Errorf("stage 2: restoring state: %w", ferr)
			}
		}

		tx, err := begin(sess, "stage 2")
		if err != nil {
			return err
		}
		for p, st := range states {
			out = out[:0]
			if err := m.due(st, post); err != nil {
				return err
			}
			for _, r := range out {
				key, val := enc.encode(r)
				tx.produce(ctx, &kgo.Record{Topic: m.cfg.OutputTopic, Partition: partitionOf(key, m.outParts), Key: key, Value: val})
			}
			for _, rec := range m.changelogRecords(p, st) {
				tx.produce(ctx, rec)
			}
		}
		if debug {
			for p, st := range states {
				wm, ok := m.watermark(st)
				m.cfg.Logf("DEBUG stage2 %s: part %d panes=%d marks=%d wm=%v/%v closedTo=%s late=%d", next.Format("15:04:05.0"), p, len(st.panes), len(st.marks), time.Unix(0, wm).UTC().Format("15:04:05.0"), ok, closedText(st.closedTo), st.late)
			}
		}
		committed, err := tx.end(ctx, "stage 2")
		if err != nil {
			return err
		}
		if !committed {
			// What the batch did is undone in Kafka; in memory it is
			// dropped and rebuilt from the changelog as records come.
			m.cfg.Logf("cluster %s: stage 2 batch of %s aborted by a rebalance; its state is rebuilt from %s", m.cfg.Name, next.UTC().Format(time.RFC3339Nano), m.changelog)
			clear(states)
		}
		for _, st := range states {
			clear(st.dirty)
			clear(st.dirtyMarks)
			st.dirtyClosed = false
		}
		pace.Next(m.cfg.Clock.Now())
		if m.cfg.BatchDone != nil {
			m.cfg.BatchDone(2, next, pace.End(), committed)
		}
	}
}

// changelog is the changelog records of the changes of st this batch:
// current groups, tombstones for evicted ones, marks, and how far windows
// were emitted.
func (m *member) changelogRecords(p int32, st *partState) []*kgo.Record {
	var recs []*kgo.Record
	for k := range st.dirty {
		key := []byte(k)
		pane := int64(binary.BigEndian.Uint64(key[1:9]))
		var val []byte
		if t := st.panes[pane]; t != nil {
			if g := t.Lookup(k[9:]); g != nil {
				val = encode(partial{Pane: pane, Key: g.Key, States: g.States})
			}
		}
		recs = append(recs, &kgo.Record{Topic: m.changelog, Partition: p, Key: key, Value: val})
	}
	for in := range st.dirtyMarks {
		recs = append(recs, &kgo.Record{Topic: m.changelog, Partition: p, Key: markKey(in), Value: encode(st.marks[in])})
	}
	if st.dirtyClosed {
		recs = append(recs, &kgo.Record{Topic: m.changelog, Partition: p, Key: []byte{kindClosedTo}, Value: closedBytes(st.closedTo)})
	}
	return recs
}

// restore rebuilds the state of repartition partition p from its
// changelog partition, reading committed records up to the last stable
// offset.
func (m *member) restore(ctx context.Context, p int32) (*partState, error) {
	st := newPartState()
	cl, err := kgo.NewClient(kgo.SeedBrokers(m.in.KafkaBrokers()...),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		kgo.KeepControlRecords(),
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{m.changelog: {p: kgo.NewOffset().AtStart()}}))
	if err != nil {
		return nil, err
	}
	defer cl.Close()
	offs, err := kadm.NewClient(cl).ListCommittedOffsets(ctx, m.changelog)
	if err != nil {
		return nil, err
	}
	o, ok := offs.Lookup(m.changelog, p)
	if !ok || o.Err != nil {
		return nil, fmt.Errorf("end of %s partition %d: %v", m.changelog, p, o.Err)
	}
	starts, err := kadm.NewClient(cl).ListStartOffsets(ctx, m.changelog)
	if err != nil {
		return nil, err
	}
	if s, ok := starts.Lookup(m.changelog, p); ok && s.Offset >= o.Offset {
		return st, nil // empty
	}
	n := 0
	for done := false; !done; {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		var ferr error
		fs.EachError(func(_ string, _ int32, e error) { ferr = e })
		if ferr != nil {
			return nil, ferr
		}
		fs.EachRecord(func(rec *kgo.Record) {
			if rec.Offset >= o.Offset-1 {
				done = true
			}
			if rec.Attrs.IsControl() || rec.Offset >= o.Offset {
				return
			}
			if err := m.apply(st, rec, true); err == nil {
				n++
			}
		})
	}
	m.cfg.Logf("cluster %s: restored partition %d from %s (%d records, %d panes, windows emitted to %s)",
		m.cfg.Name, p, m.changelog, n, len(st.panes), closedText(st.closedTo))
	return st, nil
}

func closedBytes(t int64) []byte { return binary.BigEndian.AppendUint64(nil, uint64(t)) }

func closedText(t int64) string {
	if t == math.MinInt64 {
		return "none"
	}
	return time.Unix(0, t).UTC().Format(time.RFC3339Nano)
}

func sameBrokers(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// rowEncoder writes result rows as the kafka sink does: the value a JSON
// object in column order, the key the JSON array of the key columns.
type rowEncoder struct {
	names [][]byte
	keys  []int
}

func newRowEncoder(cols []string, keys []int) *rowEncoder {
	e := &rowEncoder{keys: keys}
	for _, c := range cols {
		b, _ := json.Marshal(c)
		e.names = append(e.names, b)
	}
	return e
}

func (e *rowEncoder) encode(r types.Row) (key, val []byte) {
	val = append(val, '{')
	for i, v := range r {
		if i > 0 {
			val = append(val, ',')
		}
		val = append(val, e.names[i]...)
		val = append(val, ':')
		val = v.AppendJSON(val)
	}
	val = append(val, '}')
	if len(e.keys) > 0 {
		key = append(key, '[')
		for j, c := range e.keys {
			if j > 0 {
				key = append(key, ',')
			}
			key = r[c].AppendJSON(key)
		}
		key = append(key, ']')
	}
	return key, val
}
