package sinks

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/streamsql/streamsql/formats"
	"github.com/streamsql/streamsql/internal/kafkaaddr"
	"github.com/streamsql/streamsql/types"
)

// The kafka sink produces one record per result row to a topic:
//
//	INSERT INTO kafka('host:port[,host:port]', topic => 't') SELECT ...
//
// The record value is the row as a JSON object, exactly as the jsonl format
// prints it (keys in column order). The record key is the JSON array of the
// row's key columns (Options.Key: the GROUP BY keys and window bounds), e.g.
// ["2025-03-01T21:30:00Z","2025-03-01T21:30:10Z","/home"], so every update
// of one group lands in one partition, in order; without key columns the
// record has no key. The record timestamp is the batch time.
//
// An updating result (an aggregate without WINDOW) is written as its
// changelog, each record with a header "op" (+I, -U, +U, -D). With key
// columns the topic holds the table as a compacted topic does (ksqlDB's
// tables): a new or updated row is a record with its key, a deleted row a
// tombstone (the key, no value), and the -U half of an update is not
// written, the +U replacing it. Without key columns every change is a
// record, the op header saying what it does.
//
// Write produces every row of a result and waits until the brokers
// acknowledged all of them (acks from all in-sync replicas), so a Write
// that returns nil means the rows are durable. Write never waits longer
// than the timeout option (default 10s): brokers that cannot be reached or
// do not acknowledge in time make it return an error. Some rows of a failed
// Write may have been written, and a retried result is written again
// (at-least-once; a consumer that upserts by key sees the same outcome).
//
// A missing topic is created on the first Write with partitions => N
// partitions (default 1) and the brokers' default replication factor; an
// existing topic is used as it is.
//
// Options: topic (required), partitions, timeout (a Go duration such as
// '5s', or a number of seconds), transactional_id (exactly-once with a
// checkpointed query: see kafka_txn.go).

var kafkaSpec = &Spec{
	Name: "kafka",
	Usage: "kafka('host:port[,host:port]', topic => 't', partitions => 1, timeout => '10s', transactional_id => 'id'): " +
		"one record per row, value the row as a JSON object, key the JSON array of the key columns; " +
		"with transactional_id one transaction per emission, repeats after a restart skipped",
}

func init() {
	kafkaSpec.Open = openKafka // set here: openKafka reads kafkaSpec
	Register(kafkaSpec)
}

const kafkaDefaultTimeout = 10 * time.Second

type kafkaSink struct {
	cl         *kgo.Client
	addr       string // the broker argument as given, for messages
	brokers    []string
	topic      string
	partitions int32
	timeout    time.Duration
	key        []string // key column names

	obj        formats.JSONObjects
	keyCols    []string // the columns keyIdx was found for
	keyIdx     []int
	topicReady bool
	inflight   chan error // the produce of a Write that timed out, until it ends
	closed     bool

	// transactional_id (kafka_txn.go): each result in one transaction;
	// hw is the latest batch time committed (Unix ns), once read back.
	txnID   string
	hw      int64
	hwKnown bool
}

