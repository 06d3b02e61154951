// Command sensors is the event-time baseline of the benchmark suite. It
// computes, for the JSON lines of every file in a directory (name order, as
// streamsql's file source reads them),
//
//	SELECT sensor, window_start, COUNT(*), AVG(temp), MAX(temp)
//	FROM file(dir, format => 'jsonl') GROUP BY sensor
//	WINDOW <size> [SLIDE <slide>] EVENT TIME ts LATENESS <lateness>
//
// with the engine's event-time rule: the watermark is the largest ts seen
// minus the lateness, advanced row by row in file order; a window
// [k*slide, k*slide+size) closes when the watermark reaches its end; a row
// counts in those of its windows still open and is dropped as late when
// all of them have closed; windows without rows emit nothing; the end of
// input closes every window. Output: one JSON object per row, keys as
// streamsql's jsonl output.
//
//	sensors [-decoder fastjson|std] [-size 10s] [-slide 0] [-lateness 5s] DIR
//
// -decoder fastjson (the default, "hand-written"): github.com/valyala/fastjson
// with a reused parser and a hand-rolled timestamp parser; -decoder std:
// encoding/json into a struct with a time.Time field.
//
// Windows are kept as panes of -slide (the whole window when tumbling),
// each a (count, sum, max) per sensor, merged when a window closes.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/valyala/fastjson"
)

func main() {
	decoder := flag.String("decoder", "fastjson", "fastjson or std (encoding/json)")
	size := flag.Duration("size", 10*time.Second, "window length")
	slide := flag.Duration("slide", 0, "window slide (0: tumbling)")
	lateness := flag.Duration("lateness", 5*time.Second, "allowed lateness")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: sensors [-decoder fastjson|std] [-size 10s] [-slide 1s] [-lateness 5s] DIR")
		os.Exit(2)
	}
	if *slide == 0 {
		*slide = *size
	}
	if *size%*slide != 0 {
		fail(fmt.Errorf("-size must be a multiple of -slide"))
	}
	files, err := listFiles(flag.Arg(0))
	if err != nil {
		fail(err)
	}
	out := bufio.NewWriterSize(os.Stdout, 1<<16)
	w := newWindows(int64(*size), int64(*slide), int64(*lateness), out)
	switch *decoder {
	case "fastjson":
		err = readFastjson(files, w)
	case "std":
		err = readStd(files, w)
	default:
		err = fmt.Errorf("unknown -decoder %q", *decoder)
	}
	if err != nil {
		fail(err)
	}
	w.finish()
	if err := out.Flush(); err != nil {
		fail(err)
	}
	fmt.Fprintf(os.Stderr, "sensors: %d rows read, %d late rows dropped, %d malformed records skipped\n", w.rows, w.late, w.malformed)
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "sensors:", err)
	os.Exit(1)
}

func listFiles(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var files []string
	for _, e := range entries {
		n := e.Name()
		if e.Type().IsRegular() && !strings.HasPrefix(n, ".") && !strings.HasPrefix(n, "_") && !strings.HasSuffix(n, ".tmp") {
			files = append(files, filepath.Join(dir, n))
		}
	}
	return files, nil
}

// eachLine calls fn with every non-blank line of the files, in order. The
// slice is only valid during the call.
func eachLine(files []string, fn func([]byte)) error {
	for _, name := range files {
		f, err := os.Open(name)
		if err != nil {
			return err
		}
		r := bufio.NewReaderSize(f, 1<<20)
		for {
			line, err := r.ReadSlice('\n')
			if err == bufio.ErrBufferFull { // a line longer than the buffer
				long := append([]byte(nil), line...)
				for err == bufio.ErrBufferFull {
					line, err = r.ReadSlice('\n')
					long = append(long, line...)
				}
				line = long
			}
			if len(line) > 0 && line[len(line)-1] == '\n' {
				line = line[:len(line)-1]
			}
			if len(line) > 0 && line[len(line)-1] == '\r' {
				line = line[:len(line)-1]
			}
			if len(strings.TrimSpace(string(line))) > 0 {
				fn(line)
			}
			if err == io.EOF {
				break
			}
			if err != nil {
				f.Close()
				return err
			}
		}
		f.Close()
	}
	return nil
}

