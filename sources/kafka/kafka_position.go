package kafka

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"strconv"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/streamsql/streamsql/sources"
)

// Checkpointed Kafka sources (Resumer). The position is, per partition,
// the offset of the next record to read:
//
//	{"topic": "t", "offsets": {"0": 1200, "1": 1187}}
//
// With a checkpoint the query reads every partition of the topic directly
// from those offsets (a partition without one: from offset's choice) and
// does not join or commit to a consumer group: the checkpoint is where
// the offsets live, written in the same file as the state they produced,
// which is what makes a restart exactly-once. Partitions added to the
// topic while the query runs are not picked up until it restarts.

type kafkaPos struct {
	topic string
	next  map[int32]int64
}

func (p kafkaPos) MarshalJSON() ([]byte, error) {
	offs := make(map[string]int64, len(p.next))
	for part, o := range p.next {
		offs[strconv.Itoa(int(part))] = o
	}
	return json.Marshal(struct {
		Topic   string           `json:"topic"`
		Offsets map[string]int64 `json:"offsets"`
	}{p.topic, offs})
}

func (s *kafkaSource) Resume(saved []byte) error {
	s.ckpt = true
	s.resume = map[int32]int64{}
	if saved == nil {
		return nil
	}
	var j struct {
		Topic   string           `json:"topic"`
		Offsets map[string]int64 `json:"offsets"`
	}
	if err := json.Unmarshal(saved, &j); err != nil {
		return fmt.Errorf("kafka(): checkpointed position: %w", err)
	}
	if j.Topic != s.topic {
		return fmt.Errorf("kafka(): the checkpoint is of topic %s, not %s", j.Topic, s.topic)
	}
	for k, o := range j.Offsets {
		p, err := strconv.Atoi(k)
		if err != nil {
			return fmt.Errorf("kafka(): checkpointed position: partition %q", k)
		}
		s.resume[int32(p)] = o
	}
	return nil
}

// consumeFrom starts a checkpointed source on every partition, at its
// checkpointed offset or offset's choice. 'latest' is resolved to numbers
// now and kept in the position, so a restart does not jump over what
// arrived in a partition while the query was down.
func (r *kafkaRun) consumeFrom(ctx context.Context, parts []int32) error {
	s := r.s
	m := map[int32]kgo.Offset{}
	r.next = map[int32]int64{}
	var ends map[int32]int64
	for _, p := range parts {
		o, ok := s.resume[p]
		if !ok && s.offset == "latest" {
			if ends == nil {
				var err error
				if ends, err = r.listOffsets(ctx, parts, -1); err != nil {
					return err
				}
			}
			o, ok = ends[p], true
		}
		if ok {
			m[p] = kgo.NewOffset().At(o)
			r.next[p] = o
		} else {
			m[p] = kgo.NewOffset().AtStart()
		}
	}
	r.cl.AddConsumePartitions(map[string]map[int32]kgo.Offset{s.topic: m})
	return nil
}

// position is where a checkpointed source stands after the records
// handled so far.
func (r *kafkaRun) position() sources.Position {
	return kafkaPos{topic: r.s.topic, next: maps.Clone(r.next)}
}
