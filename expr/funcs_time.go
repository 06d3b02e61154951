package expr

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/streamsql/streamsql/types"

	"github.com/streamsql/streamsql/internal/datetime"
)

// Time functions. TIMESTAMP values are instants in UTC with nanosecond
// precision between 1677-09-21 and 2262-04-11 (int64 nanoseconds since the
// epoch); a result outside that range is NULL. Wherever a timestamp is
// expected, RFC 3339 text, 'YYYY-MM-DD HH:MM:SS' text and epoch
// milliseconds are accepted too (see ToTimestamp); anything else is NULL.

// Now is the clock now() reads, once per evaluation. Tests and replays
// replace it to get a fixed instant; it must not be changed while a query
// runs.
var Now = time.Now

func init() {
	register(&Scalar{Name: "now", MinArgs: 0, MaxArgs: 0, Doc: "now() = 2026-01-02T03:04:05.678Z (the instant of evaluation)",
		Fn: func([]types.Value) types.Value { return timeValue(Now()) }})
	register(&Scalar{Name: "to_timestamp", MinArgs: 1, MaxArgs: 1, Doc: "to_timestamp(1700000000000) = 2023-11-14T22:13:20Z",
		Fn: func(a []types.Value) types.Value { return ToTimestamp(a[0]) }})
	register(&Scalar{Name: "epoch_ms", MinArgs: 1, MaxArgs: 1, Doc: "epoch_ms('2023-11-14T22:13:20.5Z') = 1700000000500",
		Fn: func(a []types.Value) types.Value {
			t, ok := timeArg(a[0])
			if !ok {
				return types.Null
			}
			return types.Int(t.UnixMilli())
		}})
	register(&Scalar{Name: "date_trunc", MinArgs: 2, MaxArgs: 2, Doc: "date_trunc('hour', '2026-01-02T03:04:05Z') = 2026-01-02T03:00:00Z",
		Fn: func(a []types.Value) types.Value {
			u, ok := lookupUnit(textArg(a[0]))
			if !ok {
				return types.Null
			}
			return dateTrunc(u, a[1])
		},
		Prepare: func(c []*types.Value) (func([]types.Value) types.Value, error) {
			if c[0] == nil {
				return nil, nil
			}
			u, err := constUnit("date_trunc", *c[0], truncUnits)
			if err != nil {
				return nil, err
			}
			return func(a []types.Value) types.Value { return dateTrunc(u, a[1]) }, nil
		}})
	register(&Scalar{Name: "date_part", MinArgs: 2, MaxArgs: 2, Doc: "date_part('dow', '2026-01-04') = 0 (Sunday)",
		Fn: func(a []types.Value) types.Value {
			u, ok := lookupUnit(textArg(a[0]))
			if !ok {
				return types.Null
			}
			return datePart(u, a[1])
		},
		Prepare: func(c []*types.Value) (func([]types.Value) types.Value, error) {
			if c[0] == nil {
				return nil, nil
			}
			u, err := constUnit("date_part", *c[0], partUnits)
			if err != nil {
				return nil, err
			}
			return func(a []types.Value) types.Value { return datePart(u, a[1]) }, nil
		}})
	register(&Scalar{Name: "format_timestamp", MinArgs: 2, MaxArgs: 2, Doc: "format_timestamp('2026-01-02T03:04:05.678Z', '%Y/%m/%d %H:%M:%S.%f') = '2026/01/02 03:04:05.678'",
		Fn: func(a []types.Value) types.Value {
			l, err := compileLayout(textArg(a[1]))
			if err != nil {
				return types.Null
			}
			return formatTimestamp(l, a[0])
		},
		Prepare: func(c []*types.Value) (func([]types.Value) types.Value, error) {
			if c[1] == nil {
				return nil, nil
			}
			l, err := constLayout("format_timestamp", *c[1])
			if err != nil {
				return nil, err
			}
			return func(a []types.Value) types.Value { return formatTimestamp(l, a[0]) }, nil
		}})
	register(&Scalar{Name: "parse_timestamp", MinArgs: 2, MaxArgs: 2, Doc: "parse_timestamp('02/Jan/2026:03:04:05 +0100', '%d/%b/%Y:%H:%M:%S %z') = 2026-01-02T02:04:05Z",
		Fn: func(a []types.Value) types.Value {
			l, err := compileLayout(textArg(a[1]))
			if err != nil {
				return types.Null
			}
			return parseTimestamp(l, textArg(a[0]))
		},
		Prepare: func(c []*types.Value) (func([]types.Value) types.Value, error) {
			if c[1] == nil {
				return nil, nil
			}
			l, err := constLayout("parse_timestamp", *c[1])
			if err != nil {
				return nil, err
			}
			return func(a []types.Value) types.Value { return parseTimestamp(l, textArg(a[0])) }, nil
		}})
}