// ---- decoders ----

func readFastjson(files []string, w *windows) error {
	var p fastjson.Parser
	return eachLine(files, func(line []byte) {
		v, err := p.ParseBytes(line)
		if err != nil {
			w.malformed++
			return
		}
		sensor := v.GetStringBytes("sensor")
		tv := v.Get("temp")
		var ts int64
		ok := false
		if t := v.Get("ts"); t != nil && t.Type() == fastjson.TypeNumber {
			// Epoch milliseconds, whole, as the engine takes them.
			ms, err := t.Int64()
			ts, ok = ms*1e6, err == nil
		} else {
			ts, ok = parseTS(v.GetStringBytes("ts"))
		}
		if sensor == nil || tv == nil || !ok {
			w.malformed++
			return
		}
		temp, err := tv.Float64()
		if err != nil {
			w.malformed++
			return
		}
		w.add(sensor, temp, ts)
	})
}

// parseTS parses "2006-01-02T15:04:05[.fff...]Z" and "2006-01-02
// 15:04:05[.fff...]" (UTC) quickly and anything else RFC 3339 through the
// time package. It returns Unix nanoseconds.
func parseTS(b []byte) (int64, bool) {
	if len(b) >= 19 && b[10] == ' ' {
		// The space form has no zone: UTC. Parsed as the T form.
		c := make([]byte, 0, 32)
		c = append(append(append(c, b[:10]...), 'T'), b[11:]...)
		b = append(c, 'Z')
	}
	if len(b) >= 20 && b[4] == '-' && b[7] == '-' && b[10] == 'T' && b[13] == ':' && b[16] == ':' && b[len(b)-1] == 'Z' {
		y, ok1 := digits(b[0:4])
		mo, ok2 := digits(b[5:7])
		d, ok3 := digits(b[8:10])
		h, ok4 := digits(b[11:13])
		mi, ok5 := digits(b[14:16])
		s, ok6 := digits(b[17:19])
		frac := b[19 : len(b)-1]
		var ns int64
		ok7 := true
		if len(frac) > 0 {
			if frac[0] != '.' || len(frac) < 2 || len(frac) > 10 {
				ok7 = false
			} else {
				f, ok := digits(frac[1:])
				ok7 = ok
				ns = f
				for i := len(frac) - 1; i < 9; i++ {
					ns *= 10
				}
			}
		}
		if ok1 && ok2 && ok3 && ok4 && ok5 && ok6 && ok7 && mo >= 1 && mo <= 12 && d >= 1 && d <= 31 && h < 24 && mi < 60 && s < 60 {
			days := daysFromCivil(y, mo, d)
			return (days*86400+h*3600+mi*60+s)*1e9 + ns, true
		}
	}
	t, err := time.Parse(time.RFC3339Nano, string(b))
	if err != nil {
		return 0, false
	}
	return t.UnixNano(), true
}

