package cluster

import (
	"context"
	"errors"
	"os"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/streamsql/streamsql/eventtime"
	"github.com/streamsql/streamsql/expr"
	"github.com/streamsql/streamsql/formats"
	"github.com/streamsql/streamsql/operators"
	"github.com/streamsql/streamsql/types"
	"github.com/streamsql/streamsql/window"
)

// partials is the sink of stage 1's part of the query: it folds the rows
// the aggregate would group into partial aggregates per (pane, key).
type partials struct {
	m      *member
	tables map[int64]*window.Table
	pane   int64     // processing time: the pane of the open batch
	input  *inputPos // the input partition whose rows are being pushed
	key    []types.Value
	buf    []byte
	bad    int64 // rows without a usable event time
	times  expr.TimeReader
}

// inputPos is what stage 1 knows of an input partition it reads.
type inputPos struct {
	eventtime.Partition       // since this member got it
	next                int64 // offset after the last record read; -1 before any
}

func newInputPos(now time.Time) *inputPos {
	return &inputPos{Partition: eventtime.Partition{Assigned: now}, next: -1}
}

func (p *partials) Push(rows []types.Row) error {
	s := p.m.cfg.Split
	paneLen := int64(s.Window.Pane())
	now := p.m.cfg.Clock.Now() // once a chunk, not a row
	for _, r := range rows {
		pane := p.pane
		if s.EventTime != nil {
			ts, err := p.times.Read(s.EventTime(r))
			if err != nil {
				p.bad++
				continue
			}
			pane = window.FloorDiv(ts, paneLen)
			p.input.Observe(ts)
		}
		p.input.LastRow = now
		t := p.tables[pane]
		if t == nil {
			t = window.NewTable()
			p.tables[pane] = t
		}
		p.buf = p.buf[:0]
		for i, k := range s.Keys {
			p.key[i] = k(r)
			p.buf = types.AppendKey(p.buf, p.key[i])
		}
		g := t.Get(p.buf, p.key, len(s.Aggs))
		for i, f := range s.Aggs {
			f.Add(&g.States[i], r)
		}
	}
	return nil
}

func (p *partials) EndBatch(*operators.BatchEnd) error { return nil }

