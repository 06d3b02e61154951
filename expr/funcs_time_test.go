package expr

import (
	"math"
	"testing"
	"time"

	"github.com/streamsql/streamsql/types"
)

func TestNowIsInjectable(t *testing.T) {
	defer func(old func() time.Time) { Now = old }(Now)
	fixed := time.Date(2026, 1, 2, 3, 4, 5, 678e6, time.UTC)
	Now = func() time.Time { return fixed }
	runCases(t, []fcase{c("now", ts("2026-01-02T03:04:05.678Z"))})
	Now = func() time.Time { return time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC) }
	runCases(t, []fcase{c("now", n)}) // beyond the TIMESTAMP range
}

func TestToTimestamp(t *testing.T) {
	runCases(t, []fcase{
		c("to_timestamp", ts("2023-11-14T22:13:20Z"), i(1700000000000)),
		c("to_timestamp", ts("1969-12-31T23:59:59.999Z"), i(-1)),
		c("to_timestamp", ts("1970-01-01T00:00:00.0015Z"), f(1.5)),
		c("to_timestamp", ts("2023-11-14T22:13:20Z"), s("1700000000000")),
		c("to_timestamp", ts("2026-01-01T00:00:00Z"), s("2026-01-01T00:00:00Z")),
		c("to_timestamp", ts("2026-01-01T08:00:00Z"), s("2026-01-01T10:00:00+02:00")),
		c("to_timestamp", ts("2026-01-01T10:00:00.25Z"), s(" 2026-01-01 10:00:00.25 ")),
		c("to_timestamp", ts("2026-01-01T10:00:00Z"), s("2026-01-01T10:00:00")),
		c("to_timestamp", ts("2026-01-01T09:00:00Z"), s("2026-01-01 10:00:00+01:00")),
		c("to_timestamp", ts("2026-01-01T00:00:00Z"), s("2026-01-01")),
		c("to_timestamp", ts("2026-01-01T00:00:00Z"), ts("2026-01-01T00:00:00Z")),
		c("to_timestamp", n, s("garbage")),
		c("to_timestamp", n, s("")),
		c("to_timestamp", n, s("2026-13-01")),
		c("to_timestamp", n, s("2026-02-30")),
		c("to_timestamp", n, s("9999-01-01")),
		c("to_timestamp", n, s("0001-01-01T00:00:00Z")),
		c("to_timestamp", n, i(math.MaxInt64)),
		c("to_timestamp", n, i(math.MinInt64)),
		c("to_timestamp", n, f(1e300)),
		c("to_timestamp", n, f(math.NaN())),
		c("to_timestamp", n, f(math.Inf(-1))),
		c("to_timestamp", n, b(true)),
		c("to_timestamp", n, arr("2026-01-01")),
		c("to_timestamp", n, n),

		c("epoch_ms", i(1700000000500), s("2023-11-14T22:13:20.5Z")),
		c("epoch_ms", i(1700000000000), i(1700000000000)),
		c("epoch_ms", i(-1), s("1969-12-31T23:59:59.9995Z")), // rounded down
		c("epoch_ms", i(0), ts("1970-01-01T00:00:00.000999Z")),
		c("epoch_ms", n, s("bad")),
		c("epoch_ms", n, n),
	})
}

