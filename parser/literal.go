package parser

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/streamsql/streamsql/types"
)

// Literal tokens are checked as participle captures them, not afterwards:
// participle then stops at the bad token, so it is reported in text order
// with any syntax error (an oversized number before a misspelt keyword is
// the one the user hears about). Captures reach us as *literalError wrapped
// in a participle.Error that knows the position.

type literalError struct{ msg string }

func (e *literalError) Error() string { return e.msg }

func literalErrorf(format string, args ...any) error {
	return &literalError{fmt.Sprintf(format, args...)}
}

type intLit int64

func (n *intLit) Capture(v []string) error {
	i, err := strconv.ParseInt(v[0], 10, 64)
	if err != nil {
		return literalErrorf("number %s is too large", v[0])
	}
	*n = intLit(i)
	return nil
}

// floatLit is a number with a point or an exponent. With a point and no
// exponent it is an exact DECIMAL (`0.908`, as in SQL, PostgreSQL and
// Flink); with an exponent a DOUBLE (`1e3`, `2.5e-1`).
type floatLit struct{ v types.Value }

func (f *floatLit) Capture(v []string) error {
	if !strings.ContainsAny(v[0], "eE") {
		if d, ok := types.ParseDecimal(v[0]); ok {
			f.v = d
			return nil
		}
	}
	x, err := strconv.ParseFloat(v[0], 64)
	if err != nil && x != 0 { // overflow; underflow quietly becomes 0
		return literalErrorf("number %s is too large", v[0])
	}
	f.v = types.Float(x)
	return nil
}

// durationSyntax is time.ParseDuration's grammar cut down to the units
// FormatDuration prints, so every accepted window prints back the same.
var (
	durationSyntax = regexp.MustCompile(`^(?:\d+(?:ms|h|m|s))+$`)
	digits         = regexp.MustCompile(`^\d+$`)
)

type durationLit time.Duration

func (d *durationLit) Capture(v []string) error {
	x, err := parseDuration(v[0])
	if err == nil && x == 0 {
		err = literalErrorf("invalid duration %s; expected a duration greater than zero", quoteToken(v[0]))
	}
	*d = durationLit(x)
	return err
}

// latenessLit is a duration that may be zero, for LATENESS.
type latenessLit time.Duration

func (d *latenessLit) Capture(v []string) error {
	x, err := parseDuration(v[0])
	*d = latenessLit(x)
	return err
}

// parseDuration reads a duration token: 10s, 1m30s, '500ms'.
func parseDuration(tok string) (time.Duration, error) {
	text := tok
	if strings.HasPrefix(text, "'") {
		text = unquote(text, '\'')
	}
	if digits.MatchString(text) {
		return 0, literalErrorf("duration %s needs a unit; expected %sms, %ss, %sm or %sh", quoteToken(tok), text, text, text, text)
	}
	if !durationSyntax.MatchString(text) {
		return 0, literalErrorf("invalid duration %s; expected a number and unit (ms, s, m or h) such as 10s or 1m30s", quoteToken(tok))
	}
	x, err := time.ParseDuration(text)
	if err != nil {
		return 0, literalErrorf("duration %s is too long", quoteToken(tok))
	}
	return x, nil
}

// sessionSlide and unboundedSlide capture a SLIDE that the grammar takes
// after WINDOW SESSION 30s or WINDOW UNBOUNDED only to reject it here, at
// the SLIDE, with a reason rather than a list of what else could follow.
type (
	sessionSlide   bool
	unboundedSlide bool
)

func (*sessionSlide) Capture([]string) error {
	return literalErrorf("a SESSION window does not slide; SLIDE goes with a window size, as in WINDOW 10s SLIDE 5s")
}

func (*unboundedSlide) Capture([]string) error {
	return literalErrorf("an UNBOUNDED window does not slide; SLIDE goes with a window size, as in WINDOW 10s SLIDE 5s")
}

// timestampLayouts are the spellings a TIMESTAMP literal may take; those
// without a zone are UTC. (When parsing, Go accepts a fraction of a second
// after the seconds even though the layouts do not show one.)
var timestampLayouts = []string{time.RFC3339, "2006-01-02 15:04:05", "2006-01-02"}

// A timestamp is nanoseconds since 1970 in an int64 (see types.Time), which
// reaches from 1677 to 2262.
var (
	minTimestamp = time.Unix(0, math.MinInt64).UTC()
	maxTimestamp = time.Unix(0, math.MaxInt64).UTC()
)

type timestampLit time.Time

func (t *timestampLit) Capture(v []string) error {
	text := unquote(v[0], '\'')
	var reason string
	for _, layout := range timestampLayouts {
		x, err := time.Parse(layout, text)
		if err == nil {
			if x.Before(minTimestamp) || x.After(maxTimestamp) {
				return literalErrorf("timestamp %s is out of range; expected a time between %s and %s",
					quoteToken(v[0]), minTimestamp.Format(time.DateOnly), maxTimestamp.Format(time.DateOnly))
			}
			*t = timestampLit(x.UTC())
			return nil
		}
		// A text of the right shape with a bad field, such as month 13,
		// says which field.
		var pe *time.ParseError
		if errors.As(err, &pe) && strings.HasSuffix(pe.Message, " out of range") && reason == "" {
			reason = strings.TrimPrefix(pe.Message, ": ")
		}
	}
	if reason != "" {
		return literalErrorf("invalid timestamp %s: %s", quoteToken(v[0]), reason)
	}
	return literalErrorf("invalid timestamp %s; expected 'YYYY-MM-DD', 'YYYY-MM-DD HH:MM:SS' or RFC 3339 such as '2026-01-02T03:04:05Z'", quoteToken(v[0]))
}

// castTypes are the type names CAST accepts; the planner maps synonyms.
var castTypes = map[string]bool{
	"BOOLEAN": true, "BOOL": true, "BIGINT": true, "INT": true, "INTEGER": true,
	"DOUBLE": true, "FLOAT": true, "REAL": true, "TEXT": true, "VARCHAR": true,
	"STRING": true, "TIMESTAMP": true, "DECIMAL": true, "NUMERIC": true, "DEC": true,
}

type typeName string

func (t *typeName) Capture(v []string) error {
	name := strings.ToUpper(v[0])
	if !castTypes[name] {
		return literalErrorf("unknown type %q; expected BOOLEAN, BIGINT, DOUBLE, DECIMAL, TEXT or TIMESTAMP", v[0])
	}
	*t = typeName(name)
	return nil
}

// ident decodes a name token: "double quoted" names keep their case and may
// hold anything, with "" standing for one quote.
func ident(tok string) string {
	if strings.HasPrefix(tok, `"`) {
		return unquote(tok, '"')
	}
	if strings.HasPrefix(tok, "`") {
		return unquote(tok, '`')
	}
	return tok
}

// unquote strips SQL quotes, where a doubled quote stands for one.
// (participle.Unquote would apply Go's backslash escapes, which SQL lacks.)
func unquote(tok string, q byte) string {
	s := tok[1 : len(tok)-1]
	return strings.ReplaceAll(s, string([]byte{q, q}), string(q))
}

// quoteToken shows a token in a message: quoted tokens as written, others
// in double quotes, long ones shortened.
func quoteToken(tok string) string {
	if r := []rune(tok); len(r) > 24 {
		tok = string(r[:20]) + "..."
	}
	tok = strings.ReplaceAll(tok, "\n", " ")
	if strings.HasPrefix(tok, "'") || strings.HasPrefix(tok, `"`) {
		return tok
	}
	return `"` + tok + `"`
}
