package expr

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Layouts for format_timestamp and parse_timestamp: strftime-style text in
// which %X directives stand for fields of the timestamp (always in UTC).
//
//	%Y year (4 digits)       %m month 01-12        %d day 01-31
//	%e day, space-padded     %H hour 00-23         %I hour 01-12
//	%M minute 00-59          %S second 00-59       %f milliseconds 000-999
//	%j day of year 001-366   %a Mon  %A Monday     %b %h Jan  %B January
//	%p AM/PM                 %y year 00-99         %Z UTC     %z +0000
//	%s seconds since epoch   %w weekday 0-6 (Sunday 0)       %u weekday 1-7 (Monday 1)
//	%U week of year 00-53, weeks starting on Sunday
//	%W week of year 00-53, weeks starting on Monday
//	%V ISO 8601 week 01-53   %G ISO 8601 week-based year
//	%F is %Y-%m-%d           %T is %H:%M:%S        %% a literal %
//
// %f is milliseconds (three digits) when formatting, and a fraction of a
// second of 1 to 9 digits when parsing ('%S.%f' reads '05.5' as 5.5 s);
// SQLite's strftime %f is 'SS.SSS' instead.
//
// Parsing follows strptime: numeric fields take 1 up to their width in
// digits (so '%Y%m%d' reads '20260102'); names and AM/PM match without
// regard to case; a space in the layout matches any run of white space,
// even an empty one; all of the text must be consumed. Fields the layout
// lacks default to 1970-01-01 00:00:00; %z applies an offset (Z, +hh,
// +hhmm or +hh:mm) and %Z accepts UTC, GMT or Z; %s gives the instant on
// its own (with %f adding a fraction); %a %A %w %u %U %W %V %G are read and
// checked for form but do not change the result. An impossible date
// (2026-02-30, hour 24) does not parse.
type layout []layoutItem

type layoutItem struct {
	verb byte   // directive letter; 0 for literal text
	lit  string // the literal text
}

const layoutVerbs = "YmdeHIMSfjaAbBhpyZzswuUWVG"

func compileLayout(s string) (layout, error) {
	var l layout
	lit := func(t string) {
		if n := len(l); n > 0 && l[n-1].verb == 0 {
			l[n-1].lit += t
			return
		}
		l = append(l, layoutItem{lit: t})
	}
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			j := strings.IndexByte(s[i:], '%')
			if j < 0 {
				j = len(s) - i
			}
			lit(s[i : i+j])
			i += j - 1
			continue
		}
		if i+1 == len(s) {
			return nil, errors.New("it ends with a lone %")
		}
		i++
		switch c := s[i]; {
		case c == '%':
			lit("%")
		case c == 'F':
			l = append(l, layoutItem{verb: 'Y'})
			lit("-")
			l = append(l, layoutItem{verb: 'm'})
			lit("-")
			l = append(l, layoutItem{verb: 'd'})
		case c == 'T':
			l = append(l, layoutItem{verb: 'H'})
			lit(":")
			l = append(l, layoutItem{verb: 'M'})
			lit(":")
			l = append(l, layoutItem{verb: 'S'})
		case strings.IndexByte(layoutVerbs, c) >= 0:
			l = append(l, layoutItem{verb: c})
		default:
			r, _ := utf8.DecodeRuneInString(s[i:])
			return nil, fmt.Errorf("unknown directive %%%c (known: %s)", r, knownDirectives)
		}
	}
	return l, nil
}

const knownDirectives = "%Y %m %d %e %H %I %M %S %f %j %a %A %b %B %h %p %y %Z %z %s %w %u %U %W %V %G %F %T %%"

