// Package datetime reads the most common way times are written in data,
// 'YYYY-MM-DD HH:MM:SS[.fff]' (or with a T), by hand: several times
// faster than time.Parse and without allocating, for the event times and
// declared TIMESTAMP columns read once a row. Anything else is left to
// time.Parse by the callers, so what is accepted does not change.
package datetime

import (
	"math"
	"time"
)

// The times a TIMESTAMP (int64 nanoseconds) can hold.
var (
	minTime = time.Unix(0, math.MinInt64).UTC()
	maxTime = time.Unix(0, math.MaxInt64).UTC()
)

// Parse reads "YYYY-MM-DD<sep>HH:MM:SS" with an optional fraction
// of one to nine digits, in UTC. ok is false for anything else, and for
// fields out of range (month 13, April 31, hour 24, ...), which time.Parse
// refuses too.
func Parse[T string | []byte](s T, sep byte) (int64, bool) {
	if len(s) < 19 || s[4] != '-' || s[7] != '-' || s[10] != sep || s[13] != ':' || s[16] != ':' {
		return 0, false
	}
	year, ok1 := asciiNumber(s[0:4])
	month, ok2 := asciiNumber(s[5:7])
	day, ok3 := asciiNumber(s[8:10])
	hour, ok4 := asciiNumber(s[11:13])
	minute, ok5 := asciiNumber(s[14:16])
	sec, ok6 := asciiNumber(s[17:19])
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) ||
		month < 1 || month > 12 || day < 1 || day > daysIn(month, year) || hour > 23 || minute > 59 || sec > 59 {
		return 0, false
	}
	nsec := 0
	if rest := s[19:]; len(rest) > 0 {
		if rest[0] != '.' || len(rest) < 2 || len(rest) > 10 {
			return 0, false
		}
		f, ok := asciiNumber(rest[1:])
		if !ok {
			return 0, false
		}
		for n := len(rest) - 1; n < 9; n++ {
			f *= 10
		}
		nsec = f
	}
	t := time.Date(year, time.Month(month), day, hour, minute, sec, nsec, time.UTC)
	if t.Before(minTime) || t.After(maxTime) {
		return 0, false
	}
	return t.UnixNano(), true
}

// asciiNumber reads a run of ASCII digits (at most nine) as a number.
func asciiNumber[T string | []byte](s T) (int, bool) {
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i] - '0'
		if c > 9 {
			return 0, false
		}
		n = n*10 + int(c)
	}
	return n, true
}

func daysIn(month, year int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}
