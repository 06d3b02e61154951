package expr

import (
	"strconv"
	"strings"

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
	case types.KindInt:
		switch v.Kind() {
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
	}
	return types.KindNull, false
}
