package operators

import (
	"fmt"
	"math/rand"
	"runtime"
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
	// As the planner builds `SELECT word, COUNT(*) ... GROUP BY word`:
	// the flatMap emits just the word, folded straight into the aggregate.
	a := &Aggregate{Grouping: Grouping{Keys: []expr.Func{expr.Column(0)}, Cols: []int{0}, Aggs: []agg.Func{count}}, Window: spec, Next: sink}
	return &FoldWords{Col: 0, Next: a, Parallel: runtime.GOMAXPROCS(0) >= 2}
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

// sensorRows makes n readings of `sensors` sensors, 10 per millisecond of
// event time (10k rows per second), a few out of order.
func sensorRows(n, sensors int) []types.Row {
	rng := rand.New(rand.NewSource(1))
	rows := make([]types.Row, n)
	for i := range rows {
		ts := int64(i) / 10
		if rng.Intn(50) == 0 {
			ts -= int64(rng.Intn(2000))
		}
		rows[i] = types.Row{types.Text(fmt.Sprintf("sensor-%04d", rng.Intn(sensors))), types.Float(rng.Float64() * 40), types.Int(ts)}
	}
	return rows
}

// BenchmarkEventWindow compares the per-row cost of a 60s tumbling window
// with a 60s window sliding every second (60 panes per window) over the
// same event-time stream of 10k rows/s: COUNT, AVG and MAX per sensor. The
// sliding window emits every sensor every second, so its extra cost grows
// with the number of sensors per second of data; 1000 sensors (10 rows per
// sensor per second) is the heavy case, 100 the common one.
func BenchmarkEventWindow(b *testing.B) {
	for _, sensors := range []int{100, 1000} {
		for _, c := range []struct {
			name string
			spec window.Spec
		}{
			{"tumbling-60s", window.Tumbling(60 * time.Second)},
			{"sliding-60s-1s", window.Spec{Size: 60 * time.Second, Slide: time.Second}},
		} {
			b.Run(fmt.Sprintf("%s/sensors-%d", c.name, sensors), func(b *testing.B) {
				benchEventWindow(b, c.spec, sensorRows(1<<20, sensors))
			})
		}
	}
}

func benchEventWindow(b *testing.B, spec window.Spec, rows []types.Row) {
	count, _ := agg.New("count", nil, false)
	avg, _ := agg.New("avg", expr.Column(1), false)
	hi, _ := agg.New("max", expr.Column(1), false)
	sink := &discard{}
	g := Grouping{Keys: []expr.Func{expr.Column(0)}, Aggs: []agg.Func{count, avg, hi}}
	fresh := func() *EventWindow {
		return &EventWindow{Grouping: g, EventWatermark: EventWatermark{Time: expr.Column(2), Lateness: 2 * time.Second}, Window: spec, Next: sink}
	}
	op := fresh()
	b.ReportAllocs()
	b.ResetTimer()
	t := time.Unix(0, 0)
	done := 0
	for i := 0; i < b.N; i++ {
		// Each iteration is 1024 rows; a batch every 10 iterations.
		start := (i * 1024) % len(rows)
		if start == 0 && i > 0 {
			b.StopTimer()
			op = fresh()
			b.StartTimer()
		}
		op.Push(rows[start : start+1024])
		done += 1024
		if i%10 == 9 {
			t = t.Add(time.Second)
			op.EndBatch(&BatchEnd{Start: t.Add(-time.Second), Time: t, Emitted: true})
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(done), "ns/row")
}
