package streamsql

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/streamsql/streamsql/cluster"
	"github.com/streamsql/streamsql/internal/kafkaaddr"
	"github.com/streamsql/streamsql/planner"
)

// ClusterConfig tunes RunCluster.
type ClusterConfig struct {
	// Batch is the batch interval of both stages; 0 takes the engine's.
	Batch time.Duration
	// SessionTimeout is how long a member that stopped answering keeps
	// its partitions before the others take them (default 10s).
	SessionTimeout time.Duration
}

// RunCluster runs s as one member of the cluster query name until ctx
// ends: every process running the same statement under the same name
// shares the work, splitting the input topic's partitions between them
// (package cluster). s must be
//
//	INSERT INTO kafka('brokers', topic => 'out') SELECT ... FROM kafka('brokers', topic => 'in', ...)
//	GROUP BY ... WINDOW size [SLIDE s] [EVENT TIME ts LATENESS l]
//
// with the output on the input's brokers.
func (s *Statement) RunCluster(ctx context.Context, name string, cfg ClusterConfig) error {
	c, err := s.cluster(name)
	if err != nil {
		return err
	}
	c.Batch, c.SessionTimeout = cfg.Batch, cfg.SessionTimeout
	if c.Batch <= 0 {
		c.Batch = s.eng.cfg.BatchInterval
	}
	c.Logf = s.eng.logf
	return cluster.Run(ctx, c)
}

// ClusterPlan is the plan of s as a cluster query: its two stages, as
// EXPLAIN prints them under --cluster.
func (s *Statement) ClusterPlan(name string) (string, error) {
	if _, err := s.cluster(name); err != nil {
		return "", err
	}
	split, err := s.plan.Split()
	if err != nil {
		return "", err
	}
	rep, log := cluster.Topics(name)
	return "Sink " + s.target.Call.String() + "\n" + split.Explain(name, rep, log), nil
}

func (s *Statement) cluster(name string) (cluster.Config, error) {
	var c cluster.Config
	if name == "" || strings.ContainsAny(name, "/\\ \t\n") {
		return c, fmt.Errorf("%w: the cluster name must be a word (it names Kafka groups and topics), got %q", cluster.ErrConfig, name)
	}
	if s.plan == nil || s.target == nil || s.target.Spec.Name != "kafka" {
		return c, fmt.Errorf("%w: a cluster query writes to a Kafka topic (INSERT INTO kafka('brokers', topic => 'out') SELECT ...)", cluster.ErrConfig)
	}
	split, err := s.plan.Split()
	if err != nil {
		return c, err
	}
	opts := s.target.Options
	if len(opts.Args) == 0 {
		return c, fmt.Errorf("%w: kafka() sink needs its brokers", cluster.ErrConfig)
	}
	brokers := kafkaaddr.Brokers(opts.Args[0].String())
	t, ok := opts.Named["topic"]
	topic := strings.TrimSpace(t.String())
	if !ok || t.IsNull() || topic == "" {
		return c, fmt.Errorf("%w: kafka() sink needs topic => 'name'", cluster.ErrConfig)
	}
	c = cluster.Config{Name: name, Split: clusterSplit(split), OutputBrokers: brokers, OutputTopic: topic, Columns: s.plan.Columns}
	for _, k := range s.plan.Key {
		for i, col := range s.plan.Columns {
			if col == k {
				c.KeyColumns = append(c.KeyColumns, i)
				break
			}
		}
	}
	return c, nil
}

// clusterSplit is what a cluster member needs of a planned split.
func clusterSplit(s *planner.Split) *cluster.Split {
	return &cluster.Split{Source: s.Plan.Source, Keys: s.Keys, Aggs: s.Aggs, Window: s.Window,
		EventTime: s.EventTime, Lateness: s.Lateness, Pre: s.Pre, Post: s.Post}
}
