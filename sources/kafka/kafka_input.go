package kafka

import (
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/streamsql/streamsql/sources"
	"github.com/streamsql/streamsql/types"
)

// Input is what a cluster member (package cluster) needs of a
// kafka() source: the member consumes the topic itself, in a consumer
// group of its own and inside transactions, and only borrows the source's
// address and its way of turning a record into a row.
type Input interface {
	sources.Source
	KafkaBrokers() []string
	KafkaTopic() string
	// RecordDecoder returns the width of the source's rows and a function
	// filling one from a record, with the source's format and columns
	// (_key, _partition, ...). formats.ErrSkip means the record holds no row.
	// The function is for one goroutine.
	RecordDecoder() (width int, decode func(rec *kgo.Record, dst types.Row) error)
}

func (s *kafkaSource) KafkaBrokers() []string { return s.brokers }
func (s *kafkaSource) KafkaTopic() string     { return s.topic }

func (s *kafkaSource) RecordDecoder() (int, func(*kgo.Record, types.Row) error) {
	r := &kafkaRun{s: s, scratch: make(types.Row, s.ndec)}
	return len(s.cols), r.decode
}
