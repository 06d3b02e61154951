package operators

import (
	"fmt"
	"math/rand"
	"strings"
	"testing"
	"time"

	"github.com/streamsql/streamsql/agg"
	"github.com/streamsql/streamsql/expr"
	"github.com/streamsql/streamsql/types"
	"github.com/streamsql/streamsql/window"
)

// wordLines makes n lines of 10 words from a Zipf-distributed vocabulary.
func wordLines(n int) []types.Row {
	rng := rand.New(rand.NewSource(1))
	z := rand.NewZipf(rng, 1.1, 1, 50000)
	rows := make([]types.Row, n)
	for i := range rows {
		var b strings.Builder
		for w := 0; w < 10; w++ {
			if w > 0 {
				b.WriteByte(' ')
			}
			fmt.Fprintf(&b, "w%d", z.Uint64())
		}
		rows[i] = types.Row{types.Text(b.String())}
	}
	return rows
}

type discard struct{ n int }

func (d *discard) Push(rows []types.Row) error { d.n += len(rows); return nil }
func (d *discard) EndBatch(*BatchEnd) error    { return nil }

func wordCount(spec window.Spec, sink Operator) Operator {
	count, _ := agg.New("count", nil, false)
	a := &Aggregate{Grouping: Grouping{Keys: []expr.Func{expr.Column(1)}, Aggs: []agg.Func{count}}, Window: spec, Next: sink}
	return &SplitWords{Col: 0, Next: a}
}

// BenchmarkWordCount measures the word count's operators (flatMap and
// keyed count) per word, excluding the source.
func BenchmarkWordCount(b *testing.B) {
	for _, c := range []struct {
		name string
		spec window.Spec
	}{
		{"per-batch", window.Spec{}},
		{"tumbling-60s", window.Tumbling(60 * time.Second)},
		{"sliding-60s-1s", window.Spec{Size: 60 * time.Second, Slide: time.Second}},
	} {
		b.Run(c.name, func(b *testing.B) {
			lines := wordLines(1024)
			head := wordCount(c.spec, &discard{})
			b.ReportAllocs()
			b.ResetTimer()
			t := time.Unix(0, 0)
			for i := 0; i < b.N; i++ {
				head.Push(lines)
				if i%10 == 9 { // a batch of ~100k words
					head.EndBatch(&BatchEnd{Start: t, Time: t.Add(time.Second), Emitted: true})
					t = t.Add(time.Second)
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(b.N*len(lines)*10)/b.Elapsed().Seconds()/1e6, "Mwords/s")
		})
	}
}
