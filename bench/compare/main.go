// Command compare checks that two JSON-lines results hold the same rows,
// in any order: same keys per row, text values equal (RFC 3339 timestamps
// compared as instants), integers equal, other numbers within a relative
// 1e-9 (absolute for values below 1).
//
//	compare [-tol 1e-9] A.jsonl B.jsonl
//
// It prints "MATCH (N rows)" and exits 0, or "MISMATCH: ..." with the
// first differences and exits 1.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"sort"
	"strings"
	"time"
)

type row struct {
	key  string             // the row's non-numeric values and column names
	ints map[string]string  // integer columns, as written
	nums map[string]float64 // other numeric columns
	raw  string
}

var tol = flag.Float64("tol", 1e-9, "tolerance for non-integer numbers")

func main() {
	flag.Parse()
	if flag.NArg() != 2 {
		fmt.Fprintln(os.Stderr, "usage: compare [-tol 1e-9] A.jsonl B.jsonl")
		os.Exit(2)
	}
	a, err := load(flag.Arg(0))
	if err != nil {
		fmt.Println("MISMATCH:", err)
		os.Exit(1)
	}
	b, err := load(flag.Arg(1))
	if err != nil {
		fmt.Println("MISMATCH:", err)
		os.Exit(1)
	}
	diffs := compare(a, b)
	if len(diffs) == 0 {
		fmt.Printf("MATCH (%d rows)\n", len(a))
		return
	}
	fmt.Printf("MISMATCH: %d rows vs %d rows, %d differences%s\n", len(a), len(b), len(diffs), sums(a, b))
	for i, d := range diffs {
		if i == 10 {
			fmt.Println("  ...")
			break
		}
		fmt.Println("  " + d)
	}
	os.Exit(1)
}

func load(path string) ([]row, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<16), 1<<26)
	var rows []row
	for ln := 1; sc.Scan(); ln++ {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		dec := json.NewDecoder(bytes.NewReader(line))
		dec.UseNumber()
		var m map[string]any
		if err := dec.Decode(&m); err != nil {
			return nil, fmt.Errorf("%s:%d: %v", path, ln, err)
		}
		rows = append(rows, newRow(m, string(line)))
	}
	return rows, sc.Err()
}

func newRow(m map[string]any, raw string) row {
	r := row{ints: map[string]string{}, nums: map[string]float64{}, raw: raw}
	cols := make([]string, 0, len(m))
	for c := range m {
		cols = append(cols, c)
	}
	sort.Strings(cols)
	var key strings.Builder
	for _, c := range cols {
		key.WriteString(c)
		key.WriteByte('=')
		switch v := m[c].(type) {
		case json.Number:
			s := v.String()
			if !strings.ContainsAny(s, ".eE") {
				r.ints[c] = s
			} else {
				f, _ := v.Float64()
				r.nums[c] = f
			}
			key.WriteString("#")
		case string:
			if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
				v = t.UTC().Format(time.RFC3339Nano)
			}
			key.WriteString(fmt.Sprintf("%q", v))
		default:
			b, _ := json.Marshal(v)
			key.Write(b)
		}
		key.WriteByte(';')
	}
	r.key = key.String()
	return r
}

// num returns column c of r as a float64, whether written as an integer
// or not (an integral DOUBLE may be printed without a point).
func (r row) num(c string) (float64, bool) {
	if f, ok := r.nums[c]; ok {
		return f, true
	}
	if s, ok := r.ints[c]; ok {
		var f float64
		fmt.Sscan(s, &f)
		return f, true
	}
	return 0, false
}

func near(a, b float64) bool {
	d := math.Abs(a - b)
	return d <= *tol || d <= *tol*math.Max(math.Abs(a), math.Abs(b))
}

// equal compares the numeric columns of two rows with the same key.
func equal(a, b row) bool {
	if len(a.ints)+len(a.nums) != len(b.ints)+len(b.nums) {
		return false
	}
	for c, s := range a.ints {
		if t, ok := b.ints[c]; ok {
			if s != t {
				return false
			}
			continue
		}
		x, _ := a.num(c)
		y, ok := b.num(c)
		if !ok || !near(x, y) {
			return false
		}
	}
	for c, x := range a.nums {
		y, ok := b.num(c)
		if !ok || !near(x, y) {
			return false
		}
	}
	return true
}

func compare(a, b []row) []string {
	group := func(rs []row) map[string][]row {
		m := map[string][]row{}
		for _, r := range rs {
			m[r.key] = append(m[r.key], r)
		}
		return m
	}
	ga, gb := group(a), group(b)
	keys := make([]string, 0, len(ga)+len(gb))
	for k := range ga {
		keys = append(keys, k)
	}
	for k := range gb {
		if _, ok := ga[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var diffs []string
	for _, k := range keys {
		ra, rb := ga[k], gb[k]
		sortRows(ra)
		sortRows(rb)
		for i := 0; i < max(len(ra), len(rb)); i++ {
			switch {
			case i >= len(rb):
				diffs = append(diffs, "only in A: "+ra[i].raw)
			case i >= len(ra):
				diffs = append(diffs, "only in B: "+rb[i].raw)
			case !equal(ra[i], rb[i]):
				diffs = append(diffs, "A: "+ra[i].raw+"  B: "+rb[i].raw)
			}
		}
	}
	return diffs
}

// sortRows orders rows sharing a key by their raw text, so duplicates
// pair up deterministically.
func sortRows(rs []row) {
	sort.Slice(rs, func(i, j int) bool { return rs[i].raw < rs[j].raw })
}

// sums describes the totals of the integer columns that differ between
// a and b (for counts: how many input rows one side counted more).
func sums(a, b []row) string {
	total := func(rs []row) map[string]int64 {
		m := map[string]int64{}
		for _, r := range rs {
			for c, s := range r.ints {
				var n int64
				fmt.Sscan(s, &n)
				m[c] += n
			}
		}
		return m
	}
	ta, tb := total(a), total(b)
	floats := map[string]bool{} // columns not integral everywhere
	for _, rs := range [][]row{a, b} {
		for _, r := range rs {
			for c := range r.nums {
				floats[c] = true
			}
		}
	}
	cols := make([]string, 0, len(ta))
	for c := range ta {
		if !floats[c] {
			cols = append(cols, c)
		}
	}
	sort.Strings(cols)
	var out strings.Builder
	for _, c := range cols {
		if ta[c] != tb[c] {
			fmt.Fprintf(&out, "; sum of %s %d vs %d", c, ta[c], tb[c])
		}
	}
	return out.String()
}
