package sources

import (
	"context"
	"fmt"
	"math"
	"math/bits"
	"strconv"
	"strings"
	"time"

	"github.com/streamsql/streamsql/formats"

	"github.com/streamsql/streamsql/types"
)

func init() {
	Register(&Spec{
		Name:    "generate",
		Usage:   "generate([rate => 10000, kind => 'words'|'sensors', seed => 1, limit => 0, words => 1000])",
		MaxArgs: 0,
		Options: []string{"rate", "kind", "seed", "limit", "words"},
		Open:    openGenerate,
	})
}

// generateEpoch is the event time of the first sensors row.
var generateEpoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

const (
	generateSensors   = 100             // sensor-0001 .. sensor-0100
	generateLateShare = 0.03            // share of sensors rows out of order
	generateMaxLate   = 2 * time.Second // how far back such a row goes
	generateTick      = 10 * time.Millisecond
	generateMaxWords  = 1_000_000
	generateMinRate   = 0.001 // a row every 1000s
	generateMaxRate   = 1e9
	generateFastStep  = time.Millisecond // event-time step at rate => 0
)

// generateSource makes synthetic rows for demos and benchmarks. The rows
// depend only on kind, seed and words (and, for the event time, rate):
// the same options give the same rows, however they are chunked or paced.
//
//   - kind => 'words' (the default) yields the TEXT column line: 8 to 12
//     words separated by spaces, drawn from a vocabulary of `words`
//     made-up, pronounceable words with Zipf's law (the k-th most frequent
//     word has weight 1/k), the frequent ones short.
//   - kind => 'sensors' yields sensor TEXT ('sensor-0001' to
//     'sensor-0100', drawn uniformly), temp DOUBLE (a random walk per
//     sensor, two decimals) and ts TIMESTAMP, the event time: row i is at
//     2026-01-01T00:00:00Z + i/rate seconds (1ms steps at rate => 0),
//     except that about 3% of rows are late, set back by up to 2s (never
//     before the start).
//
// rate is rows per second of wall clock (fractions allowed), handed over
// in chunks every 10ms (or every row's worth of time when that is longer);
// rate => 0 emits as fast as the query takes them. When the query falls
// more than a second behind, the backlog is not made up in a burst: the
// pace starts over. limit => N ends after N rows (the source is then
// bounded); 0 runs until the query stops, which --once does not allow.
type generateSource struct {
	kind  string // "words" or "sensors"
	rate  float64
	seed  int64
	limit int64
	words int
	cols  []int // column of the kind's schema for each output column
}

var (
	generateWordsSchema   = types.Schema{{Name: "line", Type: types.KindText}}
	generateSensorsSchema = types.Schema{
		{Name: "sensor", Type: types.KindText},
		{Name: "temp", Type: types.KindFloat},
		{Name: "ts", Type: types.KindTime},
	}
)

func openGenerate(args Args) (Source, error) {
	s := &generateSource{kind: "words", rate: 10000, seed: 1, words: 1000}
	if _, ok := args.Named["kind"]; ok {
		s.kind = strings.ToLower(strings.TrimSpace(args.Option("kind", "")))
		if s.kind != "words" && s.kind != "sensors" {
			return nil, fmt.Errorf("generate(): kind must be 'words' or 'sensors', got %s", formats.Quote(args.Option("kind", "")))
		}
	}
	if _, ok := args.Named["rate"]; ok {
		r, err := strconv.ParseFloat(strings.TrimSpace(args.Option("rate", "")), 64)
		if err != nil || (r != 0 && !(r >= generateMinRate && r <= generateMaxRate)) {
			return nil, fmt.Errorf("generate(): rate must be 0 (as fast as possible) or a number of rows per second from %g to %g, got %s",
				generateMinRate, generateMaxRate, formats.Quote(args.Option("rate", "")))
		}
		s.rate = r
	}
	intOpt := func(name string, lo, hi int64, what string) (int64, bool, error) {
		if _, ok := args.Named[name]; !ok {
			return 0, false, nil
		}
		v := args.Option(name, "")
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil || n < lo || n > hi {
			return 0, false, fmt.Errorf("generate(): %s must be %s, got %s", name, what, formats.Quote(v))
		}
		return n, true, nil
	}
	if n, ok, err := intOpt("seed", math.MinInt64, math.MaxInt64, "an integer"); err != nil {
		return nil, err
	} else if ok {
		s.seed = n
	}
	if n, ok, err := intOpt("limit", 0, math.MaxInt64, "a number of rows >= 0 (0: no limit)"); err != nil {
		return nil, err
	} else if ok {
		s.limit = n
	}
	if n, ok, err := intOpt("words", 1, generateMaxWords, fmt.Sprintf("a vocabulary size from 1 to %d", generateMaxWords)); err != nil {
		return nil, err
	} else if ok {
		if s.kind != "words" {
			return nil, fmt.Errorf("generate(): option words applies to kind => 'words' only")
		}
		s.words = int(n)
	}
	if args.Once && s.limit == 0 {
		return nil, fmt.Errorf("generate() needs limit => N to run with --once")
	}
	s.cols = make([]int, len(s.schema()))
	for i := range s.cols {
		s.cols[i] = i
	}
	return s, nil
}

