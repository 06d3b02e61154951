package expr

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/streamsql/streamsql/types"

	"github.com/streamsql/streamsql/internal/datetime"
)

// TimeReader reads the event times of one column (or EVENT TIME
// expression), row after row. It accepts what ToTimestamp does, with one
// difference: a number is epoch milliseconds only when it is whole, so a
// reading such as 21.5 (a temperature named by mistake) is refused rather
// than placed 21.5 ms after 1970.
//
// Text times of one column are almost always written in one layout, so the
// reader remembers the layout that read the last text value and tries it
// first; only when it stops matching are the others tried (and the one that
// matches remembered). A column of 'YYYY-MM-DD HH:MM:SS.fff' text then costs
// one parse per row, not two failed ones (each allocating its error) and a
// third. Reading a time that parses allocates nothing.
//
// A TimeReader is used by one goroutine; its zero value is ready.
type TimeReader struct {
	layout int // 1 + index in timestampLayouts of the last layout that matched; 0 none yet
}

// Read returns v as nanoseconds since the Unix epoch, or an error saying
// why v is not an event time.
func (r *TimeReader) Read(v types.Value) (int64, error) {
	switch v.Kind() {
	case types.KindTime:
		return v.AsTime().UnixNano(), nil
	case types.KindInt:
		return epochMillis(v.AsInt())
	case types.KindFloat:
		return wholeMillis(v.AsFloat())
	case types.KindText:
		return r.text(v.AsText())
	case types.KindNull:
		return 0, errNullTime
	}
	return 0, fmt.Errorf("%s %s is not a timestamp", v.Kind(), v.String())
}

var errNullTime = fmt.Errorf("NULL is not a timestamp")

func epochMillis(ms int64) (int64, error) {
	if ms > math.MaxInt64/1_000_000 || ms < math.MinInt64/1_000_000 {
		return 0, fmt.Errorf("%d is out of the TIMESTAMP range as epoch milliseconds", ms)
	}
	return ms * 1_000_000, nil
}

func wholeMillis(f float64) (int64, error) {
	if f != math.Trunc(f) || math.IsInf(f, 0) {
		return 0, fmt.Errorf("%s is not a timestamp: a number is read as epoch milliseconds and must be whole", types.Float(f).String())
	}
	// The bounds are exact powers of two, so the comparison is too.
	if !(f >= -(1<<63)/1e6 && f < (1<<63)/1e6) {
		return 0, fmt.Errorf("%s is out of the TIMESTAMP range as epoch milliseconds", types.Float(f).String())
	}
	return int64(f) * 1_000_000, nil
}

func (r *TimeReader) text(s string) (int64, error) {
	s = strings.TrimSpace(s)
	if r.layout > 0 {
		if ns, ok := parseLayout(r.layout-1, s); ok {
			return ns, nil
		}
	}
	for i := range timestampLayouts {
		if i == r.layout-1 {
			continue // just failed
		}
		if ns, ok := parseLayout(i, s); ok {
			r.layout = i + 1
			return ns, nil
		}
	}
	if n, ok := ParseNumber(s); ok {
		switch n.Kind() {
		case types.KindInt:
			return epochMillis(n.AsInt())
		case types.KindFloat:
			return wholeMillis(n.AsFloat())
		}
	}
	return 0, fmt.Errorf("%q is not a timestamp (RFC 3339, 'YYYY-MM-DD HH:MM:SS[.fff]' or whole epoch milliseconds)", shortText(s))
}

// parseLayout reads s in timestampLayouts[i], as time.Parse does, within
// the TIMESTAMP range. The layouts without a zone
// ('YYYY-MM-DD HH:MM:SS[.fff]' with a space or a T) are read by hand when
// s has their canonical shape (two-digit fields, at most nine fractional
// digits), which is several times faster than time.Parse; any other text
// goes to time.Parse, so what is accepted does not change.
func parseLayout(i int, s string) (int64, bool) {
	if i == spaceLayout || i == tLayout {
		sep := byte(' ')
		if i == tLayout {
			sep = 'T'
		}
		if ns, ok := datetime.Parse(s, sep); ok {
			return ns, true
		}
	}
	t, err := time.Parse(timestampLayouts[i], s)
	if err != nil || t.Before(minTime) || t.After(maxTime) {
		return 0, false
	}
	return t.UnixNano(), true
}

// The indexes in timestampLayouts of the layouts datetime.Parse reads.
const (
	spaceLayout = 2 // "2006-01-02 15:04:05.999999999"
	tLayout     = 3 // "2006-01-02T15:04:05.999999999"
)

// shortText cuts a value quoted in an error to a readable length.
func shortText(s string) string {
	const max = 64
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && s[cut]&0xC0 == 0x80 { // not inside a UTF-8 sequence
		cut--
	}
	return s[:cut] + "..."
}
