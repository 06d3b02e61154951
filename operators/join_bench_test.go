package operators

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/streamsql/streamsql/expr"
	"github.com/streamsql/streamsql/tables"
	"github.com/streamsql/streamsql/types"
)

// dropRows is a sink that keeps nothing.
type dropRows struct{}

func (dropRows) Push([]types.Row) error   { return nil }
func (dropRows) EndBatch(*BatchEnd) error { return nil }

// BenchmarkLookupJoin: rows of 3 columns joined with a 1000-row table on a
// text key, chunks of 1024 rows, 90% of rows matching once.
func BenchmarkLookupJoin(b *testing.B) {
	var csv strings.Builder
	csv.WriteString("name,country\n")
	for i := 0; i < 1000; i++ {
		fmt.Fprintf(&csv, "city%d,c%d\n", i, i%50)
	}
	path := filepath.Join(b.TempDir(), "c.csv")
	if err := os.WriteFile(path, []byte(csv.String()), 0o644); err != nil {
		b.Fatal(err)
	}
	tb, err := tables.File(path, nil, false)
	if err == nil {
		err = tb.Load(context.Background())
	}
	if err != nil {
		b.Fatal(err)
	}
	eq := func(r types.Row) types.Value { return expr.Compare(expr.EQ, r[1], r[3]) }
	j := &LookupJoin{Table: tb, Keys: JoinKeys{expr.Column(1)}, TableKeys: JoinKeys{expr.Column(0)}, Cond: eq, Left: true, Width: 2, Next: dropRows{}}
	chunk := make([]types.Row, 1024)
	for i := range chunk {
		chunk[i] = types.Row{types.Int(int64(i)), types.Text(fmt.Sprintf("city%d", i%1111)), types.Float(1.5)}
	}
	b.ResetTimer()
	for i := 0; i < b.N; i += len(chunk) {
		if err := j.Push(chunk); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkIntervalJoin: two streams of rows one millisecond apart on 100
// keys, joined within 1s in event time; state stays bounded by eviction
// at each batch (every 10240 rows).
func BenchmarkIntervalJoin(b *testing.B) {
	j := &IntervalJoin{
		LeftKeys: JoinKeys{expr.Column(0)}, RightKeys: JoinKeys{expr.Column(0)},
		Cond: func(types.Row) types.Value { return types.Bool(true) }, LeftWidth: 2, RightWidth: 2,
		Within: time.Second, LeftTime: expr.Column(1), RightTime: expr.Column(1), Next: dropRows{},
	}
	ins := []Operator{j.Input(0), j.Input(1)}
	const n = 512
	next := 0
	b.ResetTimer()
	for i := 0; i < b.N; i += n {
		for side := range ins {
			chunk := make([]types.Row, n)
			for k := range chunk {
				ts := time.Unix(0, int64(next+k)*int64(time.Millisecond))
				chunk[k] = types.Row{types.Int(int64((next + k) % 10000)), types.Time(ts)}
			}
			if err := ins[side].Push(chunk); err != nil {
				b.Fatal(err)
			}
		}
		next += n
		if next%(10*n) == 0 {
			for _, in := range ins {
				in.EndBatch(&BatchEnd{Emitted: true})
			}
		}
	}
	b.ReportMetric(float64(2*b.N)/b.Elapsed().Seconds(), "rows/s")
}
