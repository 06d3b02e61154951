// Command gen writes the benchmark suite's deterministic input data.
//
//	go run ./bench/gen text -out DIR [-mb 200] [-files 8] [-vocab 50000] [-zipf 1.1] [-flathead 0]
//	                       [-minlen 0 -maxlen 0] [-minwords 8 -maxwords 12] [-seed 1]
//	go run ./bench/gen json -out DIR [-rows 5000000] [-files 8] [-sensors 1000] [-tsformat rfc3339] [-seed 2]
//
// text: lines of -minwords to -maxwords words drawn from a Zipf
// distribution of exponent -zipf over a vocabulary of -vocab pseudo-words,
// single spaces, files part-000.txt ... The axes of the data matrix
// (bench/matrix.sh): any exponent > 0 (below or at 1 too); -flathead H
// gives the H most frequent words the same weight (a flatter head, as in
// text with many common words); -minlen/-maxlen draw each word's length
// uniformly between them (0: frequent words shorter, lengths 1 to ~12).
// The defaults give the suite's data byte for byte as before.
//
// json: sensor readings, one JSON object per line:
//
//	{"sensor":"s-0042","temp":21.5,"ts":"2026-01-01T00:00:01.123Z"}
//
// with -tsformat epochms the time is a JSON integer of milliseconds since
// the epoch (1767225601123), with -tsformat space a text
// "2026-01-01 00:00:01.123" (UTC, no zone). -sensors is the number of keys.
//
// Event time advances by -step per row (100µs by default: 10 readings per
// sensor per second for 1000 sensors). A fraction -ooo of the rows (3%) is
// out of order, its time set back by up to -jitter (2s); a much smaller
// fraction -late (0.05%) is set back by 6 to 20 s, so that some rows arrive
// after their window closed under LATENESS 5s and the late-row rule is
// exercised. Files are cut in row order, so reading them in name order
// replays the stream.
//
// Both print a summary as key=value lines on stdout (files, bytes, lines,
// words or rows). The same flags always give the same bytes.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	var err error
	switch os.Args[1] {
	case "text":
		err = genText(os.Args[2:])
	case "json":
		err = genJSON(os.Args[2:])
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: gen text|json -out DIR [flags]")
	os.Exit(2)
}

// splitWriter writes numbered files in dir, moving to the next file once
// the current one holds its share of the total.
type splitWriter struct {
	dir, ext string
	n        int // files wanted
	i        int // index of the open file
	f        *os.File
	w        *bufio.Writer
}

func (s *splitWriter) open() error {
	f, err := os.Create(filepath.Join(s.dir, fmt.Sprintf("part-%03d.%s", s.i, s.ext)))
	if err != nil {
		return err
	}
	s.f, s.w = f, bufio.NewWriterSize(f, 1<<20)
	return nil
}

// next closes the open file and opens the following one.
func (s *splitWriter) next() error {
	if err := s.close(); err != nil {
		return err
	}
	s.i++
	return s.open()
}

func (s *splitWriter) close() error {
	if s.f == nil {
		return nil
	}
	err := s.w.Flush()
	if cerr := s.f.Close(); err == nil {
		err = cerr
	}
	s.f = nil
	return err
}

func prepareDir(dir string) error {
	if dir == "" {
		return fmt.Errorf("-out is required")
	}
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	return os.MkdirAll(dir, 0o755)
}

// vocabulary returns n distinct lowercase pseudo-words; frequent ranks get
// shorter words, as in natural text, unless minLen/maxLen fix the range.
func vocabulary(r *rand.Rand, n, minLen, maxLen int) []string {
	const letters = "abcdefghijklmnopqrstuvwxyz"
	seen := make(map[string]bool, n)
	words := make([]string, 0, n)
	buf := make([]byte, 0, 16)
	for len(words) < n {
		rank := len(words)
		l := 1 + r.IntN(3) + int(math.Log2(float64(rank+2))/2)
		if maxLen > 0 {
			l = minLen + r.IntN(maxLen-minLen+1)
		}
		buf = buf[:0]
		for range l {
			buf = append(buf, letters[r.IntN(len(letters))])
		}
		if w := string(buf); !seen[w] {
			seen[w] = true
			words = append(words, w)
		}
	}
	return words
}

