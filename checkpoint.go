package streamsql

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path/filepath"

	"github.com/streamsql/streamsql/planner"
	"github.com/streamsql/streamsql/scheduler"
)

// checkpointOpts are a statement's checkpoint settings.
type checkpointOpts struct {
	dir   string
	every int
}

// Checkpoint makes the query restartable: at every `every`-th batch
// boundary (every batch when every < 1) it saves its source positions,
// operator state and the results not yet known to be written in dir, and
// a query started on a dir holding a checkpoint resumes from it. Call it
// before Start. Results are delivered only once their checkpoint is on
// disk, and each must be acknowledged (Query.Ack) once written: see
// README "Checkpoints" for the exactly-once order.
//
// The file is dir/query-N.ckpt, N being the statement's number among the
// queries started together (1 for a single query), so a script run again
// with the same dir finds its checkpoints. A checkpoint written by another
// query is an error, not a silent restart.
func (s *Statement) Checkpoint(dir string, every int) {
	s.ckpt = checkpointOpts{dir: dir, every: every}
}

// checkpointFor is the checkpoint of a job: that of its first query with
// one. The fingerprint covers every query of the job: its text and plan.
func checkpointFor(g *planner.Graph, stmts map[*planner.Plan]*Statement, index func(*planner.Plan) int) *scheduler.Checkpoint {
	var c *scheduler.Checkpoint
	h := sha256.New()
	var texts []string
	for _, p := range g.Queries {
		s := stmts[p]
		if s == nil {
			continue
		}
		fmt.Fprintf(h, "%s\n%s\n", s.Text, s.Plan())
		texts = append(texts, s.Text)
		if c == nil && s.ckpt.dir != "" {
			c = &scheduler.Checkpoint{
				Path:  filepath.Join(s.ckpt.dir, fmt.Sprintf("query-%d.ckpt", index(p))),
				Every: s.ckpt.every,
			}
			if s.view != nil {
				c.Path = viewCheckpoint(s.ckpt.dir, s.view.name)
			}
		}
	}
	if c == nil {
		return nil
	}
	c.Fingerprint = hex.EncodeToString(h.Sum(nil))
	c.Queries = texts
	return c
}
