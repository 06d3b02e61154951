package streamsql_test

import (
	"bufio"
	"context"
	"embed"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/streamsql/streamsql"
	"github.com/streamsql/streamsql/clock"
	"github.com/streamsql/streamsql/formats"
	"github.com/streamsql/streamsql/sources"
	"github.com/streamsql/streamsql/types"
)

// The scripts under testdata/ drive the whole engine (parser, planner,
// operators, scheduler) through a source fed by the script and a fake
// clock the script moves. A case looks like:
//
//	query SELECT word, COUNT(*) AS n FROM test() GROUP BY word WINDOW 2s
//	batch 1s                  (optional, default 1s; `once` for a bounded run;
//	                           `ttl 2s` for Config.StateTTL)
//	at 0.5s                   (move the clock to 0.5s, then these rows arrive)
//	  hello world
//	at 2s                     (move the clock; batches ending at 1s and 2s close)
//	expect 2s window [0s, 2s) (the next emitted result: batch time and window)
//	  word  | n               (column names, then one line per row)
//	  hello | 1
//	  world | 1
//	stop                      (stop the query: the open batch closes as final)
//	end                       (bounded runs: the input ends)
//	expect final ...
//	stats late=1 malformed=0  (the first query's totals of dropped rows so far)
//	error 1:8: ...            (instead of running: the exact planning error)
//
// A query line may hold a script (CREATE STREAM ...; SELECT ...; SELECT
// ...): its queries run together, and with more than one, each expect
// names the query it is about (`expect q2 3s`), in order of batch, then
// query.
//	explain                   (instead of running: the EXPLAIN tree, indented)
//
// Times are offsets from the Unix epoch. Every emitted result must be
// matched by an expect, in order; batches that emit nothing need none.
//
// Joins and unions read several sources: test('a') and test('b') are fed
// by lines prefixed with their name (`@a {"id": 1}`); unprefixed lines go
// to test(). Tables are files in the case's temporary directory, $TMP in
// the query:
//
//	file cities.csv           (write the file; before the first `at`,
//	  name,pop                 before planning; later, wait until the
//	  Paris,2100000            engine has reported the reload)
//	log table('$TMP/cities.csv'): reloaded version 2 (1 rows)
//	                          (the engine's last report about a table)

//go:embed testdata/*.test
var scripts embed.FS

func TestScripts(t *testing.T) {
	files, err := scripts.ReadDir("testdata")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		t.Run(strings.TrimSuffix(f.Name(), ".test"), func(t *testing.T) {
			data, err := scripts.ReadFile(path.Join("testdata", f.Name()))
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range parseScript(t, f.Name(), string(data)) {
				t.Run(fmt.Sprintf("line%d", c.line), func(t *testing.T) { c.run(t) })
			}
		})
	}
}

type directive struct {
	line int
	verb string
	arg  string
	body []string
}

type scriptCase struct {
	file  string
	line  int
	query string
	batch time.Duration
	once  bool
	ttl   time.Duration
	steps []directive
}

func parseScript(t *testing.T, name, text string) []*scriptCase {
	var cases []*scriptCase
	var cur *scriptCase
	sc := bufio.NewScanner(strings.NewReader(text))
	n := 0
	for sc.Scan() {
		n++
		line := sc.Text()
		if t := strings.TrimSpace(line); t == "" || t[0] == '#' {
			continue
		}
		if line[0] == ' ' || line[0] == '\t' {
			if cur == nil || len(cur.steps) == 0 {
				t.Fatalf("%s:%d: indented line outside a directive", name, n)
			}
			d := &cur.steps[len(cur.steps)-1]
			d.body = append(d.body, strings.TrimRight(line, " \t"))
			continue
		}
		if i := strings.Index(line, "  #"); i >= 0 {
			line = line[:i] // a comment after a directive
		}
		verb, arg, _ := strings.Cut(strings.TrimSpace(line), " ")
		arg = strings.TrimSpace(arg)
		switch verb {
		case "query":
			cur = &scriptCase{file: name, line: n, query: arg, batch: time.Second}
			cases = append(cases, cur)
			continue
		case "batch":
			d, err := time.ParseDuration(arg)
			if err != nil {
				t.Fatalf("%s:%d: %v", name, n, err)
			}
			cur.batch = d
			continue
		case "once":
			cur.once = true
			continue
		case "ttl":
			d, err := time.ParseDuration(arg)
			if err != nil {
				t.Fatalf("%s:%d: %v", name, n, err)
			}
			cur.ttl = d
			continue
		case "at", "expect", "stop", "end", "error", "explain", "stats", "file", "log":
		default:
			t.Fatalf("%s:%d: unknown directive %q", name, n, verb)
		}
		if cur == nil {
			t.Fatalf("%s:%d: %s before any query", name, n, verb)
		}
		cur.steps = append(cur.steps, directive{line: n, verb: verb, arg: arg})
	}
	return cases
}

