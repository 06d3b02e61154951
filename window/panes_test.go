package window

import (
	"math/rand"
	"testing"
	"time"

	"github.com/streamsql/streamsql/agg"
	"github.com/streamsql/streamsql/types"
)

// TestSlidingEqualsBruteForce feeds random keyed events into panes and
// checks every window against a recount over the raw events.
func TestSlidingEqualsBruteForce(t *testing.T) {
	count, _ := agg.New("count", nil, false)
	sum, _ := agg.New("sum", func(r types.Row) types.Value { return r[1] }, false)
	fs := []agg.Func{count, sum}
	rng := rand.New(rand.NewSource(1))
	for trial := 0; trial < 50; trial++ {
		batch := time.Second
		slide := batch * time.Duration(1+rng.Intn(3))
		spec := Spec{Size: slide * time.Duration(1+rng.Intn(4)), Slide: slide}
		type event struct {
			at  time.Time
			key string
			v   int64
		}
		var events []event
		p := NewPanes(spec)
		for b := 0; b < 20; b++ {
			start := time.Unix(int64(b), 0)
			tbl := NewTable()
			for n := rng.Intn(5); n > 0; n-- {
				e := event{start, string(rune('a' + rng.Intn(3))), int64(rng.Intn(10))}
				events = append(events, e)
				row := types.Row{types.Text(e.key), types.Int(e.v)}
				key := types.AppendKey(nil, row[0])
				g := tbl.Get(key, row[:1], len(fs))
				for i, f := range fs {
					f.Add(&g.States[i], row)
				}
			}
			p.Add(start, tbl, fs)
			end := start.Add(batch)
			if !spec.Due(end) {
				continue
			}
			w := spec.Ending(end)
			got := map[string][2]int64{}
			for g := range p.Window(w, fs).All() {
				got[g.Key[0].AsText()] = [2]int64{fs[0].Result(&g.States[0]).AsInt(), fs[1].Result(&g.States[1]).AsInt()}
			}
			want := map[string][2]int64{}
			for _, e := range events {
				if !e.at.Before(w.Start) && e.at.Before(w.End) {
					c := want[e.key]
					want[e.key] = [2]int64{c[0] + 1, c[1] + e.v}
				}
			}
			if len(got) != len(want) {
				t.Fatalf("trial %d spec %+v window %v: got %v want %v", trial, spec, w, got, want)
			}
			for k, v := range want {
				if got[k] != v {
					t.Fatalf("trial %d spec %+v window %v key %s: got %v want %v", trial, spec, w, k, got[k], v)
				}
			}
			p.Evict(end)
			if len(p.Tables) > int(spec.Size/spec.Pane()) {
				t.Fatalf("trial %d: %d panes kept, window needs at most %d", trial, len(p.Tables), spec.Size/spec.Pane())
			}
		}
	}
}

func TestSpecCheck(t *testing.T) {
	for _, c := range []struct {
		spec Spec
		want string
	}{
		{Tumbling(10 * time.Second), ""},
		{Spec{30 * time.Second, 10 * time.Second}, ""},
		{Tumbling(1500 * time.Millisecond), "window length 1.5s is not a multiple of the batch interval 1s"},
		{Spec{4 * time.Second, 1500 * time.Millisecond}, "window slide 1.5s is not a multiple of the batch interval 1s"},
		{Spec{2 * time.Second, 3 * time.Second}, "window slide 3s is longer than the window 2s: rows between windows would be lost"},
	} {
		err := c.spec.Check(time.Second)
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != c.want {
			t.Errorf("%+v: got %q want %q", c.spec, got, c.want)
		}
	}
}
