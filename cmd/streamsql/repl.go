package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/chzyer/readline"
	"github.com/olekukonko/tablewriter/pkg/twwidth"
	"github.com/streamsql/streamsql"
	"github.com/streamsql/streamsql/internal/suggest"
	"github.com/streamsql/streamsql/sinks"
	"github.com/streamsql/streamsql/types"
)

const replHelp = `Type a SQL statement ending with ; and press Enter. A SELECT runs and
shows its results every batch until you press Ctrl-C; an INSERT INTO runs
in the background and the prompt comes back.

  SELECT word, COUNT(*) FROM file('examples/logfile', start => 'earliest') GROUP BY word WINDOW 10s;
  INSERT INTO file('out') SELECT ...;   run in the background
  CREATE STREAM name AS SELECT ...;     define a named stream
  DROP STREAM name;
  CREATE MATERIALIZED VIEW v AS SELECT ...;  a result kept up to date, in the background
  SELECT ... FROM v WHERE ...;          read a view as it is now (a pull query)
  DROP MATERIALIZED VIEW v;
  EXPLAIN SELECT ...;                   show the operator DAG

Commands (a trailing ; is optional):
  SHOW STREAMS                the named streams
  SHOW VIEWS                  the materialized views
  SHOW QUERIES                the queries running in the background
  DESCRIBE <stream>           a stream's columns
  STOP QUERY <n>              stop background query n
  SET batch_interval = '500ms'  micro-batch interval of the queries started next
  SET checkpoint = 'dir'        queries started next checkpoint in dir and resume from it
  SET output = 'jsonl'        result format: table, jsonl, changelog or csv
  SET                         show the settings
  \i <file.sql>               run the statements and commands of a file
  \help                       this help
  \q                          quit (or Ctrl-D); background queries are stopped

Tab completes keywords, functions, sources, streams and their columns.
History is kept in ~/.streamsql_history.
`

const (
	prompt     = "streamsql> "
	contPrompt = "      ...> "
)

// historyFile is where the prompt's history is kept, "" when there is no
// home directory.
func historyFile() string {
	home := os.Getenv("HOME")
	if home == "" {
		return ""
	}
	return filepath.Join(home, ".streamsql_history")
}

func newSession(eng *streamsql.Engine, o options, stdout, stderr io.Writer) *session {
	return &session{
		eng:     eng,
		o:       o,
		stdout:  stdout,
		stderr:  stderr,
		bg:      map[int]*bgQuery{},
		columns: map[string][]string{},
		ended:   map[int]bool{},
	}
}

func repl(eng *streamsql.Engine, o options, stdin io.Reader, stdout, stderr io.Writer) int {
	s := newSession(eng, o, stdout, stderr)
	s.tty = isTerminal(stdout)
	rl, err := readline.NewEx(&readline.Config{
		Prompt:                 prompt,
		Stdin:                  io.NopCloser(stdin),
		Stdout:                 stdout,
		Stderr:                 stderr,
		InterruptPrompt:        "^C",
		EOFPrompt:              `\q`,
		HistoryFile:            historyFile(), // readline ignores a file it cannot open or write
		DisableAutoSaveHistory: true,          // a statement is saved whole, once complete
		HistorySearchFold:      true,
		AutoComplete:           &completer{s: s},
	})
	if err != nil {
		fmt.Fprintf(stderr, "streamsql: %v\n", err)
		return 1
	}
	defer rl.Close()
	s.rl = rl
	// Ctrl-C at the prompt is a key readline reads; while a query runs
	// the terminal is not raw and Ctrl-C is a signal, which stops it. The
	// signal is caught for the whole session, so a second Ctrl-C never
	// kills the program.
	s.sig = make(chan os.Signal, 1)
	signal.Notify(s.sig, os.Interrupt)
	defer signal.Stop(s.sig)

	fmt.Fprintln(stdout, `streamsql: continuous SQL over streams. \help for help, \q to quit.`)
	defer s.stopAll()
	for {
		s.reportFinished()
		line, err := rl.Readline()
		if errors.Is(err, readline.ErrInterrupt) {
			s.buf.Reset()
			s.lines = s.lines[:0]
			rl.SetPrompt(prompt)
			continue
		}
		if err != nil { // io.EOF: Ctrl-D
			return 0
		}
		quit := s.line(line, true)
		if s.buf.Len() > 0 {
			rl.SetPrompt(contPrompt)
		} else {
			rl.SetPrompt(prompt)
		}
		if quit {
			return 0
		}
	}
}

