package types

import (
	"math"
	"strconv"
	"time"
	"unsafe"
)

// Kind is the SQL type of a Value.
type Kind uint8

const (
	KindNull Kind = iota
	KindBool
	KindInt     // BIGINT
	KindFloat   // DOUBLE
	KindText    // TEXT
	KindTime    // TIMESTAMP, nanoseconds since the Unix epoch, UTC
	KindArray   // ARRAY of values, as split() returns and UNNEST consumes
	KindDecimal // DECIMAL, exact, kept as its text (see decimal.go)
)

var kindNames = [...]string{"NULL", "BOOLEAN", "BIGINT", "DOUBLE", "TEXT", "TIMESTAMP", "ARRAY", "DECIMAL"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// Numeric reports whether values of k take part in arithmetic.
func (k Kind) Numeric() bool { return k == KindInt || k == KindFloat || k == KindDecimal }

// Value is one SQL value. The zero Value is NULL.
//
// Numbers, booleans and timestamps live in n (floats as their IEEE bits),
// so comparing or hashing a Value needs no type switch on interfaces and
// scalars cost no allocation. Text (and a DECIMAL's digits) is p and n,
// its bytes and length, as a string header is; an array's elements are
// behind p. Three words, not the five of a separate string and array
// field: every row, group key and aggregate state holds Values, so their
// size is much of the engine's memory.
//
// A text's length is n, not a field of its own in the padding after kind:
// a Value written by narrower stores and then copied whole (rows and states
// are copied all the time) stalls the load on the stores, which cost a
// sliding window 20% of its time. The accessors of numbers read 0 from a
// text, as when its length was elsewhere.
//
// Values do not compare with ==, which would compare where texts are held,
// not what they say: use Equal or Compare.
type Value struct {
	_    [0]func() // not comparable
	kind Kind
	n    uint64
	p    unsafe.Pointer
}

// Null is the SQL NULL.
var Null = Value{}

func Int(i int64) Value     { return Value{kind: KindInt, n: uint64(i)} }
func Float(f float64) Value { return Value{kind: KindFloat, n: math.Float64bits(f)} }
func Text(s string) Value   { return textValue(KindText, s) }
func Time(t time.Time) Value {
	return Value{kind: KindTime, n: uint64(t.UnixNano())}
}
func Bool(b bool) Value {
	if b {
		return Value{kind: KindBool, n: 1}
	}
	return Value{kind: KindBool}
}

// textValue is a value of kind k (TEXT or DECIMAL) held as the text s.
func textValue(k Kind, s string) Value {
	return Value{kind: k, n: uint64(len(s)), p: unsafe.Pointer(unsafe.StringData(s))}
}

// str is the text of a TEXT or DECIMAL value.
func (v Value) str() string { return unsafe.String((*byte)(v.p), int(v.n)) }

// scalar is n for a number, boolean or time: 0 for a text, whose length n
// is.
func (v Value) scalar() uint64 {
	if v.kind == KindText || v.kind == KindDecimal {
		return 0
	}
	return v.n
}

// Array makes an ARRAY value holding elems (not copied).
func Array(elems []Value) Value { return Value{kind: KindArray, p: unsafe.Pointer(&elems)} }

// AsArray returns the elements of an ARRAY value (nil for other kinds).
func (v Value) AsArray() []Value {
	if v.kind != KindArray || v.p == nil {
		return nil
	}
	return *(*[]Value)(v.p)
}

func (v Value) Kind() Kind       { return v.kind }
func (v Value) IsNull() bool     { return v.kind == KindNull }
func (v Value) AsInt() int64     { return int64(v.scalar()) }
func (v Value) AsFloat() float64 { return math.Float64frombits(v.scalar()) }

// AsText is the text of a TEXT value (a DECIMAL's digits; "" for other
// kinds).
func (v Value) AsText() string {
	if v.kind != KindText && v.kind != KindDecimal {
		return ""
	}
	return v.str()
}
func (v Value) AsBool() bool { return v.scalar() != 0 }
func (v Value) AsTime() time.Time {
	return time.Unix(0, int64(v.scalar())).UTC()
}

// Float64 converts a numeric value to float64; ok is false for other kinds.
func (v Value) Float64() (f float64, ok bool) {
	switch v.kind {
	case KindInt:
		return float64(int64(v.n)), true
	case KindFloat:
		return v.AsFloat(), true
	case KindDecimal:
		return decimalFloat(v.str()), true
	}
	return 0, false
}

// String renders the value as the console and text sinks show it.
func (v Value) String() string {
	switch v.kind {
	case KindNull:
		return "NULL"
	case KindBool:
		if v.n != 0 {
			return "true"
		}
		return "false"
	case KindInt:
		return strconv.FormatInt(int64(v.n), 10)
	case KindFloat:
		return formatFloat(v.AsFloat())
	case KindText, KindDecimal:
		return v.str()
	case KindTime:
		return v.AsTime().Format(time.RFC3339Nano)
	case KindArray:
		return string(v.AppendJSON(nil))
	}
	return "?"
}

func formatFloat(f float64) string {
	return strconv.FormatFloat(f, 'g', -1, 64)
}

// AppendJSON appends the value as a JSON literal.
func (v Value) AppendJSON(b []byte) []byte {
	switch v.kind {
	case KindNull:
		return append(b, "null"...)
	case KindBool:
		if v.n != 0 {
			return append(b, "true"...)
		}
		return append(b, "false"...)
	case KindInt:
		return strconv.AppendInt(b, int64(v.n), 10)
	case KindFloat:
		f := v.AsFloat()
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return append(b, "null"...)
		}
		return strconv.AppendFloat(b, f, 'g', -1, 64)
	case KindText:
		return appendJSONString(b, v.str())
	case KindDecimal:
		return append(b, v.str()...) // a JSON number as it is
	case KindTime:
		// RFC 3339 has nothing to escape: formatted in place, no string
		// made per row (a window's rows all carry its bounds).
		b = append(b, '"')
		b = v.AsTime().AppendFormat(b, time.RFC3339Nano)
		return append(b, '"')
	case KindArray:
		b = append(b, '[')
		for i, e := range v.AsArray() {
			if i > 0 {
				b = append(b, ',')
			}
			b = e.AppendJSON(b)
		}
		return append(b, ']')
	}
	return append(b, "null"...)
}

const hexDigits = "0123456789abcdef"

func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c == '\n':
			b = append(b, '\\', 'n')
		case c == '\r':
			b = append(b, '\\', 'r')
		case c == '\t':
			b = append(b, '\\', 't')
		case c < 0x20:
			b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}
