package sources

import "github.com/streamsql/streamsql/types"

// Splits: a source whose input comes in parts that advance independently
// (Kafka partitions) tags each chunk with its part, so event-time
// operators can keep a watermark per part and take the least: a part read
// ahead of the others then does not make their rows late (Flink keeps one
// per source split for the same reason).

// SplitEmitter is implemented by an Emitter that tells splits apart.
type SplitEmitter interface {
	// EmitSplit is EmitAt for rows of one split. A call with no rows
	// announces a split before its first row, so the watermark waits
	// for it.
	EmitSplit(split int32, rows []types.Row, pos Position) error
}

// EmitSplit hands rows of one split over; an Emitter that does not tell
// splits apart gets them as any rows.
func EmitSplit(out Emitter, split int32, rows []types.Row, pos Position) error {
	if se, ok := out.(SplitEmitter); ok {
		return se.EmitSplit(split, rows, pos)
	}
	if len(rows) == 0 && pos == nil {
		return nil
	}
	return EmitAt(out, rows, pos)
}