// session is the state of one interactive prompt.
type session struct {
	eng            *streamsql.Engine
	o              options
	stdout, stderr io.Writer
	rl             *readline.Instance
	tty            bool // stdout is a terminal: results are redrawn in place
	sig            chan os.Signal

	buf   strings.Builder // the statement being typed
	lines []string        // its lines, for the history
	depth int             // \i nesting

	// Where the line being handled comes from, for positions in errors:
	// the input's name ("" for the terminal, "<stdin>" for piped input,
	// the file of \i), its line number, and the line the statement in buf
	// began on.
	src      string
	lineNo   int
	stmtLine int

	// script is set when the input is not a terminal (see script.go):
	// statements gather in pending and run together, like a -f script,
	// and the first error ends the input.
	script  bool
	pending pendingSQL
	failed  bool
	exit    int // the exit code of the script's failure, when not 1

	mu      sync.Mutex
	bg      map[int]*bgQuery    // background (INSERT INTO) queries
	columns map[string][]string // stream name (lower case) → columns, for completion
	ended   map[int]bool        // queries known to have ended, which the engine forgets a moment later
}

// bgQuery is a query running in the background.
type bgQuery struct {
	q        *streamsql.Query
	stopped  bool          // STOP QUERY asked it to stop
	done     chan struct{} // closed when it has ended
	err      error         // why it ended, set before done closes
	reported bool          // its end was told
}

// line handles one line typed (or read by \i): a command when it starts a
// statement, else SQL gathered up to its ;. It reports whether to quit.
func (s *session) line(line string, interactive bool) (quit bool) {
	trimmed := strings.TrimSpace(line)
	if s.buf.Len() == 0 {
		if trimmed == "" || strings.HasPrefix(trimmed, "--") {
			return false
		}
		s.stmtLine = s.lineNo
		if handled, quit := s.command(trimmed, interactive); handled {
			if interactive {
				s.saveHistory(trimmed)
			}
			return quit
		}
	}
	s.buf.WriteString(line)
	s.buf.WriteByte('\n')
	s.lines = append(s.lines, trimmed)
	if !endsStatement(line) {
		return false
	}
	text := s.buf.String()
	if interactive {
		s.saveHistory(s.lines...)
	}
	s.buf.Reset()
	s.lines = s.lines[:0]
	s.runSQL(text)
	return false
}

// endsStatement reports whether line ends with a ; that ends a
// statement: outside quotes, maybe followed by a -- comment.
func endsStatement(line string) bool {
	var quote rune  // the quote open, 0 for none
	last := rune(0) // the last character that is not a space
	runes := []rune(line)
	for i, r := range runes {
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
			}
		case r == '\'' || r == '"':
			quote = r
		case r == '-' && i+1 < len(runes) && runes[i+1] == '-':
			return last == ';'
		case unicode.IsSpace(r):
			continue
		}
		last = r
	}
	return quote == 0 && last == ';'
}

// saveHistory keeps a statement as one history entry (its lines joined),
// or line by line when a -- comment would swallow the lines after it.
func (s *session) saveHistory(lines ...string) {
	if s.rl == nil {
		return
	}
	joined := strings.Join(lines, " ")
	if strings.Contains(joined, "--") {
		for _, l := range lines {
			s.rl.SaveHistory(l) // a history file that cannot be written is not fatal
		}
		return
	}
	s.rl.SaveHistory(joined)
}

// statementStarts are the words a SQL statement begins with.
var statementStarts = map[string]bool{
	"select": true, "insert": true, "create": true, "drop": true,
	"show": true, "explain": true, "with": true, "(": true,
}

// firstWords are the words a line may begin with: statements, then the
// REPL's commands.
var firstWords = []string{"SELECT", "INSERT", "CREATE", "DROP", "EXPLAIN", "SHOW", "DESCRIBE", "SET", "STOP", "HELP", "QUIT", "EXIT"}

// closestWord is the word of words that word is a plausible typo of, ""
// for none: at most two edits, and fewer for short words (QUIT is no
// typo of "qq").
func closestWord(word string, words []string) string {
	best, bestD := "", 0
	for _, w := range words {
		d := suggest.Distance(strings.ToUpper(word), w)
		if d > 0 && d <= 2 && d <= (len(w)-1)/2 && (best == "" || d < bestD) {
			best, bestD = w, d
		}
	}
	return best
}