// feeder is the script's handle on the test() source of the running case.
var feeder struct {
	sync.Mutex
	srcs map[string]*testSource
}

type testSource struct {
	dec     formats.Decoder
	bounded bool
	feed    chan feed
}

type feed struct {
	lines []string
	done  chan struct{}
}

func init() {
	sources.Register(&sources.Spec{
		Name: "test", Usage: "test([name], [format => 'text'|'jsonl'])", Options: []string{"format"}, MaxArgs: 1,
		Open: func(a sources.Args) (sources.Source, error) {
			dec, err := formats.NewDecoder(a.Option("format", "text"))
			if err != nil {
				return nil, err
			}
			name := ""
			if len(a.Positional) > 0 {
				name = a.Positional[0].AsText()
			}
			s := &testSource{dec: dec, bounded: a.Once, feed: make(chan feed)}
			feeder.Lock()
			if feeder.srcs == nil {
				feeder.srcs = map[string]*testSource{}
			}
			feeder.srcs[name] = s
			feeder.Unlock()
			return s, nil
		},
	})
}

func (s *testSource) Schema() sources.Schema   { return s.dec.Schema() }
func (s *testSource) Bind(cols []string) error { return s.dec.Bind(cols) }
func (s *testSource) Bounded() bool            { return s.bounded }
func (s *testSource) Describe() string         { return "test() format=" + s.dec.Name() }
func (s *testSource) Run(ctx context.Context, out sources.Emitter) error {
	width := len(s.dec.Schema().Columns)
	for {
		select {
		case f, ok := <-s.feed:
			if !ok {
				return nil
			}
			var rows []types.Row
			for _, l := range f.lines {
				r := make(types.Row, width)
				if err := s.dec.Decode([]byte(l), r); err != nil {
					out.Malformed(err)
					continue
				}
				rows = append(rows, r)
			}
			if err := out.Emit(rows); err != nil {
				return nil
			}
			close(f.done)
		case <-ctx.Done():
			return nil
		}
	}
}

func parseOffset(t *testing.T, where, s string) time.Time {
	t.Helper()
	d, err := time.ParseDuration(s)
	if err != nil {
		t.Fatalf("%s: bad time %q: %v", where, s, err)
	}
	return time.Unix(0, 0).UTC().Add(d)
}

func offset(tm time.Time) string {
	return tm.Sub(time.Unix(0, 0)).String()
}

