package kafka

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/streamsql/streamsql/formats"
	"github.com/streamsql/streamsql/internal/kafkaaddr"
	"github.com/streamsql/streamsql/sources"
	"github.com/streamsql/streamsql/types"
)

// The kafka source reads one topic:
//
//	kafka('host:port[,host:port]', topic => 't', group => 'g',
//	      offset => 'committed'|'earliest'|'latest', format => 'jsonl', ...)
//
// Each record's value is one record of the format (one line of text or
// jsonl, one csv record; a trailing line break is dropped). Csv records
// carry no header over Kafka, so format csv needs header => false (columns
// c1, c2, ...) or a schema. A value that does not decode is skipped and
// reported as malformed with its topic, partition and offset.
//
// Besides the format's columns a query may read _key (TEXT, the record key,
// NULL when it has none), _timestamp (TIMESTAMP), _partition and _offset
// (BIGINT). They shadow format columns of the same name.
//
// With group => 'g' the source is a member of consumer group g (the
// cooperative-sticky balancer, so several queries or processes sharing a
// group split the partitions). It starts where the group's committed
// offsets are, and where the group has no commit, at offset's choice:
// 'earliest' (the default, also what 'committed' means) or 'latest'.
// Without a group it reads every partition from offset's choice ('earliest'
// by default; 'committed' needs a group).
//
// Delivery guarantee: offsets are committed manually, synchronously, and
// only for records whose rows the query has accepted (Emit returned). A
// group that restarts therefore resumes right after what the previous run
// handed to the query: nothing is lost, and what was delivered is not
// delivered again, except the records of a batch whose commit failed or was
// cut short by a crash, which are read once more. That is at-least-once;
// exactly-once (offsets committed with the query's checkpoint) is not done
// here. Rebalances wait while a polled batch is being handed over and
// committed (BlockRebalanceOnPoll), so a partition moves to another member
// only with its offsets committed; a query that stays blocked for longer
// than the group's rebalance timeout (a minute) is dropped from the group
// and its uncommitted batch is read again by whoever takes the partition.
// Without a group nothing is committed: every run starts at offset's choice.
//
// Unbounded by default. Bounded (sources.Args.Once, i.e. reading once): the end
// offsets (high watermarks) of every partition are listed when Run starts,
// and each partition is read up to them, from the group's committed offset
// or offset's choice; the source ends when every partition has reached its
// end (records written meanwhile are left for the next run, and are not
// committed). A member of a shared group reads only the partitions it is
// assigned and ends when those are done.
//
// A broker that cannot be reached is not fatal while reading live: the
// client keeps retrying, the problem is logged once (again after it
// recovered and failed anew) and the source waits; cancelling the query
// ends it. A topic that does not exist yet is waited for (bounded reading
// fails instead).
//
// connect_timeout => '30s' bounds the start: when no broker has answered
// the requests that start reading (the topic's metadata, its offsets, the
// group's commits) within it, Run fails with the last error. Bounded
// reading has a default of 30s, so `--once` against a broker that is down
// ends with an error instead of waiting forever; live reading waits
// forever unless the option is given. '0' waits forever.

const kafkaUsage = "kafka('host:port[,host:port]', topic => 't', group => 'g', offset => 'committed'|'earliest'|'latest', connect_timeout => '30s', " +
	formats.Usage + ")"

// kafkaConnectTimeout is how long bounded reading waits for a broker to
// answer at start, unless connect_timeout says otherwise.
const kafkaConnectTimeout = 30 * time.Second

func init() {
	sources.Register(&sources.Spec{
		Name:    "kafka",
		Usage:   kafkaUsage,
		MaxArgs: 1,
		Options: append([]string{"topic", "group", "offset", "connect_timeout"}, formats.Options...),
		Open:    openKafka,
	})
}

// kafkaColumns are the columns every record has besides its value's.
var kafkaColumns = types.Schema{
	{Name: "_key", Type: types.KindText},
	{Name: "_timestamp", Type: types.KindTime},
	{Name: "_partition", Type: types.KindInt},
	{Name: "_offset", Type: types.KindInt},
}

const (
	kafkaColKey = iota
	kafkaColTimestamp
	kafkaColPartition
	kafkaColOffset
)

