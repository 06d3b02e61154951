package operators

import (
	"github.com/streamsql/streamsql/expr"
	"github.com/streamsql/streamsql/types"
)

// JoinKeys computes the equality key of a join side: the values of the
// side's half of each `l = r` conjunct of the ON condition.
type JoinKeys []expr.Func

// appendKey appends r's key to b, or returns ok false when a part is NULL
// (a NULL key never matches). Values that `=` calls equal encode alike:
// an integral DOUBLE and the equal BIGINT, text spelling a number and the
// number, a BOOLEAN and 0 or 1. The encoding may also merge values `=`
// tells apart (the texts '1' and '1.0'), which is why the joins evaluate
// the whole ON condition on each candidate pair: the key only narrows the
// candidates.
func (k JoinKeys) appendKey(b []byte, r types.Row) ([]byte, bool) {
	for _, f := range k {
		v := f(r)
		switch v.Kind() {
		case types.KindNull:
			return b, false
		case types.KindText:
			if s := v.AsText(); mayBeNumber(s) {
				if n, ok := expr.ParseNumber(s); ok {
					v = n
				}
			}
		case types.KindBool:
			if v.AsBool() {
				v = types.Int(1)
			} else {
				v = types.Int(0)
			}
		}
		b = types.AppendKey(b, v)
	}
	return b, true
}

// joinRow is left followed by right (nil right: width NULLs).
func joinRow(arena *[]types.Value, left, right types.Row, width int) types.Row {
	n := len(left) + width
	if len(*arena) < n {
		*arena = make([]types.Value, n*64)
	}
	o := (*arena)[:n:n]
	*arena = (*arena)[n:]
	copy(o, left)
	if right == nil {
		clear(o[len(left):]) // the arena may hold a rejected pair's values
	} else {
		copy(o[len(left):], right)
	}
	return o
}

// mayBeNumber is false for text that expr.ParseNumber certainly refuses,
// which it does at the cost of an error value: most join keys are names.
// Numbers (and ParseFloat's inf and nan) start with a sign, a digit, a
// dot, or i or n, after spaces.
func mayBeNumber(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f':
			continue
		case c >= '0' && c <= '9', c == '+', c == '-', c == '.', c == 'i', c == 'I', c == 'n', c == 'N':
			return true
		default:
			return c >= 0x80 // TrimSpace also trims Unicode spaces
		}
	}
	return false
}
