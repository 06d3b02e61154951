package formats

import (
	"bytes"
	"fmt"
	"io"
	"math/rand"
	"strings"
	"testing"
	"testing/iotest"
)

// readAllRecords reads rr to its end: the words of the records read, the
// lines they held, and "line N: error" per record refused, with the first
// keep bytes of the start kept (at least that much is kept, or the whole
// line).
func readAllRecords(t *testing.T, rr RecordReader, keep int) (words []string, lines int, refused []string) {
	t.Helper()
	for {
		rec, line, err := rr.Next()
		if err == io.EOF {
			return words, lines, refused
		}
		n := 1
		if lc, ok := rr.(LineCounter); ok {
			n = lc.RecordLines()
		}
		lines += n
		if err != nil {
			if !IsTooLong(err) {
				t.Fatalf("line %d: %v", line, err)
			}
			refused = append(refused, fmt.Sprintf("line %d: %v (kept %q)", line, err, rec[:min(len(rec), keep)]))
			continue
		}
		words = append(words, strings.Fields(string(ValidUTF8(rec)))...)
	}
}

// TestBlockReaderMatchesLines: the joined records of any input hold the
// same words as its lines one by one, refuse the same lines over max_line
// (with the same line numbers and kept starts, up to max_line bytes of
// them), and count the same lines;
// for blocks smaller and larger than the lines, reads of any size, "\r\n",
// empty lines, invalid UTF-8 at line ends and a last line without '\n'.
func TestBlockReaderMatchesLines(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	pieces := []string{"a", "bb", "word", "\xe2\x82", "\xff", "é", "  ", "\t", "\r"}
	for run := 0; run < 400; run++ {
		var in strings.Builder
		for l := rng.Intn(40); l > 0; l-- {
			n := rng.Intn(8)
			if rng.Intn(10) == 0 {
				n = 20 + rng.Intn(60) // likely over max
			}
			for range n {
				in.WriteString(pieces[rng.Intn(len(pieces))])
				if rng.Intn(2) == 0 {
					in.WriteByte(' ')
				}
			}
			if rng.Intn(4) == 0 {
				in.WriteString("\r\n")
			} else {
				in.WriteByte('\n')
			}
		}
		if rng.Intn(2) == 0 {
			in.WriteString("last line")
		}
		data := in.String()
		maxLine := 10 + rng.Intn(50)
		size := 1 + rng.Intn(100)
		name := fmt.Sprintf("run %d (block %d, max_line %d)", run, size, maxLine)

		lr := newLineReader(strings.NewReader(data))
		lr.max = maxLine
		wantWords, wantLines, wantRefused := readAllRecords(t, lr, maxLine)

		var r io.Reader = bytes.NewReader([]byte(data))
		if run%2 == 0 {
			r = iotest.HalfReader(r)
		}
		br := newBlockReader(r, maxLine)
		br.size = size
		words, lines, refused := readAllRecords(t, br, maxLine)
		if fmt.Sprint(words) != fmt.Sprint(wantWords) {
			t.Fatalf("%s: %q\nwords %q\nwant  %q", name, data, words, wantWords)
		}
		if lines != wantLines || fmt.Sprint(refused) != fmt.Sprint(wantRefused) {
			t.Fatalf("%s: %q\n%d lines, refused %q\nwant %d, %q", name, data, lines, refused, wantLines, wantRefused)
		}
		if br.Lines() != wantLines {
			t.Fatalf("%s: Lines() = %d, want %d", name, br.Lines(), wantLines)
		}
	}
}

// TestBlockReaderKeepsBlocks: a record's bytes are never written again
// once returned, so the decoder keeps them without a copy.
func TestBlockReaderKeepsBlocks(t *testing.T) {
	var in strings.Builder
	for i := range 2000 {
		fmt.Fprintf(&in, "w%d x%d\n", i, i%7)
	}
	br := newBlockReader(iotest.OneByteReader(strings.NewReader(in.String())), 0)
	br.size = 64
	var recs [][]byte
	var copies []string
	for {
		rec, _, err := br.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		recs = append(recs, rec)
		copies = append(copies, string(rec))
	}
	for i, rec := range recs {
		if string(rec) != copies[i] {
			t.Fatalf("record %d changed after later reads: %q, was %q", i, rec, copies[i])
		}
	}
	if got := strings.Join(copies, ""); got != in.String() {
		t.Fatalf("records joined differ from the input")
	}
}