// kafkaCommitTimeout bounds one offset commit, kafkaAttemptTimeout one
// metadata or offset request before it is logged and retried, and
// kafkaLeaveTimeout leaving the group when the source ends.
const (
	kafkaCommitTimeout  = 10 * time.Second
	kafkaAttemptTimeout = 10 * time.Second
	kafkaLeaveTimeout   = 5 * time.Second
)

type kafkaSource struct {
	brokers []string
	addr    string // the first argument as given, for messages
	topic   string
	group   string
	offset  string // where to start without a commit: "earliest" or "latest"
	once    bool
	dec     formats.Decoder

	bound bool
	// cols maps each output column to the decoder's column (>= 0) or to
	// kafkaColumns[-c-1].
	cols []int
	ndec int // columns bound in the decoder

	retryWait      time.Duration // pause between failed attempts
	attemptTimeout time.Duration // bound of one metadata or offset request
	// connectTimeout bounds the start of Run (0: no bound); connectText
	// is the option as written, for the error.
	connectTimeout time.Duration
	connectText    string

	// Set by Resume when the query checkpoints: offsets to start from.
	ckpt   bool
	resume map[int32]int64
}

func openKafka(args sources.Args) (sources.Source, error) {
	addr, err := args.Text("kafka", 0, "brokers")
	if err != nil {
		return nil, err
	}
	brokers := kafkaaddr.Brokers(addr)
	if len(brokers) == 0 {
		return nil, fmt.Errorf("kafka(): no broker address in %s (write 'host:port[,host:port]')", formats.Quote(addr))
	}
	s := &kafkaSource{brokers: brokers, addr: addr, once: args.Once,
		retryWait: time.Second, attemptTimeout: kafkaAttemptTimeout}
	s.topic = strings.TrimSpace(args.Option("topic", ""))
	if s.topic == "" {
		return nil, fmt.Errorf("kafka(): topic => 'name' is required; usage: %s", kafkaUsage)
	}
	if s.once {
		s.connectTimeout = kafkaConnectTimeout
	}
	if v, ok := args.Named["connect_timeout"]; ok {
		text := strings.TrimSpace(v.String())
		d, err := time.ParseDuration(text)
		if text == "0" {
			d, err = 0, nil
		}
		if err != nil || d < 0 {
			return nil, fmt.Errorf("kafka(): connect_timeout must be a duration such as '5s', or '0' to wait forever, got %s", formats.Quote(v.String()))
		}
		s.connectTimeout = d
	}
	s.connectText = s.connectTimeout.String()
	s.group = strings.TrimSpace(args.Option("group", ""))
	if _, ok := args.Named["group"]; ok && s.group == "" {
		return nil, errors.New("kafka(): group must not be empty")
	}
	switch off := strings.ToLower(strings.TrimSpace(args.Option("offset", ""))); off {
	case "", "earliest":
		s.offset = "earliest"
	case "latest":
		s.offset = "latest"
	case "committed":
		if s.group == "" {
			return nil, errors.New("kafka(): offset => 'committed' needs a group (group => 'name')")
		}
		s.offset = "earliest"
	default:
		return nil, fmt.Errorf("kafka(): offset must be 'committed', 'earliest' or 'latest', got %s", formats.Quote(args.Option("offset", "")))
	}

	decArgs := args
	if strings.EqualFold(strings.TrimSpace(args.Option("format", "")), "csv") {
		// A Kafka record is one csv record: there is no header record.
		_, hasSchema := args.Named["schema"]
		h, hasHeader := args.Named["header"]
		header := true
		if hasHeader {
			// A value that is not a boolean is sources.OpenDecoder's to report.
			b, err := strconv.ParseBool(strings.ToLower(strings.TrimSpace(h.String())))
			header = err == nil && b
		}
		if header && (hasHeader || !hasSchema) {
			return nil, errors.New("kafka(): format csv needs header => false or a schema: Kafka records carry no header record")
		}
		if !hasHeader {
			decArgs.Named = make(map[string]types.Value, len(args.Named)+1)
			for k, v := range args.Named {
				decArgs.Named[k] = v
			}
			decArgs.Named["header"] = types.Text("false")
		}
	}
	if s.dec, err = sources.OpenDecoder(decArgs); err != nil {
		return nil, fmt.Errorf("kafka(): %w", err)
	}
	return s, nil
}

