package expr

import (
	"time"

	"github.com/streamsql/streamsql/types"
)

// CmpOp is a comparison operator.
type CmpOp byte

const (
	EQ CmpOp = iota
	NE
	LT
	LE
	GT
	GE
)

// Compare applies a comparison with SQL semantics: NULL if either side is
// NULL. A number compared with text that spells a number compares as
// numbers, so `"12"` from a CSV equals 12; other mixed kinds order as
// types.Compare does (numbers before text, as in SQLite).
func Compare(op CmpOp, a, b types.Value) types.Value {
	if a.IsNull() || b.IsNull() {
		return types.Null
	}
	c := compareCoerced(a, b)
	var r bool
	switch op {
	case EQ:
		r = c == 0
	case NE:
		r = c != 0
	case LT:
		r = c < 0
	case LE:
		r = c <= 0
	case GT:
		r = c > 0
	case GE:
		r = c >= 0
	}
	return types.Bool(r)
}

func compareCoerced(a, b types.Value) int {
	ak, bk := a.Kind(), b.Kind()
	// Booleans compare with numbers as 0 and 1, as in SQLite (and as
	// JSON producers mean them).
	if ak == types.KindBool && bk.Numeric() {
		a, ak = numeric(a), types.KindInt
	} else if bk == types.KindBool && ak.Numeric() {
		b, bk = numeric(b), types.KindInt
	}
	switch {
	case ak.Numeric() && bk == types.KindText:
		if n, ok := ParseNumber(b.AsText()); ok {
			b = n
		}
	case bk.Numeric() && ak == types.KindText:
		if n, ok := ParseNumber(a.AsText()); ok {
			a = n
		}
	case ak == types.KindTime && bk == types.KindText:
		// Text spelling a time compares with a TIMESTAMP as that time
		// (a JSON dateTime against ts - INTERVAL '10' SECOND).
		var rd TimeReader
		if ns, err := rd.text(b.AsText()); err == nil {
			b = types.Time(time.Unix(0, ns))
		}
	case bk == types.KindTime && ak == types.KindText:
		var rd TimeReader
		if ns, err := rd.text(a.AsText()); err == nil {
			a = types.Time(time.Unix(0, ns))
		}
	}
	return types.Compare(a, b)
}

// Truth is a SQL three-valued truth: 0 false, 1 true, 2 unknown (NULL).
type Truth uint8

const (
	False Truth = iota
	True
	Unknown
)

// TruthOf reads a value as a condition: NULL is unknown, numbers are true
// when non-zero (as in SQLite), text is true when it reads as a non-zero
// number.
func TruthOf(v types.Value) Truth {
	switch v.Kind() {
	case types.KindNull:
		return Unknown
	case types.KindBool:
		if v.AsBool() {
			return True
		}
		return False
	}
	n := numeric(v)
	if n.IsNull() {
		return False
	}
	if f, _ := n.Float64(); f != 0 {
		return True
	}
	return False
}

func (t Truth) Value() types.Value {
	switch t {
	case True:
		return types.Bool(true)
	case False:
		return types.Bool(false)
	}
	return types.Null
}

// And is three-valued AND: false wins over unknown.
func And(a, b Func) Func {
	return func(r types.Row) types.Value {
		x := TruthOf(a(r))
		if x == False {
			return types.Bool(false)
		}
		y := TruthOf(b(r))
		if y == False {
			return types.Bool(false)
		}
		if x == True && y == True {
			return types.Bool(true)
		}
		return types.Null
	}
}

// Or is three-valued OR: true wins over unknown.
func Or(a, b Func) Func {
	return func(r types.Row) types.Value {
		x := TruthOf(a(r))
		if x == True {
			return types.Bool(true)
		}
		y := TruthOf(b(r))
		if y == True {
			return types.Bool(true)
		}
		if x == False && y == False {
			return types.Bool(false)
		}
		return types.Null
	}
}

// Not is three-valued NOT.
func Not(a Func) Func {
	return func(r types.Row) types.Value {
		switch TruthOf(a(r)) {
		case True:
			return types.Bool(false)
		case False:
			return types.Bool(true)
		}
		return types.Null
	}
}
