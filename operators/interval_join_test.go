package operators

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"testing"
	"time"

	"github.com/streamsql/streamsql/expr"
	"github.com/streamsql/streamsql/types"
)

// The interval join against a brute-force pairing of the same rows: when
// rows are out of order by less than the lateness, nothing is late and
// the pairs (and, for LEFT, the unmatched left rows) are exactly those
// whose keys are equal and whose times differ by at most the bound, however
// the two inputs interleave and however the batches are cut.
func TestIntervalJoinMatchesBruteForce(t *testing.T) {
	for seed := uint64(1); seed <= 200; seed++ {
		r := rand.New(rand.NewPCG(seed, 9))
		within := time.Duration(1+r.IntN(5)) * time.Second
		disorder := time.Duration(r.IntN(8)) * time.Second
		left := r.IntN(2) == 0
		// A bounded run joins in event-time order at the end: any
		// disorder, no lateness.
		whole := seed%4 == 0
		lateness := disorder
		if whole {
			disorder, lateness = time.Duration(r.IntN(30))*time.Second, 0
		}
		gen := func(side string, n int) []types.Row {
			var rows []types.Row
			for i := 0; i < n; i++ {
				ts := int64(i)*int64(time.Second)/2 + r.Int64N(int64(disorder)+1)
				key := types.Int(int64(r.IntN(6)))
				if r.IntN(15) == 0 {
					key = types.Null
				}
				rows = append(rows, types.Row{key, types.Time(time.Unix(0, ts)), types.Text(fmt.Sprintf("%s%d", side, i))})
			}
			return rows
		}
		a, b := gen("a", 60), gen("b", 60)

		var want []string
		matched := map[string]bool{}
		for _, x := range a {
			for _, y := range b {
				d := x[1].AsTime().Sub(y[1].AsTime())
				if !x[0].IsNull() && types.Equal(x[0], y[0]) && d <= within && d >= -within {
					want = append(want, x[2].AsText()+"+"+y[2].AsText())
					matched[x[2].AsText()] = true
				}
			}
		}
		if left {
			for _, x := range a {
				if !matched[x[2].AsText()] {
					want = append(want, x[2].AsText()+"+NULL")
				}
			}
		}

		var got []string
		sink := &Collect{Out: func(_ *BatchEnd, rows, _ []types.Row) error {
			for _, row := range rows {
				s := row[2].AsText() + "+"
				if row[5].IsNull() {
					s += "NULL"
				} else {
					s += row[5].AsText()
				}
				got = append(got, s)
			}
			return nil
		}}
		j := &IntervalJoin{
			LeftKeys: JoinKeys{expr.Column(0)}, RightKeys: JoinKeys{expr.Column(0)},
			Cond:      func(types.Row) types.Value { return types.Bool(true) },
			LeftWidth: 3, RightWidth: 3, Within: within, Left: left,
			LeftTime: expr.Column(1), RightTime: expr.Column(1), Lateness: lateness, Whole: whole, Next: sink,
		}
		ins := []Operator{j.Input(0), j.Input(1)}
		now := time.Unix(0, 0)
		end := func(final bool) {
			for _, in := range ins {
				if err := in.EndBatch(&BatchEnd{Start: now, Time: now.Add(time.Second), Final: final, Emitted: true}); err != nil {
					t.Fatal(err)
				}
			}
			now = now.Add(time.Second)
		}
		// Both sides send in every batch, so neither is ever idle.
		var sent [2]bool
		for len(a)+len(b) > 0 {
			side, rows := 0, &a
			if len(a) == 0 || len(b) > 0 && r.IntN(2) == 0 {
				side, rows = 1, &b
			}
			n := min(1+r.IntN(4), len(*rows))
			if err := ins[side].Push((*rows)[:n]); err != nil {
				t.Fatal(err)
			}
			*rows = (*rows)[n:]
			sent[side] = true
			if sent[0] && sent[1] && r.IntN(5) == 0 && !whole {
				end(false)
				sent = [2]bool{}
			}
		}
		end(true)
		sort.Strings(got)
		sort.Strings(want)
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("seed %d (within %s, disorder %s, left %v, whole %v):\n got %v\nwant %v", seed, within, disorder, left, whole, got, want)
		}
	}
}