var (
	minTime = time.Unix(0, math.MinInt64).UTC()
	maxTime = time.Unix(0, math.MaxInt64).UTC()
)

// timeValue is t as a TIMESTAMP, NULL when it does not fit.
func timeValue(t time.Time) types.Value {
	if t.Before(minTime) || t.After(maxTime) {
		return types.Null
	}
	return types.Time(t)
}

// timeArg reads a timestamp argument (see ToTimestamp).
func timeArg(v types.Value) (time.Time, bool) {
	v = ToTimestamp(v)
	if v.IsNull() {
		return time.Time{}, false
	}
	return v.AsTime(), true
}

type timeUnit uint8

const (
	unitMicrosecond timeUnit = iota + 1
	unitMillisecond
	unitSecond
	unitMinute
	unitHour
	unitDay
	unitWeek
	unitMonth
	unitQuarter
	unitYear
	unitDow
	unitIsodow
	unitDoy
	unitEpoch
)

// unitNames maps the unit spellings PostgreSQL accepts (singular, plural,
// abbreviations; case-insensitive) to units.
var unitNames = map[string]timeUnit{}

func init() {
	for u, names := range map[timeUnit]string{
		unitMicrosecond: "microsecond microseconds us usec usecs",
		unitMillisecond: "millisecond milliseconds ms msec msecs",
		unitSecond:      "second seconds s sec secs",
		unitMinute:      "minute minutes min mins",
		unitHour:        "hour hours h hr hrs",
		unitDay:         "day days d",
		unitWeek:        "week weeks w",
		unitMonth:       "month months mon mons",
		unitQuarter:     "quarter quarters qtr",
		unitYear:        "year years y yr yrs",
		unitDow:         "dow",
		unitIsodow:      "isodow",
		unitDoy:         "doy",
		unitEpoch:       "epoch",
	} {
		for _, n := range strings.Fields(names) {
			unitNames[n] = u
		}
	}
}

const (
	truncUnits = "microsecond, millisecond, second, minute, hour, day, week, month, quarter, year"
	partUnits  = "year, quarter, month, week, day, doy, dow, isodow, hour, minute, second, millisecond, microsecond, epoch"
)

func lookupUnit(s string) (timeUnit, bool) {
	u, ok := unitNames[strings.ToLower(strings.TrimSpace(s))]
	return u, ok
}

// constUnit resolves a constant unit at plan time; valid lists the units
// the function takes.
func constUnit(fn string, v types.Value, valid string) (timeUnit, error) {
	u, ok := lookupUnit(textArg(v))
	if ok && (valid == partUnits || u <= unitYear) {
		return u, nil
	}
	return 0, fmt.Errorf("%s: unknown unit %s; expected one of %s", fn, sqlQuote(textArg(v)), valid)
}

func dateTrunc(u timeUnit, v types.Value) types.Value {
	t, ok := timeArg(v)
	if !ok {
		return types.Null
	}
	y, m, d := t.Date()
	switch u {
	case unitMicrosecond:
		t = t.Truncate(time.Microsecond)
	case unitMillisecond:
		t = t.Truncate(time.Millisecond)
	case unitSecond:
		t = t.Truncate(time.Second)
	case unitMinute:
		t = t.Truncate(time.Minute)
	case unitHour:
		t = t.Truncate(time.Hour)
	case unitDay:
		t = time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	case unitWeek: // ISO weeks start on Monday
		back := (int(t.Weekday()) + 6) % 7
		t = time.Date(y, m, d-back, 0, 0, 0, 0, time.UTC)
	case unitMonth:
		t = time.Date(y, m, 1, 0, 0, 0, 0, time.UTC)
	case unitQuarter:
		t = time.Date(y, (m-1)/3*3+1, 1, 0, 0, 0, 0, time.UTC)
	case unitYear:
		t = time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC)
	default:
		return types.Null
	}
	return timeValue(t)
}

