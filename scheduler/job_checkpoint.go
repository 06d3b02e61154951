package scheduler

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/streamsql/streamsql/operators"
	"github.com/streamsql/streamsql/sources"
	"github.com/streamsql/streamsql/types"
)

// checkpointer is a job's checkpoint bookkeeping, used from the job's
// goroutine only.
type checkpointer struct {
	cfg   *Checkpoint
	batch int64            // batches closed, over all runs
	pos   sources.Position // after the last chunk pushed
	saved json.RawMessage  // the restored position, until a chunk moves it
	since int              // batches closed since the last checkpoint
}

func (c *checkpointer) lock() (func(), error) { return lockCheckpoint(c.cfg.Path) }

// restore loads the checkpoint, if any, into the freshly built DAG and the
// source, and hands the results it holds to the consumers again. It
// returns the boundary the next batch starts at, nil on a first run.
func (j *Job) restore(head operators.Operator) (*time.Time, error) {
	c := j.ckpt
	if err := operators.Walk(head, func(operators.Operator) error { return nil }); err != nil {
		return nil, fmt.Errorf("--checkpoint: %w", err)
	}
	f, err := loadCheckpoint(c.cfg)
	if err != nil {
		return nil, err
	}
	var saved []byte
	if f != nil && len(f.Position) > 0 && string(f.Position) != "null" {
		saved = f.Position
		c.saved = f.Position
	}
	if r, ok := j.graph.Sources[0].(sources.Resumer); ok {
		if err := r.Resume(saved); err != nil {
			return nil, err
		}
	} else {
		j.cfg.Logf("%s cannot replay its input: after a crash, rows read since the last checkpoint are lost (at-most-once)", j.graph.Sources[0].Describe())
	}
	if f == nil {
		return nil, nil
	}
	if !f.Finished {
		if err := operators.RestoreAll(head, f.State); err != nil {
			return nil, fmt.Errorf("checkpoint %s: %w", c.cfg.Path, err)
		}
	}
	c.batch = f.Batch
	if len(f.Results) != len(j.outputs) {
		return nil, fmt.Errorf("checkpoint %s holds results for %d queries, not %d", c.cfg.Path, len(f.Results), len(j.outputs))
	}
	for i, o := range j.outputs {
		rs, err := decodeResults(f.Results[i])
		if err != nil {
			return nil, fmt.Errorf("checkpoint %s: results: %w", c.cfg.Path, err)
		}
		for _, r := range rs {
			// Handed over again: the sink may or may not have written
			// them before the crash. A final result is not final now.
			r.Final = false
			if err := j.deliver(o, r); err != nil {
				return nil, err
			}
		}
	}
	j.cfg.Logf("resumed from checkpoint %s (batch %d of %s)", c.cfg.Path, f.Batch, f.Time.UTC().Format(time.RFC3339Nano))
	t := f.Time
	return &t, nil
}

// catchUp runs the batches whose boundaries passed while the query was
// down, then checkpoints them.
func (j *Job) catchUp(head operators.Operator, batchStart, next *time.Time) error {
	now := j.cfg.Clock.Now()
	ran := false
	for !next.After(now) {
		b := &operators.BatchEnd{Start: *batchStart, Time: *next, Emitted: true, Recovering: true}
		if err := j.endBatch([]operators.Operator{head}, b); err != nil {
			return err
		}
		j.ckpt.batch++
		ran = true
		*batchStart, *next = *next, next.Add(j.cfg.Batch)
	}
	if !ran {
		return nil
	}
	return j.checkpoint(head, *batchStart, false)
}

// afterBatch checkpoints when the batch that closed at t is due for it.
func (j *Job) afterBatch(head operators.Operator, t time.Time) error {
	c := j.ckpt
	if c == nil {
		return nil
	}
	c.batch++
	c.since++
	if c.since < max(c.cfg.Every, 1) {
		return nil
	}
	return j.checkpoint(head, t, false)
}

// finish checkpoints the final batch of an input that ended: positions
// only, as every window was emitted. Once the sinks have written the final
// results the checkpoint is written again without them, so a later run
// does not hand them over a second time.
func (j *Job) finish(head operators.Operator, t time.Time) error {
	j.ckpt.batch++
	if err := j.checkpoint(head, t, true); err != nil {
		return err
	}
	if err := j.awaitAcks(); err != nil {
		return err
	}
	return j.write(head, t, true, false)
}

// checkpoint writes the checkpoint of the batch that closed at t, then
// hands the held results over.
func (j *Job) checkpoint(head operators.Operator, t time.Time, finished bool) error {
	if err := j.awaitAcks(); err != nil {
		return err
	}
	if err := j.write(head, t, finished, true); err != nil {
		return err
	}
	j.ckpt.since = 0
	for _, o := range j.outputs {
		held := o.held
		o.held = nil
		for _, r := range held {
			if err := j.deliver(o, r); err != nil {
				return err
			}
		}
	}
	return nil
}

func (j *Job) write(head operators.Operator, t time.Time, finished, results bool) error {
	c := j.ckpt
	f := &checkpointFile{
		Version:     checkpointVersion,
		Fingerprint: c.cfg.Fingerprint,
		Queries:     c.cfg.Queries,
		Batch:       c.batch,
		Time:        t,
		Finished:    finished,
		Position:    c.saved,
	}
	if c.pos != nil {
		p, err := c.pos.MarshalJSON()
		if err != nil {
			return fmt.Errorf("checkpoint: source position: %w", err)
		}
		f.Position = p
	}
	if !finished {
		st, err := operators.SnapshotAll(head)
		if err != nil {
			return fmt.Errorf("checkpoint: %w", err)
		}
		f.State = st
	}
	for _, o := range j.outputs {
		var held []*types.Result
		if results {
			for _, r := range o.held {
				if r.Emitted { // the others carry only statistics
					held = append(held, r)
				}
			}
		}
		b, err := encodeResults(held)
		if err != nil {
			return fmt.Errorf("checkpoint: results: %w", err)
		}
		f.Results = append(f.Results, b)
	}
	return writeCheckpoint(c.cfg.Path, f)
}

// awaitAcks waits until every result handed over was acknowledged by its
// consumer (written by its sink).
func (j *Job) awaitAcks() error {
	for _, o := range j.outputs {
		for o.acked.Load() < o.sent {
			select {
			case <-o.ackSig:
			case <-j.abandon:
				return errAbandoned
			}
		}
		o.ackMu.Lock()
		err := o.ackErr
		o.ackMu.Unlock()
		if err != nil {
			return err
		}
	}
	return nil
}

var errAbandoned = fmt.Errorf("query cancelled")

// closeOutputs ends a checkpointing job that was stopped: each query gets
// a final result with nothing in it, and the results held for a checkpoint
// that will not be written are dropped (the next run computes them again).
func (j *Job) closeOutputs(t time.Time) {
	for _, o := range j.outputs {
		o.held = nil
		if o.closed {
			continue
		}
		j.deliver(o, &types.Result{Time: t, Final: true, Columns: o.columns})
	}
}
