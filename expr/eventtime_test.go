package expr

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/streamsql/streamsql/types"
)

func TestTimeReader(t *testing.T) {
	at := func(s string) int64 {
		tm, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return tm.UnixNano()
	}
	var r TimeReader
	for _, c := range []struct {
		in   types.Value
		want int64
		err  string
	}{
		{in: types.Int(1_700_000_000_123), want: 1_700_000_000_123_000_000},
		{in: types.Float(1_700_000_000_123), want: 1_700_000_000_123_000_000},
		{in: types.Float(21.5), err: "21.5 is not a timestamp: a number is read as epoch milliseconds and must be whole"},
		{in: types.Text("21.5"), err: "21.5 is not a timestamp: a number is read as epoch milliseconds and must be whole"},
		{in: types.Text("1700000000123"), want: 1_700_000_000_123_000_000},
		{in: types.Float(1e300), err: "1e+300 is out of the TIMESTAMP range as epoch milliseconds"},
		{in: types.Int(1 << 62), err: "4611686018427387904 is out of the TIMESTAMP range as epoch milliseconds"},
		{in: types.Null, err: "NULL is not a timestamp"},
		{in: types.Bool(true), err: "BOOLEAN true is not a timestamp"},
		{in: types.Text("2026-11-28T21:30:01.5Z"), want: at("2026-11-28T21:30:01.5Z")},
		{in: types.Text("2026-11-28 21:30:01.250"), want: at("2026-11-28T21:30:01.25Z")},
		{in: types.Text("2026-11-28 21:30:02"), want: at("2026-11-28T21:30:02Z")}, // the remembered layout, no fraction
		{in: types.Text(" 2026-11-28 21:30:02.123456789 "), want: at("2026-11-28T21:30:02.123456789Z")},
		{in: types.Text("2026-11-28T21:30:03+01:00"), want: at("2026-11-28T20:30:03Z")}, // another layout, then back
		{in: types.Text("2026-11-28 21:30:04.5"), want: at("2026-11-28T21:30:04.5Z")},
		{in: types.Text("2026-11-28T21:30:05.5"), want: at("2026-11-28T21:30:05.5Z")},
		{in: types.Text("2026-11-28"), want: at("2026-11-28T00:00:00Z")},
		{in: types.Text("2026-04-31 00:00:00"), err: `"2026-04-31 00:00:00" is not a timestamp (RFC 3339, 'YYYY-MM-DD HH:MM:SS[.fff]' or whole epoch milliseconds)`},
		{in: types.Text("2028-02-29 23:59:59"), want: at("2028-02-29T23:59:59Z")},
		{in: types.Text("nope"), err: `"nope" is not a timestamp (RFC 3339, 'YYYY-MM-DD HH:MM:SS[.fff]' or whole epoch milliseconds)`},
		{in: types.Time(time.Unix(5, 6)), want: 5_000_000_006},
	} {
		got, err := r.Read(c.in)
		switch {
		case c.err != "" && (err == nil || err.Error() != c.err):
			t.Errorf("Read(%v) = %d, %v; want error %q", c.in, got, err, c.err)
		case c.err == "" && (err != nil || got != c.want):
			t.Errorf("Read(%v) = %d, %v; want %d", c.in, got, err, c.want)
		}
	}
}

// TestTimeReaderAgreesWithToTimestamp: for text, the reader (its hand
// parser and the layout it remembers included) accepts exactly what
// ToTimestamp accepts, with the same instant, except numbers that are not
// whole.
func TestTimeReaderAgreesWithToTimestamp(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	pieces := []string{"2026", "1999", "0001", "-", "-", "11", "02", "13", "00", "28", "29", "30", "31", " ", "T",
		"21", "23", "24", ":", ":", "30", "59", "60", ".", "5", "123456789", "1234567891", "Z", "+01:00", "x", ""}
	var r TimeReader
	for i := 0; i < 200_000; i++ {
		var s string
		if rng.IntN(2) == 0 { // a well-formed date-time with one field perturbed
			s = time.Unix(rng.Int64N(1<<35)-1<<34, rng.Int64N(1e9)).UTC().Format("2006-01-02 15:04:05.000000000")
			s = s[:rng.IntN(len(s)+1)]
			if rng.IntN(3) == 0 && len(s) > 0 {
				j := rng.IntN(len(s))
				s = s[:j] + pieces[rng.IntN(len(pieces))] + s[j+1:]
			}
		} else {
			for n := rng.IntN(12); n > 0; n-- {
				s += pieces[rng.IntN(len(pieces))]
			}
		}
		want := ToTimestamp(types.Text(s))
		got, err := r.Read(types.Text(s))
		if n, ok := ParseNumber(s); ok && n.Kind() == types.KindFloat {
			continue // the one deliberate difference
		}
		switch {
		case want.IsNull() && err == nil:
			t.Fatalf("%q: reader accepts it (%d), ToTimestamp does not", s, got)
		case !want.IsNull() && err != nil:
			t.Fatalf("%q: reader refuses it (%v), ToTimestamp gives %v", s, err, want)
		case !want.IsNull() && got != want.AsTime().UnixNano():
			t.Fatalf("%q: reader %d, ToTimestamp %d", s, got, want.AsTime().UnixNano())
		}
	}
}

func TestTimeReaderDoesNotAllocate(t *testing.T) {
	var r TimeReader
	for _, v := range []types.Value{types.Int(1_700_000_000_000), types.Text("2026-11-28T21:30:01.5Z"), types.Text("2026-11-28 21:30:01.500")} {
		r.Read(v)
		if n := testing.AllocsPerRun(100, func() { r.Read(v) }); n != 0 {
			t.Errorf("Read(%v) allocates %v times", v, n)
		}
	}
}