func genText(args []string) error {
	fs := flag.NewFlagSet("text", flag.ExitOnError)
	out := fs.String("out", "", "output directory (emptied first)")
	mb := fs.Float64("mb", 200, "total size in MB (10^6 bytes)")
	files := fs.Int("files", 8, "number of files")
	vocab := fs.Int("vocab", 50000, "vocabulary size")
	zipfS := fs.Float64("zipf", 1.1, "Zipf exponent s (> 0)")
	flatHead := fs.Int("flathead", 0, "give the H most frequent words the same weight")
	minLen := fs.Int("minlen", 0, "shortest word, bytes (0: by frequency)")
	maxLen := fs.Int("maxlen", 0, "longest word, bytes (0: by frequency)")
	minWords := fs.Int("minwords", 8, "fewest words in a line")
	maxWords := fs.Int("maxwords", 12, "most words in a line")
	seed := fs.Uint64("seed", 1, "random seed")
	fs.Parse(args)
	if err := prepareDir(*out); err != nil {
		return err
	}
	if *zipfS <= 0 || *minWords < 1 || *maxWords < *minWords || *maxLen < *minLen || (*maxLen > 0 && *minLen < 1) {
		return fmt.Errorf("want -zipf > 0, 1 <= -minwords <= -maxwords, 1 <= -minlen <= -maxlen")
	}
	if *maxLen > 0 && *maxLen < 4 && float64(*vocab) > math.Pow(26, float64(*maxLen))/2 {
		return fmt.Errorf("-vocab %d does not fit words of at most %d letters", *vocab, *maxLen)
	}
	r := rand.New(rand.NewPCG(*seed, 0x5eed))
	words := vocabulary(r, *vocab, *minLen, *maxLen)
	draw := zipfDraw(r, *zipfS, *flatHead, *vocab)

	total := int64(*mb * 1e6)
	per := total / int64(*files)
	sw := &splitWriter{dir: *out, ext: "txt", n: *files}
	if err := sw.open(); err != nil {
		return err
	}
	var written, inFile, lines, nwords int64
	line := make([]byte, 0, 256)
	for written < total {
		if inFile >= per && sw.i < sw.n-1 {
			if err := sw.next(); err != nil {
				return err
			}
			inFile = 0
		}
		line = line[:0]
		n := *minWords + r.IntN(*maxWords-*minWords+1)
		for j := range n {
			if j > 0 {
				line = append(line, ' ')
			}
			line = append(line, words[draw()]...)
		}
		line = append(line, '\n')
		sw.w.Write(line)
		written += int64(len(line))
		inFile += int64(len(line))
		lines++
		nwords += int64(n)
	}
	if err := sw.close(); err != nil {
		return err
	}
	fmt.Printf("files=%d\nbytes=%d\nlines=%d\nwords=%d\n", sw.i+1, written, lines, nwords)
	return nil
}

// zipfDraw returns a sampler of ranks 0..n-1 with probability
// proportional to 1/(k+1)^s, the first flat ranks all weighing as rank
// flat. The suite's default (s > 1, no flat head) uses math/rand's Zipf,
// so its data stays what it was; anything else walks a table of the
// cumulative weights.
func zipfDraw(r *rand.Rand, s float64, flat, n int) func() uint64 {
	if s > 1 && flat == 0 {
		z := rand.NewZipf(r, s, 1, uint64(n-1))
		return z.Uint64
	}
	cdf := make([]float64, n)
	sum := 0.0
	for k := range n {
		sum += 1 / math.Pow(float64(max(k, flat)+1), s)
		cdf[k] = sum
	}
	return func() uint64 {
		u := r.Float64() * sum
		lo, hi := 0, n-1
		for lo < hi {
			mid := (lo + hi) / 2
			if cdf[mid] < u {
				lo = mid + 1
			} else {
				hi = mid
			}
		}
		return uint64(lo)
	}
}

