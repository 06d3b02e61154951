package formats

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/streamsql/streamsql/types"

	"github.com/streamsql/streamsql/internal/datetime"
)

// Declared schemas and value conversion.
//
// The schema option declares a source's columns and their types, for any
// format: schema => 'sensor TEXT, temp DOUBLE, ts TIMESTAMP'. Each decoded
// value is then converted to its column's type; one that does not fit makes
// the record malformed. Without a schema, csv fields are typed by their text
// (inferField) and JSON values by their JSON type.

// schemaTypes maps the type names a schema accepts to kinds.
var schemaTypes = map[string]types.Kind{
	"BIGINT": types.KindInt, "INT": types.KindInt, "INTEGER": types.KindInt,
	"DOUBLE": types.KindFloat, "FLOAT": types.KindFloat, "REAL": types.KindFloat,
	"TEXT": types.KindText, "VARCHAR": types.KindText, "STRING": types.KindText,
	"BOOLEAN": types.KindBool, "BOOL": types.KindBool,
	"TIMESTAMP": types.KindTime,
	"DECIMAL":   types.KindDecimal, "NUMERIC": types.KindDecimal,
}

const schemaTypeList = "BIGINT, BOOLEAN, DECIMAL, DOUBLE, TEXT, TIMESTAMP"

// ParseSchema reads a declared schema: comma-separated "name TYPE" pairs.
// A name is a run of characters other than spaces and commas (dots
// included, for nested JSON fields) or a double-quoted string ("" inside
// for a quote). Type names are case-insensitive. An error names the part
// that is wrong.
func ParseSchema(s string) (types.Schema, error) {
	if strings.TrimSpace(s) == "" {
		return nil, fmt.Errorf("schema: no columns (write it as 'name TYPE, ...')")
	}
	parts, err := splitSchema(s)
	if err != nil {
		return nil, err
	}
	var out types.Schema
	for i, part := range parts {
		part = strings.TrimSpace(part)
		if part == "" {
			return nil, fmt.Errorf("schema: column %d is empty", i+1)
		}
		name, rest, err := schemaName(part)
		if err != nil {
			return nil, err
		}
		words := strings.Fields(rest)
		if len(words) == 0 {
			return nil, fmt.Errorf("schema: %q: missing type (write it as name TYPE)", part)
		}
		k, ok := schemaTypes[strings.ToUpper(words[0])]
		if !ok {
			return nil, fmt.Errorf("schema: %q: unknown type %s (types: %s)", part, words[0], schemaTypeList)
		}
		if len(words) > 1 {
			return nil, fmt.Errorf("schema: %q: unexpected %q after the type", part, strings.Join(words[1:], " "))
		}
		for _, c := range out {
			if strings.EqualFold(c.Name, name) { // SQL names are case-insensitive
				return nil, fmt.Errorf("schema: %q: duplicate column %s", part, name)
			}
		}
		out = append(out, types.Column{Name: name, Type: k})
	}
	return out, nil
}

// splitSchema splits s on the commas outside double quotes.
func splitSchema(s string) ([]string, error) {
	var parts []string
	start, quoted := 0, false
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '"':
			quoted = !quoted // "" inside a quoted name toggles twice
		case ',':
			if !quoted {
				parts = append(parts, s[start:i])
				start = i + 1
			}
		}
	}
	if quoted {
		return nil, fmt.Errorf("schema: unterminated quoted name in %q", strings.TrimSpace(s[start:]))
	}
	return append(parts, s[start:]), nil
}

// schemaName splits a trimmed schema part into its column name and the
// rest.
func schemaName(part string) (name, rest string, err error) {
	if part[0] != '"' {
		i := strings.IndexAny(part, " \t\r\n")
		if i < 0 {
			return part, "", nil
		}
		return part[:i], part[i:], nil
	}
	var b strings.Builder
	for i := 1; i < len(part); i++ {
		if part[i] != '"' {
			b.WriteByte(part[i])
			continue
		}
		if i+1 < len(part) && part[i+1] == '"' {
			b.WriteByte('"')
			i++
			continue
		}
		if b.Len() == 0 {
			return "", "", fmt.Errorf("schema: %q: empty column name", part)
		}
		return b.String(), part[i+1:], nil
	}
	return "", "", fmt.Errorf("schema: unterminated quoted name in %q", part)
}

// isSpace reports whether c is blank around a field's value.
func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