// A side that has sent nothing yet is idle after a quiet batch, unless its
// upstream is pending (a window above it holds rows for later): then the
// join waits for it, and its first rows, older than the other side's,
// are neither late nor without partners.
func TestIntervalJoinWaitsForPendingSide(t *testing.T) {
	for _, pending := range []bool{false, true} {
		var got []string
		sink := &Collect{Out: func(_ *BatchEnd, rows, _ []types.Row) error {
			for _, row := range rows {
				got = append(got, row[2].AsText()+"+"+row[5].AsText())
			}
			return nil
		}}
		j := &IntervalJoin{
			LeftKeys: JoinKeys{expr.Column(0)}, RightKeys: JoinKeys{expr.Column(0)},
			Cond:      func(types.Row) types.Value { return types.Bool(true) },
			LeftWidth: 3, RightWidth: 3, Within: time.Millisecond,
			LeftTime: expr.Column(1), RightTime: expr.Column(1), Next: sink,
		}
		ins := []Operator{j.Input(0), j.Input(1)}
		now := time.Unix(0, 0)
		end := func() {
			for side, in := range ins {
				b := &BatchEnd{Start: now, Time: now.Add(100 * time.Millisecond), Emitted: true, Pending: pending && side == 1}
				if err := in.EndBatch(b); err != nil {
					t.Fatal(err)
				}
				if side == 1 && b.Late != 0 {
					t.Errorf("pending %v: %d late rows", pending, b.Late)
				}
			}
			now = now.Add(100 * time.Millisecond)
		}
		row := func(name string, sec int) types.Row {
			return types.Row{types.Int(1), types.Time(time.Unix(int64(sec), 0)), types.Text(name)}
		}
		// The left side sends the windows starting at 0s, 2s, 4s, one a
		// batch; the right side (derived from the left) sends its row
		// for 0s only after that.
		for i, sec := range []int{0, 2, 4} {
			if err := ins[0].Push([]types.Row{row(fmt.Sprint("l", i), sec)}); err != nil {
				t.Fatal(err)
			}
			end()
		}
		if err := ins[1].Push([]types.Row{row("r0", 0)}); err != nil {
			t.Fatal(err)
		}
		end()
		want := "[]" // idle: r0 came late, l0 was dropped
		if pending {
			want = "[l0+r0]"
		}
		if fmt.Sprint(got) != want {
			t.Errorf("pending %v: joined %v, want %s", pending, got, want)
		}
	}
}

// Counts made above a fan-out whose branches meet again (a join or union
// of two streams derived from one) are counted once, also when the
// branches fan out again and three of them meet.
func TestFanoutCountsOnceWhereBranchesMeet(t *testing.T) {
	for _, outerFirst := range []bool{true, false} {
		var got *BatchEnd
		sink := &Collect{Out: func(b *BatchEnd, _, _ []types.Row) error {
			c := *b
			got = &c
			return nil
		}}
		u := NewUnion(3, sink)
		inner := &Fanout{Next: []Operator{u.Input(1), u.Input(2)}}
		outer := &Fanout{Next: []Operator{u.Input(0), &counting{late: 2, Next: inner}}}
		if !outerFirst {
			outer.Next[0], outer.Next[1] = outer.Next[1], outer.Next[0]
		}
		for batch := 1; batch <= 2; batch++ {
			got = nil
			b := &BatchEnd{Time: time.Unix(int64(batch), 0), Late: 5, Malformed: 1, StateKeys: 10, Emitted: true}
			if err := outer.EndBatch(b); err != nil {
				t.Fatal(err)
			}
			if got == nil {
				t.Fatal("the union did not close the batch")
			}
			// 5 late above both fan-outs, 2 between them; 1 malformed;
			// 10 keys.
			if got.Late != 7 || got.Malformed != 1 || got.StateKeys != 10 {
				t.Errorf("outer branch first %v, batch %d: late %d malformed %d keys %d, want 7, 1, 10",
					outerFirst, batch, got.Late, got.Malformed, got.StateKeys)
			}
		}
	}
}

// counting drops late rows of its own at each batch end.
type counting struct {
	late int64
	Next Operator
}

func (c *counting) Push(rows []types.Row) error { return c.Next.Push(rows) }
func (c *counting) EndBatch(b *BatchEnd) error {
	b.Late += c.late
	return c.Next.EndBatch(b)
}