func (l layout) format(t time.Time) string {
	t = t.UTC()
	b := make([]byte, 0, 32)
	for _, it := range l {
		switch it.verb {
		case 0:
			b = append(b, it.lit...)
		case 'Y':
			b = appendPadded(b, t.Year(), 4)
		case 'm':
			b = appendPadded(b, int(t.Month()), 2)
		case 'd':
			b = appendPadded(b, t.Day(), 2)
		case 'e':
			if t.Day() < 10 {
				b = append(b, ' ')
			}
			b = strconv.AppendInt(b, int64(t.Day()), 10)
		case 'H':
			b = appendPadded(b, t.Hour(), 2)
		case 'I':
			h := t.Hour() % 12
			if h == 0 {
				h = 12
			}
			b = appendPadded(b, h, 2)
		case 'M':
			b = appendPadded(b, t.Minute(), 2)
		case 'S':
			b = appendPadded(b, t.Second(), 2)
		case 'f':
			b = appendPadded(b, t.Nanosecond()/1e6, 3)
		case 'j':
			b = appendPadded(b, t.YearDay(), 3)
		case 'a':
			b = append(b, t.Weekday().String()[:3]...)
		case 'A':
			b = append(b, t.Weekday().String()...)
		case 'b', 'h':
			b = append(b, t.Month().String()[:3]...)
		case 'B':
			b = append(b, t.Month().String()...)
		case 'p':
			if t.Hour() < 12 {
				b = append(b, "AM"...)
			} else {
				b = append(b, "PM"...)
			}
		case 'y':
			b = appendPadded(b, (t.Year()%100+100)%100, 2)
		case 'Z':
			b = append(b, "UTC"...)
		case 'z':
			b = append(b, "+0000"...)
		case 's':
			b = strconv.AppendInt(b, t.Unix(), 10)
		case 'w':
			b = strconv.AppendInt(b, int64(t.Weekday()), 10)
		case 'u':
			b = strconv.AppendInt(b, int64((int(t.Weekday())+6)%7+1), 10)
		case 'U':
			b = appendPadded(b, (t.YearDay()-1+7-int(t.Weekday()))/7, 2)
		case 'W':
			b = appendPadded(b, (t.YearDay()-1+7-(int(t.Weekday())+6)%7)/7, 2)
		case 'V':
			_, w := t.ISOWeek()
			b = appendPadded(b, w, 2)
		case 'G':
			y, _ := t.ISOWeek()
			b = appendPadded(b, y, 4)
		}
	}
	return string(b)
}

// appendPadded appends n in decimal, zero-padded to width digits.
func appendPadded(b []byte, n, width int) []byte {
	if n < 0 {
		b = append(b, '-')
		n = -n
	}
	var d [20]byte
	i := len(d)
	for n > 0 || i == len(d) {
		i--
		d[i] = byte('0' + n%10)
		n /= 10
	}
	for k := len(d) - i; k < width; k++ {
		b = append(b, '0')
	}
	return append(b, d[i:]...)
}

// parsedTime collects the fields parse reads.
type parsedTime struct {
	year, month, day     int
	hour, minute, second int
	nsec                 int
	yday                 int // 0: not given
	monthOrDay           bool
	hour12               bool // hour came from %I
	pm                   int  // 0 not given, 1 AM, 2 PM
	offset               int  // seconds east of UTC
	epoch                int64
	hasEpoch             bool
}

func (l layout) parse(s string) (time.Time, bool) {
	p := parsedTime{year: 1970, month: 1, day: 1}
	i := 0
	var ok bool
	for _, it := range l {
		ok = false
		switch it.verb {
		case 0:
			for j := 0; j < len(it.lit); j++ {
				c := it.lit[j]
				if isSpace(c) {
					for i < len(s) && isSpace(s[i]) {
						i++
					}
					continue
				}
				if i >= len(s) || s[i] != c {
					return time.Time{}, false
				}
				i++
			}
			continue
		case 'Y':
			p.year, ok = digits(s, &i, 4)
		case 'm':
			p.month, ok = digits(s, &i, 2)
			p.monthOrDay = true
		case 'd', 'e':
			if it.verb == 'e' {
				for i < len(s) && s[i] == ' ' {
					i++
				}
			}
			p.day, ok = digits(s, &i, 2)
			p.monthOrDay = true
		case 'H':
			p.hour, ok = digits(s, &i, 2)
		case 'I':
			p.hour, ok = digits(s, &i, 2)
			p.hour12 = true
		case 'M':
			p.minute, ok = digits(s, &i, 2)
		case 'S':
			p.second, ok = digits(s, &i, 2)
		case 'f':
			start := i
			p.nsec, ok = digits(s, &i, 9)
			for n := i - start; n < 9; n++ {
				p.nsec *= 10
			}
		case 'j':
			p.yday, ok = digits(s, &i, 3)
			ok = ok && p.yday > 0
		case 'a', 'A':
			_, ok = matchName(s, &i, 7, func(k int) string { return time.Weekday(k).String() })
		case 'b', 'h', 'B':
			var m int
			m, ok = matchName(s, &i, 12, func(k int) string { return time.Month(k + 1).String() })
			p.month = m + 1
			p.monthOrDay = true
		case 'p':
			if i+2 <= len(s) && strings.EqualFold(s[i:i+2], "AM") {
				p.pm, ok = 1, true
			} else if i+2 <= len(s) && strings.EqualFold(s[i:i+2], "PM") {
				p.pm, ok = 2, true
			}
			i += 2
		case 'y':
			var y int
			y, ok = digits(s, &i, 2)
			if y < 69 {
				p.year = 2000 + y
			} else {
				p.year = 1900 + y
			}
		case 'Z':
			j := i
			for j < len(s) && (s[j]|0x20 >= 'a' && s[j]|0x20 <= 'z') {
				j++
			}
			switch strings.ToUpper(s[i:j]) {
			case "UTC", "GMT", "Z":
				ok = true
			}
			i = j
		case 'z':
			p.offset, ok = parseOffset(s, &i)
		case 's':
			j := i
			if j < len(s) && (s[j] == '-' || s[j] == '+') {
				j++
			}
			for j < len(s) && j-i < 20 && isDigit(s[j]) {
				j++
			}
			var err error
			p.epoch, err = strconv.ParseInt(s[i:j], 10, 64)
			ok, p.hasEpoch = err == nil, true
			i = j
		case 'w', 'u':
			_, ok = digits(s, &i, 1)
		case 'U', 'W', 'V':
			_, ok = digits(s, &i, 2)
		case 'G':
			_, ok = digits(s, &i, 4)
		}
		if !ok {
			return time.Time{}, false
		}
	}
	if i != len(s) {
		return time.Time{}, false
	}
	return p.instant()
}

