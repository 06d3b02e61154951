package operators

import (
	"testing"
	"time"

	"github.com/streamsql/streamsql/expr"
	"github.com/streamsql/streamsql/types"
)

// BenchmarkEventTime measures reading a row's event time, per row, for
// the ways a source writes it: epoch milliseconds (BIGINT), RFC 3339 text,
// and 'YYYY-MM-DD HH:MM:SS.fff' text (the layout a SQL database or a log
// prints). Reading one must not allocate.
func BenchmarkEventTime(b *testing.B) {
	base := time.Date(2026, 11, 28, 21, 30, 0, 0, time.UTC)
	for _, c := range []struct {
		name string
		val  func(t time.Time) types.Value
	}{
		{"epoch-ms", func(t time.Time) types.Value { return types.Int(t.UnixMilli()) }},
		{"rfc3339", func(t time.Time) types.Value { return types.Text(t.Format("2006-01-02T15:04:05.000Z07:00")) }},
		{"space", func(t time.Time) types.Value { return types.Text(t.Format("2006-01-02 15:04:05.000")) }},
	} {
		rows := make([]types.Row, 4096)
		for i := range rows {
			rows[i] = types.Row{c.val(base.Add(time.Duration(i) * 37 * time.Millisecond))}
		}
		b.Run(c.name, func(b *testing.B) {
			w := &EventWatermark{Time: expr.Column(0)}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if _, ok := w.at(rows[i&4095]); !ok {
					b.Fatal("no event time")
				}
				i++
			}
		})
	}
}