func genJSON(args []string) error {
	fs := flag.NewFlagSet("json", flag.ExitOnError)
	out := fs.String("out", "", "output directory (emptied first)")
	rows := fs.Int64("rows", 5_000_000, "number of rows")
	files := fs.Int("files", 8, "number of files")
	sensors := fs.Int("sensors", 1000, "number of sensors")
	step := fs.Duration("step", 100*time.Microsecond, "event time advance per row")
	ooo := fs.Float64("ooo", 0.03, "fraction of rows out of order")
	jitter := fs.Duration("jitter", 2*time.Second, "how far back an out-of-order row may be")
	late := fs.Float64("late", 0.0005, "fraction of rows 6-20 s behind (late under LATENESS 5s)")
	start := fs.String("start", "2026-01-01T00:00:00Z", "event time of the first row")
	tsFormat := fs.String("tsformat", "rfc3339", "how ts is written: rfc3339, epochms (a JSON integer) or space (YYYY-MM-DD HH:MM:SS.fff)")
	seed := fs.Uint64("seed", 2, "random seed")
	fs.Parse(args)
	switch *tsFormat {
	case "rfc3339", "epochms", "space":
	default:
		return fmt.Errorf("-tsformat %q: want rfc3339, epochms or space", *tsFormat)
	}
	if err := prepareDir(*out); err != nil {
		return err
	}
	t0, err := time.Parse(time.RFC3339, *start)
	if err != nil {
		return err
	}
	r := rand.New(rand.NewPCG(*seed, 0xdada))
	base := make([]float64, *sensors)
	for i := range base {
		base[i] = 12 + 16*r.Float64()
	}

	per := *rows / int64(*files)
	sw := &splitWriter{dir: *out, ext: "jsonl", n: *files}
	if err := sw.open(); err != nil {
		return err
	}
	var written, inFile int64
	line := make([]byte, 0, 128)
	for i := int64(0); i < *rows; i++ {
		if inFile >= per && sw.i < sw.n-1 {
			if err := sw.next(); err != nil {
				return err
			}
			inFile = 0
		}
		ts := t0.Add(time.Duration(i) * *step)
		switch u := r.Float64(); {
		case u < *late:
			ts = ts.Add(-6*time.Second - time.Duration(r.Int64N(int64(14*time.Second))))
		case u < *late+*ooo:
			ts = ts.Add(-time.Duration(r.Int64N(int64(*jitter))))
		}
		s := r.IntN(*sensors)
		temp := math.Round((base[s]+r.NormFloat64()*1.5)*10) / 10

		line = line[:0]
		line = append(line, `{"sensor":"s-`...)
		line = appendPad4(line, s)
		line = append(line, `","temp":`...)
		line = strconv.AppendFloat(line, temp, 'f', 1, 64)
		switch *tsFormat {
		case "epochms":
			line = append(line, `,"ts":`...)
			line = strconv.AppendInt(line, ts.UnixMilli(), 10)
			line = append(line, "}\n"...)
		case "space":
			line = append(line, `,"ts":"`...)
			line = ts.UTC().AppendFormat(line, "2006-01-02 15:04:05.000")
			line = append(line, "\"}\n"...)
		default:
			line = append(line, `,"ts":"`...)
			line = ts.UTC().AppendFormat(line, "2006-01-02T15:04:05.000Z07:00")
			line = append(line, "\"}\n"...)
		}
		sw.w.Write(line)
		written += int64(len(line))
		inFile++
	}
	if err := sw.close(); err != nil {
		return err
	}
	fmt.Printf("files=%d\nbytes=%d\nrows=%d\n", sw.i+1, written, *rows)
	return nil
}

func appendPad4(b []byte, n int) []byte {
	s := strconv.Itoa(n)
	for i := len(s); i < 4; i++ {
		b = append(b, '0')
	}
	return append(b, s...)
}