func (s *kafkaSource) Bounded() bool { return s.once }

func (s *kafkaSource) Describe() string {
	var b strings.Builder
	fmt.Fprintf(&b, "kafka(%s) topic=%s", formats.Quote(s.addr), s.topic)
	if s.group != "" {
		fmt.Fprintf(&b, " group=%s", s.group)
	}
	fmt.Fprintf(&b, " offset=%s format=%s", s.offset, s.dec.Name())
	if s.once {
		b.WriteString(" bounded")
	} else {
		b.WriteString(" live")
	}
	return b.String()
}

func (s *kafkaSource) Schema() sources.Schema {
	ds := s.dec.Schema()
	if !s.bound {
		cols := make(types.Schema, 0, len(ds.Columns)+len(kafkaColumns))
		for _, c := range ds.Columns {
			if kafkaColumns.Index(c.Name) < 0 {
				cols = append(cols, c)
			}
		}
		return sources.Schema{Columns: append(cols, kafkaColumns...), Open: ds.Open, Typed: ds.Typed}
	}
	cols := make(types.Schema, len(s.cols))
	for i, c := range s.cols {
		if c < 0 {
			cols[i] = kafkaColumns[-c-1]
		} else {
			cols[i] = ds.Columns[c]
		}
	}
	return sources.Schema{Columns: cols, Typed: ds.Typed}
}

func (s *kafkaSource) Bind(columns []string) error {
	cols := make([]int, len(columns))
	var decCols []string
	for i, c := range columns {
		if m := kafkaColumns.Index(c); m >= 0 {
			cols[i] = -m - 1
			continue
		}
		cols[i] = len(decCols)
		decCols = append(decCols, c)
	}
	if err := s.dec.Bind(decCols); err != nil {
		return err
	}
	s.cols, s.ndec, s.bound = cols, len(decCols), true
	return nil
}

// kafkaRun is the state of one Run.
type kafkaRun struct {
	s   *kafkaSource
	cl  *kgo.Client
	out sources.Emitter

	failing bool // a fetch problem was logged and nothing was read since

	// What the requests before reading were doing and how the last one
	// failed, for the error when connect_timeout passes.
	doing   string // what the last request was for, for the error
	lastErr error

	// Bounded reading.
	end     map[int32]int64 // offset to stop at, per partition still to read
	mu      sync.Mutex      // guards assign and joined (group callbacks run on other goroutines)
	assign  map[int32]bool  // partitions this member is assigned
	joined  bool            // a first assignment arrived
	scratch types.Row
	next    map[int32]int64 // checkpointing: the next offset per partition
}

