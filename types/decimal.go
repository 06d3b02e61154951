package types

import (
	"math"
	"strconv"

	"github.com/cockroachdb/apd/v3"
)

// A DECIMAL is an exact decimal number with a scale (digits after the
// point): `0.908 * price` is 905.276, not the nearest double. The value
// keeps its text ("905.276", "908.000"), which is how it prints, and
// arithmetic parses it (cockroachdb/apd).

// DecimalContext is the precision decimal arithmetic works at: 38
// significant digits, as SQL's widest DECIMAL(38, s).
var DecimalContext = apd.BaseContext.WithPrecision(38)

// Decimal makes a DECIMAL value of d.
func Decimal(d *apd.Decimal) Value {
	if d.Form != apd.Finite {
		return Null
	}
	return textValue(KindDecimal, d.Text('f'))
}

// DecimalText is the DECIMAL written s, which must be a decimal number
// as Decimal writes them ("" is NULL).
func DecimalText(s string) Value {
	if s == "" {
		return Null
	}
	return textValue(KindDecimal, s)
}

// ParseDecimal reads a decimal number ("12", "-0.908", "1.50", "1e5");
// ok is false for anything else. It is rounded to 38 significant digits
// and 38 places, and refused beyond 38 digits before the point: text
// such as "1e100000" would otherwise become a value of 100 000 digits.
func ParseDecimal(s string) (Value, bool) {
	d, _, err := apd.NewFromString(s)
	if err != nil || d.Form != apd.Finite {
		return Null, false
	}
	if _, err := DecimalContext.Round(d, d); err != nil {
		return Null, false
	}
	switch {
	case d.Exponent > 0:
		// 1e5 is 100000: its zeros are written out, 38 digits at most.
		if int64(d.NumDigits())+int64(d.Exponent) > maxDecimalDigits {
			return Null, false
		}
		if _, err := DecimalContext.Quantize(d, d, 0); err != nil {
			return Null, false
		}
	case d.Exponent < -maxDecimalDigits:
		if _, err := DecimalContext.Quantize(d, d, -maxDecimalDigits); err != nil {
			return Null, false
		}
	}
	return Decimal(d), true
}

// maxDecimalDigits bounds a DECIMAL read from text, as SQL's DECIMAL(38, s).
const maxDecimalDigits = 38

// AsDecimal returns a numeric value as an exact decimal: a DECIMAL or a
// BIGINT as they are, a DOUBLE by its shortest text. ok is false for
// other kinds.
func (v Value) AsDecimal() (*apd.Decimal, bool) {
	var d apd.Decimal
	switch v.kind {
	case KindDecimal:
		if _, _, err := d.SetString(v.str()); err != nil {
			return nil, false
		}
	case KindInt:
		d.SetInt64(int64(v.n))
	case KindFloat:
		f := v.AsFloat()
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, false
		}
		if _, _, err := d.SetString(strconv.FormatFloat(f, 'f', -1, 64)); err != nil {
			return nil, false
		}
	default:
		return nil, false
	}
	return &d, true
}

// decimalFloat is a DECIMAL's nearest double.
func decimalFloat(s string) float64 {
	f, _ := strconv.ParseFloat(s, 64)
	return f
}

// compareDecimal orders a DECIMAL against another number exactly (a
// DOUBLE by its shortest text).
func compareDecimal(a, b Value) int {
	x, ok1 := a.AsDecimal()
	y, ok2 := b.AsDecimal()
	if !ok1 || !ok2 {
		fa, _ := a.Float64()
		fb, _ := b.Float64()
		switch {
		case fa < fb:
			return -1
		case fa > fb:
			return 1
		}
		return 0
	}
	return x.Cmp(y)
}