func digits(b []byte) (int64, bool) {
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

// daysFromCivil returns the days since 1970-01-01 of a proleptic Gregorian
// date (Howard Hinnant's well-known algorithm).
func daysFromCivil(y, m, d int64) int64 {
	if m <= 2 {
		y--
	}
	era := y / 400
	if y < 0 && y%400 != 0 {
		era--
	}
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

type reading struct {
	Sensor *string   `json:"sensor"`
	Temp   *float64  `json:"temp"`
	TS     time.Time `json:"ts"`
}

func readStd(files []string, w *windows) error {
	return eachLine(files, func(line []byte) {
		var r reading
		if err := json.Unmarshal(line, &r); err != nil || r.Sensor == nil || r.Temp == nil || r.TS.IsZero() {
			w.malformed++
			return
		}
		w.add([]byte(*r.Sensor), *r.Temp, r.TS.UnixNano())
	})
}

// ---- event-time windows ----

type acc struct {
	count int64
	sum   float64
	max   float64
}

func (a *acc) merge(b *acc) {
	if a.count == 0 || b.max > a.max {
		a.max = b.max
	}
	a.count += b.count
	a.sum += b.sum
}

type sensorState struct {
	name  string
	panes map[int64]*acc // pane index → partial aggregate
}

type windows struct {
	size, slide, lateness int64 // ns
	n                     int64 // panes per window
	sensors               map[string]*sensorState
	order                 []*sensorState
	paneRefs              map[int64]int // pane index → number of sensors holding it
	started               bool
	maxTS                 int64
	next                  int64 // first window (index k) not yet closed
	rows, late, malformed int64
	out                   *bufio.Writer
}

func newWindows(size, slide, lateness int64, out *bufio.Writer) *windows {
	return &windows{size: size, slide: slide, lateness: lateness, n: size / slide,
		sensors: map[string]*sensorState{}, paneRefs: map[int64]int{}, out: out}
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

func (w *windows) add(sensor []byte, temp float64, ts int64) {
	w.rows++
	if !w.started {
		w.started = true
		w.maxTS = ts
		// first window whose end is past the watermark
		w.next = floorDiv(ts-w.lateness-w.size, w.slide) + 1
	}
	p := floorDiv(ts, w.slide)
	if p < w.next { // the last window holding the row has closed
		w.late++
		return
	}
	s := w.sensors[string(sensor)]
	if s == nil {
		s = &sensorState{name: string(sensor), panes: map[int64]*acc{}}
		w.sensors[s.name] = s
		w.order = append(w.order, s)
	}
	a := s.panes[p]
	if a == nil {
		a = &acc{}
		s.panes[p] = a
		w.paneRefs[p]++
	}
	a.merge(&acc{count: 1, sum: temp, max: temp})
	if ts > w.maxTS {
		w.maxTS = ts
		w.advance(w.maxTS - w.lateness)
	}
}

// advance closes every window whose end is at or before the watermark.
func (w *windows) advance(wm int64) {
	w.closeBefore(floorDiv(wm-w.size, w.slide) + 1)
}

// closeBefore closes the windows before index bound, in order, skipping
// runs of windows without rows.
func (w *windows) closeBefore(bound int64) {
	for w.next < bound {
		if w.hasRows(w.next) {
			w.close(w.next)
			continue
		}
		// no rows in window next: jump to the first window holding a pane
		jump := bound
		if len(w.paneRefs) > 0 {
			lo := int64(math.MaxInt64)
			for p := range w.paneRefs {
				lo = min(lo, p)
			}
			jump = min(bound, max(w.next+1, lo-w.n+1))
		}
		w.next = jump
	}
}

func (w *windows) hasRows(k int64) bool {
	for p := k; p < k+w.n; p++ {
		if w.paneRefs[p] > 0 {
			return true
		}
	}
	return false
}

// close emits window k and forgets pane k, which no later window holds.
func (w *windows) close(k int64) {
	start := time.Unix(0, k*w.slide).UTC().Format(time.RFC3339Nano)
	for _, s := range w.order {
		var tot acc
		for p := k; p < k+w.n; p++ {
			if a := s.panes[p]; a != nil {
				tot.merge(a)
			}
		}
		if tot.count > 0 {
			w.emit(s.name, start, &tot)
		}
	}
	if w.paneRefs[k] > 0 {
		for _, s := range w.order {
			delete(s.panes, k)
		}
		delete(w.paneRefs, k)
	}
	w.next = k + 1
}

// finish closes every window still open (the end of a bounded run).
func (w *windows) finish() {
	hi := int64(math.MinInt64)
	for p := range w.paneRefs {
		hi = max(hi, p)
	}
	if len(w.paneRefs) > 0 {
		w.closeBefore(hi + 1)
	}
}

func (w *windows) emit(sensor, start string, a *acc) {
	b := make([]byte, 0, 160)
	b = append(b, `{"sensor":`...)
	q, _ := json.Marshal(sensor)
	b = append(b, q...)
	b = append(b, `,"window_start":"`...)
	b = append(b, start...)
	b = append(b, `","COUNT(*)":`...)
	b = strconv.AppendInt(b, a.count, 10)
	b = append(b, `,"AVG(temp)":`...)
	b = strconv.AppendFloat(b, a.sum/float64(a.count), 'g', -1, 64)
	b = append(b, `,"MAX(temp)":`...)
	b = strconv.AppendFloat(b, a.max, 'g', -1, 64)
	b = append(b, "}\n"...)
	w.out.Write(b)
}