func (s *generateSource) schema() types.Schema {
	if s.kind == "sensors" {
		return generateSensorsSchema
	}
	return generateWordsSchema
}

func (s *generateSource) Schema() Schema {
	all := s.schema()
	cols := make(types.Schema, len(s.cols))
	for i, c := range s.cols {
		cols[i] = all[c]
	}
	return Schema{Columns: cols, Typed: true}
}

func (s *generateSource) Bind(columns []string) error {
	all := s.schema()
	cols := make([]int, len(columns))
	for i, name := range columns {
		if cols[i] = all.Index(name); cols[i] < 0 {
			return fmt.Errorf("generate(kind => '%s') has no column %q (columns: %s)", s.kind, name, strings.Join(all.Names(), ", "))
		}
	}
	s.cols = cols
	return nil
}

func (s *generateSource) Bounded() bool { return s.limit > 0 }

func (s *generateSource) Describe() string {
	var b strings.Builder
	fmt.Fprintf(&b, "generate() kind=%s rate=%s seed=%d", s.kind, strconv.FormatFloat(s.rate, 'g', -1, 64), s.seed)
	if s.kind == "words" {
		fmt.Fprintf(&b, " words=%d", s.words)
	}
	if s.limit > 0 {
		fmt.Fprintf(&b, " limit=%d bounded", s.limit)
	} else {
		b.WriteString(" live")
	}
	return b.String()
}

func (s *generateSource) Run(ctx context.Context, out Emitter) error {
	g := newGenerator(s)
	var emitted int64
	// emit hands over n rows (fewer if the limit comes first) in chunks;
	// false when the query is stopping or the limit is reached.
	emit := func(n int64) bool {
		for n > 0 {
			if s.limit > 0 {
				n = min(n, s.limit-emitted)
				if n == 0 {
					return false
				}
			}
			k := int(min(n, ChunkRows))
			if out.Emit(g.chunk(k)) != nil {
				return false
			}
			emitted += int64(k)
			n -= int64(k)
		}
		return s.limit == 0 || emitted < s.limit
	}
	if s.rate == 0 {
		for ctx.Err() == nil && emit(ChunkRows) {
		}
		return nil
	}
	tick := generateTick
	if per := time.Duration(float64(time.Second) / s.rate); per > tick {
		tick = per
	}
	// At most a second of rows, and at least one, is made up in one tick.
	burst := max(int64(math.Ceil(s.rate)), 1)
	ticker := time.NewTicker(tick)
	defer ticker.Stop()
	start := time.Now()
	for {
		var now time.Time
		select {
		case <-ctx.Done():
			return nil
		case now = <-ticker.C:
		}
		due := int64(s.rate * now.Sub(start).Seconds())
		if due-emitted > burst {
			due = emitted + burst
			start = now.Add(-time.Duration(float64(due) / s.rate * float64(time.Second)))
		}
		if due > emitted && !emit(due-emitted) {
			return nil
		}
	}
}

// rowGenerator makes the rows of a generateSource, in order.
type rowGenerator struct {
	s    *generateSource
	rng  splitMix
	next int64 // index of the next row

	// words
	vocab []string
	zipf  zipfTable
	text  []byte
	ends  []int

	// sensors
	temps   []float64
	sensors []string
	step    float64 // event-time nanoseconds per row
}

func newGenerator(s *generateSource) *rowGenerator {
	g := &rowGenerator{s: s, rng: splitMix(uint64(s.seed))}
	if s.kind == "words" {
		g.vocab = make([]string, s.words)
		for i := range g.vocab {
			g.vocab[i] = madeUpWord(i)
		}
		g.zipf = newZipfTable(s.words)
		return g
	}
	g.step = float64(generateFastStep)
	if s.rate > 0 {
		g.step = float64(time.Second) / s.rate
	}
	g.sensors = make([]string, generateSensors)
	g.temps = make([]float64, generateSensors)
	for i := range g.sensors {
		g.sensors[i] = fmt.Sprintf("sensor-%04d", i+1)
		g.temps[i] = 15 + 10*g.rng.float()
	}
	return g
}

