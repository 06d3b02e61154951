package sources

import (
	"github.com/streamsql/streamsql/types"
)

// Checkpoints and source positions.
//
// A query that checkpoints (--checkpoint) saves, at batch boundaries, where
// each source stands: exactly the rows pushed into the query so far, no
// more. A source that can start again from such a position implements
// Resumer and hands its rows over with EmitAt, each chunk with the
// position just after it. The job keeps the position of the last chunk it
// pushed; a checkpoint stores it; a restarted query passes it back to
// Resume before Run.
//
// Sources that cannot replay what they read (socket, http, stdin,
// generate) are at-most-once across a restart: their rows since the last
// checkpoint are gone with the process.

// Position is where a source stands after a chunk of rows, as JSON (the
// checkpoint file is JSON, so positions can be read by people and tests).
type Position interface {
	MarshalJSON() ([]byte, error)
}

// PositionEmitter is implemented by the Emitter of a query that
// checkpoints.
type PositionEmitter interface {
	// EmitAt is Emit with the source's position after rows.
	EmitAt(rows []types.Row, pos Position) error
}

// Resumer is a source that can continue from a saved Position.
type Resumer interface {
	// Resume is called before Run when the query checkpoints. saved is
	// the position a checkpoint stored, nil on the first run. After
	// Resume the source reports positions through EmitAt.
	Resume(saved []byte) error
}

// EmitAt hands rows over with their position when out takes positions.
func EmitAt(out Emitter, rows []types.Row, pos Position) error {
	if pe, ok := out.(PositionEmitter); ok {
		return pe.EmitAt(rows, pos)
	}
	return out.Emit(rows)
}

// RecordEmitter is implemented by an Emitter that counts the records read
// apart from the rows: a source that joins lines (formats.JoinLines)
// hands over many lines in one row.
type RecordEmitter interface {
	// EmitRecords is EmitAt for rows made of records records.
	EmitRecords(rows []types.Row, records int64, pos Position) error
}

// EmitRecords hands rows made of records records over; an Emitter that
// does not count records apart gets them as rows.
func EmitRecords(out Emitter, rows []types.Row, records int64, pos Position) error {
	if re, ok := out.(RecordEmitter); ok {
		return re.EmitRecords(rows, records, pos)
	}
	return EmitAt(out, rows, pos)
}