// datePart is a field of the timestamp as a BIGINT, named as in
// PostgreSQL's date_part (whose result is DOUBLE with fractional seconds;
// here second is the whole seconds 0-59, millisecond and microsecond are
// the seconds field scaled as in PostgreSQL (12.345 s gives 12345 ms) and
// epoch is whole seconds, rounded down).
func datePart(u timeUnit, v types.Value) types.Value {
	t, ok := timeArg(v)
	if !ok {
		return types.Null
	}
	var r int
	switch u {
	case unitYear:
		r = t.Year()
	case unitQuarter:
		r = (int(t.Month())-1)/3 + 1
	case unitMonth:
		r = int(t.Month())
	case unitWeek:
		_, r = t.ISOWeek()
	case unitDay:
		r = t.Day()
	case unitDoy:
		r = t.YearDay()
	case unitDow:
		r = int(t.Weekday()) // 0 = Sunday, as PostgreSQL and strftime('%w')
	case unitIsodow:
		r = (int(t.Weekday())+6)%7 + 1 // 1 = Monday ... 7 = Sunday
	case unitHour:
		r = t.Hour()
	case unitMinute:
		r = t.Minute()
	case unitSecond:
		r = t.Second()
	case unitMillisecond:
		r = t.Second()*1000 + t.Nanosecond()/1e6
	case unitMicrosecond:
		r = t.Second()*1e6 + t.Nanosecond()/1e3
	case unitEpoch:
		return types.Int(t.Unix())
	default:
		return types.Null
	}
	return types.Int(int64(r))
}

func constLayout(fn string, v types.Value) (layout, error) {
	l, err := compileLayout(textArg(v))
	if err != nil {
		return nil, fmt.Errorf("%s: invalid layout %s: %v", fn, sqlQuote(textArg(v)), err)
	}
	return l, nil
}

func formatTimestamp(l layout, v types.Value) types.Value {
	t, ok := timeArg(v)
	if !ok {
		return types.Null
	}
	return types.Text(l.format(t))
}

func parseTimestamp(l layout, s string) types.Value {
	t, ok := l.parse(s)
	if !ok {
		return types.Null
	}
	return timeValue(t)
}

// ToTimestamp reads a value as a TIMESTAMP: a TIMESTAMP as is; a number
// as milliseconds since the Unix epoch (DOUBLE keeps fractions of a
// millisecond); text in RFC 3339 ('2026-01-02T03:04:05.5Z', with any
// offset), as 'YYYY-MM-DD HH:MM:SS[.fff]' (with a space or a T, optionally
// followed by an offset; UTC when there is none) or 'YYYY-MM-DD', or text
// that spells a number (epoch milliseconds). Anything else, and instants
// outside the TIMESTAMP range, give NULL.
func ToTimestamp(v types.Value) types.Value {
	switch v.Kind() {
	case types.KindTime:
		return v
	case types.KindInt:
		ms := v.AsInt()
		if ms > math.MaxInt64/1_000_000 || ms < math.MinInt64/1_000_000 {
			return types.Null
		}
		return types.Time(time.Unix(0, ms*1_000_000))
	case types.KindFloat:
		ns := v.AsFloat() * 1e6
		// The bounds are exact powers of two, so the comparison is too.
		if !(ns >= -(1<<63) && ns < 1<<63) {
			return types.Null
		}
		return types.Time(time.Unix(0, int64(ns)))
	case types.KindText:
		s := strings.TrimSpace(v.AsText())
		if len(s) > 10 && (s[10] == ' ' || s[10] == 'T') {
			if ns, ok := datetime.Parse(s, s[10]); ok { // the common shape, by hand
				return types.Time(time.Unix(0, ns))
			}
		}
		for _, layout := range timestampLayouts {
			if t, err := time.Parse(layout, s); err == nil {
				return timeValue(t)
			}
		}
		if n, ok := ParseNumber(s); ok {
			return ToTimestamp(n)
		}
	}
	return types.Null
}

var timestampLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02",
}