func TestDateTruncAndPart(t *testing.T) {
	x := s("2026-08-15T13:14:15.123456789Z") // a Saturday
	runCases(t, []fcase{
		c("date_trunc", ts("2026-01-02T03:00:00Z"), s("hour"), s("2026-01-02T03:04:05Z")),
		c("date_trunc", ts("2026-08-15T13:14:15.123456Z"), s("microsecond"), x),
		c("date_trunc", ts("2026-08-15T13:14:15.123Z"), s("millisecond"), x),
		c("date_trunc", ts("2026-08-15T13:14:15Z"), s("second"), x),
		c("date_trunc", ts("2026-08-15T13:14:00Z"), s("minute"), x),
		c("date_trunc", ts("2026-08-15T13:00:00Z"), s("HOURS"), x),
		c("date_trunc", ts("2026-08-15T00:00:00Z"), s("day"), x),
		c("date_trunc", ts("2026-08-10T00:00:00Z"), s("week"), x),
		c("date_trunc", ts("2025-12-29T00:00:00Z"), s("week"), s("2026-01-04T23:59:59Z")), // Sunday
		c("date_trunc", ts("2026-01-05T00:00:00Z"), s("week"), s("2026-01-05T10:00:00Z")), // Monday
		c("date_trunc", ts("2026-08-01T00:00:00Z"), s("month"), x),
		c("date_trunc", ts("2026-07-01T00:00:00Z"), s("quarter"), x),
		c("date_trunc", ts("2026-01-01T00:00:00Z"), s("qtr"), s("2026-03-31T23:59:59Z")),
		c("date_trunc", ts("2026-01-01T00:00:00Z"), s(" Year "), x),
		c("date_trunc", ts("1969-12-31T00:00:00Z"), s("day"), s("1969-12-31T23:00:00Z")),
		c("date_trunc", ts("1969-12-31T23:59:59Z"), s("second"), s("1969-12-31T23:59:59.5Z")),
		c("date_trunc", ts("2023-11-14T00:00:00Z"), s("day"), i(1700000000000)),
		c("date_trunc", n, s("year"), s("1677-09-21T00:12:44Z")), // 1677-01-01 is out of range
		c("date_trunc", n, s("day"), s("garbage")),
		c("date_trunc", n, s("day"), i(math.MaxInt64)),
		c("date_trunc", n, n, x),
		c("date_trunc", n, s("day"), n),

		c("date_part", i(2026), s("year"), x),
		c("date_part", i(3), s("quarter"), x),
		c("date_part", i(8), s("month"), x),
		c("date_part", i(33), s("week"), x),
		c("date_part", i(53), s("week"), s("2027-01-01")), // ISO week of 2026
		c("date_part", i(15), s("day"), x),
		c("date_part", i(227), s("doy"), x),
		c("date_part", i(6), s("dow"), x),
		c("date_part", i(0), s("dow"), s("2026-01-04")),
		c("date_part", i(7), s("isodow"), s("2026-01-04")),
		c("date_part", i(13), s("hour"), x),
		c("date_part", i(14), s("minute"), x),
		c("date_part", i(15), s("second"), x),
		c("date_part", i(15123), s("millisecond"), x),
		c("date_part", i(15123456), s("microseconds"), x),
		c("date_part", i(1700000000), s("epoch"), i(1700000000000)),
		c("date_part", i(-1), s("epoch"), s("1969-12-31T23:59:59.5Z")),
		c("date_part", n, s("hour"), s("noon")),
		c("date_part", n, n, x),
		c("date_part", n, s("day"), n),
	})
	runPlanErrors(t, []planErrCase{
		{"date_trunc", []types.Value{s("fortnight"), x}, "date_trunc: unknown unit 'fortnight'; expected one of microsecond"},
		{"date_trunc", []types.Value{s("dow"), x}, "unknown unit 'dow'"},
		{"date_trunc", []types.Value{i(1), x}, "unknown unit '1'"},
		{"date_part", []types.Value{s("fortnight"), x}, "date_part: unknown unit 'fortnight'; expected one of year"},
	})
}