// trimSpace drops blanks at both ends of b.
func trimSpace(b []byte) []byte {
	for len(b) > 0 && isSpace(b[0]) {
		b = b[1:]
	}
	for len(b) > 0 && isSpace(b[len(b)-1]) {
		b = b[:len(b)-1]
	}
	return b
}

// Number literals, as csv inference and conversions read them.
const (
	notNumber = iota
	intLiteral
	decimalLiteral
)

// scanNumber classifies b: an integer literal ([+-]digits), a decimal
// literal (digits with a fraction and/or an exponent: 1.5, .5, 1., 2e-3)
// or neither. NaN, Inf, hex and digit separators are not numbers.
func scanNumber(b []byte) int {
	i := 0
	if i < len(b) && (b[i] == '+' || b[i] == '-') {
		i++
	}
	digits := 0
	for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
		digits++
	}
	if i == len(b) {
		if digits == 0 {
			return notNumber
		}
		return intLiteral
	}
	if b[i] == '.' {
		i++
		for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
			digits++
		}
	}
	if digits == 0 {
		return notNumber
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		exp := 0
		for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
			exp++
		}
		if exp == 0 {
			return notNumber
		}
	}
	if i != len(b) {
		return notNumber
	}
	return decimalLiteral
}

// parseInt reads an integer literal; ok is false when it overflows int64.
func parseInt(b []byte) (n int64, ok bool) {
	neg := false
	if len(b) > 0 && (b[0] == '+' || b[0] == '-') {
		neg = b[0] == '-'
		b = b[1:]
	}
	var u uint64
	for _, c := range b {
		if u > (math.MaxUint64-9)/10 {
			return 0, false
		}
		u = u*10 + uint64(c-'0')
	}
	if neg {
		if u > 1<<63 {
			return 0, false
		}
		return -int64(u), true
	}
	if u > math.MaxInt64 {
		return 0, false
	}
	return int64(u), true
}

// parseFloat reads a number literal; ok is false when it is out of range.
func parseFloat(b []byte) (float64, bool) {
	f, err := strconv.ParseFloat(string(b), 64)
	return f, err == nil
}

// isBoolText reports whether b spells true or false, in any case.
func isBoolText(b []byte) (val, ok bool) {
	switch len(b) {
	case 4:
		if (b[0]|0x20) == 't' && (b[1]|0x20) == 'r' && (b[2]|0x20) == 'u' && (b[3]|0x20) == 'e' {
			return true, true
		}
	case 5:
		if (b[0]|0x20) == 'f' && (b[1]|0x20) == 'a' && (b[2]|0x20) == 'l' && (b[3]|0x20) == 's' && (b[4]|0x20) == 'e' {
			return false, true
		}
	}
	return false, false
}

// inferField types a csv field by its text, SQLite-style: empty is NULL,
// an integer literal that fits is BIGINT (one that does not is DOUBLE), a
// decimal or exponent literal is DOUBLE, true/false in any case is BOOLEAN.
// Blanks around a number or boolean are ignored. Anything else is text:
// ok is false and the caller makes the field TEXT as written.
func inferField(b []byte) (v types.Value, ok bool) {
	if len(b) == 0 {
		return types.Null, true
	}
	t := b
	if isSpace(t[0]) || isSpace(t[len(t)-1]) {
		t = trimSpace(t)
		if len(t) == 0 {
			return types.Null, false
		}
	}
	switch c := t[0]; {
	case c >= '0' && c <= '9', c == '-', c == '+', c == '.':
		switch scanNumber(t) {
		case intLiteral:
			if n, ok := parseInt(t); ok {
				return types.Int(n), true
			}
			fallthrough
		case decimalLiteral:
			if f, ok := parseFloat(t); ok {
				return types.Float(f), true
			}
		}
	case c == 't', c == 'T', c == 'f', c == 'F':
		if bv, ok := isBoolText(t); ok {
			return types.Bool(bv), true
		}
	}
	return types.Null, false
}

// convError is a value that does not fit its declared column type.
type convError struct {
	col  string
	val  string // as the user wrote it: 'text' or a JSON literal
	kind types.Kind
	why  string // "" for plain "is not a"
}

func (e *convError) Error() string {
	if e.why != "" {
		return fmt.Sprintf("column %s: %s %s", e.col, e.val, e.why)
	}
	msg := fmt.Sprintf("column %s: %s is not a %s", e.col, e.val, e.kind)
	if e.kind == types.KindTime {
		msg += " (want RFC 3339, 'YYYY-MM-DD HH:MM:SS' or epoch milliseconds)"
	}
	return msg
}

