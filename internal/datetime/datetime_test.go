package datetime

import (
	"testing"
	"time"
)

// Parse must agree with time.Parse on every string it accepts, and accept
// the canonical shapes; rarer ones time.Parse takes (one-digit hours, ten
// fraction digits) it may leave to time.Parse, which its callers fall back to.
func TestParseAgreesWithTimeParse(t *testing.T) {
	for _, s := range []string{
		"2026-11-28 21:30:01", "2026-11-28 21:30:01.5", "2026-11-28 21:30:01.123456789",
		"2024-02-29 00:00:00", "2023-02-29 00:00:00", "2026-04-31 00:00:00", "2026-13-01 00:00:00",
		"2026-11-28 24:00:00", "2026-11-28 23:60:00", "2026-11-28 23:59:60", "2026-11-28 21:30:01.",
		"2026-11-28 21:30:01.1234567891", "2026-11-28 21:30:01Z", "2026-11-28-21:30:01", "2026-11-28 2:30:01",
		"0001-01-01 00:00:00", "1677-09-21 00:12:43.145224192", "2262-04-11 23:47:16.854775807",
		"2262-04-11 23:47:16.854775808", "+026-11-28 21:30:01",
	} {
		for _, sep := range []byte{' ', 'T'} {
			in := s
			if sep == 'T' {
				in = s[:10] + "T" + s[11:]
			}
			layout := "2006-01-02" + string(sep) + "15:04:05.999999999"
			tm, err := time.Parse(layout, in)
			fits := err == nil && tm.Equal(time.Unix(0, tm.UnixNano()))
			got, ok := Parse(in, sep)
			gotB, okB := Parse([]byte(in), sep)
			if ok != okB || got != gotB {
				t.Fatalf("%q: string and []byte disagree: %d,%v vs %d,%v", in, got, ok, gotB, okB)
			}
			switch {
			case ok && !fits:
				t.Errorf("%q: Parse accepts it (%d), time.Parse gives %v, %v", in, got, tm, err)
			case !ok && fits && len(in) >= 19 && len(in) <= 29 && in[13] == ':':
				t.Errorf("%q: Parse refuses it, time.Parse gives %v", in, tm)
			case ok && got != tm.UnixNano():
				t.Errorf("%q: Parse %d, time.Parse %d", in, got, tm.UnixNano())
			}
		}
	}
}

func TestParseDoesNotAllocate(t *testing.T) {
	b := []byte("2026-11-28 21:30:01.500")
	if n := testing.AllocsPerRun(100, func() { Parse(b, ' ') }); n != 0 {
		t.Fatalf("Parse allocates %v times a call", n)
	}
}
