package types

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// MarshalBinary encodes v for checkpoints: its kind, then its payload.
// Together with GobEncode it lets window and aggregate state, which hold
// Values, be written with encoding/gob and read back unchanged.
func (v Value) MarshalBinary() ([]byte, error) { return v.appendBinary(nil), nil }

func (v Value) appendBinary(b []byte) []byte {
	b = append(b, byte(v.kind))
	switch v.kind {
	case KindNull:
	case KindText, KindDecimal:
		b = binary.AppendUvarint(b, uint64(len(v.str())))
		b = append(b, v.str()...)
	case KindArray:
		elems := v.AsArray()
		b = binary.AppendUvarint(b, uint64(len(elems)))
		for _, e := range elems {
			b = e.appendBinary(b)
		}
	default:
		b = binary.LittleEndian.AppendUint64(b, v.n)
	}
	return b
}

// UnmarshalBinary decodes what MarshalBinary wrote.
func (v *Value) UnmarshalBinary(b []byte) error {
	rest, err := v.decode(b)
	if err != nil {
		return err
	}
	if len(rest) != 0 {
		return fmt.Errorf("types: %d trailing bytes after value", len(rest))
	}
	return nil
}

var errShort = errors.New("types: truncated value")

func (v *Value) decode(b []byte) ([]byte, error) {
	if len(b) == 0 {
		return nil, errShort
	}
	k := Kind(b[0])
	b = b[1:]
	switch k {
	case KindNull:
		*v = Null
	case KindText, KindDecimal:
		n, w := binary.Uvarint(b)
		if w <= 0 || uint64(len(b)-w) < n {
			return nil, errShort
		}
		*v = textValue(k, string(b[w:w+int(n)]))
		b = b[w+int(n):]
	case KindArray:
		n, w := binary.Uvarint(b)
		if w <= 0 || n > uint64(len(b)) {
			return nil, errShort
		}
		b = b[w:]
		elems := make([]Value, n)
		for i := range elems {
			var err error
			if b, err = elems[i].decode(b); err != nil {
				return nil, err
			}
		}
		*v = Array(elems)
	case KindBool, KindInt, KindFloat, KindTime:
		if len(b) < 8 {
			return nil, errShort
		}
		*v = Value{kind: k, n: binary.LittleEndian.Uint64(b)}
		b = b[8:]
	default:
		return nil, fmt.Errorf("types: unknown kind %d", k)
	}
	return b, nil
}

// GobEncode and GobDecode make Values (and state holding them) gob-able.
func (v Value) GobEncode() ([]byte, error) { return v.MarshalBinary() }
func (v *Value) GobDecode(b []byte) error  { return v.UnmarshalBinary(b) }