// chunk makes the next n rows, their values in one arena.
func (g *rowGenerator) chunk(n int) []types.Row {
	c := newChunker(len(g.s.cols), nil)
	if g.s.kind == "words" {
		g.text, g.ends = g.text[:0], g.ends[:0]
		for range n {
			words := 8 + g.rng.intn(5)
			for w := range words {
				if w > 0 {
					g.text = append(g.text, ' ')
				}
				g.text = append(g.text, g.vocab[g.zipf.sample(&g.rng)]...)
			}
			g.ends = append(g.ends, len(g.text))
		}
		all := string(g.text) // one allocation for the chunk's lines
		start := 0
		for _, end := range g.ends {
			row := c.slot()
			v := types.Text(all[start:end])
			for i := range row {
				row[i] = v
			}
			c.commit(row)
			start = end
		}
		g.next += int64(n)
		return c.rows
	}
	var vals [3]types.Value
	epoch := generateEpoch.UnixNano()
	for range n {
		id := g.rng.intn(generateSensors)
		t := g.temps[id] + (g.rng.float()-0.5)*0.4
		t = min(max(t, -20), 50)
		g.temps[id] = t
		ts := epoch + int64(float64(g.next)*g.step)
		if g.rng.float() < generateLateShare {
			ts -= 1 + int64(g.rng.float()*float64(generateMaxLate-1))
			ts = max(ts, epoch)
		}
		vals[0] = types.Text(g.sensors[id])
		vals[1] = types.Float(math.Round(t*100) / 100)
		vals[2] = types.Time(time.Unix(0, ts))
		row := c.slot()
		for i, col := range g.s.cols {
			row[i] = vals[col]
		}
		c.commit(row)
		g.next++
	}
	return c.rows
}

// splitMix is the SplitMix64 generator: small, fast and fully determined
// by its seed, so generated rows do not change with the Go release.
type splitMix uint64

func (r *splitMix) uint64() uint64 {
	*r += 0x9e3779b97f4a7c15
	z := uint64(*r)
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// float returns a number in [0, 1).
func (r *splitMix) float() float64 { return float64(r.uint64()>>11) / (1 << 53) }

// intn returns a number in [0, n).
func (r *splitMix) intn(n int) int {
	hi, _ := bits.Mul64(r.uint64(), uint64(n))
	return int(hi)
}

// zipfTable samples ranks 0..n-1 with weight 1/(rank+1): the cumulative
// weights, searched from a guide table that maps each of n equal slices of
// the total to the first rank reaching it, so a draw costs O(1) on
// average.
type zipfTable struct {
	cum   []float64
	guide []int32
}

func newZipfTable(n int) zipfTable {
	z := zipfTable{cum: make([]float64, n), guide: make([]int32, n)}
	sum := 0.0
	for k := range n {
		sum += 1 / float64(k+1)
		z.cum[k] = sum
	}
	k := 0
	for b := range n {
		lo := sum * float64(b) / float64(n)
		for k < n-1 && z.cum[k] <= lo {
			k++
		}
		z.guide[b] = int32(k)
	}
	return z
}

func (z *zipfTable) sample(r *splitMix) int {
	n := len(z.cum)
	u := r.float()
	k := int(z.guide[int(u*float64(n))])
	x := u * z.cum[n-1]
	for k < n-1 && z.cum[k] <= x {
		k++
	}
	return k
}

// Made-up words are syllables (an onset and a vowel) with an ending on the
// last one. The most frequent ranks get one syllable, then two, then
// three, as frequent words are short in real languages. The vowels being
// single letters that no onset contains, a word parses one way only, so
// distinct ranks give distinct words.
var (
	wordOnsets  = []string{"b", "c", "d", "f", "g", "h", "j", "k", "l", "m", "n", "p", "r", "s", "t", "v", "w", "z", "br", "ch", "cl", "dr", "fl", "gr", "pl", "pr", "sh", "sl", "st", "th", "tr"}
	wordVowels  = []string{"a", "e", "i", "o", "u"}
	wordEndings = []string{"", "n", "r", "s", "t", "l", "nd", "st"}
)

// wordScramble spreads consecutive ranks over a length class, so frequent
// words do not all start alike. It is prime and divides no class size.
const wordScramble = 7919

func madeUpWord(rank int) string {
	syllables := len(wordOnsets) * len(wordVowels)
	size := len(wordEndings) * syllables // words of one syllable
	n := 1
	for rank >= size {
		rank -= size
		size *= syllables
		n++
	}
	idx := int((uint64(rank) * wordScramble) % uint64(size))
	ending := wordEndings[idx%len(wordEndings)]
	idx /= len(wordEndings)
	var b strings.Builder
	for range n {
		syl := idx % syllables
		idx /= syllables
		b.WriteString(wordOnsets[syl/len(wordVowels)])
		b.WriteString(wordVowels[syl%len(wordVowels)])
	}
	b.WriteString(ending)
	return b.String()
}
