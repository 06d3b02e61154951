// Command wordcount is the word-count baseline of the benchmark suite: it
// counts the whitespace-separated words of every file in a directory (name
// order, hidden files skipped, as streamsql's file source) and prints one
// JSON object per word, {"word":"...","COUNT(*)":n}, as
// `streamsql --once --output jsonl` does for
// SELECT word, COUNT(*) FROM file(dir) GROUP BY word.
//
//	wordcount [-mode hash|plain] DIR
//
// -mode hash (the default, "hand-written"): reads 1 MiB blocks, scans the
// bytes itself and counts in its own open-addressing hash table whose keys
// live in one byte arena: no allocation per word.
//
// -mode plain: bufio.Scanner lines, bytes.Fields, map[string]int: what a
// Go programmer writes first.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

func main() {
	mode := flag.String("mode", "hash", "hash (hand-written table) or plain (bytes.Fields + map)")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: wordcount [-mode hash|plain] DIR")
		os.Exit(2)
	}
	files, err := listFiles(flag.Arg(0))
	if err != nil {
		fail(err)
	}
	out := bufio.NewWriterSize(os.Stdout, 1<<16)
	switch *mode {
	case "hash":
		err = countHash(files, out)
	case "plain":
		err = countPlain(files, out)
	default:
		err = fmt.Errorf("unknown -mode %q", *mode)
	}
	if err == nil {
		err = out.Flush()
	}
	if err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "wordcount:", err)
	os.Exit(1)
}

// listFiles returns the regular files of dir in name order, skipping names
// that start with "." or "_" or end with ".tmp" (streamsql's rule).
func listFiles(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var files []string
	for _, e := range entries {
		n := e.Name()
		if e.Type().IsRegular() && !strings.HasPrefix(n, ".") && !strings.HasPrefix(n, "_") && !strings.HasSuffix(n, ".tmp") {
			files = append(files, filepath.Join(dir, n))
		}
	}
	return files, nil
}

func writeRow(w *bufio.Writer, word []byte, n int64) {
	q, _ := json.Marshal(string(word))
	w.WriteString(`{"word":`)
	w.Write(q)
	fmt.Fprintf(w, `,"COUNT(*)":%d}`+"\n", n)
}

// ---- hand-written hash table ----

var isSpace = [256]bool{' ': true, '\t': true, '\n': true, '\r': true, '\v': true, '\f': true}

type slot struct {
	hash  uint64 // 0: empty
	off   uint32 // key in the arena
	n     uint32 // key length
	count int64
}

type table struct {
	slots []slot
	used  int
	arena []byte
}

func newTable() *table {
	return &table{slots: make([]slot, 1<<16), arena: make([]byte, 0, 1<<20)}
}

// hashBytes is FNV-1a; the result is never 0 (0 marks an empty slot).
func hashBytes(b []byte) uint64 {
	h := uint64(14695981039346656037)
	for _, c := range b {
		h ^= uint64(c)
		h *= 1099511628211
	}
	return h | 1
}

func (t *table) add(word []byte) {
	h := hashBytes(word)
	mask := uint64(len(t.slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		s := &t.slots[i]
		if s.hash == 0 {
			s.hash, s.off, s.n, s.count = h, uint32(len(t.arena)), uint32(len(word)), 1
			t.arena = append(t.arena, word...)
			t.used++
			if t.used*2 > len(t.slots) {
				t.grow()
			}
			return
		}
		if s.hash == h && int(s.n) == len(word) && string(t.arena[s.off:s.off+s.n]) == string(word) {
			s.count++
			return
		}
	}
}

func (t *table) grow() {
	old := t.slots
	t.slots = make([]slot, len(old)*2)
	mask := uint64(len(t.slots) - 1)
	for _, s := range old {
		if s.hash == 0 {
			continue
		}
		i := s.hash & mask
		for t.slots[i].hash != 0 {
			i = (i + 1) & mask
		}
		t.slots[i] = s
	}
}

func countHash(files []string, out *bufio.Writer) error {
	t := newTable()
	buf := make([]byte, 1<<20)
	for _, name := range files {
		f, err := os.Open(name)
		if err != nil {
			return err
		}
		carry := 0 // bytes of an unfinished word kept at buf[:carry]
		for {
			n, err := f.Read(buf[carry:])
			end := carry + n
			if n == 0 && err != nil {
				if carry > 0 {
					t.add(buf[:carry])
				}
				f.Close()
				if err != io.EOF {
					return err
				}
				break
			}
			i, start := 0, -1
			for ; i < end; i++ {
				if isSpace[buf[i]] {
					if start >= 0 {
						t.add(buf[start:i])
						start = -1
					}
				} else if start < 0 {
					start = i
				}
			}
			carry = 0
			if start >= 0 {
				carry = copy(buf, buf[start:end])
				if carry == len(buf) { // a word longer than the buffer
					nb := make([]byte, 2*len(buf))
					copy(nb, buf)
					buf = nb
				}
			}
		}
	}
	for _, s := range t.slots {
		if s.hash != 0 {
			writeRow(out, t.arena[s.off:s.off+s.n], s.count)
		}
	}
	return nil
}

// ---- plain Go ----

func countPlain(files []string, out *bufio.Writer) error {
	counts := map[string]int{}
	for _, name := range files {
		f, err := os.Open(name)
		if err != nil {
			return err
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 1<<16), 1<<30)
		for sc.Scan() {
			for _, w := range bytes.Fields(sc.Bytes()) {
				counts[string(w)]++
			}
		}
		f.Close()
		if err := sc.Err(); err != nil {
			return err
		}
	}
	words := make([]string, 0, len(counts))
	for w := range counts {
		words = append(words, w)
	}
	sort.Strings(words)
	for _, w := range words {
		writeRow(out, []byte(w), int64(counts[w]))
	}
	return nil
}
