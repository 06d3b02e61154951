package sources

import (
	"bytes"
	"context"
	"strconv"
	"testing"

	"github.com/streamsql/streamsql/types"
)

// benchRows is the size of the synthetic inputs of the decode benchmarks.
const benchRows = 1 << 20

func csvBenchData() []byte {
	var b bytes.Buffer
	b.WriteString("sensor,temp,ts,n,ok\n")
	for i := 0; i < benchRows; i++ {
		b.WriteString("sensor-")
		b.WriteString(strconv.Itoa(i % 100))
		b.WriteByte(',')
		b.WriteString(strconv.FormatFloat(float64(i%400)/10, 'f', -1, 64))
		b.WriteString(",2024-05-01T12:00:00Z,")
		b.WriteString(strconv.Itoa(i))
		if i%2 == 0 {
			b.WriteString(",true\n")
		} else {
			b.WriteString(",false\n")
		}
	}
	return b.Bytes()
}

func jsonlBenchData() []byte {
	var b bytes.Buffer
	for i := 0; i < benchRows; i++ {
		b.WriteString(`{"sensor":"sensor-`)
		b.WriteString(strconv.Itoa(i % 100))
		b.WriteString(`","temp":`)
		b.WriteString(strconv.FormatFloat(float64(i%400)/10, 'f', -1, 64))
		b.WriteString(`,"ts":"2024-05-01T12:00:00Z","n":`)
		b.WriteString(strconv.Itoa(i))
		b.WriteString(`,"ok":true,"meta":{"loc":"room-`)
		b.WriteString(strconv.Itoa(i % 7))
		b.WriteString(`","floor":2}}` + "\n")
	}
	return b.Bytes()
}

// benchDecode runs readRecords over data with a fresh decoder per pass and
// reports rows per second.
func benchDecode(b *testing.B, data []byte, cols []string, opts ...string) {
	named := map[string]types.Value{}
	for i := 0; i+1 < len(opts); i += 2 {
		named[opts[i]] = types.Text(opts[i+1])
	}
	em := &discardEmitter{}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		dec, err := OpenDecoder(Args{Named: named})
		if err != nil {
			b.Fatal(err)
		}
		if err := dec.Bind(cols); err != nil {
			b.Fatal(err)
		}
		if err := readRecords(context.Background(), bytes.NewReader(data), "bench", dec, em); err != nil {
			b.Fatal(err)
		}
	}
	if want := int64(b.N) * benchRows; em.rows != want {
		b.Fatalf("rows = %d, want %d", em.rows, want)
	}
	b.ReportMetric(float64(em.rows)/b.Elapsed().Seconds(), "rows/s")
}

func BenchmarkCSVDecode(b *testing.B) {
	data := csvBenchData()
	cols := []string{"sensor", "temp", "n", "ok"}
	b.Run("infer", func(b *testing.B) { benchDecode(b, data, cols, "format", "csv") })
	b.Run("schema", func(b *testing.B) {
		benchDecode(b, data, cols, "format", "csv", "schema", "sensor TEXT, temp DOUBLE, ts TIMESTAMP, n BIGINT, ok BOOLEAN")
	})
	b.Run("schema+ts", func(b *testing.B) {
		benchDecode(b, data, append(cols, "ts"), "format", "csv", "schema", "sensor TEXT, temp DOUBLE, ts TIMESTAMP, n BIGINT, ok BOOLEAN")
	})
}

func BenchmarkJSONLDecode(b *testing.B) {
	data := jsonlBenchData()
	cols := []string{"sensor", "temp", "n", "meta.loc"}
	b.Run("infer", func(b *testing.B) { benchDecode(b, data, cols, "format", "jsonl") })
	b.Run("schema", func(b *testing.B) {
		benchDecode(b, data, cols, "format", "jsonl", "schema", "sensor TEXT, temp DOUBLE, n BIGINT, meta.loc TEXT")
	})
}
