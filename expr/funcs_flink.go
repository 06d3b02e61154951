package expr

import (
	"strconv"
	"strings"

	"github.com/streamsql/streamsql/types"
)

// Functions under the names and conventions of Flink SQL, so queries
// written for Flink (the Nexmark benchmark's among them) run as written.

func init() {
	register(&Scalar{Name: "split_index", MinArgs: 3, MaxArgs: 3,
		Doc: "split_index('a/b/c', '/', 1) = 'b' and split_index('a/b/c', '/', 3) = NULL (Flink's: fields count from 0; one out of range is NULL)",
		Fn:  splitIndexFn})
	register(&Scalar{Name: "hour", MinArgs: 1, MaxArgs: 1, Doc: "hour('2026-01-02T03:04:05Z') = 3",
		Fn: func(a []types.Value) types.Value { return datePart(unitHour, a[0]) }})
	register(&Scalar{Name: "minute", MinArgs: 1, MaxArgs: 1, Doc: "minute('2026-01-02T03:04:05Z') = 4",
		Fn: func(a []types.Value) types.Value { return datePart(unitMinute, a[0]) }})
	register(&Scalar{Name: "count_char", MinArgs: 2, MaxArgs: 2,
		Doc: "count_char('abcabc', 'c') = 2 (the Nexmark benchmark's function: how often the text c occurs in s)",
		Fn: func(a []types.Value) types.Value {
			if a[0].IsNull() || a[1].IsNull() || textArg(a[1]) == "" {
				return types.Null
			}
			return types.Int(int64(strings.Count(textArg(a[0]), textArg(a[1]))))
		}})
	register(&Scalar{Name: "date_format", MinArgs: 2, MaxArgs: 2,
		Doc: "date_format('2026-01-02T03:04:05.678Z', 'yyyy-MM-dd HH:mm:ss.SSS') = '2026-01-02 03:04:05.678' (Flink's, with Java's pattern letters)",
		Fn:  dateFormatFn})
}

func splitIndexFn(a []types.Value) types.Value {
	n, ok := intArg(a[2])
	if !ok || a[0].IsNull() || a[1].IsNull() || n < 0 {
		return types.Null
	}
	parts := strings.Split(textArg(a[0]), textArg(a[1]))
	if n >= int64(len(parts)) {
		return types.Null
	}
	return types.Text(parts[n])
}

// dateFormatFn writes a timestamp with a Java (SimpleDateFormat) pattern,
// the one Flink's DATE_FORMAT takes: yyyy, yy, MM, dd, HH, mm, ss, SSS
// and text in single quotes; other letters are copied.
func dateFormatFn(a []types.Value) types.Value {
	t, ok := timeArg(a[0])
	if !ok || a[1].IsNull() {
		return types.Null
	}
	t = t.UTC()
	pat := textArg(a[1])
	var b []byte
	pad := func(v, width int) {
		s := strconv.Itoa(v)
		for i := len(s); i < width; i++ {
			b = append(b, '0')
		}
		b = append(b, s...)
	}
	for i := 0; i < len(pat); {
		c := pat[i]
		j := i
		for j < len(pat) && pat[j] == c {
			j++
		}
		n := j - i
		switch c {
		case '\'':
			end := strings.IndexByte(pat[i+1:], '\'')
			if end < 0 {
				b = append(b, pat[i+1:]...)
				i = len(pat)
				continue
			}
			b = append(b, pat[i+1:i+1+end]...)
			i += end + 2
			continue
		case 'y':
			if n == 2 {
				pad(t.Year()%100, 2)
			} else {
				pad(t.Year(), n)
			}
		case 'M':
			pad(int(t.Month()), n)
		case 'd':
			pad(t.Day(), n)
		case 'H':
			pad(t.Hour(), n)
		case 'm':
			pad(t.Minute(), n)
		case 's':
			pad(t.Second(), n)
		case 'S':
			ms := t.Nanosecond() / 1e6
			s := strconv.Itoa(ms + 1000)[1:] // three digits
			for len(s) < n {
				s += "0"
			}
			b = append(b, s[:n]...)
		default:
			b = append(b, pat[i:j]...)
		}
		i = j
	}
	return types.Text(string(b))
}
