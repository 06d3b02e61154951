package cluster

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/streamsql/streamsql/clock"
	"github.com/streamsql/streamsql/sources/kafka"
)

// Config is one member's view of a cluster query.
type Config struct {
	// Name identifies the query across members: members with the same
	// name share its work. Group ids and topic names derive from it.
	Name  string
	Split *Split
	// Output is where results go: a Kafka topic, written in the same
	// transactions as the state.
	OutputBrokers []string
	OutputTopic   string
	Columns       []string // result columns, the keys of the JSON objects written
	KeyColumns    []int    // result columns that make a record's key

	Batch time.Duration
	// SessionTimeout is how long a silent member keeps its partitions
	// (default 10s): the time a dead member's work waits.
	SessionTimeout time.Duration
	Logf           func(format string, args ...any)
	// Clock is what batches are timed by, polls' deadlines included;
	// nil is the wall clock. Tests pass a *clock.Fake and move it: the
	// Kafka client's own timers (heartbeats, sessions) stay on the wall
	// clock.
	Clock clock.Clock
	// BatchDone, when set, is told of each batch a stage closed: the
	// stage (1 or 2), the batch's end, the end of the stage's next batch
	// (later than the clock then) and whether the transaction committed.
	// Tests on a fake clock wait on it, and move the clock once every
	// stage waits for it.
	BatchDone func(stage int, end, next time.Time, committed bool)
}

// Topics are the internal topics of a cluster query.
func Topics(name string) (repartition, changelog string) {
	return name + "-repartition", name + "-changelog"
}

// ErrConfig is the class of errors of a query that cannot run as asked.
var ErrConfig = errors.New("cluster")

// Run runs this process as one member of the cluster query until ctx is
// cancelled (then it leaves its groups, and the others take over its
// partitions) or a stage fails.
func Run(ctx context.Context, cfg Config) error {
	call := cfg.Split.Source
	if call == nil {
		return fmt.Errorf("%w: the query must read a kafka() source", ErrConfig)
	}
	src, err := call.Open()
	if err != nil {
		return err
	}
	in, ok := src.(kafka.Input)
	if !ok {
		return fmt.Errorf("%w: the query must read a kafka() source, not %s", ErrConfig, cfg.Split.Source.Describe())
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.Real{}
	}
	if cfg.Batch <= 0 {
		cfg.Batch = time.Second
	}
	if cfg.SessionTimeout <= 0 {
		cfg.SessionTimeout = 10 * time.Second
	}
	if cfg.Logf == nil {
		cfg.Logf = func(string, ...any) {}
	}
	id := memberID()
	m := &member{cfg: cfg, in: in, id: id}
	n, err := m.setup(ctx)
	if err != nil {
		return err
	}
	m.parts = n
	m.start = cfg.Clock.Now()
	cfg.Logf("cluster %s: member %s; %d input partitions of %s; stages read %s", cfg.Name, id, n, in.KafkaTopic(), m.repartition)

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errs := make(chan error, 2)
	go func() { errs <- m.stage1(ctx) }()
	go func() { errs <- m.stage2(ctx) }()
	err = <-errs
	cancel()
	if err2 := <-errs; err == nil {
		err = err2
	}
	if ctx.Err() != nil && errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

type member struct {
	cfg Config
	in  kafka.Input
	// start is when the member started: both stages pace their batches
	// from it, so they end batches together on the grid.
	start time.Time
	id    string

	parts                  int // input partitions = repartition and changelog partitions
	repartition, changelog string
	outParts               int
}

// logf logs a line about the query, prefixed with its name.
func (m *member) logf(format string, args ...any) {
	m.cfg.Logf("cluster %s: "+format, append([]any{m.cfg.Name}, args...)...)
}

func memberID() string {
	host, _ := os.Hostname()
	var b [4]byte
	rand.Read(b[:])
	return fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(b[:]))
}

// common are the client options of both stages.
func (m *member) common(brokers []string) []kgo.Opt {
	return []kgo.Opt{
		kgo.SeedBrokers(brokers...),
		kgo.Balancers(kgo.CooperativeStickyBalancer()),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		kgo.RecordPartitioner(kgo.ManualPartitioner()),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.SessionTimeout(m.cfg.SessionTimeout),
		kgo.HeartbeatInterval(m.cfg.SessionTimeout / 10),
		kgo.TransactionTimeout(max(m.cfg.SessionTimeout, 10*time.Second)),
		kgo.RetryTimeout(30 * time.Second),
	}
}

// setup reads the input's partition count and creates the internal topics
// (and the output topic) with as many partitions when they are missing.
func (m *member) setup(ctx context.Context) (int, error) {
	m.repartition, m.changelog = Topics(m.cfg.Name)
	cl, err := kgo.NewClient(kgo.SeedBrokers(m.in.KafkaBrokers()...))
	if err != nil {
		return 0, err
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	n, err := partitionsOf(ctx, adm, m.in.KafkaTopic(), m.cfg.Logf)
	if err != nil {
		return 0, err
	}
	compact := "compact"
	for _, t := range []struct {
		name    string
		configs map[string]*string
	}{
		{m.repartition, nil},
		{m.changelog, map[string]*string{"cleanup.policy": &compact}},
	} {
		if err := createTopic(ctx, adm, t.name, n, t.configs); err != nil {
			return 0, err
		}
	}
	// The output topic may live on other brokers; it is created there.
	ocl, err := kgo.NewClient(kgo.SeedBrokers(m.cfg.OutputBrokers...))
	if err != nil {
		return 0, err
	}
	defer ocl.Close()
	oadm := kadm.NewClient(ocl)
	if err := createTopic(ctx, oadm, m.cfg.OutputTopic, n, nil); err != nil {
		return 0, err
	}
	if m.outParts, err = partitionsOf(ctx, oadm, m.cfg.OutputTopic, m.cfg.Logf); err != nil {
		return 0, err
	}
	for _, t := range []string{m.repartition, m.changelog} {
		if _, err := partitionsOf(ctx, adm, t, m.cfg.Logf); err != nil {
			return 0, err
		}
	}
	return n, nil
}

func createTopic(ctx context.Context, adm *kadm.Client, name string, parts int, configs map[string]*string) error {
	td, err := adm.ListTopics(ctx, name)
	if err != nil {
		return err
	}
	if t, ok := td[name]; ok && t.Err == nil {
		return nil // an existing topic keeps its partitions
	}
	resp, err := adm.CreateTopic(ctx, int32(parts), -1, configs, name)
	if err == nil {
		err = resp.Err
	}
	if err != nil && !errors.Is(err, kerr.TopicAlreadyExists) { // another member was first
		return fmt.Errorf("creating topic %s: %w", name, err)
	}
	return nil
}

// partitionsOf waits until the brokers list topic's partitions.
func partitionsOf(ctx context.Context, adm *kadm.Client, topic string, logf func(string, ...any)) (int, error) {
	for i := 0; ; i++ {
		td, err := adm.ListTopics(ctx, topic)
		if err == nil {
			if t, ok := td[topic]; ok && t.Err == nil && len(t.Partitions) > 0 {
				return len(t.Partitions), nil
			}
		}
		if i%10 == 9 {
			logf("waiting for topic %s", topic)
		}
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}
