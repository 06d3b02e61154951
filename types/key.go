package types

import (
	"encoding/binary"
	"math"
)

// AppendKey appends an encoding of v to b such that two values encode to the
// same bytes exactly when Equal says they are the same group. It is the
// hash-map key of grouped state.
func AppendKey(b []byte, v Value) []byte {
	switch v.kind {
	case KindDecimal:
		// Groups with the equal BIGINT or DOUBLE (1.50 = 1.5 = 1.5e0).
		return AppendKey(b, Float(decimalFloat(v.str())))
	case KindFloat:
		// An integral double groups with the equal BIGINT.
		f := v.AsFloat()
		if f == math.Trunc(f) && f >= -9.2e18 && f <= 9.2e18 {
			return binary.LittleEndian.AppendUint64(append(b, byte(KindInt)), uint64(int64(f)))
		}
		if f == 0 { // -0 == 0
			f = 0
		}
		return binary.LittleEndian.AppendUint64(append(b, byte(KindFloat)), math.Float64bits(f))
	case KindText:
		b = append(b, byte(KindText))
		s := v.str()
		b = binary.AppendUvarint(b, uint64(len(s)))
		return append(b, s...)
	case KindNull:
		return append(b, byte(KindNull))
	case KindArray:
		elems := v.AsArray()
		b = binary.AppendUvarint(append(b, byte(KindArray)), uint64(len(elems)))
		for _, e := range elems {
			b = AppendKey(b, e)
		}
		return b
	}
	return binary.LittleEndian.AppendUint64(append(b, byte(v.kind)), v.n)
}