func openKafka(_ io.Writer, opts Options) (Sink, error) {
	usage := kafkaSpec.Usage
	if len(opts.Args) != 1 {
		return nil, fmt.Errorf("kafka() takes 1 positional argument(s) (brokers), got %d; usage: %s", len(opts.Args), usage)
	}
	if k := opts.Args[0].Kind(); k != types.KindText {
		return nil, fmt.Errorf("kafka(): argument 1 (brokers) must be a string, got %s", k)
	}
	s := &kafkaSink{addr: opts.Args[0].AsText(), partitions: 1, timeout: kafkaDefaultTimeout, key: slices.Clone(opts.Key)}
	s.brokers = kafkaaddr.Brokers(s.addr)
	if len(s.brokers) == 0 {
		return nil, fmt.Errorf("kafka(): no broker address in %q (write 'host:port[,host:port]')", s.addr)
	}
	for name, v := range opts.Named {
		switch name {
		case "topic":
			s.topic = strings.TrimSpace(v.String())
		case "partitions":
			n, err := strconv.ParseInt(strings.TrimSpace(v.String()), 10, 32)
			if err != nil || n < 1 || v.IsNull() {
				return nil, fmt.Errorf("kafka(): partitions must be a positive whole number, got %s", v)
			}
			s.partitions = int32(n)
		case "timeout":
			d, err := kafkaDuration(v)
			if err != nil {
				return nil, err
			}
			s.timeout = d
		case "transactional_id":
			if s.txnID = strings.TrimSpace(v.String()); s.txnID == "" || v.IsNull() {
				return nil, errors.New("kafka(): transactional_id must not be empty")
			}
		default:
			return nil, fmt.Errorf("kafka(): unknown option %s (options: partitions, timeout, topic, transactional_id); usage: %s", name, usage)
		}
	}
	if s.topic == "" {
		return nil, fmt.Errorf("kafka(): option topic => '...' is required; usage: %s", usage)
	}
	if len(opts.Columns) > 0 {
		for _, k := range s.key {
			if !slices.Contains(opts.Columns, k) {
				return nil, fmt.Errorf("kafka(): key column %q is not among the columns (%s)", k, strings.Join(opts.Columns, ", "))
			}
		}
	}
	copts := []kgo.Opt{
		kgo.SeedBrokers(s.brokers...),
		kgo.DefaultProduceTopic(s.topic),
		kgo.RequiredAcks(kgo.AllISRAcks()),
		kgo.ProducerLinger(0),
	}
	if s.txnID != "" {
		copts = append(copts, kgo.TransactionalID(s.txnID))
	} else {
		// Write bounds its wait with a context of the timeout (not
		// RecordDeliveryTimeout, which counts from the record timestamp,
		// here the batch time). The context may cancel a request that
		// was sent and whose answer never came; the rows are written
		// again when the result is retried (at-least-once anyway). A
		// transaction cannot be left that way: it is aborted instead.
		copts = append(copts, kgo.AllowIdempotentProduceCancellation())
	}
	cl, err := kgo.NewClient(copts...)
	if err != nil {
		return nil, fmt.Errorf("kafka(): %w", err)
	}
	s.cl = cl
	return s, nil
}

// kafkaDuration reads the timeout option: a Go duration ('5s', '1m30s') or a
// number of seconds.
func kafkaDuration(v types.Value) (time.Duration, error) {
	var d time.Duration
	switch v.Kind() {
	case types.KindInt:
		d = time.Duration(v.AsInt()) * time.Second
	case types.KindFloat:
		d = time.Duration(v.AsFloat() * float64(time.Second))
	default:
		s := strings.TrimSpace(v.String())
		var err error
		if d, err = time.ParseDuration(s); err != nil {
			f, ferr := strconv.ParseFloat(s, 64)
			if ferr != nil {
				return 0, fmt.Errorf("kafka(): timeout must be a duration such as '5s', got %q", s)
			}
			d = time.Duration(f * float64(time.Second))
		}
	}
	if d <= 0 {
		return 0, fmt.Errorf("kafka(): timeout must be positive, got %s", v)
	}
	return d, nil
}

func (s *kafkaSink) Write(ctx context.Context, r *types.Result) error {
	if skip, err := admit(r, s.closed); skip || err != nil {
		return err
	}
	if err := s.setColumns(r.Columns); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	if s.inflight != nil {
		// A Write that timed out: its records are still the client's.
		select {
		case <-s.inflight:
			s.inflight = nil
		case <-ctx.Done():
			return s.timedOut(ctx.Err())
		}
	}
	if !s.topicReady {
		if err := s.ensureTopic(ctx); err != nil {
			return err
		}
		s.topicReady = true
	}

	// One buffer for the result (records keep sub-slices of it; a new one
	// per Write, as a record that timed out may still be referenced).
	var buf []byte
	rows := r.Rows
	var ops []types.Op // an updating result's: each record's change
	if r.Updating {
		key := s.keyIdx
		if s.key == nil {
			key = nil
		}
		rows = rows[:0:0]
		for _, c := range types.Changelog(r, key) {
			if c.Op == types.OpUpdateBefore && s.key != nil {
				continue // the +U with the same key replaces it
			}
			rows, ops = append(rows, c.Row), append(ops, c.Op)
		}
	}
	spans := make([][4]int, len(rows)) // key start, key end, value start, value end
	for i, row := range rows {
		sp := &spans[i]
		sp[0] = len(buf)
		if s.key != nil && len(s.keyIdx) == 0 && ops != nil {
			buf = append(buf, "[]"...) // a global aggregate's one row
		}
		if len(s.keyIdx) > 0 {
			for j, c := range s.keyIdx {
				if j == 0 {
					buf = append(buf, '[')
				} else {
					buf = append(buf, ',')
				}
				buf = row[c].AppendJSON(buf)
			}
			buf = append(buf, ']')
		}
		sp[1], sp[2] = len(buf), len(buf)
		if ops == nil || ops[i] != types.OpDelete || s.key == nil {
			buf = s.obj.AppendRow(buf, row)
		}
		sp[3] = len(buf)
	}
	recs := make([]*kgo.Record, len(rows))
	for i, sp := range spans {
		rec := &kgo.Record{Topic: s.topic, Timestamp: r.Time}
		if sp[3] > sp[2] {
			rec.Value = buf[sp[2]:sp[3]:sp[3]] // else a tombstone
		}
		if sp[1] > sp[0] {
			rec.Key = buf[sp[0]:sp[1]:sp[1]]
		}
		if ops != nil {
			rec.Headers = []kgo.RecordHeader{{Key: "op", Value: []byte(ops[i].String())}}
		}
		recs[i] = rec
	}
	if len(recs) == 0 {
		return nil
	}
	if s.txnID != "" {
		return s.txnWrite(ctx, r, recs)
	}
	// The client checks the context only now and then (a metadata
	// refresh against a dead broker takes seconds to give up), so the
	// wait is bounded here; the produce goes on in the background until
	// the client fails the records, and the next Write waits for it.
	res := make(chan error, 1)
	go func() { res <- s.cl.ProduceSync(ctx, recs...).FirstErr() }()
	select {
	case err := <-res:
		if err != nil {
			if errors.Is(err, context.DeadlineExceeded) {
				return s.timedOut(err)
			}
			return fmt.Errorf("kafka(): producing to topic %s: %w", s.topic, err)
		}
		return nil
	case <-ctx.Done():
		s.inflight = res
		return s.timedOut(ctx.Err())
	}
}

