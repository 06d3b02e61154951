package operators_test

import (
	"testing"

	"github.com/streamsql/streamsql/operators"
	"github.com/streamsql/streamsql/types"
)

// counter is an operator of another package: it takes part in
// checkpoints by being a Parent and Stateful, nothing else.
type counter struct {
	n    byte
	next operators.Operator
}

func (c *counter) Push(rows []types.Row) error          { c.n += byte(len(rows)); return c.next.Push(rows) }
func (c *counter) EndBatch(b *operators.BatchEnd) error { return c.next.EndBatch(b) }
func (c *counter) Children() []operators.Operator       { return []operators.Operator{c.next} }
func (c *counter) Snapshot() ([]byte, error)            { return []byte{c.n}, nil }
func (c *counter) Restore(b []byte) error               { c.n = b[0]; return nil }

// opaque does not list its children.
type opaque struct{ operators.Operator }

func TestWalkAsksOperatorsNotTypes(t *testing.T) {
	tail := &operators.Collect{Out: func(*operators.BatchEnd, []types.Row, []types.Row) error { return nil }}
	c := &counter{next: tail}
	head := &operators.Filter{Pred: func(types.Row) types.Value { return types.Bool(true) }, Next: c}
	if err := head.Push([]types.Row{{types.Int(1)}, {types.Int(2)}, {types.Int(3)}}); err != nil {
		t.Fatal(err)
	}
	states, err := operators.SnapshotAll(head)
	if err != nil {
		t.Fatal(err)
	}
	if len(states) != 1 || len(states[0]) != 1 || states[0][0] != 3 {
		t.Fatalf("states %v, want [[3]]", states)
	}
	fresh := &counter{next: tail}
	if err := operators.RestoreAll(&operators.Filter{Pred: head.Pred, Next: fresh}, states); err != nil {
		t.Fatal(err)
	}
	if fresh.n != 3 {
		t.Fatalf("restored %d, want 3", fresh.n)
	}

	err = operators.Walk(&operators.Filter{Pred: head.Pred, Next: opaque{tail}}, func(operators.Operator) error { return nil })
	if want := "operator operators_test.opaque cannot be checkpointed"; err == nil || err.Error() != want {
		t.Fatalf("walk through an operator that lists no children: %v, want %q", err, want)
	}
}
