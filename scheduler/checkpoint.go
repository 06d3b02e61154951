package scheduler

import (
	"bytes"
	"crypto/sha256"
	"encoding/gob"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/streamsql/streamsql/types"
)

// Checkpoint configures a job's checkpoint. The order that makes a
// restart exactly-once (see README "Checkpoints"):
//
//  1. rows are pushed into the operators; the job remembers the source
//     position after the last chunk it pushed;
//  2. at a checkpoint boundary, the results of the batches since the last
//     checkpoint are held back, not handed to the sinks;
//  3. the job waits until the sinks have written every result handed to
//     them before (Output.Ack);
//  4. it writes {positions, operator states, held results} to a
//     temporary file, fsyncs it, renames it over the checkpoint and
//     fsyncs the directory;
//  5. only then are the held results handed to the sinks.
//
// A restart loads the checkpoint, restores the states, hands its results
// to the sinks again (idempotent sinks absorb the repeat: a file named by
// batch time, an upsert by key and window), and reads on from the saved
// positions. Whatever was read after the checkpoint was never seen by a
// sink, so it is neither lost nor counted twice.
type Checkpoint struct {
	// Path is the checkpoint file (a lock file sits beside it).
	Path string
	// Every is how many batches go between checkpoints (1 when < 1).
	// Results wait for their checkpoint, so they are up to Every batches
	// late.
	Every int
	// Fingerprint identifies the query (hash of its normalised text and
	// plan); Queries are its statements, to name it in errors.
	Fingerprint string
	Queries     []string
}

// checkpointVersion is the version of the checkpoint file format. Version
// 2 wraps the content in an envelope with its checksum.
const checkpointVersion = 2

// checkpointEnvelope is what the file holds: the checkpoint's JSON, byte
// for byte, and the SHA-256 of those bytes. A checkpoint edited by hand
// (or damaged on disk) but still valid JSON is refused: one file name
// taken out of a done list would count that file twice.
type checkpointEnvelope struct {
	SHA256     string          `json:"sha256"`
	Checkpoint json.RawMessage `json:"checkpoint"`
}

func checksum(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// checkpointFile is the checkpoint as written: JSON, with the operator
// states and results as gob (base64 in the JSON).
type checkpointFile struct {
	Version     int      `json:"version"`
	Fingerprint string   `json:"fingerprint"`
	Queries     []string `json:"queries"`
	// Batch is the number of the last batch closed (from 1 over all runs);
	// Time its boundary: the next batch starts there.
	Batch int64     `json:"batch"`
	Time  time.Time `json:"time"`
	// Finished is set when the input ended and every window was
	// emitted: a restart starts with empty state from Position.
	Finished bool `json:"finished,omitempty"`
	// Position is the source's, after the last row pushed; null for a
	// source that cannot resume.
	Position json.RawMessage `json:"position"`
	// State holds one gob blob per stateful operator, in operators.Walk
	// order.
	State [][]byte `json:"state"`
	// Results are the held results per query (gob of []*types.Result), to
	// hand to the sinks again after a restart.
	Results [][]byte `json:"results"`
}

func encodeResults(rs []*types.Result) ([]byte, error) {
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(rs); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func decodeResults(b []byte) ([]*types.Result, error) {
	var rs []*types.Result
	err := gob.NewDecoder(bytes.NewReader(b)).Decode(&rs)
	return rs, err
}

// ErrCheckpointMismatch is the class of the error a job gives when its
// checkpoint was written by another query or another format version.
var ErrCheckpointMismatch = errors.New("checkpoint belongs to another query")

// loadCheckpoint reads the checkpoint at c.Path; nil, nil when there is
// none yet.
func loadCheckpoint(c *Checkpoint) (*checkpointFile, error) {
	data, err := os.ReadFile(c.Path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("checkpoint: %w", err)
	}
	var env checkpointEnvelope
	if err := json.Unmarshal(data, &env); err != nil {
		return nil, fmt.Errorf("checkpoint %s is damaged (%w); delete it to start over", c.Path, err)
	}
	var f checkpointFile
	switch {
	case env.Checkpoint == nil:
		// Version 1 had no envelope; its version is at the top.
		if err := json.Unmarshal(data, &f); err != nil || f.Version == 0 {
			return nil, fmt.Errorf("checkpoint %s is damaged (no checkpoint in it); delete it to start over", c.Path)
		}
	case checksum(env.Checkpoint) != env.SHA256:
		return nil, fmt.Errorf("checkpoint %s is damaged (its content does not match its checksum: it was changed after streamsql wrote it); delete it to start over", c.Path)
	default:
		if err := json.Unmarshal(env.Checkpoint, &f); err != nil {
			return nil, fmt.Errorf("checkpoint %s is damaged (%w); delete it to start over", c.Path, err)
		}
	}
	if f.Version != checkpointVersion {
		return nil, fmt.Errorf("checkpoint %s has format version %d, this streamsql writes version %d; use another checkpoint directory: %w",
			c.Path, f.Version, checkpointVersion, ErrCheckpointMismatch)
	}
	if f.Fingerprint != c.Fingerprint {
		return nil, fmt.Errorf("checkpoint %s was written by a different query (%q); use another checkpoint directory or delete it to start this one afresh: %w",
			c.Path, joinQueries(f.Queries), ErrCheckpointMismatch)
	}
	return &f, nil
}

func joinQueries(qs []string) string {
	out := ""
	for i, q := range qs {
		if i > 0 {
			out += "; "
		}
		out += q
	}
	return out
}

// writeCheckpoint replaces the checkpoint atomically: a temporary file
// beside it, fsynced, renamed over it, the directory fsynced so the rename
// survives a crash.
func writeCheckpoint(path string, f *checkpointFile) error {
	content, err := json.Marshal(f)
	if err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	// Written by hand, so the checksummed bytes are the bytes in the file.
	data := fmt.Appendf(nil, `{"sha256":%q,"checkpoint":%s}`, checksum(content), content)
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	ok := false
	defer func() {
		if !ok {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err := tmp.Write(data); err != nil {
		return fmt.Errorf("checkpoint: writing %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("checkpoint: writing %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("checkpoint: writing %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	ok = true
	if d, err := os.Open(dir); err == nil {
		err := d.Sync()
		d.Close()
		if err != nil && !errors.Is(err, syscall.EINVAL) {
			return fmt.Errorf("checkpoint: syncing %s: %w", dir, err)
		}
	}
	return nil
}

// lockCheckpoint takes an exclusive lock beside the checkpoint, so two
// processes cannot run the same query on it at once. The kernel drops the
// lock when the process dies, however it dies.
func lockCheckpoint(path string) (release func(), err error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("checkpoint: %w", err)
	}
	f, err := os.OpenFile(path+".lock", os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("checkpoint: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, fmt.Errorf("checkpoint %s is in use by another running query", path)
	}
	// Temporary files of a run killed while writing are garbage now.
	if stale, err := filepath.Glob(filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")); err == nil {
		for _, name := range stale {
			os.Remove(name)
		}
	}
	return func() { f.Close() }, nil
}
