package types

import "testing"

// A DECIMAL is a number like any other: it compares, groups and encodes
// with the BIGINTs and DOUBLEs it equals, keeps its scale when printed,
// and survives a checkpoint.
func TestDecimal(t *testing.T) {
	d := func(s string) Value {
		v, ok := ParseDecimal(s)
		if !ok {
			t.Fatalf("ParseDecimal(%q) failed", s)
		}
		return v
	}
	for _, c := range []struct {
		a, b Value
		cmp  int
	}{
		{d("1.50"), d("1.5"), 0},
		{d("1.5"), Float(1.5), 0},
		{d("2.000"), Int(2), 0},
		{d("0.1"), Float(0.1), 0},
		{d("905.276"), Int(905), 1},
		{d("-0.5"), Int(0), -1},
		{d("99999999999999999999.1"), d("99999999999999999999.2"), -1}, // beyond a DOUBLE's digits
	} {
		if got := Compare(c.a, c.b); got != c.cmp {
			t.Errorf("Compare(%s, %s) = %d, want %d", c.a, c.b, got, c.cmp)
		}
		if eq := Equal(c.a, c.b); eq != (c.cmp == 0) {
			t.Errorf("Equal(%s, %s) = %v", c.a, c.b, eq)
		}
		if c.cmp == 0 && string(AppendKey(nil, c.a)) != string(AppendKey(nil, c.b)) {
			t.Errorf("%s and %s are equal but group apart", c.a, c.b)
		}
	}
	v := d("908.000")
	if v.String() != "908.000" || string(v.AppendJSON(nil)) != "908.000" || v.Kind() != KindDecimal || !v.Kind().Numeric() {
		t.Errorf("908.000 shows as %s / %s (%s)", v, v.AppendJSON(nil), v.Kind())
	}
	b, _ := v.MarshalBinary()
	var back Value
	if err := back.UnmarshalBinary(b); err != nil || back.Kind() != KindDecimal || back.String() != "908.000" {
		t.Errorf("round trip: %v %s", err, back)
	}
	// Text costs what its size says: a huge exponent is refused, not
	// written out as 100 000 digits; tiny and long numbers are rounded.
	for in, want := range map[string]string{
		"1e3x":     "",
		"1e100000": "",
		"1e39":     "",
		"1e5":      "100000",
		"-2.50":    "-2.50",
		"1e-100":   "0.00000000000000000000000000000000000000",
		"0.1234567890123456789012345678901234567890123": "0.12345678901234567890123456789012345679",
	} {
		v, ok := ParseDecimal(in)
		if got := v.String(); ok != (want != "") || ok && got != want {
			t.Errorf("ParseDecimal(%q) = %s, %v; want %q", in, got, ok, want)
		}
	}
}