func (p *parsedTime) instant() (time.Time, bool) {
	if p.hasEpoch {
		const limit = 1 << 40 // far beyond the TIMESTAMP range, and no overflow below
		if p.epoch > limit || p.epoch < -limit {
			return time.Time{}, false
		}
		return time.Unix(p.epoch, int64(p.nsec)).UTC(), true
	}
	if p.hour12 {
		if p.hour < 1 || p.hour > 12 {
			return time.Time{}, false
		}
		p.hour %= 12
		if p.pm == 2 {
			p.hour += 12
		}
	}
	if p.hour > 23 || p.minute > 59 || p.second > 59 {
		return time.Time{}, false
	}
	var t time.Time
	if p.yday > 0 && !p.monthOrDay {
		t = time.Date(p.year, 1, p.yday, p.hour, p.minute, p.second, p.nsec, time.UTC)
		if t.Year() != p.year {
			return time.Time{}, false
		}
	} else {
		if p.month < 1 || p.month > 12 || p.day < 1 {
			return time.Time{}, false
		}
		t = time.Date(p.year, time.Month(p.month), p.day, p.hour, p.minute, p.second, p.nsec, time.UTC)
		if t.Day() != p.day { // 30 February rolled over into March
			return time.Time{}, false
		}
	}
	return t.Add(-time.Duration(p.offset) * time.Second), true
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

// digits reads 1 to width decimal digits at s[*i:].
func digits(s string, i *int, width int) (int, bool) {
	n, j := 0, *i
	for j < len(s) && j-*i < width && isDigit(s[j]) {
		n = n*10 + int(s[j]-'0')
		j++
	}
	if j == *i {
		return 0, false
	}
	*i = j
	return n, true
}

// matchName reads one of count names (full, or its first three letters)
// at s[*i:], ignoring case, and returns its index.
func matchName(s string, i *int, count int, name func(int) string) (int, bool) {
	rest := s[*i:]
	for k := 0; k < count; k++ {
		if n := name(k); len(rest) >= len(n) && strings.EqualFold(rest[:len(n)], n) {
			*i += len(n)
			return k, true
		}
	}
	for k := 0; k < count; k++ {
		if n := name(k)[:3]; len(rest) >= 3 && strings.EqualFold(rest[:3], n) {
			*i += 3
			return k, true
		}
	}
	return 0, false
}

// parseOffset reads Z, +hh, +hhmm or +hh:mm (or with -) as seconds east
// of UTC.
func parseOffset(s string, i *int) (int, bool) {
	j := *i
	if j < len(s) && (s[j] == 'Z' || s[j] == 'z') {
		*i = j + 1
		return 0, true
	}
	if j >= len(s) || (s[j] != '+' && s[j] != '-') {
		return 0, false
	}
	sign := 1
	if s[j] == '-' {
		sign = -1
	}
	j++
	if j+2 > len(s) || !isDigit(s[j]) || !isDigit(s[j+1]) {
		return 0, false
	}
	h := int(s[j]-'0')*10 + int(s[j+1]-'0')
	j += 2
	m := 0
	k := j
	if k < len(s) && s[k] == ':' {
		k++
	}
	if k+2 <= len(s) && isDigit(s[k]) && isDigit(s[k+1]) {
		m = int(s[k]-'0')*10 + int(s[k+1]-'0')
		j = k + 2
	}
	if h > 23 || m > 59 {
		return 0, false
	}
	*i = j
	return sign * (h*3600 + m*60), true
}
