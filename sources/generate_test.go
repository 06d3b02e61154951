package sources

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/streamsql/streamsql/types"
)

func openGenerateSource(t testing.TB, once bool, named ...any) *generateSource {
	t.Helper()
	src, err := openGenerateArgs(once, named...)
	if err != nil {
		t.Fatal(err)
	}
	return src.(*generateSource)
}

func openGenerateArgs(once bool, named ...any) (Source, error) {
	spec, _ := Lookup("generate")
	args := Args{Named: map[string]types.Value{}, Once: once}
	for i := 0; i+1 < len(named); i += 2 {
		var v types.Value
		switch x := named[i+1].(type) {
		case int:
			v = types.Int(int64(x))
		case float64:
			v = types.Float(x)
		case string:
			v = types.Text(x)
		}
		args.Named[named[i].(string)] = v
	}
	return spec.OpenChecked(args)
}

func runGenerate(t testing.TB, src Source) *testEmitter {
	t.Helper()
	em := newTestEmitter()
	em.Chunks = nil
	if err := src.Run(context.Background(), em); err != nil {
		t.Fatal(err)
	}
	return em
}

func TestGenerateWordsDeterministic(t *testing.T) {
	src := openGenerateSource(t, false, "rate", 0, "limit", 3000)
	if got := src.Describe(); got != "generate() kind=words rate=0 seed=1 words=1000 limit=3000 bounded" {
		t.Fatalf("Describe() = %q", got)
	}
	if s := src.Schema(); !s.Typed || s.Open || len(s.Columns) != 1 || s.Columns[0] != (types.Column{Name: "line", Type: types.KindText}) {
		t.Fatalf("Schema() = %+v", s)
	}
	if err := src.Bind([]string{"line"}); err != nil {
		t.Fatal(err)
	}
	em := runGenerate(t, src)
	rows, _ := em.Snapshot()
	checkRows(t, rows[:3],
		"[TEXT:het zut plon plon lost grar sel wut los kol]",
		"[TEXT:ho jes ror pust cles zond gol kit ba ba vir]",
		"[TEXT:wut ba cend prat ba flin wu trut]")
	if got := fmt.Sprint(em.Sizes()); got != "[1024 1024 952]" {
		t.Fatalf("chunks = %v", got)
	}

	// The same seed gives the same rows, however they are paced; another
	// seed gives others.
	again := runGenerate(t, openGenerateSource(t, false, "rate", 1e6, "limit", 3000))
	rows2, _ := again.Snapshot()
	if strings.Join(formatRows(rows), "\n") != strings.Join(formatRows(rows2), "\n") {
		t.Fatal("seed 1 at another rate gave other rows")
	}
	other := runGenerate(t, openGenerateSource(t, false, "rate", 0, "limit", 3, "seed", 2))
	rows3, _ := other.Snapshot()
	if formatRows(rows3)[0] == formatRows(rows)[0] {
		t.Fatal("seed 2 gave the rows of seed 1")
	}
	for _, r := range rows {
		if n := len(strings.Fields(r[0].AsText())); n < 8 || n > 12 {
			t.Fatalf("line %q has %d words, want 8 to 12", r[0].AsText(), n)
		}
	}
}

// Word frequencies follow Zipf's law: the most common word is far more
// common than the median one, and the vocabulary is the one asked for.
func TestGenerateZipf(t *testing.T) {
	em := runGenerate(t, openGenerateSource(t, false, "rate", 0, "limit", 20000, "seed", 7, "words", 500))
	rows, _ := em.Snapshot()
	counts := map[string]int{}
	total := 0
	for _, r := range rows {
		for _, w := range strings.Fields(r[0].AsText()) {
			counts[w]++
			total++
		}
	}
	if len(counts) > 500 || len(counts) < 450 {
		t.Fatalf("%d distinct words, want close to the vocabulary of 500", len(counts))
	}
	freq := make([]int, 0, len(counts))
	for _, n := range counts {
		freq = append(freq, n)
	}
	sort.Sort(sort.Reverse(sort.IntSlice(freq)))
	top, median := freq[0], freq[len(freq)/2]
	if top < 50*median {
		t.Fatalf("most common word %d times, median %d: not Zipf-like", top, median)
	}
	// Weight 1/k over 500 words: the first has 1/H(500) ~ 14.7% of all.
	if share := float64(top) / float64(total); share < 0.13 || share > 0.165 {
		t.Fatalf("most common word's share = %.3f, want about 0.147", share)
	}
	if top := madeUpWord(0); counts[top] != freq[0] {
		t.Fatalf("rank 0 word %q is not the most common", top)
	}
}

func TestMadeUpWordsDistinct(t *testing.T) {
	seen := map[string]int{}
	for i := range 300_000 { // one, two and three syllables
		w := madeUpWord(i)
		if j, dup := seen[w]; dup {
			t.Fatalf("ranks %d and %d are both %q", j, i, w)
		}
		seen[w] = i
	}
}

