package window

import (
	"fmt"
	"testing"
	"time"

	"github.com/streamsql/streamsql/agg"
	"github.com/streamsql/streamsql/expr"
	"github.com/streamsql/streamsql/types"
)

// benchTable makes a table of n sensors with COUNT, AVG and MAX states.
func benchTable(n int, fs []agg.Func) *Table {
	t := NewTable()
	for i := 0; i < n; i++ {
		row := types.Row{types.Text(fmt.Sprintf("sensor-%04d", i)), types.Float(float64(i % 40))}
		g := t.Get(types.AppendKey(nil, row[0]), row[:1], len(fs))
		for j, f := range fs {
			f.Add(&g.States[j], row)
		}
	}
	return t
}

func benchAggs() []agg.Func {
	count, _ := agg.New("count", nil, false)
	avg, _ := agg.New("avg", expr.Column(1), false)
	hi, _ := agg.New("max", expr.Column(1), false)
	return []agg.Func{count, avg, hi}
}

// BenchmarkMergeInto measures merging one pane's groups into a window's
// table, per group: the step a window's emission and a sliding window's
// slide repeat.
func BenchmarkMergeInto(b *testing.B) {
	fs := benchAggs()
	for _, n := range []int{100, 10000} {
		b.Run(fmt.Sprintf("groups-%d", n), func(b *testing.B) {
			src, dst := benchTable(n, fs), benchTable(n, fs)
			b.ReportAllocs()
			for b.Loop() {
				src.MergeInto(dst, fs)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/group")
		})
	}
}

// BenchmarkPanesWindow measures computing a 60 s window from its 60 panes
// of 1 s (1000 groups each) from scratch: what the slider avoids.
func BenchmarkPanesWindow(b *testing.B) {
	fs := benchAggs()
	spec := Spec{Size: 60 * time.Second, Slide: time.Second}
	p := NewPanes(spec)
	for s := 0; s < 60; s++ {
		p.Add(time.Unix(int64(s), 0), benchTable(1000, fs), fs)
	}
	w := spec.Ending(time.Unix(60, 0))
	b.ReportAllocs()
	for b.Loop() {
		if p.Window(w, fs).Len() != 1000 {
			b.Fatal("wrong window")
		}
	}
}

// BenchmarkTableGet measures a lookup of an existing group by its encoded
// key (10 000 groups), the per-row cost of every grouped query.
func BenchmarkTableGet(b *testing.B) {
	fs := benchAggs()
	t := benchTable(10000, fs)
	keys := make([][]byte, 10000)
	vals := make([]types.Value, 10000)
	for i := range keys {
		vals[i] = types.Text(fmt.Sprintf("sensor-%04d", i))
		keys[i] = types.AppendKey(nil, vals[i])
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		k := (i * 7919) % len(keys)
		t.Get(keys[k], vals[k:k+1], len(fs))
		i++
	}
}