func (c *scriptCase) run(t *testing.T) {
	fake := clock.NewFake(time.Unix(0, 0).UTC())
	logs := &logLines{added: make(chan struct{}, 1)}
	eng := streamsql.New(streamsql.Config{BatchInterval: c.batch, Once: c.once, StateTTL: c.ttl, Clock: fake, Log: logs})
	where := func(d directive) string { return fmt.Sprintf("%s:%d", c.file, d.line) }
	dir := t.TempDir()
	writeFile := func(d directive) {
		if err := os.WriteFile(filepath.Join(dir, d.arg), []byte(dedent(d.body)+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	steps := c.steps
	for len(steps) > 0 && steps[0].verb == "file" {
		writeFile(steps[0])
		steps = steps[1:]
	}
	feeder.Lock()
	feeder.srcs = nil
	feeder.Unlock()
	stmts, err := eng.Prepare(strings.ReplaceAll(c.query, "$TMP", dir))
	if len(steps) > 0 && steps[0].verb == "error" {
		want := strings.ReplaceAll(steps[0].arg, "$TMP", dir)
		if err == nil {
			t.Fatalf("%s: query planned, want error %q", where(steps[0]), want)
		}
		if err.Error() != want {
			t.Fatalf("%s: error\n got: %s\nwant: %s", where(steps[0]), err, want)
		}
		return
	}
	if err != nil {
		t.Fatalf("%s:%d: %v", c.file, c.line, err)
	}
	if len(steps) > 0 && steps[0].verb == "explain" {
		got := strings.TrimSpace(strings.ReplaceAll(stmts[len(stmts)-1].Plan(), dir, "$TMP"))
		want := dedent(steps[0].body)
		if got != want {
			t.Fatalf("%s: plan\n got:\n%s\nwant:\n%s", where(steps[0]), got, want)
		}
		return
	}
	feeder.Lock()
	srcs := feeder.srcs
	feeder.Unlock()
	qs, err := eng.Start(context.Background(), stmts)
	if err != nil {
		t.Fatal(err)
	}
	if len(qs) == 0 {
		t.Fatalf("%s:%d: no query to run", c.file, c.line)
	}
	defer eng.Stop()

	// queue holds emitted results in order: by batch, then by query.
	type emitted struct {
		query int
		r     *types.Result
	}
	var queue []emitted
	take := func(i int, r *types.Result) {
		if r.Emitted {
			queue = append(queue, emitted{i + 1, r})
		}
	}
	// A live updating result is shown as its changelog; a bounded run's
	// is its one, whole answer (it deletes nothing).
	changelog := func(i int, r *types.Result) []types.Change {
		if !r.Updating {
			return nil
		}
		if c.once {
			if len(r.Deletes) > 0 {
				t.Errorf("a bounded run's result deletes rows: %v", r.Deletes)
			}
			return nil
		}
		return qs[i-1].Changelog(r)
	}
	now := fake.Now()
	// collect reads each query's result of every batch boundary in (now, to].
	collect := func(to time.Time) {
		for b := now.Truncate(c.batch).Add(c.batch); !b.After(to) && !c.once; b = b.Add(c.batch) {
			for i, q := range qs {
				select {
				case r, ok := <-q.Results():
					if !ok {
						t.Fatalf("query %d ended early: %v", i+1, q.Wait())
					}
					if !r.Time.Equal(b) {
						t.Fatalf("result for batch %s, want %s", offset(r.Time), offset(b))
					}
					take(i, r)
				case <-time.After(10 * time.Second):
					t.Fatalf("no result for batch %s", offset(b))
				}
			}
		}
		now = to
	}
	finish := func() {
		for i, q := range qs {
			for r := range q.Results() {
				take(i, r)
			}
		}
	}
	for k, d := range steps {
		switch d.verb {
		case "file":
			before := logs.count()
			writeFile(d)
			// A table read while the file was being written may report
			// a broken version first: wait for the report the script
			// expects, or for any report.
			want := ""
			if k+1 < len(steps) && steps[k+1].verb == "log" {
				want = "streamsql: " + steps[k+1].arg
			}
			logs.waitPast(t, where(d), before, func(line string) bool {
				if want == "" {
					return strings.Contains(line, "table(")
				}
				return strings.ReplaceAll(line, dir, "$TMP") == want
			})
		case "log":
			if k > 0 && steps[k-1].verb == "file" {
				break // the file directive waited for this line
			}
			if got, want := strings.ReplaceAll(logs.last(), dir, "$TMP"), "streamsql: "+d.arg; got != want {
				t.Errorf("%s: log\n got: %s\nwant: %s", where(d), got, want)
			}
		case "at":
			to := parseOffset(t, where(d), d.arg)
			if to.Before(now) {
				t.Fatalf("%s: time goes backwards", where(d))
			}
			fake.Set(to)
			collect(to)
			// Lines go to their source in order; consecutive lines of
			// one source arrive as one chunk.
			var name string
			var lines []string
			send := func() {
				if len(lines) == 0 {
					return
				}
				src := srcs[name]
				if src == nil {
					t.Fatalf("%s: no source test('%s') in the query", where(d), name)
				}
				f := feed{lines: lines, done: make(chan struct{})}
				src.feed <- f
				<-f.done
				lines = nil
			}
			for _, l := range d.body {
				l = strings.TrimSpace(l)
				n := ""
				if strings.HasPrefix(l, "@") {
					n, l, _ = strings.Cut(l[1:], " ")
				}
				if n != name {
					send()
					name = n
				}
				lines = append(lines, strings.TrimSpace(l))
			}
			send()
		case "stats":
			st := qs[0].Stats()
			if got := fmt.Sprintf("late=%d malformed=%d", st.Late, st.Malformed); got != d.arg {
				t.Errorf("%s: stats %s, want %s", where(d), got, d.arg)
			}
		case "stop":
			for _, q := range qs {
				q.Stop()
			}
			finish()
		case "end":
			for _, src := range srcs {
				close(src.feed)
			}
			finish()
		case "expect":
			if len(queue) == 0 {
				t.Fatalf("%s: expected a result, none was emitted", where(d))
			}
			e := queue[0]
			queue = queue[1:]
			arg := d.arg
			if len(qs) > 1 {
				// With several queries, expect names one: `expect q2 3s ...`.
				want := fmt.Sprintf("q%d", e.query)
				name, rest, _ := strings.Cut(arg, " ")
				if name != want {
					t.Fatalf("%s: next result is from %s, expect says %q", where(d), want, name)
				}
				arg = rest
			}
			d.arg = arg
			checkResult(t, where(d), d, e.r, changelog(e.query, e.r))
		}
	}
	for _, e := range queue {
		t.Errorf("unexpected result of query %d at %s: %s", e.query, offset(e.r.Time), renderRows(e.r, changelog(e.query, e.r)))
	}
}

// checkResult compares r with an expect. The rows of an updating result
// (changes non-nil, in a live run) are its changelog, each row led by its op: `+I | a | 1`.
func checkResult(t *testing.T, where string, d directive, r *types.Result, changes []types.Change) {
	t.Helper()
	head := strings.Fields(strings.NewReplacer("[", " ", ")", " ", ",", " ").Replace(d.arg))
	// head: TIME|final [window START END]
	if len(head) == 0 {
		t.Fatalf("%s: expect needs a batch time or 'final'", where)
	}
	if head[0] == "final" {
		if !r.Final {
			t.Errorf("%s: result at %s is not final", where, offset(r.Time))
		}
	} else if got := offset(r.Time); got != offset(parseOffset(t, where, head[0])) {
		t.Errorf("%s: result at %s, want %s", where, got, head[0])
	}
	if len(head) == 4 && head[1] == "window" {
		if r.Window == nil {
			t.Errorf("%s: result has no window", where)
		} else if got, want := offset(r.Window.Start)+" "+offset(r.Window.End),
			offset(parseOffset(t, where, head[2]))+" "+offset(parseOffset(t, where, head[3])); got != want {
			t.Errorf("%s: window [%s), want [%s)", where, got, want)
		}
	}
	var want []string
	for _, l := range d.body {
		want = append(want, normRow(l))
	}
	got := strings.Split(renderRows(r, changes), "; ")
	for i := range got {
		got[i] = normRow(got[i])
	}
	if len(want) == 1 && len(got) == 1 { // header only: an empty result
		want, got = nil, nil
	}
	if len(want) == 0 && len(r.Rows)+len(r.Deletes) == 0 {
		return
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("%s: rows differ\n got:\n  %s\nwant:\n  %s", where, strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

func normRow(s string) string {
	parts := strings.Split(s, "|")
	for i, p := range parts {
		parts[i] = strings.TrimSpace(p)
	}
	return strings.Join(parts, " | ")
}

func renderRows(r *types.Result, changes []types.Change) string {
	var b strings.Builder
	row := func(op string, row types.Row) {
		b.WriteString("; ")
		if op != "" {
			b.WriteString(op + " | ")
		}
		for i, v := range row {
			if i > 0 {
				b.WriteString(" | ")
			}
			b.WriteString(v.String())
		}
	}
	if changes != nil {
		b.WriteString("op | ")
	}
	b.WriteString(strings.Join(r.Columns, " | "))
	if changes != nil {
		for _, c := range changes {
			row(c.Op.String(), c.Row)
		}
		return b.String()
	}
	for _, r := range r.Rows {
		row("", r)
	}
	return b.String()
}

// logLines is the engine's log, kept line by line.
type logLines struct {
	mu    sync.Mutex
	lines []string
	added chan struct{}
}

func (l *logLines) Write(p []byte) (int, error) {
	l.mu.Lock()
	l.lines = append(l.lines, strings.Split(strings.TrimRight(string(p), "\n"), "\n")...)
	l.mu.Unlock()
	select {
	case l.added <- struct{}{}:
	default:
	}
	return len(p), nil
}

func (l *logLines) count() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.lines)
}

func (l *logLines) last() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.lines) == 0 {
		return ""
	}
	return l.lines[len(l.lines)-1]
}

// waitPast waits until the engine logs, after line n, a line that ok
// accepts: the file watcher has seen a new version of a table and loaded
// it or not.
func (l *logLines) waitPast(t *testing.T, where string, n int, ok func(string) bool) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		l.mu.Lock()
		for _, line := range l.lines[n:] {
			if ok(line) {
				l.mu.Unlock()
				return
			}
		}
		l.mu.Unlock()
		select {
		case <-l.added:
		case <-deadline:
			l.mu.Lock()
			seen := strings.Join(l.lines[n:], "\n  ")
			l.mu.Unlock()
			t.Fatalf("%s: the table was not reloaded as expected; the log says:\n  %s", where, seen)
		}
	}
}

// dedent removes the indentation the body lines share.
func dedent(lines []string) string {
	min := -1
	for _, l := range lines {
		n := len(l) - len(strings.TrimLeft(l, " \t"))
		if min < 0 || n < min {
			min = n
		}
	}
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = l[min:]
	}
	return strings.Join(out, "\n")
}
