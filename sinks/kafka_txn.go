package sinks

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/streamsql/streamsql/types"
)

// Exactly-once into Kafka: with transactional_id => 'id' each result is
// written in one Kafka transaction, so a reader with isolation
// read_committed sees all of its rows or none, and every record carries two
// headers: streamsql-writer (the id) and streamsql-batch (the batch time,
// Unix nanoseconds). A checkpointed query hands its last checkpoint's
// results to the sink again after a restart; to absorb that repeat the
// sink, before its first write, reads back the last committed records of
// the topic and skips results whose batch time is not after the latest
// one this writer committed. Results reach a sink in batch-time order, so
// that one time is the whole story.
//
// The transactional producer of a new run fences the one of a killed run
// (Kafka aborts its open transaction), so a half-written result of the
// killed run is never visible to read_committed readers. Readers that do
// not use read_committed may see aborted rows; that is Kafka's rule.

const (
	kafkaWriterHeader = "streamsql-writer"
	kafkaBatchHeader  = "streamsql-batch"
	// kafkaReadBack is how many records back from the end of a partition
	// the first look for this writer's last record goes; it widens 4x
	// while nothing of the writer's is found.
	kafkaReadBack = 256
	// kafkaReadIdle ends reading back a partition when no record came
	// for this long (the offsets left are transaction markers).
	kafkaReadIdle = 500 * time.Millisecond
)

// txnWrite writes r in one transaction, unless a run before this one
// committed it already.
func (s *kafkaSink) txnWrite(ctx context.Context, r *types.Result, recs []*kgo.Record) error {
	if !s.hwKnown {
		hw, err := s.highWater(ctx)
		if err != nil {
			return fmt.Errorf("kafka(): reading back topic %s: %w", s.topic, err)
		}
		s.hw, s.hwKnown = hw, true
	}
	if r.Time.UnixNano() <= s.hw {
		return nil // committed before a restart
	}
	batch := []byte(strconv.FormatInt(r.Time.UnixNano(), 10))
	for _, rec := range recs {
		rec.Headers = append(rec.Headers,
			kgo.RecordHeader{Key: kafkaWriterHeader, Value: []byte(s.txnID)},
			kgo.RecordHeader{Key: kafkaBatchHeader, Value: batch})
	}
	if err := s.cl.BeginTransaction(); err != nil {
		return fmt.Errorf("kafka(): beginning a transaction: %w", err)
	}
	if err := s.cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		s.cl.EndTransaction(context.Background(), kgo.TryAbort)
		return fmt.Errorf("kafka(): producing to topic %s: %w", s.topic, err)
	}
	if err := s.cl.EndTransaction(ctx, kgo.TryCommit); err != nil {
		return fmt.Errorf("kafka(): committing the transaction: %w", err)
	}
	s.hw = r.Time.UnixNano()
	return nil
}

// highWater is the latest batch time this writer committed to the topic,
// math.MinInt64 when none.
func (s *kafkaSink) highWater(ctx context.Context) (int64, error) {
	parts, err := s.topicPartitions(ctx)
	if err != nil {
		return 0, err
	}
	stable, err := s.listOffsets(ctx, parts, true)
	if err != nil {
		return 0, err
	}
	earliest, err := s.listOffsets(ctx, parts, false)
	if err != nil {
		return 0, err
	}
	hw := int64(math.MinInt64)
	for _, p := range parts {
		for window := int64(kafkaReadBack); ; window *= 4 {
			from := max(earliest[p], stable[p]-window)
			if from >= stable[p] {
				break
			}
			last, found, err := s.lastBatch(ctx, p, from, stable[p])
			if err != nil {
				return 0, err
			}
			if found {
				hw = max(hw, last)
				break
			}
			if from == earliest[p] {
				break
			}
		}
	}
	return hw, nil
}

// lastBatch reads partition p's committed records in [from, to) and
// returns the largest batch time this writer's records carry.
func (s *kafkaSink) lastBatch(ctx context.Context, p int32, from, to int64) (int64, bool, error) {
	cl, err := kgo.NewClient(
		kgo.SeedBrokers(s.brokers...),
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{s.topic: {p: kgo.NewOffset().At(from)}}),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()),
	)
	if err != nil {
		return 0, false, err
	}
	defer cl.Close()
	best, found := int64(math.MinInt64), false
	for {
		pctx, cancel := context.WithTimeout(ctx, kafkaReadIdle)
		fetches := cl.PollFetches(pctx)
		cancel()
		if ctx.Err() != nil {
			return 0, false, ctx.Err()
		}
		for _, fe := range fetches.Errors() {
			if !errors.Is(fe.Err, context.DeadlineExceeded) {
				return 0, false, fe.Err
			}
		}
		recs := fetches.Records()
		if len(recs) == 0 {
			return best, found, nil // only transaction markers are left
		}
		for _, rec := range recs {
			if rec.Offset >= to {
				return best, found, nil
			}
			if b, ok := s.batchOf(rec); ok {
				best, found = max(best, b), true
			}
			if rec.Offset == to-1 {
				return best, found, nil
			}
		}
	}
}

// batchOf is the batch time of a record this writer wrote.
func (s *kafkaSink) batchOf(rec *kgo.Record) (int64, bool) {
	mine := false
	var batch []byte
	for _, h := range rec.Headers {
		switch h.Key {
		case kafkaWriterHeader:
			mine = string(h.Value) == s.txnID
		case kafkaBatchHeader:
			batch = h.Value
		}
	}
	if !mine {
		return 0, false
	}
	b, err := strconv.ParseInt(string(batch), 10, 64)
	return b, err == nil
}

func (s *kafkaSink) topicPartitions(ctx context.Context) ([]int32, error) {
	meta := kmsg.NewPtrMetadataRequest()
	mt := kmsg.NewMetadataRequestTopic()
	mt.Topic = kmsg.StringPtr(s.topic)
	meta.Topics = append(meta.Topics, mt)
	resp, err := meta.RequestWith(ctx, s.cl)
	if err != nil {
		return nil, s.unreachable(err)
	}
	var parts []int32
	for _, t := range resp.Topics {
		if t.Topic == nil || *t.Topic != s.topic {
			continue
		}
		if err := kerr.ErrorForCode(t.ErrorCode); err != nil {
			return nil, err
		}
		for _, p := range t.Partitions {
			parts = append(parts, p.Partition)
		}
	}
	return parts, nil
}

// listOffsets returns, per partition, the start (stable false: the log
// start) or the last stable offset (stable true: the end a read_committed
// reader sees).
func (s *kafkaSink) listOffsets(ctx context.Context, parts []int32, stable bool) (map[int32]int64, error) {
	adm := kadm.NewClient(s.cl)
	list := adm.ListStartOffsets
	if stable {
		list = adm.ListCommittedOffsets
	}
	listed, err := list(ctx, s.topic)
	if err != nil {
		return nil, s.unreachable(err)
	}
	out := map[int32]int64{}
	for _, p := range parts {
		o, ok := listed.Lookup(s.topic, p)
		if !ok {
			return nil, fmt.Errorf("no offset for partition %d", p)
		}
		if o.Err != nil {
			return nil, fmt.Errorf("partition %d: %w", p, o.Err)
		}
		out[p] = o.Offset
	}
	return out, nil
}
