// Package operators is the physical DAG a query runs as: push-based
// operators that each receive the rows of the open batch in chunks and are
// told when the batch closes. Stateless operators (filter, project,
// flatMap) transform each chunk and pass it on; stateful ones (aggregate,
// sort) hold rows or partial aggregates until the batch or window closes.
// Operators know rows and batches only, never SQL text: the planner builds
// them from compiled expressions.
package operators

import (
	"time"

	"github.com/streamsql/streamsql/types"
)

// BatchEnd describes the batch that is closing as it travels down the DAG.
type BatchEnd struct {
	// Time is the batch time, the end of its interval; Start its
	// beginning. Rows of the batch arrived in [Start, Time).
	Start, Time time.Time
	// Final is set when the input has ended or the query is stopping:
	// stateful operators emit everything they hold.
	Final bool
	// Bounded is set on the one batch of a bounded run (--once): all the
	// input, read as a single batch.
	Bounded bool
	// Emitted starts true; an aggregate clears it when no window closed,
	// so the sink knows there is no result this batch.
	Emitted bool
	// Window is set by a windowed aggregate to the window it emitted
	// (nil when it emitted several at once: rows then carry their
	// window_start and window_end).
	Window *types.Window
	// Late and Malformed count, for the batch's statistics, rows an
	// operator dropped: behind the watermark, or without a usable event
	// time.
	Late, Malformed int64
	// Recovering marks a batch a restarted query runs for a boundary that
	// passed while it was down: it has no rows by construction, so
	// event-time operators do not take it as a sign that the source went
	// quiet.
	Recovering bool
	// Pending is set when an event-time operator upstream holds rows it
	// will push in a later batch (a window not closed yet, an open
	// session): its input still works. An event-time operator that
	// received nothing is then waiting for those rows, not reading a
	// quiet input, and does not count the batch as quiet (idle).
	Pending bool
	// forks are the fan-outs the batch passed, outermost first, each
	// with the counts above it: where branches of one fan-out meet again
	// (a join of two streams derived from one), those are counted once.
	forks []fork
	// StateKeys is how many groups (per pane), sessions or running keys
	// the stateful operators hold after the batch: the query's state size.
	StateKeys int64
}

// Operator is one node of the physical DAG.
type Operator interface {
	// Push hands over rows of the open batch. The operator may keep the
	// rows (they are not reused by the caller).
	Push(rows []types.Row) error
	// EndBatch closes the batch: the operator emits what is due to its
	// successor, then passes b on.
	EndBatch(b *BatchEnd) error
}

// Collect is the tail of a DAG: it gathers the rows of a batch and hands
// them, with the batch description, to a callback when the batch closes.
// For an updating stream it also gathers the deletions (Retract) and
// hands over the batch's net changes: deletes, then inserts.
type Collect struct {
	rows []types.Row
	net  *netting // set once a batch saw a deletion
	Out  func(b *BatchEnd, rows, deletes []types.Row) error
	// Stream, when set, takes the rows of the open batch as they arrive,
	// in runs of at least StreamRows, instead of holding them until the
	// batch closes (a bounded run's one batch can be all of the input).
	// Only for append-only results: rows are never taken back.
	Stream func(rows []types.Row) error
}

// StreamRows is the fewest rows Collect hands to Stream at a time.
const StreamRows = 1024

func (c *Collect) Push(rows []types.Row) error {
	if c.net != nil {
		for _, r := range rows {
			c.net.add(r, 1)
		}
		return nil
	}
	c.rows = append(c.rows, rows...)
	if c.Stream != nil && len(c.rows) >= StreamRows {
		out := c.rows
		c.rows = nil
		return c.Stream(out)
	}
	return nil
}

func (c *Collect) EndBatch(b *BatchEnd) error {
	rows := c.rows
	var deletes []types.Row
	if c.net != nil {
		rows, deletes = c.net.result()
	}
	c.rows, c.net = nil, nil
	if !b.Emitted {
		rows, deletes = nil, nil
	}
	return c.Out(b, rows, deletes)
}

// Splitter is an operator that keeps event time per split of its input
// (Kafka partitions): the scheduler tells it the split of the rows it
// pushes next, or announces a split with no rows yet.
type Splitter interface {
	SetSplit(id int32)
}

// Splitters returns the operators of the chain from head that keep event
// time per split, nil if the chain holds an operator Walk cannot descend.
func Splitters(head Operator) []Splitter {
	var out []Splitter
	err := Walk(head, func(op Operator) error {
		if s, ok := op.(Splitter); ok {
			out = append(out, s)
		}
		return nil
	})
	if err != nil {
		return nil
	}
	return out
}

// Rejecter is an operator that drops rows it cannot place (an event time
// that does not parse): besides counting them, it reports each to the
// function the scheduler gives it: where in the query (EVENT TIME ts),
// why, and the row as JSON.
type Rejecter interface {
	SetReject(fn func(where, reason string, record []byte))
}

// Rejecters returns the operators of the chain from head that drop rows
// they cannot place, as far as Walk descends.
func Rejecters(head Operator) []Rejecter {
	var out []Rejecter
	Walk(head, func(op Operator) error {
		if r, ok := op.(Rejecter); ok {
			out = append(out, r)
		}
		return nil
	})
	return out
}

// RowJSON renders a row as a JSON object of its columns (an array when
// the names do not match the row), to show a rejected row.
func RowJSON(cols []string, r types.Row) []byte {
	if len(cols) != len(r) {
		b := []byte{'['}
		for i, v := range r {
			if i > 0 {
				b = append(b, ',')
			}
			b = v.AppendJSON(b)
		}
		return append(b, ']')
	}
	b := []byte{'{'}
	for i, v := range r {
		if i > 0 {
			b = append(b, ',')
		}
		b = types.Text(cols[i]).AppendJSON(b)
		b = append(b, ':')
		b = v.AppendJSON(b)
	}
	return append(b, '}')
}