func TestFormatTimestamp(t *testing.T) {
	x := s("2026-01-04T03:04:05.678Z") // a Sunday
	y := s("2024-12-31T15:00:00Z")     // a Tuesday
	runCases(t, []fcase{
		c("format_timestamp", s("2026/01/04 03:04:05.678"), x, s("%Y/%m/%d %H:%M:%S.%f")),
		// Checked against sqlite3 strftime for the directives it shares.
		c("format_timestamp", s("2026-01-04 03:04:05 004 0 00 1767495845"), x, s("%F %T %j %w %W %s")),
		c("format_timestamp", s("366 53 2"), y, s("%j %W %w")),
		// Checked against Python's strftime.
		c("format_timestamp", s("Sun Sunday Jan January  4 03 AM 26 01 01 2026 7 00 004"), x, s("%a %A %b %B %e %I %p %y %U %V %G %u %W %j")),
		c("format_timestamp", s("Tue Tuesday Dec December 31 03 PM 24 52 01 2025 2 53 366"), y, s("%a %A %h %B %e %I %p %y %U %V %G %u %W %j")),
		c("format_timestamp", s("12 AM UTC +0000 100%"), s("2026-01-01T00:30:00Z"), s("%I %p %Z %z 100%%")),
		c("format_timestamp", s("1969-12-31 23:59:59.999 -1"), i(-1), s("%F %T.%f %s")),
		c("format_timestamp", s(""), x, s("")),
		c("format_timestamp", s("no directives, ünïcode"), x, s("no directives, ünïcode")),
		c("format_timestamp", s("2023-11-14"), i(1700000000000), s("%F")),
		c("format_timestamp", n, s("not a time"), s("%F")),
		c("format_timestamp", n, n, s("%F")),
		c("format_timestamp", n, x, n),
	})
	runPlanErrors(t, []planErrCase{
		{"format_timestamp", []types.Value{x, s("%Y-%Q")}, "format_timestamp: invalid layout '%Y-%Q': unknown directive %Q (known: %Y"},
		{"format_timestamp", []types.Value{x, s("%Y%")}, "ends with a lone %"},
		{"format_timestamp", []types.Value{x, s("%é")}, "unknown directive %é"},
	})
}