func (s *kafkaSource) Run(ctx context.Context, out sources.Emitter) error {
	if !s.bound {
		if err := s.Bind(s.Schema().Columns.Names()); err != nil {
			return fmt.Errorf("kafka(): %w", err)
		}
	}
	out, done := sources.WithRejects(out, s.dec, "kafka("+formats.Quote(s.addr)+")")
	defer done()
	r := &kafkaRun{s: s, out: out, scratch: make(types.Row, s.ndec)}
	start := kgo.NewOffset().AtStart()
	if s.offset == "latest" {
		start = kgo.NewOffset().AtEnd()
	}
	opts := []kgo.Opt{
		kgo.SeedBrokers(s.brokers...),
		kgo.ConsumeResetOffset(start),
		// Transaction markers are kept (and skipped here) so bounded
		// reading sees every offset up to the end.
		kgo.KeepControlRecords(),
	}
	if !s.ckpt {
		opts = append(opts, kgo.ConsumeTopics(s.topic))
	} else if s.group != "" {
		out.Logf("kafka(%s): with a checkpoint the offsets come from it; group %s is not joined (this query reads every partition)", formats.Quote(s.addr), s.group)
	}
	if s.group != "" && !s.ckpt {
		opts = append(opts,
			kgo.ConsumerGroup(s.group),
			kgo.Balancers(kgo.CooperativeStickyBalancer()),
			kgo.DisableAutoCommit(),
			kgo.BlockRebalanceOnPoll(),
		)
		if s.once {
			opts = append(opts,
				kgo.OnPartitionsAssigned(func(_ context.Context, _ *kgo.Client, m map[string][]int32) { r.setAssigned(m[s.topic], true) }),
				kgo.OnPartitionsRevoked(func(_ context.Context, _ *kgo.Client, m map[string][]int32) { r.setAssigned(m[s.topic], false) }),
				kgo.OnPartitionsLost(func(_ context.Context, _ *kgo.Client, m map[string][]int32) { r.setAssigned(m[s.topic], false) }),
			)
		}
	}
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return fmt.Errorf("kafka(): %w", err)
	}
	r.cl = cl
	defer r.close()

	parts, err := r.start(ctx)
	if err != nil || ctx.Err() != nil {
		return err
	}
	if s.ckpt {
		// Where reading starts is a position too, rows or not.
		if err := sources.EmitAt(out, nil, r.position()); err != nil {
			return nil
		}
		out.Logf("kafka(%s): consuming topic %s from checkpointed offsets", formats.Quote(s.addr), s.topic)
	} else if s.group != "" {
		out.Logf("kafka(%s): consuming topic %s as group %s", formats.Quote(s.addr), s.topic, s.group)
	} else {
		out.Logf("kafka(%s): consuming topic %s from the %s offsets (no group)", formats.Quote(s.addr), s.topic, s.offset)
	}
	// The partitions are the splits of event time: announced before any
	// row, so the watermark waits for the slowest of them.
	for _, p := range parts {
		if err := sources.EmitSplit(out, p, nil, nil); err != nil {
			return nil
		}
	}
	if s.once {
		if len(r.end) == 0 {
			return nil
		}
		// Partitions with nothing to read are not fetched at all.
		var idle []int32
		for _, p := range parts {
			if _, ok := r.end[p]; !ok {
				idle = append(idle, p)
			}
		}
		if len(idle) > 0 {
			cl.PauseFetchPartitions(map[string][]int32{s.topic: idle})
		}
	}
	return r.consume(ctx)
}

// start makes the requests that come before reading (the topic's
// partitions; for bounded reading their ends; with a checkpoint where to
// start), within connect_timeout when there is one.
func (r *kafkaRun) start(ctx context.Context) ([]int32, error) {
	sctx := ctx
	if r.s.connectTimeout > 0 {
		var cancel context.CancelFunc
		sctx, cancel = context.WithTimeout(ctx, r.s.connectTimeout)
		defer cancel()
	}
	parts, err := r.awaitTopic(sctx)
	if err == nil && sctx.Err() == nil && r.s.once {
		err = r.bounds(sctx, parts)
	}
	if err == nil && sctx.Err() == nil && r.s.ckpt {
		err = r.consumeFrom(sctx, parts)
	}
	if err == nil && sctx.Err() != nil && ctx.Err() == nil {
		why := "no answer"
		if r.lastErr != nil {
			why = r.lastErr.Error()
		}
		return nil, fmt.Errorf("kafka(%s): %s: gave up after %s (connect_timeout): %s", formats.Quote(r.s.addr), r.doing, r.s.connectText, why)
	}
	return parts, err
}

func (r *kafkaRun) setAssigned(parts []int32, on bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.assign == nil {
		r.assign = map[int32]bool{}
	}
	for _, p := range parts {
		if on {
			r.assign[p] = true
		} else {
			delete(r.assign, p)
		}
	}
	if on {
		r.joined = true
	}
}

// close leaves the group (bounded in time, so an unreachable broker cannot
// hold up the end of the query) and closes the client. Nothing is committed
// here: every commit happened right after its rows were emitted.
func (r *kafkaRun) close() {
	r.cl.AllowRebalance()
	if r.s.group != "" {
		ctx, cancel := context.WithTimeout(context.Background(), kafkaLeaveTimeout)
		r.cl.LeaveGroupContext(ctx)
		cancel()
	}
	r.cl.Close()
}

