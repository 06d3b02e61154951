package operators

import (
	"runtime"
	"testing"
	"time"

	"github.com/streamsql/streamsql/agg"
	"github.com/streamsql/streamsql/expr"
	"github.com/streamsql/streamsql/types"
)

// BenchmarkOperators measures each operator alone over the same rows (a
// sensor reading: sensor TEXT, temp DOUBLE, ts BIGINT, 1000 sensors),
// pushed in chunks of 1024 with a batch closed every 10 chunks, into a
// sink that drops them. It reports ns and allocations per input row; the
// allocations of an operator that emits per batch are spread over the
// batch's rows.
func BenchmarkOperators(b *testing.B) {
	rows := sensorRows(10240, 1000)
	count, _ := agg.New("count", nil, false)
	avg, _ := agg.New("avg", expr.Column(1), false)
	hi, _ := agg.New("max", expr.Column(1), false)
	grouping := func() Grouping {
		return Grouping{Keys: []expr.Func{expr.Column(0)}, Cols: []int{0}, Aggs: []agg.Func{count, avg, hi}}
	}
	hot := func(r types.Row) types.Value { return expr.Compare(expr.GT, r[1], types.Float(20)) }
	double := func(r types.Row) types.Value { return expr.Arith('*', r[1], types.Int(2)) }
	tags := func(r types.Row) types.Value {
		return types.Array([]types.Value{r[0], types.Text("x"), types.Text("y")})
	}
	for _, c := range []struct {
		name string
		op   func(next Operator) Operator
	}{
		{"filter", func(n Operator) Operator { return &Filter{Pred: hot, Next: n} }},
		{"project", func(n Operator) Operator {
			return &Project{Exprs: []expr.Func{expr.Column(0), double}, Next: n}
		}},
		{"unnest-3", func(n Operator) Operator { return &Unnest{Expr: tags, Next: n} }},
		{"aggregate-per-batch", func(n Operator) Operator { return &Aggregate{Grouping: grouping(), Next: n} }},
		{"running", func(n Operator) Operator { return &Running{Grouping: grouping(), Next: n} }},
		{"session-10s", func(n Operator) Operator { return &Session{Grouping: grouping(), Gap: 10 * time.Second, Next: n} }},
		{"order-by-temp", func(n Operator) Operator {
			return &Order{Keys: []SortKey{{Expr: expr.Column(1)}}, Limit: -1, Next: n}
		}},
		{"distinct", func(n Operator) Operator { return &Distinct{Next: n} }},
	} {
		b.Run(c.name, func(b *testing.B) {
			op := c.op(&discard{})
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			t := time.Unix(0, 0)
			n := 0
			for i := 0; b.Loop(); i++ {
				start := (i * 1024) % len(rows)
				if err := op.Push(rows[start : start+1024]); err != nil {
					b.Fatal(err)
				}
				n += 1024
				if i%10 == 9 {
					t = t.Add(time.Second)
					if err := op.EndBatch(&BatchEnd{Start: t.Add(-time.Second), Time: t, Emitted: true}); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.StopTimer()
			runtime.ReadMemStats(&after)
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n), "ns/row")
			b.ReportMetric(float64(after.Mallocs-before.Mallocs)/float64(n), "allocs/row")
			b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/float64(n), "B/row")
		})
	}
}
