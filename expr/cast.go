package expr

import (
	"strconv"
	"strings"

	"github.com/cockroachdb/apd/v3"

	"github.com/streamsql/streamsql/types"
)

// Cast converts v to kind k. A value that cannot be converted becomes NULL
// rather than failing the query.
func Cast(v types.Value, k types.Kind) types.Value {
	if v.IsNull() || v.Kind() == k {
		return v
	}
	switch k {
	case types.KindText:
		return types.Text(v.String())
	case types.KindDecimal:
		switch n := numeric(v); n.Kind() {
		case types.KindInt, types.KindFloat, types.KindDecimal:
			if d, ok := n.AsDecimal(); ok {
				return types.Decimal(d)
			}
		}
	case types.KindInt:
		switch v.Kind() {
		case types.KindDecimal:
			f, _ := v.Float64() // truncated, as from a DOUBLE
			return types.Int(int64(f))
		case types.KindFloat:
			return types.Int(int64(v.AsFloat()))
		case types.KindBool:
			return numeric(v)
		case types.KindTime:
			return types.Int(v.AsTime().UnixMilli())
		case types.KindText:
			n := numeric(v)
			if n.Kind() == types.KindFloat {
				return types.Int(int64(n.AsFloat()))
			}
			return n
		}
	case types.KindFloat:
		if f, ok := numeric(v).Float64(); ok {
			return types.Float(f)
		}
	case types.KindBool:
		if v.Kind() == types.KindText {
			t := strings.TrimSpace(v.AsText())
			if b, err := strconv.ParseBool(t); err == nil {
				return types.Bool(b)
			}
			if _, ok := ParseNumber(t); !ok {
				return types.Null // 'abc' is no truth value
			}
		}
		switch TruthOf(v) {
		case True:
			return types.Bool(true)
		case False:
			return types.Bool(false)
		}
	case types.KindTime:
		return ToTimestamp(v)
	}
	return types.Null
}

// KindByName maps a SQL type name (and common synonyms) to a Kind.
func KindByName(name string) (types.Kind, bool) {
	switch strings.ToUpper(name) {
	case "BOOLEAN", "BOOL":
		return types.KindBool, true
	case "BIGINT", "INT", "INTEGER":
		return types.KindInt, true
	case "DOUBLE", "FLOAT", "REAL":
		return types.KindFloat, true
	case "TEXT", "VARCHAR", "STRING":
		return types.KindText, true
	case "TIMESTAMP":
		return types.KindTime, true
	case "DECIMAL", "NUMERIC", "DEC":
		return types.KindDecimal, true
	}
	return types.KindNull, false
}

// CastDecimal converts v to DECIMAL rounded to scale digits after the
// point (half away from zero), as CAST(v AS DECIMAL(p, s)); NULL when it
// has more than prec digits.
func CastDecimal(v types.Value, prec, scale int) types.Value {
	v = Cast(v, types.KindDecimal)
	d, ok := v.AsDecimal()
	if !ok {
		return types.Null
	}
	var r apd.Decimal
	if _, err := types.DecimalContext.Quantize(&r, d, int32(-scale)); err != nil {
		return types.Null
	}
	if prec > 0 && int(r.NumDigits()) > prec {
		return types.Null
	}
	return types.Decimal(&r)
}
