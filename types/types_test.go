package types

import (
	"bytes"
	"encoding/gob"
	"math"
	"testing"
	"time"
)

func sample() []Value {
	return []Value{
		Null, Bool(true), Bool(false), Int(-42), Int(math.MaxInt64), Float(2.5), Float(math.Inf(-1)),
		Text(""), Text("héllo \"world\"\n"), Time(time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)),
		Array([]Value{Int(1), Text("x"), Null, Array(nil)}),
	}
}

func TestBinaryRoundTrip(t *testing.T) {
	for _, v := range sample() {
		b, _ := v.MarshalBinary()
		var got Value
		if err := got.UnmarshalBinary(b); err != nil {
			t.Fatalf("%v: %v", v, err)
		}
		if Compare(got, v) != 0 || got.Kind() != v.Kind() {
			t.Errorf("round trip of %v gave %v", v, got)
		}
		for cut := 0; cut < len(b); cut++ {
			var x Value
			if x.UnmarshalBinary(b[:cut]) == nil {
				t.Errorf("%v: decoding %d of %d bytes succeeded", v, cut, len(b))
			}
		}
	}
}

func TestGobRoundTrip(t *testing.T) {
	type state struct {
		Key  []Value
		Set  map[string]Value
		Rows []Row
	}
	in := state{Key: sample(), Set: map[string]Value{"a": Text("a"), "n": Null}, Rows: []Row{{Int(1), Text("b")}}}
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(in); err != nil {
		t.Fatal(err)
	}
	var out state
	if err := gob.NewDecoder(&buf).Decode(&out); err != nil {
		t.Fatal(err)
	}
	for i := range in.Key {
		if Compare(in.Key[i], out.Key[i]) != 0 {
			t.Errorf("key %d: %v != %v", i, in.Key[i], out.Key[i])
		}
	}
	if out.Set["a"].AsText() != "a" || !out.Set["n"].IsNull() || out.Rows[0][1].AsText() != "b" {
		t.Errorf("decoded %+v", out)
	}
}

func TestCompareAndKey(t *testing.T) {
	cases := []struct {
		a, b Value
		cmp  int
	}{
		{Int(1), Float(1), 0}, {Int(1), Float(1.5), -1}, {Float(-0.5), Int(0), -1},
		{Int(math.MaxInt64), Float(9.3e18), -1}, {Text("a"), Text("b"), -1},
		{Int(5), Text("5"), -1}, {Null, Int(0), -1}, {Bool(false), Bool(true), -1},
	}
	for _, c := range cases {
		if got := Compare(c.a, c.b); got != c.cmp {
			t.Errorf("Compare(%v, %v) = %d, want %d", c.a, c.b, got, c.cmp)
		}
		sameKey := bytes.Equal(AppendKey(nil, c.a), AppendKey(nil, c.b))
		if sameKey != (c.cmp == 0) {
			t.Errorf("AppendKey(%v) == AppendKey(%v) is %v, want %v", c.a, c.b, sameKey, c.cmp == 0)
		}
	}
}

func TestAppendJSON(t *testing.T) {
	got := string(Array([]Value{Int(1), Float(0.5), Text("a\"b"), Null, Bool(true), Time(time.Unix(0, 0))}).AppendJSON(nil))
	want := `[1,0.5,"a\"b",null,true,"1970-01-01T00:00:00Z"]`
	if got != want {
		t.Errorf("got %s want %s", got, want)
	}
}