// wait pauses between retries; it returns false when ctx is done.
func (r *kafkaRun) wait(ctx context.Context) bool {
	t := time.NewTimer(r.s.retryWait)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// kafkaPermanent marks an error retry must not retry.
type kafkaPermanent struct{ err error }

func (e kafkaPermanent) Error() string { return e.err.Error() }

// retry runs fn until it succeeds, fails permanently (kafkaPermanent, whose
// error it returns) or ctx is done (nil). The first failure is logged;
// later ones are not, so a broker that is down for hours logs one line.
func (r *kafkaRun) retry(ctx context.Context, what string, fn func(ctx context.Context) error) error {
	logged := false
	r.doing, r.lastErr = what, nil
	for {
		actx, cancel := context.WithTimeout(ctx, r.s.attemptTimeout)
		err := fn(actx)
		cancel()
		var perm kafkaPermanent
		switch {
		case errors.As(err, &perm):
			return perm.err
		case err == nil:
			return nil
		}
		if ctx.Err() != nil {
			// Cut short by the end of ctx (cancelled, or connect_timeout
			// passed): a failure before says more than the cut.
			if r.lastErr == nil && !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
				r.lastErr = err
			}
			return nil
		}
		if errors.Is(err, context.DeadlineExceeded) {
			err = fmt.Errorf("no answer within %v", r.s.attemptTimeout)
		}
		r.lastErr = err
		if !logged {
			r.out.Logf("kafka(%s): warning: %s: %v; retrying", formats.Quote(r.s.addr), what, err)
			logged = true
		}
		if !r.wait(ctx) {
			return nil
		}
	}
}

// awaitTopic waits until a broker answers and the topic exists, and
// returns its partitions. Bounded reading fails on a missing topic. It
// returns nil, nil when ctx is done first.
func (r *kafkaRun) awaitTopic(ctx context.Context) ([]int32, error) {
	var parts []int32
	missingLogged := false
	for {
		missing := true
		err := r.retry(ctx, "cannot reach broker "+strings.Join(r.s.brokers, ","), func(ctx context.Context) error {
			req := kmsg.NewPtrMetadataRequest()
			t := kmsg.NewMetadataRequestTopic()
			t.Topic = kmsg.StringPtr(r.s.topic)
			req.Topics = append(req.Topics, t)
			req.AllowAutoTopicCreation = false
			resp, err := req.RequestWith(ctx, r.cl)
			if err != nil {
				return err
			}
			parts = parts[:0]
			for _, rt := range resp.Topics {
				if rt.Topic == nil || *rt.Topic != r.s.topic {
					continue
				}
				err := kerr.ErrorForCode(rt.ErrorCode)
				if err != nil && err != kerr.UnknownTopicOrPartition {
					return err
				}
				for _, p := range rt.Partitions {
					parts = append(parts, p.Partition)
				}
				missing = err != nil || len(parts) == 0
			}
			return nil
		})
		if err != nil || ctx.Err() != nil {
			return nil, err
		}
		if !missing {
			slices.Sort(parts)
			return parts, nil
		}
		if r.s.once {
			return nil, fmt.Errorf("kafka(): topic %s does not exist", r.s.topic)
		}
		r.doing, r.lastErr = "waiting for topic "+r.s.topic, fmt.Errorf("topic %s does not exist", r.s.topic)
		if !missingLogged {
			r.out.Logf("kafka(%s): topic %s does not exist yet; waiting for it", formats.Quote(r.s.addr), r.s.topic)
			missingLogged = true
		}
		if !r.wait(ctx) {
			return nil, nil
		}
	}
}

// bounds fills r.end for bounded reading: the end offset of each partition
// that has something to read between its start and its end.
func (r *kafkaRun) bounds(ctx context.Context, parts []int32) error {
	ends, err := r.listOffsets(ctx, parts, -1)
	if err != nil || ctx.Err() != nil {
		return err
	}
	earliest, err := r.listOffsets(ctx, parts, -2)
	if err != nil || ctx.Err() != nil {
		return err
	}
	starts := map[int32]int64{}
	if r.s.ckpt {
		starts = r.s.resume
	} else if r.s.group != "" {
		if starts, err = r.committed(ctx, parts); err != nil || ctx.Err() != nil {
			return err
		}
	}
	r.end = map[int32]int64{}
	for _, p := range parts {
		start, ok := starts[p]
		switch {
		case !ok && r.s.offset == "latest":
			continue
		case !ok || start < earliest[p]:
			// No commit, or one below the log start (retention removed
			// it): the client starts at the log start.
			start = earliest[p]
		}
		if start < ends[p] {
			r.end[p] = ends[p]
		}
	}
	return nil
}

