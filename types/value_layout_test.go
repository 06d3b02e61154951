package types

import (
	"strings"
	"testing"
	"unsafe"
)

// Every row, key and aggregate state is made of Values: their size is
// the engine's memory. Three words.
func TestValueIsThreeWords(t *testing.T) {
	if got := unsafe.Sizeof(Value{}); got != 24 {
		t.Fatalf("Value is %d bytes, want 24", got)
	}
}

func TestTextValues(t *testing.T) {
	a := Text("sensor-1")
	b := Text(strings.Clone("sensor-1")) // the same text held elsewhere
	if !Equal(a, b) || Compare(a, b) != 0 || string(AppendKey(nil, a)) != string(AppendKey(nil, b)) {
		t.Errorf("equal texts held apart differ: Equal %v Compare %d", Equal(a, b), Compare(a, b))
	}
	if Equal(a, Text("sensor-2")) || Compare(a, Text("sensor-2")) >= 0 {
		t.Errorf("sensor-1 vs sensor-2: Equal %v Compare %d", Equal(a, Text("sensor-2")), Compare(a, Text("sensor-2")))
	}
	// A text's length is no number, boolean or time.
	if a.AsInt() != 0 || a.AsBool() || a.AsFloat() != 0 || a.AsArray() != nil {
		t.Errorf("text accessors: %d %v %v %v", a.AsInt(), a.AsBool(), a.AsFloat(), a.AsArray())
	}
	if Int(7).AsText() != "" || Text("").AsText() != "" || Text("").Kind() != KindText {
		t.Errorf("AsText of 7 = %q, of '' = %q", Int(7).AsText(), Text("").AsText())
	}
	if d, _ := ParseDecimal("12.50"); d.AsText() != "12.50" || d.String() != "12.50" {
		t.Errorf("DECIMAL 12.50 reads %q / %q", d.AsText(), d.String())
	}
	var back Value
	raw, _ := a.MarshalBinary()
	if err := back.UnmarshalBinary(raw); err != nil || !Equal(back, a) || back.AsText() != "sensor-1" {
		t.Errorf("round trip = %v, %v", back, err)
	}
}

// A text's length is kept where numbers are: the number accessors must not
// read it.
func TestTextIsNoNumber(t *testing.T) {
	for _, v := range []Value{Text("abc"), DecimalText("2.5")} {
		if v.AsInt() != 0 || v.AsFloat() != 0 || v.AsBool() || v.AsTime().UnixNano() != 0 {
			t.Errorf("%v: AsInt %d AsFloat %v AsBool %v AsTime %v", v, v.AsInt(), v.AsFloat(), v.AsBool(), v.AsTime())
		}
	}
}
