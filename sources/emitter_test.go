package sources

import (
	"context"
	"testing"

	"github.com/streamsql/streamsql/sources/sourcetest"
)

// The tests of this package use the helpers a source of any package
// tests itself with (sourcetest), under short local names.
type testEmitter = sourcetest.Recorder

const wait = sourcetest.Wait

var (
	newTestEmitter = sourcetest.NewRecorder
	formatRows     = sourcetest.FormatRows
	checkRows      = sourcetest.CheckRows
	awaitLog       = sourcetest.AwaitLog
	awaitRows      = sourcetest.AwaitRows
)

// runLive runs src in the background; stop cancels it and checks that
// Run returns nil.
func runLive(t *testing.T, src Source, em Emitter) (stop func()) {
	t.Helper()
	return sourcetest.RunLive(t, func(ctx context.Context) error { return src.Run(ctx, em) })
}
