package streamsql

import (
	"github.com/streamsql/streamsql/planner"
	"github.com/streamsql/streamsql/scheduler"
)

// The classes of error the engine gives, for errors.Is, so a program
// embedding it needs no other package of this module to tell them apart.
// Each error's text says what happened; these say what kind of thing.
var (
	// Planning (Prepare): the error is a *parser.Error with the position.
	ErrColumnNotFound   = planner.ErrColumnNotFound   // a name that is no column; the message suggests the closest
	ErrFunctionNotFound = planner.ErrFunctionNotFound // an unknown function
	ErrNotFound         = planner.ErrSourceNotFound   // an unknown source, sink or stream
	ErrSource           = planner.ErrSource           // a source, table or sink refused its arguments
	ErrType             = planner.ErrType             // a type that cannot be meant (SUM of text)
	ErrUnsupported      = planner.ErrUnsupported      // a statement or form the engine does not run

	// Running (Start, Wait).
	ErrCheckpointMismatch = scheduler.ErrCheckpointMismatch // a checkpoint written by another query or version
	ErrCheckpointSources  = scheduler.ErrCheckpointSources  // a checkpoint asked of a query with several sources
	ErrStateLimit         = scheduler.ErrStateLimit         // stopped by Config.MaxKeys
	ErrMemoryLimit        = scheduler.ErrMemoryLimit        // stopped by Config.MaxMemory
)