// stage1 reads input partitions in the stage 1 group; each batch is one
// transaction holding the input offsets read and the partials and
// watermarks produced.
func (m *member) stage1(ctx context.Context) error {
	s := m.cfg.Split
	var mu sync.Mutex
	owned := map[int32]*inputPos{} // partitions assigned to this member
	topic := m.in.KafkaTopic()
	onAssigned := func(_ context.Context, _ *kgo.Client, parts map[string][]int32) {
		mu.Lock()
		defer mu.Unlock()
		for _, p := range parts[topic] {
			owned[p] = newInputPos(m.cfg.Clock.Now())
		}
	}
	onRevoked := func(_ context.Context, _ *kgo.Client, parts map[string][]int32) {
		mu.Lock()
		defer mu.Unlock()
		for _, p := range parts[topic] {
			delete(owned, p)
		}
	}
	opts := append(m.common(m.in.KafkaBrokers()),
		kgo.ConsumerGroup(m.cfg.Name+"-stage1"),
		kgo.ConsumeTopics(topic),
		kgo.TransactionalID(m.cfg.Name+"-stage1-"+m.id),
		kgo.OnPartitionsAssigned(onAssigned),
		kgo.OnPartitionsRevoked(onRevoked),
		kgo.OnPartitionsLost(onRevoked),
	)
	sess, err := kgo.NewGroupTransactSession(opts...)
	if err != nil {
		return err
	}
	defer sess.Close()

	width, decodeRec := m.in.RecordDecoder()
	sink := &partials{m: m, tables: map[int64]*window.Table{}, key: make([]types.Value, len(s.Keys))}
	head := s.Pre(sink)
	paneLen := s.Window.Pane()
	idleAfter := eventtime.PartitionIdleAfter(s.Lateness, m.cfg.Batch)
	var malformed int64

	pace := newPacer(m.cfg.Batch, m.start, "stage 1", m.logf)
	batchRows := 0
	for {
		start, next := pace.Start(), pace.End()
		sink.pane = window.FloorDiv(start.UnixNano(), int64(paneLen))
		// At least one poll, however late the batch starts: it finds
		// what was fetched while the last batch committed.
		ended := m.batchEnd(ctx, next)
		for polled := false; !polled || m.cfg.Clock.Now().Before(next); polled = true {
			fetches, err := m.poll(ctx, sess, ended, "stage 1")
			if err != nil {
				return err
			}
			var push error
			fetches.EachPartition(func(fp kgo.FetchTopicPartition) {
				if push != nil || len(fp.Records) == 0 {
					return
				}
				mu.Lock()
				pos := owned[fp.Partition]
				mu.Unlock()
				if pos == nil {
					// Read just before the partition was revoked: this
					// batch's transaction aborts, and what it reports of a
					// partition it no longer owns must not outlive it.
					pos = newInputPos(m.cfg.Clock.Now())
				}
				sink.input = pos
				pos.next = fp.Records[len(fp.Records)-1].Offset + 1
				arena := make([]types.Value, len(fp.Records)*width)
				rows := make([]types.Row, 0, len(fp.Records))
				for _, rec := range fp.Records {
					dst := types.Row(arena[len(rows)*width : (len(rows)+1)*width : (len(rows)+1)*width])
					if err := decodeRec(rec, dst); err != nil {
						if !errors.Is(err, formats.ErrSkip) {
							malformed++
							m.cfg.Logf("cluster %s: skipped malformed record (topic %s partition %d offset %d): %v", m.cfg.Name, rec.Topic, rec.Partition, rec.Offset, err)
						}
						continue
					}
					rows = append(rows, dst)
				}
				batchRows += len(rows)
				push = head.Push(rows)
			})
			if push != nil {
				return push
			}
		}
		if err := head.EndBatch(&operators.BatchEnd{Start: start, Time: next}); err != nil {
			return err
		}

		// The batch's transaction: partials, then every owned input
		// partition's watermark to every stage 2 partition.
		tx, err := begin(sess, "stage 1")
		if err != nil {
			return err
		}
		for pane, t := range sink.tables {
			for g := range t.All() {
				enc := []byte(g.Enc())
				tx.produce(ctx, &kgo.Record{Topic: m.repartition, Partition: partitionOf(enc, m.parts),
					Key: partialKey(pane, enc), Value: encode(partial{Pane: pane, Key: g.Key, States: g.States})})
			}
		}
		now := m.cfg.Clock.Now()
		caughtUp := m.caughtUp(ctx, sess.Client(), owned, &mu, now, idleAfter)
		mu.Lock()
		var marks []mark
		for p, pos := range owned {
			if s.EventTime == nil {
				marks = append(marks, mark{Input: p, At: next.UnixNano()})
				continue
			}
			if at, idle, ok := pos.Mark(now, s.Lateness, idleAfter, caughtUp[p]); ok {
				marks = append(marks, mark{Input: p, At: at, Idle: idle})
			}
		}
		mu.Unlock()
		if len(marks) > 0 {
			// One record per stage 2 partition holds them all: the
			// watermark traffic grows with partitions x members, not
			// partitions squared.
			v := encode(marks)
			for q := 0; q < m.parts; q++ {
				tx.produce(ctx, &kgo.Record{Topic: m.repartition, Partition: int32(q), Key: []byte{kindMarks}, Value: v})
			}
		}
		committed, err := tx.end(ctx, "stage 1")
		if err != nil {
			return err
		}
		if debug {
			np := 0
			for _, t := range sink.tables {
				np += t.Len()
			}
			m.cfg.Logf("DEBUG stage1 %s: rows=%d owned=%d partials=%d marks=%d committed=%v took=%v", next.Format("15:04:05.0"), batchRows, len(owned), np, len(marks), committed, time.Since(next))
		}
		batchRows = 0
		if !committed {
			// A rebalance: the records of the batch are read again by
			// whoever owns their partition now, from the last commit.
			m.cfg.Logf("cluster %s: stage 1 batch of %s aborted by a rebalance; its input is read again", m.cfg.Name, next.UTC().Format(time.RFC3339Nano))
			mu.Lock()
			for p := range owned {
				owned[p] = newInputPos(now)
			}
			mu.Unlock()
		}
		clear(sink.tables)
		pace.Next(m.cfg.Clock.Now())
		if m.cfg.BatchDone != nil {
			m.cfg.BatchDone(1, next, pace.End(), committed)
		}
	}
}

// caughtUp reports, of the owned partitions that have been quiet for
// idleAfter, those read to their end. Quiet is not enough to call a
// partition idle: a new owner cannot fetch while the previous owner's
// transaction is open, and a watermark that followed the clock then would
// make the rows waiting there late.
func (m *member) caughtUp(ctx context.Context, cl *kgo.Client, owned map[int32]*inputPos, mu *sync.Mutex, now time.Time, idleAfter time.Duration) map[int32]bool {
	topic := m.in.KafkaTopic()
	mu.Lock()
	var quiet []int32
	pos := map[int32]int64{}
	for p, ip := range owned {
		if ip.Quiet(now, idleAfter) {
			quiet = append(quiet, p)
			pos[p] = ip.next
		}
	}
	mu.Unlock()
	if len(quiet) == 0 {
		return nil
	}
	adm := kadm.NewClient(cl)
	ends, err := adm.ListEndOffsets(ctx, topic)
	if err != nil {
		return nil
	}
	var starts kadm.ListedOffsets // listed only when a partition needs them
	startOf := func(p int32) (int64, bool) {
		if starts == nil {
			if starts, err = adm.ListStartOffsets(ctx, topic); err != nil {
				return 0, false
			}
		}
		st, ok := starts.Lookup(topic, p)
		return st.Offset, ok && st.Err == nil
	}
	committed := cl.CommittedOffsets()[topic]
	out := map[int32]bool{}
	for _, p := range quiet {
		end, ok := ends.Lookup(topic, p)
		if !ok || end.Err != nil {
			continue
		}
		at := pos[p]
		if at < 0 {
			if c, ok := committed[p]; ok {
				at = c.Offset
			} else if at, ok = startOf(p); !ok {
				// Nothing committed (or not known yet): only an empty
				// partition counts as read to its end.
				continue
			}
		}
		out[p] = at >= end.Offset
	}
	return out
}

// debug logs every batch (STREAMSQL_CLUSTER_DEBUG=1).
var debug = os.Getenv("STREAMSQL_CLUSTER_DEBUG") != ""