// listOffsets returns the earliest (ts -2) or end (ts -1) offset of parts.
func (r *kafkaRun) listOffsets(ctx context.Context, parts []int32, ts int64) (map[int32]int64, error) {
	adm := kadm.NewClient(r.cl)
	list := adm.ListEndOffsets
	if ts == -2 {
		list = adm.ListStartOffsets
	}
	var out map[int32]int64
	err := r.retry(ctx, "listing the offsets of topic "+r.s.topic, func(ctx context.Context) error {
		listed, err := list(ctx, r.s.topic)
		if err != nil {
			return err
		}
		out = map[int32]int64{}
		for _, p := range parts {
			o, ok := listed.Lookup(r.s.topic, p)
			if !ok {
				return fmt.Errorf("no offset for partition %d", p)
			}
			if o.Err != nil {
				return fmt.Errorf("partition %d: %w", p, o.Err)
			}
			out[p] = o.Offset
		}
		return nil
	})
	return out, err
}

// committed returns the group's committed offsets of parts; partitions
// without a commit are absent.
func (r *kafkaRun) committed(ctx context.Context, parts []int32) (map[int32]int64, error) {
	out := map[int32]int64{}
	err := r.retry(ctx, "fetching the committed offsets of group "+r.s.group, func(ctx context.Context) error {
		req := kmsg.NewPtrOffsetFetchRequest()
		g := kmsg.NewOffsetFetchRequestGroup()
		g.Group = r.s.group
		t := kmsg.NewOffsetFetchRequestGroupTopic()
		t.Topic = r.s.topic
		t.Partitions = parts
		g.Topics = append(g.Topics, t)
		req.Groups = append(req.Groups, g)
		resp, err := req.RequestWith(ctx, r.cl)
		if err != nil {
			return err
		}
		clear(out)
		for _, rg := range resp.Groups {
			if err := kerr.ErrorForCode(rg.ErrorCode); err != nil {
				return err
			}
			for _, rt := range rg.Topics {
				for _, p := range rt.Partitions {
					if err := kerr.ErrorForCode(p.ErrorCode); err != nil {
						return fmt.Errorf("partition %d: %w", p.Partition, err)
					}
					if p.Offset >= 0 {
						out[p.Partition] = p.Offset
					}
				}
			}
		}
		return nil
	})
	return out, err
}

// consume polls, emits and commits until ctx is done, the query stops or
// (bounded) every partition reached its end.
func (r *kafkaRun) consume(ctx context.Context) error {
	s := r.s
	for {
		pctx, cancel := ctx, context.CancelFunc(func() {})
		if s.once {
			// Wake up now and then to see whether the partitions left
			// were assigned to another member.
			pctx, cancel = context.WithTimeout(ctx, 500*time.Millisecond)
		}
		fetches := r.cl.PollRecords(pctx, sources.ChunkRows)
		cancel()
		if ctx.Err() != nil {
			return nil
		}
		for _, fe := range fetches.Errors() {
			switch {
			case errors.Is(fe.Err, context.DeadlineExceeded) || errors.Is(fe.Err, context.Canceled):
			case errors.Is(fe.Err, kgo.ErrClientClosed):
				return nil
			case !r.failing:
				r.failing = true
				where := "topic " + s.topic
				if fe.Partition >= 0 && fe.Topic != "" {
					where = fmt.Sprintf("topic %s partition %d", fe.Topic, fe.Partition)
				}
				r.out.Logf("kafka(%s): warning: %s: %v; still trying", formats.Quote(s.addr), where, fe.Err)
			}
		}
		stop, err := r.handle(fetches.Records())
		r.cl.AllowRebalance()
		if stop || err != nil {
			return err
		}
		if s.once && r.finished() {
			return nil
		}
	}
}