func TestParseTimestamp(t *testing.T) {
	runCases(t, []fcase{
		c("parse_timestamp", ts("2026-01-02T02:04:05Z"), s("02/Jan/2026:03:04:05 +0100"), s("%d/%b/%Y:%H:%M:%S %z")),
		c("parse_timestamp", ts("2026-01-02T00:00:00Z"), s("20260102"), s("%Y%m%d")),
		c("parse_timestamp", ts("2026-01-02T03:04:05.5Z"), s("2026-01-02 03:04:05.5"), s("%F %T.%f")),
		c("parse_timestamp", ts("2026-01-02T03:04:05.123456789Z"), s("2026-01-02 03:04:05.123456789"), s("%F %T.%f")),
		c("parse_timestamp", ts("2026-01-01T21:34:05Z"), s("2026-01-02T03:04:05+05:30"), s("%FT%T%z")),
		c("parse_timestamp", ts("2026-01-02T08:04:05Z"), s("2026-01-02T03:04:05-05"), s("%FT%T%z")),
		c("parse_timestamp", ts("2026-01-02T03:04:05Z"), s("2026-01-02T03:04:05Z"), s("%FT%T%z")),
		c("parse_timestamp", ts("2023-11-14T22:13:20Z"), s("1700000000"), s("%s")),
		c("parse_timestamp", ts("1969-12-31T23:59:59.5Z"), s("-1.5"), s("%s.%f")),
		c("parse_timestamp", ts("1970-01-01T12:30:00Z"), s("12:30 PM"), s("%I:%M %p")),
		c("parse_timestamp", ts("1970-01-01T00:30:00Z"), s("12:30 am"), s("%I:%M %p")),
		c("parse_timestamp", ts("1970-01-01T13:00:00Z"), s("1pm"), s("%I%p")),
		c("parse_timestamp", ts("2026-03-01T00:00:00Z"), s("2026-060"), s("%Y-%j")),
		c("parse_timestamp", ts("2024-12-31T00:00:00Z"), s("2024-366"), s("%Y-%j")),
		c("parse_timestamp", ts("2026-01-05T00:00:00Z"), s("january 5, 2026"), s("%B %e, %Y")),
		c("parse_timestamp", ts("2026-01-05T00:00:00Z"), s("Jan  5 2026"), s("%b %e %Y")),
		c("parse_timestamp", ts("2026-01-05T10:00:00Z"), s("Mon, 05 Jan 2026 10:00:00 GMT"), s("%a, %d %b %Y %T %Z")),
		c("parse_timestamp", ts("2026-01-05T10:00:00Z"), s("Monday 2026-01-05 10:00"), s("%A %F %H:%M")),
		c("parse_timestamp", ts("1999-07-04T00:00:00Z"), s("99-07-04"), s("%y-%m-%d")),
		c("parse_timestamp", ts("2068-07-04T00:00:00Z"), s("68-07-04"), s("%y-%m-%d")),
		c("parse_timestamp", ts("2026-01-02T03:04:00Z"), s("2026-01-02\t 03:04"), s("%F %H:%M")),
		c("parse_timestamp", ts("2026-01-02T03:04:00Z"), s("2026-01-0203:04"), s("%F %H:%M")),
		c("parse_timestamp", ts("1970-01-01T00:00:00Z"), s(""), s("")),
		c("parse_timestamp", ts("2026-01-01T00:00:00Z"), s("2026 100%"), s("%Y 100%%")),
		c("parse_timestamp", ts("2026-01-05T00:00:00Z"), s("2026-01-05 2 1 1"), s("%F %V %u %w")),
		c("parse_timestamp", ts("2026-01-01T00:00:00Z"), i(2026), s("%Y")),
		c("parse_timestamp", n, s("2026-02-30"), s("%F")),
		c("parse_timestamp", n, s("2026-13-01"), s("%F")),
		c("parse_timestamp", n, s("2026-00-10"), s("%F")),
		c("parse_timestamp", n, s("2025-366"), s("%Y-%j")),
		c("parse_timestamp", n, s("2026-000"), s("%Y-%j")),
		c("parse_timestamp", n, s("24:00"), s("%H:%M")),
		c("parse_timestamp", n, s("23:60"), s("%H:%M")),
		c("parse_timestamp", n, s("12:00:60"), s("%T")),
		c("parse_timestamp", n, s("13:00 PM"), s("%I:%M %p")),
		c("parse_timestamp", n, s("00:00 AM"), s("%I:%M %p")),
		c("parse_timestamp", n, s("10:00 XM"), s("%I:%M %p")),
		c("parse_timestamp", n, s("2026-01-02extra"), s("%F")),
		c("parse_timestamp", n, s("2026-01"), s("%F")),
		c("parse_timestamp", n, s(" 2026"), s("%Y")),
		c("parse_timestamp", n, s("Foo 5 2026"), s("%b %e %Y")),
		c("parse_timestamp", n, s("2026-01-02 03:04 CET"), s("%F %H:%M %Z")),
		c("parse_timestamp", n, s("03:04 +2400"), s("%H:%M %z")),
		c("parse_timestamp", n, s("03:04 0100"), s("%H:%M %z")),
		c("parse_timestamp", n, s("0000-01-01"), s("%F")), // out of range
		c("parse_timestamp", n, s("99999999999999999999"), s("%s")),
		c("parse_timestamp", n, s("9999999999999"), s("%s")),
		c("parse_timestamp", n, s("x"), s("%s")),
		c("parse_timestamp", n, s("2026."), s("%Y.%f")),
		c("parse_timestamp", n, n, s("%F")),
		c("parse_timestamp", n, s("2026"), n),
	})
	runPlanErrors(t, []planErrCase{
		{"parse_timestamp", []types.Value{s("2026"), s("%Q")}, "parse_timestamp: invalid layout '%Q': unknown directive %Q"},
		{"parse_timestamp", []types.Value{s("2026"), s("%")}, "ends with a lone %"},
	})
}

// TestFormatParseRoundTrip formats instants and parses them back.
func TestFormatParseRoundTrip(t *testing.T) {
	layouts := []string{"%F %T.%f", "%Y%m%d%H%M%S.%f", "%d/%b/%Y:%I:%M:%S.%f %p %z", "%A %e %B %Y %H:%M:%S.%f %Z", "%s.%f", "%Y-%j %T.%f"}
	for k := int64(-5); k < 200; k++ {
		at := time.Unix(k*7919*86400/7+k*1000003, (k*7777777)%1e9*int64(k&1)).UTC().Truncate(time.Millisecond)
		for _, l := range layouts {
			lay, err := compileLayout(l)
			if err != nil {
				t.Fatal(err)
			}
			text := lay.format(at)
			back, ok := lay.parse(text)
			if !ok || !back.Equal(at) {
				t.Errorf("%s: %s formats as %q, parses back as %v (%v)", l, at, text, back, ok)
			}
		}
	}
}
