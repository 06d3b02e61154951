// Command gen writes the benchmark suite's deterministic input data.
//
//	go run ./bench/gen text -out DIR [-mb 200] [-files 8] [-vocab 50000] [-seed 1]
//	go run ./bench/gen json -out DIR [-rows 5000000] [-files 8] [-sensors 1000] [-seed 2]
//
// text: lines of 8 to 12 words drawn from a Zipf distribution over a
// vocabulary of pseudo-words, single spaces, files part-000.txt ...
//
// json: sensor readings, one JSON object per line:
//
//	{"sensor":"s-0042","temp":21.5,"ts":"2026-01-01T00:00:01.123Z"}
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
// shorter words, as in natural text.
func vocabulary(r *rand.Rand, n int) []string {
	const letters = "abcdefghijklmnopqrstuvwxyz"
	seen := make(map[string]bool, n)
	words := make([]string, 0, n)
	buf := make([]byte, 0, 16)
	for len(words) < n {
		rank := len(words)
		l := 1 + r.IntN(3) + int(math.Log2(float64(rank+2))/2)
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
	zipfS := fs.Float64("zipf", 1.1, "Zipf exponent s (> 1)")
	seed := fs.Uint64("seed", 1, "random seed")
	fs.Parse(args)
	if err := prepareDir(*out); err != nil {
		return err
	}
	r := rand.New(rand.NewPCG(*seed, 0x5eed))
	words := vocabulary(r, *vocab)
	z := rand.NewZipf(r, *zipfS, 1, uint64(*vocab-1))

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
		n := 8 + r.IntN(5)
		for j := range n {
			if j > 0 {
				line = append(line, ' ')
			}
			line = append(line, words[z.Uint64()]...)
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
	seed := fs.Uint64("seed", 2, "random seed")
	fs.Parse(args)
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
		line = append(line, `,"ts":"`...)
		line = ts.UTC().AppendFormat(line, "2006-01-02T15:04:05.000Z07:00")
		line = append(line, "\"}\n"...)
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
