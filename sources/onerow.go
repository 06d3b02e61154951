package sources

import (
	"context"
	"fmt"

	"github.com/streamsql/streamsql/types"
)

// OneRow is what a query without FROM reads (`SELECT 1 AS x`): one row
// without columns, then the end of input. So a constant query answers
// once and ends, as in any SQL shell, with or without --once. It is not
// in the registry: FROM cannot name it.
func OneRow() Source { return oneRow{} }

type oneRow struct{}

func (oneRow) Schema() Schema   { return Schema{Typed: true} }
func (oneRow) Bounded() bool    { return true }
func (oneRow) Describe() string { return "one row (no FROM)" }

func (oneRow) Bind(columns []string) error {
	if len(columns) > 0 {
		return fmt.Errorf("a query without FROM has no columns, not even %q", columns[0])
	}
	return nil
}

func (oneRow) Run(ctx context.Context, out Emitter) error {
	out.Emit([]types.Row{{}}) // an error means the query is stopping: nothing left to do
	return nil
}
