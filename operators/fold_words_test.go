package operators

import (
	"fmt"
	"math/rand"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/streamsql/streamsql/agg"
	"github.com/streamsql/streamsql/expr"
	"github.com/streamsql/streamsql/types"
	"github.com/streamsql/streamsql/window"
)

// collected keeps what reaches the end of a pipeline, batch by batch.
type collected struct {
	rows    []types.Row
	batches []string
}

func (c *collected) Push(rows []types.Row) error { c.rows = append(c.rows, rows...); return nil }
func (c *collected) EndBatch(*BatchEnd) error {
	var b strings.Builder
	for _, r := range c.rows {
		fmt.Fprintf(&b, "%s=%s ", r[0].AsText(), r[1].String())
	}
	c.batches = append(c.batches, b.String())
	c.rows = nil
	return nil
}

// TestFoldWordsParallel: the word count folded on two goroutines (chunks
// alternating, and words spread over them by hash when the key is the word
// and the table has grown large) answers exactly what counting one word at a time does, batch
// after batch, in key order: for chunks of many short lines, for lines
// joined in big rows, for chunks too small to hand off, for a per-batch
// aggregate, a tumbling window, and a key that is not the word itself.
func TestFoldWordsParallel(t *testing.T) {
	rng := rand.New(rand.NewSource(5))
	vocab := 0
	word := func() string {
		if rng.Intn(3) == 0 {
			return fmt.Sprintf("w%d", rng.Intn(20))
		}
		return fmt.Sprintf("v%d", rng.Intn(vocab))
	}
	// batches of chunks of rows; a row is one line or many joined. The
	// later batches' tables outgrow spreadFrom on the way: their words are
	// spread by hash from then on.
	var input [][][]types.Row
	for b := range 4 {
		vocab = []int{5000, 60000, 3000, 60000}[b]
		var chunks [][]types.Row
		for range 1 + rng.Intn(8) {
			var rows []types.Row
			joined := rng.Intn(2) == 0
			for range rng.Intn(3000) {
				var line strings.Builder
				for range 1 + rng.Intn(30) {
					line.WriteString(word())
					line.WriteString(" \t\n"[rng.Intn(3):][:1])
				}
				if joined && len(rows) > 0 && rng.Intn(50) != 0 {
					rows[len(rows)-1] = types.Row{types.Text(rows[len(rows)-1][0].AsText() + "\n" + line.String())}
					continue
				}
				rows = append(rows, types.Row{types.Text(line.String())})
			}
			chunks = append(chunks, rows)
		}
		input = append(input, chunks)
	}
	// want: per batch, each word's count, in key order.
	var want []string
	for _, chunks := range input {
		counts := map[string]int{}
		for _, rows := range chunks {
			for _, r := range rows {
				for _, w := range strings.Fields(r[0].AsText()) {
					counts[w]++
				}
			}
		}
		keys := make([]string, 0, len(counts))
		for k := range counts {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		var b strings.Builder
		for _, k := range keys {
			fmt.Fprintf(&b, "%s=%d ", k, counts[k])
		}
		want = append(want, b.String())
	}
	count, _ := agg.New("count", nil, false)
	for _, c := range []struct {
		name string
		spec window.Spec
		cols []int
	}{
		{"per-batch", window.Spec{}, []int{0}},
		{"tumbling", window.Tumbling(time.Second), []int{0}},
		{"key not the column", window.Spec{}, []int{-1}},
	} {
		t.Run(c.name, func(t *testing.T) {
			out := &collected{}
			a := &Aggregate{Grouping: Grouping{Keys: []expr.Func{expr.Column(0)}, Cols: c.cols, Aggs: []agg.Func{count}}, Window: c.spec, Next: out}
			fw := &FoldWords{Col: 0, Next: a, Parallel: true}
			for i, chunks := range input {
				for _, rows := range chunks {
					if err := fw.Push(rows); err != nil {
						t.Fatal(err)
					}
				}
				at := time.Unix(int64(i), 0)
				if err := fw.EndBatch(&BatchEnd{Start: at, Time: at.Add(time.Second), Emitted: true}); err != nil {
					t.Fatal(err)
				}
			}
			if len(out.batches) != len(want) {
				t.Fatalf("%d batches, want %d", len(out.batches), len(want))
			}
			for i := range want {
				if out.batches[i] != want[i] {
					t.Fatalf("batch %d:\n got %.300s\nwant %.300s", i, out.batches[i], want[i])
				}
			}
		})
	}
}

// TestFoldWordsHoldsNoWordsWhenIdle: chunks too small to hand off (a live
// stream's) are folded at once, both halves of the hashes, so no word is
// held (with the line it was cut from) until the batch ends.
func TestFoldWordsHoldsNoWordsWhenIdle(t *testing.T) {
	count, _ := agg.New("count", nil, false)
	out := &collected{}
	a := &Aggregate{Grouping: Grouping{Keys: []expr.Func{expr.Column(0)}, Cols: []int{0}, Aggs: []agg.Func{count}}, Next: out}
	fw := &FoldWords{Col: 0, Next: a, Parallel: true}
	// Two big chunks of spreadFrom words: one folded by a helper, one
	// here, so the table is large and words are spread from then on.
	var big []string
	for i := range spreadFrom {
		big = append(big, fmt.Sprintf("w%d", i))
	}
	for range 2 {
		if err := fw.Push([]types.Row{{types.Text(strings.Join(big, " "))}}); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 100 {
		if err := fw.Push([]types.Row{{types.Text(fmt.Sprintf("a%d b%d c d", i, i%7))}}); err != nil {
			t.Fatal(err)
		}
		if !fw.parts {
			t.Fatalf("chunk %d: words not spread by hash over a table of %d groups", i, a.batch.Len())
		}
		if n := len(fw.toFork.texts); n != 0 {
			t.Fatalf("after chunk %d, %d words held for a helper that is not running", i, n)
		}
	}
	if err := fw.EndBatch(&BatchEnd{Start: time.Unix(0, 0), Time: time.Unix(1, 0), Emitted: true}); err != nil {
		t.Fatal(err)
	}
	if got := out.batches[0]; !strings.Contains(got, "c=100 ") || !strings.Contains(got, "b3=14 ") || !strings.Contains(got, "w777=2 ") ||
		strings.Count(got, "=") != 100+7+2+spreadFrom {
		t.Fatalf("counts: %.200s", got)
	}
}