func (s *kafkaSink) timedOut(err error) error {
	return fmt.Errorf("kafka(): topic %s: no acknowledgement from %s within %v: %w", s.topic, s.addr, s.timeout, err)
}

// setColumns prepares the JSON rendering and the key positions for cols.
func (s *kafkaSink) setColumns(cols []string) error {
	s.obj.SetColumns(cols)
	if s.keyIdx != nil && slices.Equal(s.keyCols, cols) {
		return nil
	}
	idx := make([]int, len(s.key))
	for i, k := range s.key {
		if idx[i] = slices.Index(cols, k); idx[i] < 0 {
			return fmt.Errorf("kafka(): key column %q is not among the result's columns (%s)", k, strings.Join(cols, ", "))
		}
	}
	s.keyCols, s.keyIdx = slices.Clone(cols), idx
	return nil
}

// ensureTopic creates the topic unless it exists.
func (s *kafkaSink) ensureTopic(ctx context.Context) error {
	meta := kmsg.NewPtrMetadataRequest()
	mt := kmsg.NewMetadataRequestTopic()
	mt.Topic = kmsg.StringPtr(s.topic)
	meta.Topics = append(meta.Topics, mt)
	meta.AllowAutoTopicCreation = false
	resp, err := meta.RequestWith(ctx, s.cl)
	if err != nil {
		return s.unreachable(err)
	}
	for _, t := range resp.Topics {
		if t.Topic == nil || *t.Topic != s.topic {
			continue
		}
		switch err := kerr.ErrorForCode(t.ErrorCode); {
		case err == nil && len(t.Partitions) > 0:
			return nil
		case err != nil && err != kerr.UnknownTopicOrPartition:
			return fmt.Errorf("kafka(): topic %s: %w", s.topic, err)
		}
	}
	create := kmsg.NewPtrCreateTopicsRequest()
	ct := kmsg.NewCreateTopicsRequestTopic()
	ct.Topic = s.topic
	ct.NumPartitions = s.partitions
	ct.ReplicationFactor = -1 // the brokers' default
	create.Topics = append(create.Topics, ct)
	create.TimeoutMillis = int32(min(s.timeout, time.Minute).Milliseconds())
	cresp, err := create.RequestWith(ctx, s.cl)
	if err != nil {
		return s.unreachable(err)
	}
	for _, t := range cresp.Topics {
		if err := kerr.ErrorForCode(t.ErrorCode); err != nil && err != kerr.TopicAlreadyExists {
			msg := ""
			if t.ErrorMessage != nil {
				msg = " (" + *t.ErrorMessage + ")"
			}
			return fmt.Errorf("kafka(): creating topic %s: %w%s", s.topic, err, msg)
		}
	}
	return nil
}

func (s *kafkaSink) unreachable(err error) error {
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("kafka(): no answer from %s within %v: %w", s.addr, s.timeout, err)
	}
	return fmt.Errorf("kafka(): cannot reach %s: %w", s.addr, err)
}

// Close releases the client. Every Write waited for its acknowledgements,
// so nothing is left to flush.
func (s *kafkaSink) Close() error {
	if s.closed {
		return nil
	}
	s.closed = true
	s.cl.Close()
	return nil
}