// quoteValue renders field text for an error, SQL-quoted and cut short.
func quoteValue(b []byte) string {
	const max = 40
	s := string(b)
	if len(s) > max {
		s = s[:max] + "..."
	}
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

// convertText converts field text b to kind k, which is not TEXT. Blanks
// around the value are ignored; an empty value is NULL. An error shows b
// SQL-quoted, or as is when literal (a JSON number).
func convertText(col string, b []byte, k types.Kind, literal bool) (types.Value, error) {
	t := trimSpace(b)
	if len(t) == 0 {
		return types.Null, nil
	}
	fail := func(why string) (types.Value, error) {
		shown := string(b)
		if !literal {
			shown = quoteValue(b)
		}
		return types.Null, &convError{col: col, val: shown, kind: k, why: why}
	}
	switch k {
	case types.KindInt:
		switch scanNumber(t) {
		case intLiteral:
			if n, ok := parseInt(t); ok {
				return types.Int(n), nil
			}
			return fail("is out of range for BIGINT")
		case decimalLiteral:
			f, ok := parseFloat(t)
			if !ok || f < -(1<<63) || f >= 1<<63 {
				return fail("is out of range for BIGINT")
			}
			if f != math.Trunc(f) {
				return fail("")
			}
			return types.Int(int64(f)), nil
		}
	case types.KindFloat:
		if scanNumber(t) != notNumber {
			if f, ok := parseFloat(t); ok {
				return types.Float(f), nil
			}
			return fail("is out of range for DOUBLE")
		}
	case types.KindDecimal:
		if scanNumber(t) != notNumber {
			if d, ok := types.ParseDecimal(string(t)); ok {
				return d, nil
			}
		}
	case types.KindBool:
		if bv, ok := isBoolText(t); ok {
			return types.Bool(bv), nil
		}
	case types.KindTime:
		switch scanNumber(t) {
		case intLiteral:
			if n, ok := parseInt(t); ok && n >= minEpochMs && n <= maxEpochMs {
				return types.Time(time.UnixMilli(n)), nil
			}
			return fail("is out of range for TIMESTAMP")
		case decimalLiteral:
			if f, ok := parseFloat(t); ok && f >= minEpochMs && f <= maxEpochMs {
				whole, frac := math.Modf(f) // f*1e6 would round the fraction
				return types.Time(time.Unix(0, int64(whole)*1e6+int64(math.Round(frac*1e6)))), nil
			}
			return fail("is out of range for TIMESTAMP")
		}
		if ts, ok := parseTimestamp(t); ok {
			return types.Time(ts), nil
		}
	default:
		return types.Null, fmt.Errorf("column %s: cannot convert to %s", col, k)
	}
	return fail("")
}

// The epoch milliseconds a TIMESTAMP (int64 nanoseconds) can hold.
const (
	maxEpochMs = math.MaxInt64 / 1_000_000
	minEpochMs = -maxEpochMs
)

// parseTimestamp reads RFC 3339 text or 'YYYY-MM-DD HH:MM:SS' (UTC), also
// with a zone after a space or without one after a T, fractional seconds
// allowed.
func parseTimestamp(b []byte) (time.Time, bool) {
	if len(b) < 19 || b[4] != '-' || b[7] != '-' || (b[10] != 'T' && b[10] != 't' && b[10] != ' ') {
		return time.Time{}, false
	}
	// The common shape without a zone, by hand and without allocating.
	if ns, ok := datetime.Parse(b, b[10]); ok && b[10] != 't' {
		return time.Unix(0, ns).UTC(), true
	}
	s := string(b)
	layouts := [2]string{time.RFC3339, "2006-01-02T15:04:05"}
	if b[10] == ' ' {
		layouts = [2]string{"2006-01-02 15:04:05", "2006-01-02 15:04:05Z07:00"}
	} else if b[10] == 't' {
		s = s[:10] + "T" + s[11:]
	}
	for _, layout := range layouts {
		if t, err := time.Parse(layout, s); err == nil {
			if t.Year() < 1678 || t.Year() > 2261 { // outside int64 nanoseconds
				return time.Time{}, false
			}
			return t, true
		}
	}
	return time.Time{}, false
}