func TestGenerateSensors(t *testing.T) {
	src := openGenerateSource(t, false, "kind", "sensors", "rate", 0, "limit", 20000, "seed", 3)
	if s := src.Schema(); !s.Typed || strings.Join(s.Columns.Names(), ",") != "sensor,temp,ts" ||
		s.Columns[1].Type != types.KindFloat || s.Columns[2].Type != types.KindTime {
		t.Fatalf("Schema() = %+v", s)
	}
	if err := src.Bind([]string{"ts", "sensor", "temp"}); err != nil {
		t.Fatal(err)
	}
	rows, _ := runGenerate(t, src).Snapshot()
	if len(rows) != 20000 {
		t.Fatalf("%d rows", len(rows))
	}
	if got := rows[0][0].String(); got != "2026-01-01T00:00:00Z" {
		t.Fatalf("first ts = %s", got)
	}
	epoch := generateEpoch
	var maxTS time.Time
	late, sensors := 0, map[string]bool{}
	for i, r := range rows {
		ts, sensor, temp := r[0].AsTime(), r[1].AsText(), r[2].AsFloat()
		nominal := epoch.Add(time.Duration(i) * time.Millisecond) // 1ms per row at rate 0
		if ts.After(nominal) || nominal.Sub(ts) > 2*time.Second || ts.Before(epoch) {
			t.Fatalf("row %d: ts %s, nominal %s", i, ts, nominal)
		}
		if ts.Before(maxTS) {
			late++
		} else {
			maxTS = ts
		}
		if len(sensor) != len("sensor-0001") || sensor < "sensor-0001" || sensor > "sensor-0100" {
			t.Fatalf("row %d: sensor %q", i, sensor)
		}
		sensors[sensor] = true
		if temp < -20 || temp > 50 {
			t.Fatalf("row %d: temp %v", i, temp)
		}
	}
	if len(sensors) != 100 {
		t.Fatalf("%d sensors", len(sensors))
	}
	if share := float64(late) / float64(len(rows)); share < 0.02 || share > 0.04 {
		t.Fatalf("%.4f of rows out of order, want about 0.03", share)
	}

	// Event time follows the rate: 250µs per row at 4000 rows/s.
	src = openGenerateSource(t, false, "kind", "sensors", "rate", 4000, "limit", 1000)
	if err := src.Bind([]string{"ts"}); err != nil {
		t.Fatal(err)
	}
	rows, _ = runGenerate(t, src).Snapshot()
	onTime := 0
	for i, r := range rows {
		if r[0].AsTime().Equal(epoch.Add(time.Duration(i) * 250 * time.Microsecond)) {
			onTime++
		}
	}
	if onTime < 950 || onTime == len(rows) {
		t.Fatalf("%d of %d rows at their nominal time", onTime, len(rows))
	}
}

// rate paces rows with the wall clock; limit ends Run.
func TestGenerateRateAndLimit(t *testing.T) {
	src := openGenerateSource(t, false, "rate", 2000, "limit", 300)
	if !src.Bounded() {
		t.Fatal("generate with a limit not bounded")
	}
	start := time.Now()
	em := runGenerate(t, src)
	elapsed := time.Since(start)
	rows, _ := em.Snapshot()
	if len(rows) != 300 {
		t.Fatalf("%d rows, want 300", len(rows))
	}
	if elapsed < 100*time.Millisecond { // 300 rows at 2000/s take 150ms
		t.Fatalf("300 rows at 2000/s took %s", elapsed)
	}
	if len(em.Sizes()) < 5 {
		t.Fatalf("chunks = %v: rows not paced in chunks", em.Sizes())
	}

	// Without a limit it runs until cancelled.
	src = openGenerateSource(t, false, "rate", 0)
	if src.Bounded() || src.Describe() != "generate() kind=words rate=0 seed=1 words=1000 live" {
		t.Fatalf("Bounded/Describe = %v %q", src.Bounded(), src.Describe())
	}
	live := newTestEmitter()
	stop := runLive(t, src, live)
	awaitRows(t, live, 5000)
	stop()
}

func TestGenerateOpenErrors(t *testing.T) {
	for _, c := range []struct {
		once  bool
		named []any
		want  string
	}{
		{true, nil, "generate() needs limit => N to run with --once"},
		{false, []any{"kind", "logs"}, "generate(): kind must be 'words' or 'sensors', got 'logs'"},
		{false, []any{"rate", -1}, "generate(): rate must be 0 (as fast as possible) or a number of rows per second from 0.001 to 1e+09, got '-1'"},
		{false, []any{"limit", "x"}, "generate(): limit must be a number of rows >= 0 (0: no limit), got 'x'"},
		{false, []any{"words", 0}, "generate(): words must be a vocabulary size from 1 to 1000000, got '0'"},
		{false, []any{"kind", "sensors", "words", 10}, "generate(): option words applies to kind => 'words' only"},
		{false, []any{"rows", 10}, "generate() has no option \"rows\"; usage: generate([rate => 10000, kind => 'words'|'sensors', seed => 1, limit => 0, words => 1000])"},
	} {
		if _, err := openGenerateArgs(c.once, c.named...); err == nil || err.Error() != c.want {
			t.Errorf("open %v once=%v:\n got  %v\n want %s", c.named, c.once, err, c.want)
		}
	}
	src := openGenerateSource(t, true, "limit", 10, "rate", 0.5)
	if !src.Bounded() {
		t.Fatal("not bounded")
	}
	if err := src.Bind([]string{"sensor"}); err == nil || err.Error() != `generate(kind => 'words') has no column "sensor" (columns: line)` {
		t.Fatalf("Bind = %v", err)
	}
}

func BenchmarkGenerateWords(b *testing.B) {
	const rows = 1 << 18
	em := &discardEmitter{}
	b.ReportAllocs()
	for b.Loop() {
		src := openGenerateSource(b, false, "rate", 0, "limit", rows)
		if err := src.Bind([]string{"line"}); err != nil {
			b.Fatal(err)
		}
		if err := src.Run(context.Background(), em); err != nil {
			b.Fatal(err)
		}
	}
	if want := int64(b.N) * rows; em.rows != want {
		b.Fatalf("rows = %d, want %d", em.rows, want)
	}
	b.ReportMetric(float64(em.rows)/b.Elapsed().Seconds(), "rows/s")
}