// handle decodes a polled batch, emits its rows and commits its offsets.
// It returns stop when the query is stopping.
func (r *kafkaRun) handle(recs []*kgo.Record) (stop bool, err error) {
	if len(recs) == 0 {
		return false, nil
	}
	r.failing = false
	s := r.s
	ncols := len(s.cols)
	arena := make([]types.Value, len(recs)*ncols)
	rows := make([]types.Row, 0, len(recs))
	done := recs[:0:0] // records handled, to commit
	// Rows go out in runs of one partition (a split of event time), each
	// with the position after it.
	run, runPart := 0, int32(-1)
	flush := func() error {
		if len(rows) == run {
			return nil
		}
		var pos sources.Position
		if s.ckpt {
			pos = r.position()
		}
		err := sources.EmitSplit(r.out, runPart, rows[run:len(rows):len(rows)], pos)
		run = len(rows)
		return err
	}
	for _, rec := range recs {
		if rec.Partition != runPart {
			if err := flush(); err != nil {
				return true, nil
			}
			runPart = rec.Partition
		}
		if s.once {
			end, ok := r.end[rec.Partition]
			if !ok || rec.Offset >= end {
				continue // past the end at start: left for the next run
			}
			if rec.Offset >= end-1 {
				delete(r.end, rec.Partition)
				r.cl.PauseFetchPartitions(map[string][]int32{s.topic: {rec.Partition}})
			}
		}
		done = append(done, rec)
		if r.next != nil {
			r.next[rec.Partition] = rec.Offset + 1
		}
		if rec.Attrs.IsControl() {
			continue
		}
		k := len(rows) * ncols
		dst := types.Row(arena[k : k+ncols : k+ncols])
		if err := r.decode(rec, dst); err != nil {
			clear(dst)
			if err != formats.ErrSkip {
				sources.Reject(r.out, fmt.Sprintf("topic %s partition %d offset %d", rec.Topic, rec.Partition, rec.Offset), err.Error(), rec.Value)
			}
			continue
		}
		rows = append(rows, dst)
	}
	if err := flush(); err != nil {
		return true, nil
	}
	if s.group != "" && !s.ckpt && len(done) > 0 {
		// The rows are the query's now: commit even if ctx was just
		// cancelled, so a restart does not deliver them again.
		cctx, cancel := context.WithTimeout(context.Background(), kafkaCommitTimeout)
		err := r.cl.CommitRecords(cctx, done...)
		cancel()
		if err != nil {
			r.out.Logf("kafka(%s): warning: committing offsets of group %s: %v; the records since the last commit will be read again after a restart",
				formats.Quote(s.addr), s.group, err)
		}
	}
	return false, nil
}

// decode fills dst from rec: the value through the decoder, the rest from
// the record.
func (r *kafkaRun) decode(rec *kgo.Record, dst types.Row) error {
	s := r.s
	val := rec.Value
	if n := len(val); n > 0 && val[n-1] == '\n' {
		val = formats.TrimEOL(val)
	}
	if lim := formats.MaxRecord(s.dec); len(val) > lim {
		return formats.TooLong(lim, "record")
	}
	if err := s.dec.Decode(val, r.scratch); err != nil {
		return err
	}
	for i, c := range s.cols {
		if c >= 0 {
			dst[i] = r.scratch[c]
			continue
		}
		switch -c - 1 {
		case kafkaColKey:
			if rec.Key != nil {
				dst[i] = types.Text(string(formats.ValidUTF8(rec.Key)))
			}
		case kafkaColTimestamp:
			dst[i] = types.Time(rec.Timestamp)
		case kafkaColPartition:
			dst[i] = types.Int(int64(rec.Partition))
		case kafkaColOffset:
			dst[i] = types.Int(rec.Offset)
		}
	}
	return nil
}

// finished reports whether bounded reading is done: every partition
// reached its end, or (in a shared group) the partitions left belong to
// other members.
func (r *kafkaRun) finished() bool {
	if len(r.end) == 0 {
		return true
	}
	if r.s.group == "" {
		return false
	}
	// A partition whose committed offset reached its end is done, even
	// if another member committed it.
	for p, o := range r.cl.CommittedOffsets()[r.s.topic] {
		if end, ok := r.end[p]; ok && o.Offset >= end {
			delete(r.end, p)
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.joined {
		return len(r.end) == 0
	}
	for p := range r.end {
		if r.assign[p] {
			return false
		}
	}
	return true
}