// command handles the REPL's own commands; handled is false for SQL.
func (s *session) command(line string, interactive bool) (handled, quit bool) {
	cmd := strings.TrimSpace(strings.TrimRight(line, "; \t"))
	fields := strings.Fields(cmd)
	if len(fields) == 0 {
		return false, false
	}
	word := strings.ToLower(fields[0])
	if s.script && !statementStarts[word] && !strings.HasPrefix(word, "(") {
		// A command sees what the statements before it did.
		if !s.flush() {
			return true, false
		}
	}
	arg := func(i int) string {
		if i < len(fields) {
			return strings.ToLower(fields[i])
		}
		return ""
	}
	switch {
	case word == `\q` || word == "quit" || word == "exit":
		if len(fields) == 1 {
			return true, true
		}
	case word == `\help` || word == `\h` || word == `\?` || word == "help":
		fmt.Fprint(s.stdout, replHelp)
		return true, false
	case word == `\i` || word == `\include`:
		if len(fields) < 2 {
			s.errorf(`\i takes a file name: \i queries.sql`)
			return true, false
		}
		return true, s.include(strings.TrimSpace(cmd[len(fields[0]):]))
	case strings.HasPrefix(word, `\`):
		s.errorf(`unknown command %s; \help lists the commands`, fields[0])
		return true, false
	case word == "show":
		switch arg(1) {
		case "queries":
			if len(fields) == 2 {
				if s.script && !s.flush() {
					return true, false
				}
				s.showQueries()
				return true, false
			}
		case "streams", "views":
			if len(fields) == 2 {
				s.runSQL("SHOW " + strings.ToUpper(arg(1)) + ";")
				return true, false
			}
		case "materialized":
			if len(fields) == 3 && arg(2) == "views" {
				s.runSQL("SHOW VIEWS;")
				return true, false
			}
		}
		s.errorf("SHOW takes STREAMS, VIEWS or QUERIES: SHOW STREAMS, SHOW VIEWS, SHOW QUERIES")
		return true, false
	case word == "describe" || word == "desc":
		if len(fields) != 2 {
			s.errorf("DESCRIBE takes a stream name: DESCRIBE words (SHOW STREAMS lists them)")
			return true, false
		}
		s.describe(fields[1])
		return true, false
	case word == "set":
		s.set(strings.TrimSpace(cmd[len(fields[0]):]))
		return true, false
	case word == "stop":
		if arg(1) == "query" && len(fields) == 3 {
			if id, err := strconv.Atoi(fields[2]); err == nil {
				s.stopQuery(id)
				return true, false
			}
		}
		s.errorf("usage: STOP QUERY <n> (SHOW QUERIES lists the running ones)")
		return true, false
	}
	if !statementStarts[word] && !strings.HasPrefix(word, "(") {
		if w := closestWord(word, firstWords); w != "" {
			s.errorf(`unknown command %q: did you mean %s? (\help lists the commands)`, fields[0], w)
			return true, false
		}
		s.errorf(`unknown command %q: type a SQL statement (SELECT, INSERT INTO, CREATE STREAM, DROP STREAM, EXPLAIN, SHOW) or a command; \help lists them`, fields[0])
		return true, false
	}
	return false, false
}

func (s *session) errorf(format string, args ...any) {
	fmt.Fprintf(s.stderr, "streamsql: "+format+"\n", args...)
	s.failed = s.script
}

// include runs a file line by line as if typed.
func (s *session) include(path string) (quit bool) {
	path = unquote(path)
	if s.depth >= 8 {
		s.errorf(`\i %s: files include each other too deeply`, path)
		return false
	}
	f, err := os.Open(path)
	if err != nil {
		s.errorf(`\i: %v`, err)
		return false
	}
	defer f.Close()
	if s.script && !s.flush() {
		return false
	}
	s.depth++
	savedSrc, savedLine := s.src, s.lineNo
	s.src, s.lineNo = path, 0
	defer func() { s.depth--; s.src, s.lineNo = savedSrc, savedLine }()
	// The file's statements stand alone: what was being typed waits.
	saved, savedLines := s.buf.String(), s.lines
	s.buf.Reset()
	s.lines = nil
	defer func() {
		s.buf.Reset()
		s.buf.WriteString(saved)
		s.lines = savedLines
	}()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		s.lineNo++
		if s.line(sc.Text(), false) {
			return true
		}
		if s.failed {
			return false
		}
	}
	if err := sc.Err(); err != nil {
		s.errorf(`\i %s: %v`, path, err)
	}
	if rest := strings.TrimSpace(s.buf.String()); rest != "" {
		s.errorf(`\i %s: the last statement has no ending ; and was not run`, path)
	}
	if s.script {
		s.flush() // the file's statements run together, apart from what follows
	}
	return false
}

// unquote strips one pair of matching quotes.
func unquote(v string) string {
	if len(v) >= 2 && (v[0] == '\'' || v[0] == '"') && v[len(v)-1] == v[0] {
		return v[1 : len(v)-1]
	}
	return v
}

// set changes a setting: `name = value`, `name TO value` or `name value`.
func (s *session) set(args string) {
	if args == "" {
		fmt.Fprintf(s.stdout, "batch_interval = '%s'\noutput = '%s'\n", s.eng.BatchInterval(), s.o.output)
		if s.o.checkpoint != "" {
			fmt.Fprintf(s.stdout, "checkpoint = '%s'\n", s.o.checkpoint)
		}
		return
	}
	name, value, ok := strings.Cut(args, "=")
	if !ok {
		f := strings.Fields(args)
		switch {
		case len(f) == 3 && strings.EqualFold(f[1], "to"):
			name, value = f[0], f[2]
		case len(f) == 2:
			name, value = f[0], f[1]
		default:
			s.errorf("usage: SET name = 'value' (settings: batch_interval, output, checkpoint)")
			return
		}
	}
	name, value = strings.ToLower(strings.TrimSpace(name)), unquote(strings.TrimSpace(value))
	switch name {
	case "batch_interval", "batch":
		d, err := time.ParseDuration(value)
		if err != nil {
			s.errorf("SET batch_interval: %q is not a duration (say '500ms', '2s')", value)
			return
		}
		if err := s.eng.SetBatchInterval(d); err != nil {
			s.errorf("SET batch_interval: must be positive, got %s", d)
			return
		}
		fmt.Fprintf(s.stdout, "batch_interval = '%s' (for queries started from now on)\n", d)
	case "output":
		v := strings.ToLower(value)
		if !slices.Contains(consoleFormats, v) {
			s.errorf("SET output: unknown format %q (choose %s)", value, consoleFormatList)
			return
		}
		s.o.output = v
		fmt.Fprintf(s.stdout, "output = '%s'\n", v)
	case "checkpoint":
		s.o.checkpoint = value
		if value == "" {
			fmt.Fprintln(s.stdout, "checkpoint = '' (queries started from now on do not checkpoint)")
		} else {
			fmt.Fprintf(s.stdout, "checkpoint = '%s' (queries started from now on checkpoint there and resume from it)\n", value)
		}
	default:
		s.errorf("SET: unknown setting %q (settings: batch_interval, output, checkpoint)", name)
	}
}

func (s *session) describe(name string) {
	name = unquote(name)
	cols, err := s.eng.DescribeStream(name)
	if err != nil {
		s.errorf("DESCRIBE: %v", err)
		return
	}
	tw := tabwriter.NewWriter(s.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "column\ttype")
	names := make([]string, len(cols))
	for i, c := range cols {
		typ := "any"
		if c.Type != types.KindNull {
			typ = c.Type.String()
		}
		fmt.Fprintf(tw, "%s\t%s\n", c.Name, typ)
		names[i] = c.Name
	}
	tw.Flush()
	s.mu.Lock()
	s.columns[strings.ToLower(name)] = names
	s.mu.Unlock()
}

// showQueries lists the queries running in the background.
func (s *session) showQueries() {
	var rows []*streamsql.Query
	s.mu.Lock()
	for _, q := range s.eng.Queries() {
		if b, ok := s.bg[q.ID]; s.ended[q.ID] || ok && isClosed(b.done) {
			continue // ended; the engine forgets it in a moment
		}
		rows = append(rows, q)
	}
	s.mu.Unlock()
	if len(rows) == 0 {
		fmt.Fprintln(s.stdout, "no queries running (an INSERT INTO ... runs in the background)")
		return
	}
	type row struct{ id, state, in, sql string }
	out := []row{{"id", "state", "rows in", "sql"}}
	for _, q := range rows {
		state := "running"
		s.mu.Lock()
		if b, ok := s.bg[q.ID]; ok && b.stopped {
			state = "stopping"
		}
		s.mu.Unlock()
		sql := strings.Join(strings.Fields(q.SQL), " ")
		if width, _ := terminalSize(s.stdout); width > 40 {
			sql = shorten(sql, width-30) // one line per query on a terminal
		}
		out = append(out, row{strconv.Itoa(q.ID), state, strconv.FormatInt(q.Stats().RowsIn, 10), sql})
	}
	var wid, wstate, win int
	for _, r := range out {
		wid, wstate, win = max(wid, len(r.id)), max(wstate, len(r.state)), max(win, len(r.in))
	}
	for _, r := range out {
		fmt.Fprintf(s.stdout, "%*s  %-*s  %*s  %s\n", wid, r.id, wstate, r.state, win, r.in, r.sql)
	}
}

func isClosed(c chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

// shorten cuts text to n runes.
func shorten(text string, n int) string {
	if utf8.RuneCountInString(text) <= n {
		return text
	}
	r := []rune(text)
	return string(r[:n-1]) + "…"
}

func (s *session) stopQuery(id int) {
	s.mu.Lock()
	b, ok := s.bg[id]
	if ok {
		b.stopped = true
	}
	s.mu.Unlock()
	if !ok {
		if _, running := s.eng.QueryByID(id); running {
			s.errorf("query %d is not a background query", id)
		} else {
			s.errorf("no query %d is running (SHOW QUERIES lists them)", id)
		}
		return
	}
	if isClosed(b.done) {
		s.reportFinished()
		return
	}
	b.q.Stop()
	<-b.done
	s.mu.Lock()
	b.reported = true
	delete(s.bg, id)
	s.ended[id] = true
	s.mu.Unlock()
	if b.err != nil {
		printError(s.stderr, fmt.Errorf("query %d: %w", id, b.err))
	}
	fmt.Fprintf(s.stdout, "query %d stopped (%d rows read)\n", id, b.q.Stats().RowsIn)
}

// reportFinished tells of background queries that ended by themselves.
func (s *session) reportFinished() {
	s.mu.Lock()
	var ended []*bgQuery
	for id, b := range s.bg {
		if isClosed(b.done) && !b.reported {
			b.reported = true
			ended = append(ended, b)
			delete(s.bg, id)
			s.ended[id] = true
		}
	}
	s.mu.Unlock()
	for _, b := range ended {
		if b.err != nil {
			printError(s.stderr, fmt.Errorf("query %d: %w", b.q.ID, b.err))
		}
		fmt.Fprintf(s.stdout, "query %d finished (%d rows read)\n", b.q.ID, b.q.Stats().RowsIn)
	}
}

// stopAll stops the background queries when the session ends, so their
// sinks are flushed and closed.
func (s *session) stopAll() {
	s.mu.Lock()
	var running []*bgQuery
	for _, b := range s.bg {
		if !isClosed(b.done) {
			running = append(running, b)
		}
	}
	s.mu.Unlock()
	if len(running) == 0 {
		return
	}
	fmt.Fprintf(s.stdout, "stopping %d background %s\n", len(running), plural(len(running), "query", "queries"))
	for _, b := range running {
		b.q.Stop()
	}
	for _, b := range running {
		<-b.done
	}
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// runSQL plans and runs statements: INSERT INTO queries go to the
// background, SELECTs run in the foreground until they end or Ctrl-C.
func (s *session) runSQL(text string) {
	if s.script {
		s.queue(text)
		return
	}
	if s.src != "" && s.stmtLine > 1 {
		// A statement of a \i file: positions count the file's lines.
		text = strings.Repeat("\n", s.stmtLine-1) + text
	}
	stmts, err := s.eng.Prepare(text)
	if err != nil {
		printErrorIn(s.stderr, s.src, err)
		return
	}
	ddl := false
	for _, st := range stmts {
		if st.Kind == streamsql.KindCreateStream || st.Kind == streamsql.KindDropStream {
			ddl = true
		}
	}
	if ddl {
		s.refreshColumns()
	}
	if !printStatements(s.stdout, s.stdout, stmts) {
		return
	}
	if s.o.checkpoint != "" {
		for _, st := range stmts {
			st.Checkpoint(s.o.checkpoint, s.o.every)
		}
	}
	queries, err := s.eng.Start(context.Background(), stmts)
	if err != nil {
		printError(s.stderr, err)
		return
	}
	var fg []*streamsql.Query
	for _, q := range queries {
		if !q.IsInsert() {
			fg = append(fg, q)
			continue
		}
		b := &bgQuery{q: q, done: make(chan struct{})}
		s.mu.Lock()
		s.bg[q.ID] = b
		s.mu.Unlock()
		go func() {
			b.err = q.Wait()
			close(b.done)
		}()
		fmt.Fprintf(s.stdout, "query %d running in the background; STOP QUERY %d to stop it\n", q.ID, q.ID)
	}
	if len(fg) == 0 {
		return
	}
	// A Ctrl-C from before this query must not stop it.
	select {
	case <-s.sig:
	default:
	}
	if len(fg) == 1 && s.tty && s.o.output == "table" {
		s.live(fg[0])
	} else {
		s.foreground(fg)
	}
	s.mu.Lock()
	for _, q := range fg {
		s.ended[q.ID] = true
	}
	s.mu.Unlock()
}

// refreshColumns keeps the completion's stream columns in step with the
// streams defined.
func (s *session) refreshColumns() {
	names := s.eng.StreamNames()
	cols := map[string][]string{}
	for _, n := range names {
		if c, err := s.eng.DescribeStream(n); err == nil {
			for _, col := range c {
				cols[strings.ToLower(n)] = append(cols[strings.ToLower(n)], col.Name)
			}
		}
	}
	s.mu.Lock()
	s.columns = cols
	s.mu.Unlock()
}

// foreground prints the queries' results as blocks, one per batch, until
// they end or Ctrl-C stops them.
func (s *session) foreground(queries []*streamsql.Query) {
	done := make(chan struct{})
	defer close(done)
	go func() {
		select {
		case <-s.sig:
			for _, q := range queries {
				q.Stop()
			}
		case <-done:
		}
	}()
	var outMu sync.Mutex
	var wg sync.WaitGroup
	spec, _ := sinks.Lookup(s.o.output)
	for _, q := range queries {
		opts := sinks.Options{Columns: q.Columns, Key: q.Key}
		if len(queries) > 1 {
			opts.Label = fmt.Sprintf("query %d", q.ID)
		}
		sink, err := spec.Open(&lockedWriter{w: s.stdout, mu: &outMu}, opts)
		if err != nil {
			printError(s.stderr, err)
			q.Stop()
			go drainAway(q)
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := drain(q, sink, nil); err != nil {
				outMu.Lock()
				printError(s.stderr, fmt.Errorf("query %d: %w", q.ID, err))
				outMu.Unlock()
			}
		}()
	}
	wg.Wait()
}

func drainAway(q *streamsql.Query) {
	for r := range q.Results() {
		q.Ack(r, nil)
	}
}

// live shows a query's latest result in place on the terminal: each batch
// the previous table is overwritten, with a status line under it, until
// the query ends or Ctrl-C stops it.
func (s *session) live(q *streamsql.Query) {
	interval := s.eng.BatchInterval()
	spec, _ := sinks.Lookup("table")
	var table bytes.Buffer
	table.WriteString("── waiting for the first result ──\n")
	var drawn screen    // what was drawn last time
	var view types.View // an updating query's table
	shown := false      // table holds rows of a result
	var werr error
	stopped := false
	sig := s.sig
	results := q.Results()
	for {
		var res *types.Result
		select {
		case <-sig:
			q.Stop()
			stopped, sig = true, nil
			continue
		case r, ok := <-results:
			if !ok {
				results = nil
			} else {
				q.Ack(r, nil) // shown on the terminal is as written as it gets
			}
			res = r
		}
		if results == nil {
			break
		}
		if res.Updating && res.Emitted {
			// The screen shows the table the query maintains, whole.
			view.Apply(res)
			whole := *res
			whole.Rows, whole.Deletes, whole.Updating = view.Rows(), nil, false
			res = &whole
		}
		empty := false
		if res.Emitted && len(res.Rows) == 0 && shown {
			// Keep the last rows on screen (their header says which
			// window they are); the status line says this one had none.
			empty = true
		} else if res.Emitted {
			shown = true
			table.Reset()
			sink, _ := spec.Open(&table, sinks.Options{})
			if err := sink.Write(context.Background(), res); err != nil {
				table.Reset()
				fmt.Fprintf(&table, "streamsql: %v\n", err)
			}
			sink.Close()
		}
		if werr != nil {
			continue
		}
		status := statusLine(res, q.Stats(), interval, stopped)
		if empty {
			status += " · latest result: no rows"
		}
		drawn, werr = s.redraw(drawn, table.Bytes(), status)
		if werr != nil {
			q.Stop()
		}
	}
	if err := q.Wait(); err != nil {
		printError(s.stderr, fmt.Errorf("query %d: %w", q.ID, err))
	}
	if stopped {
		fmt.Fprintf(s.stdout, "query %d stopped\n", q.ID)
	}
}

// screen is what live drew last: how many terminal rows, at which width.
type screen struct {
	rows, width int
}

// redraw moves the cursor up over the rows drawn last time, clears them
// and draws the table and status line. Every line is cut to the
// terminal's width, so each takes exactly one row and the cursor goes back
// up exactly as far as they reach, and the lines are cut to its height
// (the top of the table and the status line stay). A terminal whose width
// changed may have rewrapped what was drawn; then the screen is cleared.
func (s *session) redraw(last screen, table []byte, status string) (screen, error) {
	width, height := terminalSize(s.stdout)
	lines := strings.Split(strings.TrimRight(string(table), "\n"), "\n")
	lines = append(lines, status)
	if height > 2 && len(lines) > height-1 {
		// Keep the top of the table and the status line on screen.
		kept := lines[: height-3 : height-3]
		hidden := len(lines) - 1 - len(kept)
		lines = append(kept, fmt.Sprintf("… %d more lines (a taller terminal shows them)", hidden), status)
	}
	if width > 0 {
		for i, l := range lines {
			lines[i] = fitWidth(l, width)
		}
	}
	var b bytes.Buffer
	switch {
	case last.rows > 0 && last.width != width:
		b.WriteString("\x1b[H\x1b[2J") // home, clear the screen
	case last.rows > 0:
		fmt.Fprintf(&b, "\r\x1b[%dA", last.rows)
	}
	b.WriteString("\x1b[J")
	for _, l := range lines {
		b.WriteString(l)
		b.WriteByte('\n')
	}
	_, err := s.stdout.Write(b.Bytes())
	return screen{rows: len(lines), width: width}, err
}

// fitWidth cuts line to at most width terminal columns, ending it with
// "…" when something was cut.
func fitWidth(line string, width int) string {
	if twwidth.Width(line) <= width {
		return line
	}
	var b strings.Builder
	used := 0
	for _, r := range line {
		w := twwidth.Width(string(r))
		if used+w > width-1 {
			break
		}
		b.WriteRune(r)
		used += w
	}
	b.WriteString("…")
	return b.String()
}

// statusLine sums up a batch, e.g.
//
//	batch 21:30:10 · 1200 rows in (2400/s) · processing 1.2ms · delay 300µs · late 0 · malformed 0 · 5000 rows read · Ctrl-C stops
func statusLine(res *types.Result, total streamsql.Stats, interval time.Duration, stopped bool) string {
	st := res.Stats
	rate := float64(st.RowsIn) / interval.Seconds()
	end := "Ctrl-C stops"
	switch {
	case res.Final:
		end = "final"
	case stopped:
		end = "stopping"
	}
	return fmt.Sprintf("batch %s · %d rows in (%.0f/s) · processing %s · delay %s · late %d · malformed %d · %d rows read · %s",
		res.Time.Local().Format("15:04:05.000"), st.RowsIn, rate,
		st.ProcessingTime.Round(time.Microsecond), st.SchedulingDelay.Round(time.Microsecond),
		total.Late, total.Malformed, total.RowsIn, end)
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && readline.IsTerminal(int(f.Fd()))
}

// terminalSize is w's size in columns and rows; 0, 0 when unknown.
func terminalSize(w io.Writer) (int, int) {
	f, ok := w.(*os.File)
	if !ok {
		return 0, 0
	}
	cols, rows, err := readline.GetSize(int(f.Fd()))
	if err != nil {
		return 0, 0
	}
	return cols, rows
}
