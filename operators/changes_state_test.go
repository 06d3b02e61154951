package operators

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/streamsql/streamsql/agg"
	"github.com/streamsql/streamsql/expr"
	"github.com/streamsql/streamsql/types"
)

// changeLog records what reaches the end of a chain: inserts as +row,
// deletes as -row, one line per batch.
type changeLog struct {
	batch []string
	lines []string
}

func (c *changeLog) Push(rows []types.Row) error {
	for _, r := range rows {
		c.batch = append(c.batch, "+"+rowText(r))
	}
	return nil
}

func (c *changeLog) Retract(rows []types.Row) error {
	for _, r := range rows {
		c.batch = append(c.batch, "-"+rowText(r))
	}
	return nil
}

func (c *changeLog) EndBatch(*BatchEnd) error {
	c.lines = append(c.lines, strings.Join(c.batch, " "))
	c.batch = nil
	return nil
}

func rowText(r types.Row) string {
	parts := make([]string, len(r))
	for i, v := range r {
		parts[i] = v.String()
	}
	return strings.Join(parts, "|")
}

// TestChangeOperatorsRestore: the operators of updating results and OVER
// carry on after a checkpoint's Snapshot/Restore into fresh operators
// exactly as if never interrupted.
func TestChangeOperatorsRestore(t *testing.T) {
	sum, _ := agg.New("sum", expr.Column(1), false)
	max, _ := agg.New("max", expr.Column(1), false)
	key := []expr.Func{expr.Column(0)}
	byV := []SortKey{{Expr: expr.Column(1), Desc: true}}
	makers := map[string]func(next Operator) Operator{
		"updating": func(n Operator) Operator {
			return &Updating{Grouping: Grouping{Keys: key, Aggs: []agg.Func{sum, max}}, Next: n}
		},
		"updating over deletions": func(n Operator) Operator {
			return &Updating{Grouping: Grouping{Keys: key, Aggs: []agg.Func{max}}, Retracting: true, Next: n}
		},
		"top-n":          func(n Operator) Operator { return &TopN{Order: Order{Keys: byV, Limit: 2, Next: n}} },
		"distinct table": func(n Operator) Operator { return &DistinctTable{Next: n} },
		"rank":           func(n Operator) Operator { return &Rank{Partition: key, Order: byV, Limit: 2, Next: n} },
		"over rows": func(n Operator) Operator {
			return &Over{Partition: key, Order: []SortKey{{Expr: expr.Column(1)}}, Aggs: []agg.Func{sum}, Rows: 1, Next: n}
		},
		"over unbounded": func(n Operator) Operator {
			return &Over{Partition: key, Order: []SortKey{{Expr: expr.Column(1)}}, Aggs: []agg.Func{sum}, Rows: -1, Unbounded: true, Next: n}
		},
	}
	row := func(k string, v int64) types.Row { return types.Row{types.Text(k), types.Int(v)} }
	batches := []struct{ ins, del []types.Row }{
		{ins: []types.Row{row("a", 1), row("b", 5), row("a", 3)}},
		{ins: []types.Row{row("a", 2), row("b", 7)}},
		{ins: []types.Row{row("a", 9)}, del: []types.Row{row("a", 3)}},
		{ins: []types.Row{row("b", 1), row("c", 4)}},
	}
	for name, mk := range makers {
		t.Run(name, func(t *testing.T) {
			retracting := name == "updating over deletions" || name == "top-n" || name == "distinct table"
			run := func(op Operator, from, to int) {
				for i := from; i < to; i++ {
					b := batches[i]
					if len(b.del) > 0 && retracting {
						op.(Retractor).Retract(b.del)
					}
					op.Push(b.ins)
					op.EndBatch(&BatchEnd{Time: time.Unix(int64(i+1), 0), Emitted: true})
				}
			}
			whole := &changeLog{}
			run(mk(whole), 0, len(batches))

			first := &changeLog{}
			op := mk(first)
			run(op, 0, 2)
			state, err := op.(Stateful).Snapshot()
			if err != nil {
				t.Fatal(err)
			}
			second := &changeLog{}
			fresh := mk(second)
			if err := fresh.(Stateful).Restore(state); err != nil {
				t.Fatal(err)
			}
			run(fresh, 2, len(batches))
			got := append(first.lines, second.lines...)
			if fmt.Sprint(got) != fmt.Sprint(whole.lines) {
				t.Errorf("restored:\n%q\nuninterrupted:\n%q", got, whole.lines)
			}
			if len(whole.lines) != len(batches) || whole.lines[0] == "" {
				t.Fatalf("the chain emitted nothing: %q", whole.lines)
			}
		})
	}
}
