package window

import (
	"fmt"
	"math/rand"
	"strings"
	"testing"

	"github.com/streamsql/streamsql/agg"
	"github.com/streamsql/streamsql/types"
)

// TestTableAgainstMap drives a Table and a Go map with the same random
// inserts, lookups and deletes (the backward-shift deletion is the subtle
// part) and checks they always agree.
func TestTableAgainstMap(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	tbl := NewTable()
	model := map[string]int64{}
	keyOf := func(i int) []types.Value {
		if i%3 == 0 {
			return []types.Value{types.Int(int64(i))}
		}
		return []types.Value{types.Text(fmt.Sprintf("k%d", i)), types.Int(int64(i % 7))}
	}
	enc := func(key []types.Value) []byte {
		var b []byte
		for _, v := range key {
			b = types.AppendKey(b, v)
		}
		return b
	}
	for step := 0; step < 200000; step++ {
		i := rng.Intn(3000)
		key := keyOf(i)
		k := enc(key)
		switch rng.Intn(4) {
		case 0:
			tbl.Delete(string(k))
			delete(model, string(k))
		default:
			g := tbl.Get(k, key, 1)
			g.States[0].N++
			model[string(k)]++
		}
		if step%1000 == 0 {
			if tbl.Len() != len(model) {
				t.Fatalf("step %d: %d groups, model has %d", step, tbl.Len(), len(model))
			}
			seen := 0
			for g := range tbl.All() {
				seen++
				if g.States[0].N != model[g.Enc()] {
					t.Fatalf("step %d: key %v counts %d, model %d", step, g.Key, g.States[0].N, model[g.Enc()])
				}
				if string(enc(g.Key)) != g.Enc() {
					t.Fatalf("key values %v do not encode to the group's key", g.Key)
				}
			}
			if seen != len(model) {
				t.Fatalf("step %d: All yields %d groups, model has %d", step, seen, len(model))
			}
			for k := range model {
				if tbl.Lookup(k) == nil {
					t.Fatalf("step %d: key %q lost", step, k)
				}
			}
		}
	}
}

// TestTableKeyCopied checks a group keeps its own copy of text keys: the
// input line a word came from may be reused.
func TestTableKeyCopied(t *testing.T) {
	line := []byte("hello world")
	key := []types.Value{types.Text(string(line[:5]))}
	tbl := NewTable()
	count, _ := agg.New("count", nil, false)
	g := tbl.Get(types.AppendKey(nil, key[0]), key, 1)
	count.Add(&g.States[0], nil)
	key[0] = types.Text("other")
	if got := tbl.Sorted()[0].Key[0].AsText(); got != "hello" {
		t.Fatalf("key = %q, want hello", got)
	}
}

// TestGetTexts checks the batched lookup of texts against one-by-one Get
// of their encodings: runs with repeated keys, keys new to the table, a
// table that grows mid-run, texts of every length class (empty, short
// enough to live in the group, longer, over 127 bytes: a two-byte length)
// and, in the same table, keys that are not one text (Get, Lookup).
func TestGetTexts(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	many, one := NewTable(), NewTable()
	pads := []string{"", "x", strings.Repeat("y", 19), strings.Repeat("z", 20), strings.Repeat("q", 140)}
	var texts []string
	for run := 0; run < 300; run++ {
		texts = texts[:0]
		n := rng.Intn(300)
		for i := 0; i < n; i++ {
			texts = append(texts, fmt.Sprintf("w%d", rng.Intn(1+run*20))+pads[rng.Intn(len(pads))])
		}
		out := make([]*Group, n)
		many.GetTexts(texts, 1, out)
		for i, g := range out {
			if g.Key[0].AsText() != texts[i] {
				t.Fatalf("run %d: key %d is %q, got the group of %v", run, i, texts[i], g.Key[0])
			}
			g.States[0].N++
			v := types.Text(texts[i])
			one.Get(types.AppendKey(nil, v), []types.Value{v}, 1).States[0].N++
		}
		// A number key beside the texts: its own group, found by its
		// encoding, never mistaken for a text.
		iv := types.Int(int64(run))
		many.Get(types.AppendKey(nil, iv), []types.Value{iv}, 1).States[0].N++
		one.Get(types.AppendKey(nil, iv), []types.Value{iv}, 1).States[0].N++
	}
	if many.Len() != one.Len() {
		t.Fatalf("GetTexts made %d groups, Get %d", many.Len(), one.Len())
	}
	for g := range one.All() {
		if m := many.Lookup(g.Enc()); m == nil || m.States[0].N != g.States[0].N {
			t.Fatalf("key %v: GetTexts group %+v, Get counted %d", g.Key, m, g.States[0].N)
		}
	}
}

// TestResetReusesGroups fills a table, resets it and fills it with other
// keys and aggregates of several sizes: the new groups start empty, keep
// no trace of the old keys, and reuse the old groups' memory.
func TestResetReusesGroups(t *testing.T) {
	tbl := NewTable()
	old := map[*Group]bool{}
	for i := 0; i < 300; i++ {
		v := types.Text(fmt.Sprintf("old-%d%s", i, strings.Repeat("x", i%40)))
		g := tbl.Get(types.AppendKey(nil, v), []types.Value{v}, 2)
		g.States[0].N += int64(i + 1)
		old[g] = true
	}
	tbl.Reset()
	if tbl.Len() != 0 || tbl.Lookup(string(types.AppendKey(nil, types.Text("old-1x")))) != nil {
		t.Fatalf("after Reset: %d groups, old key found", tbl.Len())
	}
	reused := 0
	for i := 0; i < 500; i++ {
		v := types.Int(int64(i))
		g := tbl.Get(types.AppendKey(nil, v), []types.Value{v}, 2)
		if g.States[0].N != 0 || g.States[1].N != 0 {
			t.Fatalf("key %d: new group's states %+v", i, g.States)
		}
		g.States[0].N++
		if old[g] {
			reused++
		}
	}
	if reused != 300 {
		t.Errorf("%d of 300 groups reused", reused)
	}
	for i := 0; i < 500; i++ {
		v := types.Int(int64(i))
		g := tbl.Lookup(string(types.AppendKey(nil, v)))
		if g == nil || g.States[0].N != 1 || !types.Equal(g.Key[0], v) {
			t.Fatalf("key %d: group %+v", i, g)
		}
	}
	// Groups of another number of states are never handed out again.
	tbl.Reset()
	v := types.Text("one")
	if g := tbl.Get(types.AppendKey(nil, v), []types.Value{v}, 1); len(g.States) != 1 || g.States[0].N != 0 {
		t.Fatalf("one-state group after Reset: %+v", g.States)
	}
}
