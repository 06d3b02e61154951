package cluster

import (
	"time"

	"github.com/streamsql/streamsql/agg"
	"github.com/streamsql/streamsql/expr"
	"github.com/streamsql/streamsql/operators"
	"github.com/streamsql/streamsql/sources"
	"github.com/streamsql/streamsql/window"
)

// Split is a grouped, windowed query cut at its aggregate, what a cluster
// member runs: stage 1 pushes the source's rows through Pre and folds
// them into partial aggregates per (pane, key) with Keys and Aggs; stage
// 2 merges them and pushes each closed window's rows through Post. The
// planner makes it (planner.Plan.Split); the cluster knows nothing of
// planning.
type Split struct {
	// Source is the kafka() source the query reads.
	Source *sources.Call
	// Keys and Aggs are the aggregate's grouping, as operators.Grouping
	// takes them.
	Keys []expr.Func
	Aggs []agg.Func
	// Window is the window; EventTime a row's event time (nil: processing
	// time, a row's pane is its batch's), Lateness how far the watermark
	// trails it.
	Window    window.Spec
	EventTime expr.Func
	Lateness  time.Duration
	// Pre builds the operators below the aggregate, feeding sink; Post
	// those above it, fed the rows of each closed window.
	Pre, Post func(sink operators.Operator) operators.Operator
}
