// Command streamsql runs continuous SQL queries over streams: from a file
// (-f), the command line (-e), or an interactive prompt. It holds flags and
// the REPL only; the engine is the importable package
// github.com/streamsql/streamsql.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/streamsql/streamsql"
	"github.com/streamsql/streamsql/internal/bytesize"
	"github.com/streamsql/streamsql/parser"
	"github.com/streamsql/streamsql/server"
	"github.com/streamsql/streamsql/sinks"
)

const usage = `usage: streamsql [flags]                 interactive prompt
       streamsql [flags] -e "SELECT ..."  run a statement
       streamsql [flags] -f queries.sql   run a script (statements separated by ;)
       streamsql [flags] < queries.sql    run a script from standard input, as -f does
       streamsql --http 127.0.0.1:8080    serve the dashboard and query API until SIGTERM

flags:
`

// defaultHTTPMaxQueries bounds the queries of a process serving --http
// when --max-queries is not given: each query holds goroutines, buffers
// and state, and 2,000 submitted through the API took 8 GB.
const defaultHTTPMaxQueries = 100

type options struct {
	exec   string
	file   string
	batch  time.Duration
	output string
	// flagOutput is --output as given; output changes with SET output.
	flagOutput string
	once       bool
	http       string
	// httpToken is --http-token, or STREAMSQL_HTTP_TOKEN.
	httpToken string
	// pg is --pg: the address of the PostgreSQL wire server ("" for
	// none); pgUsers its users (--pg-user name:password), pgTrust
	// --pg-trust, pgCert and pgKey its TLS certificate.
	pg            string
	pgUsers       map[string]string
	pgTrust       bool
	pgCert, pgKey string
	// cluster names the cluster query this process is a member of ("" for none).
	cluster string
	// checkpoint is the directory of the queries' checkpoints ("" for
	// none); every is how many batches go between two.
	checkpoint string
	every      int
	maxKeys    int64
	stateTTL   time.Duration
	maxQueries int
	allowDirs  []string
	// cpuprofile and memprofile are the files of --cpuprofile and
	// --memprofile ("" for none).
	cpuprofile, memprofile string
	version                bool
	maxMemory              string
	// watch shows a query the command runs on the dashboard (--http).
	watch func(*streamsql.Query) (publish func(*streamsql.Result), done func(error))
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// consoleFormats are the formats --output and SET output take: the sinks
// that print to stdout.
var consoleFormats = []string{"table", "jsonl", "changelog", "csv"}

// consoleFormatList is consoleFormats in words: "table, jsonl or csv".
var consoleFormatList = strings.Join(consoleFormats[:len(consoleFormats)-1], ", ") + " or " + consoleFormats[len(consoleFormats)-1]

// newFlags defines the command's flags on o. Every flag is listed in
// README's table (TestREADMEListsEveryFlag).
func newFlags(o *options) *flag.FlagSet {
	fs := flag.NewFlagSet("streamsql", flag.ContinueOnError)
	fs.StringVar(&o.exec, "e", "", "run the given SQL statement(s)")
	fs.StringVar(&o.file, "f", "", "run the statements in a .sql file")
	fs.DurationVar(&o.batch, "batch", time.Second, "micro-batch interval, e.g. 500ms, 1s")
	fs.StringVar(&o.output, "output", "table", "result format on stdout: "+consoleFormatList)
	fs.BoolVar(&o.once, "once", false, "read the sources as they are now, as one batch, print the result and exit")
	fs.StringVar(&o.cpuprofile, "cpuprofile", "", "write a CPU profile of the run to `file` (go tool pprof)")
	fs.StringVar(&o.memprofile, "memprofile", "", "write a heap profile (allocations of the whole run) to `file` when the run ends")
	fs.StringVar(&o.checkpoint, "checkpoint", "", "save each query's source positions, state and pending results in `dir` at batch boundaries, and resume from there when started again")
	fs.IntVar(&o.every, "checkpoint-every", 1, "checkpoint every `n` batches (results wait for their checkpoint)")
	fs.Int64Var(&o.maxKeys, "max-keys", 0, "end a query whose state grows past `n` keys, checked as keys are added (0: no limit)")
	fs.DurationVar(&o.stateTTL, "state-ttl", 0, "an aggregate without WINDOW deletes a key that got no rows for this `long`, e.g. 1h (0: keys are kept)")
	fs.StringVar(&o.maxMemory, "max-memory", "", "memory limit of the process, e.g. 2GB: the Go runtime's soft limit, and near it the query with the largest state is stopped with an error (default: none)")
	fs.IntVar(&o.maxQueries, "max-queries", -1, "refuse to run more than `n` queries at once (default: 100 with --http, else no limit; 0: no limit)")
	fs.StringVar(&o.cluster, "cluster", "", "run the script's one INSERT INTO kafka(...) query as a member of the cluster query `name`: processes started with the same name share its work (see docs/SCALING.md)")
	fs.Func("allow-dir", "confine the paths queries name (sources, tables, sinks, dead letters, checkpoints) to `dir`, links followed; repeat for several", func(d string) error {
		o.allowDirs = append(o.allowDirs, d)
		return nil
	})
	fs.StringVar(&o.httpToken, "http-token", "", "the `token` API clients must send (Authorization: Bearer); default STREAMSQL_HTTP_TOKEN, else a random one printed in the dashboard URL")
	fs.StringVar(&o.http, "http", "", "serve the dashboard, query API and /metrics on `addr` (host:port; no host means 127.0.0.1); with -e/-f while they run")
	fs.StringVar(&o.pg, "pg", "", "serve the PostgreSQL wire protocol on `addr` (host:port; no host means 127.0.0.1): psql, drivers and Grafana run SQL and read materialized views")
	fs.Func("pg-user", "a `name:password` the PostgreSQL wire server accepts (SCRAM-SHA-256); repeat for several; default user streamsql with STREAMSQL_PG_PASSWORD, else a random password printed at start", func(v string) error {
		name, pass, ok := strings.Cut(v, ":")
		if !ok || name == "" || pass == "" {
			return fmt.Errorf("want name:password, got %q", v)
		}
		if o.pgUsers == nil {
			o.pgUsers = map[string]string{}
		}
		o.pgUsers[name] = pass
		return nil
	})
	fs.BoolVar(&o.pgTrust, "pg-trust", false, "let PostgreSQL clients in without a password (only on a loopback address)")
	fs.StringVar(&o.pgCert, "pg-tls-cert", "", "TLS certificate `file` (PEM) offered to PostgreSQL clients, with --pg-tls-key")
	fs.StringVar(&o.pgKey, "pg-tls-key", "", "TLS private key `file` (PEM) of --pg-tls-cert")
	fs.BoolVar(&o.version, "version", false, "print the version and exit")
	return fs
}

// printUsage writes the usage and the flags to w.
func printUsage(w io.Writer, fs *flag.FlagSet) {
	fmt.Fprint(w, usage)
	out := fs.Output()
	fs.SetOutput(w)
	fs.PrintDefaults()
	fs.SetOutput(out)
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	var o options
	fs := newFlags(&o)
	fs.SetOutput(stderr)
	fs.Usage = func() {} // --help goes to stdout, a mistake's usage to stderr: both below
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			printUsage(stdout, fs)
			return 0
		}
		printUsage(stderr, fs)
		return 2
	}
	o.flagOutput = o.output
	if o.version {
		fmt.Fprintln(stdout, version())
		return 0
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "streamsql: unexpected argument %q (put SQL in quotes after -e)\n", fs.Arg(0))
		return 2
	}
	if !slices.Contains(consoleFormats, o.output) {
		fmt.Fprintf(stderr, "streamsql: --output takes a console format: %s, not %q (results go to a database, files or Kafka with INSERT INTO sink(...) SELECT ...)\n", consoleFormatList, o.output)
		return 2
	}
	if o.batch <= 0 {
		fmt.Fprintf(stderr, "streamsql: --batch must be positive, got %s\n", o.batch)
		return 2
	}
	if o.every < 1 {
		fmt.Fprintf(stderr, "streamsql: --checkpoint-every must be at least 1, got %d\n", o.every)
		return 2
	}
	if o.stateTTL < 0 {
		fmt.Fprintf(stderr, "streamsql: --state-ttl must not be negative, got %s\n", o.stateTTL)
		return 2
	}
	if o.maxKeys < 0 {
		fmt.Fprintf(stderr, "streamsql: --max-keys must not be negative, got %d\n", o.maxKeys)
		return 2
	}
	var maxMemory int64
	if o.maxMemory != "" {
		n, err := bytesize.Parse(o.maxMemory)
		if err != nil || n <= 0 {
			fmt.Fprintf(stderr, "streamsql: --max-memory must be a positive size (e.g. 2GB, 512MB), got %q\n", o.maxMemory)
			return 2
		}
		maxMemory = n
	}
	if o.cpuprofile != "" {
		f, err := os.Create(o.cpuprofile)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			fmt.Fprintf(stderr, "streamsql: --cpuprofile: %v\n", err)
			return 1
		}
		defer f.Close()
		defer pprof.StopCPUProfile()
	}
	if o.memprofile != "" {
		defer func() {
			f, err := os.Create(o.memprofile)
			if err == nil {
				err = pprof.Lookup("allocs").WriteTo(f, 0)
				f.Close()
			}
			if err != nil {
				fmt.Fprintf(stderr, "streamsql: --memprofile: %v\n", err)
			}
		}()
	}
	if o.maxQueries < 0 { // not given: bound what the network may start
		o.maxQueries = 0
		if o.http != "" || o.pg != "" {
			o.maxQueries = defaultHTTPMaxQueries
		}
	}
	// A bounded run printing rows line by line prints them as they are
	// computed (a table is printed whole, at the end).
	partial := o.once && (o.output == "jsonl" || o.output == "csv")
	eng := streamsql.New(streamsql.Config{BatchInterval: o.batch, Once: o.once, Partial: partial, Log: stderr, Stdout: stdout, MaxKeys: o.maxKeys, StateTTL: o.stateTTL, MaxQueries: o.maxQueries, AllowedDirs: o.allowDirs, MaxMemory: maxMemory})
	if o.checkpoint != "" && !o.once && o.cluster == "" {
		// Views that checkpointed there run again, with their tables.
		names, err := eng.RestoreViews(context.Background(), o.checkpoint, o.every)
		if err != nil {
			fmt.Fprintf(stderr, "streamsql: --checkpoint %s: restoring its materialized views: %v\n", o.checkpoint, err)
			return 1
		}
		if len(names) > 0 {
			fmt.Fprintf(stderr, "streamsql: materialized views restored from %s: %s\n", o.checkpoint, strings.Join(names, ", "))
		}
	}
	if o.pg != "" {
		stop, err := startPG(eng, o, stderr)
		if err != nil {
			fmt.Fprintf(stderr, "streamsql: %v\n", err)
			return 1
		}
		defer stop()
		if o.exec == "" && o.file == "" && o.http == "" {
			return serveUntilSignal(eng)
		}
	}
	if o.http != "" {
		token := o.httpToken
		if token == "" {
			token = os.Getenv("STREAMSQL_HTTP_TOKEN")
		}
		srv, stop, err := server.Start(o.http, eng, stderr, server.Options{Token: token})
		if err != nil {
			fmt.Fprintf(stderr, "streamsql: %v\n", err)
			return 1
		}
		defer stop()
		o.watch = srv.Watch
		if o.exec == "" && o.file == "" {
			return serveUntilSignal(eng)
		}
	}
	switch {
	case o.exec != "" && o.file != "":
		fmt.Fprintln(stderr, "streamsql: use -e or -f, not both")
		return 2
	case o.exec != "":
		return runScript(eng, o, "", o.exec, stdout, stderr)
	case o.file != "":
		text, err := os.ReadFile(o.file)
		if err != nil {
			fmt.Fprintf(stderr, "streamsql: %v\n", err)
			return 1
		}
		return runScript(eng, o, o.file, string(text), stdout, stderr)
	}
	if !isInteractive(stdin) {
		return runPiped(eng, o, stdin, stdout, stderr)
	}
	return repl(eng, o, stdin, stdout, stderr)
}

// serveUntilSignal waits for SIGINT or SIGTERM while the servers run,
// then stops gracefully: every query ends with its final result, and rows
// acknowledged to http() clients are processed.
func serveUntilSignal(eng *streamsql.Engine) int {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sig)
	<-sig
	eng.Stop()
	return 0
}

// printError shows an error; SQL errors get their line and a caret.
func printError(w io.Writer, err error) { printErrorIn(w, "", err) }

// printErrorIn shows an error of the input called name (a -f file,
// "<stdin>"; "" for none). A SQL error in a named input starts with its
// place, as a compiler's do (q.sql:6:10: ...), so editors can jump there;
// every other message starts with "streamsql: ", once.
func printErrorIn(w io.Writer, name string, err error) {
	var perr *parser.Error
	sql := errors.As(err, &perr)
	if sql && name != "" && error(perr) == err {
		fmt.Fprintf(w, "%s:%v\n", name, err)
	} else {
		fmt.Fprintf(w, "streamsql: %s\n", strings.TrimPrefix(err.Error(), "streamsql: "))
	}
	if sql {
		if s := perr.Snippet(); s != "" {
			fmt.Fprintln(w, s)
		}
	}
}

// runScript plans every statement, prints EXPLAINs, then runs the queries
// side by side until their input ends or a signal stops them. name is
// where text comes from, for the positions of errors ("" for -e).
// runScript runs the statements of text. When --output asks for JSON or
// CSV, stdout carries only results: the confirmations of CREATE/DROP
// STREAM go to stderr (in -e, -f and a script on stdin alike; a SET
// output typed in a session does not move them).
func runScript(eng *streamsql.Engine, o options, name, text string, stdout, stderr io.Writer) int {
	stmts, err := eng.Prepare(text)
	if err != nil {
		printErrorIn(stderr, name, err)
		return 1
	}
	if o.cluster != "" {
		return runCluster(o, stmts, stdout, stderr)
	}
	confirm := stdout
	if o.flagOutput != "table" {
		confirm = stderr // stdout is for the results' records
	}
	if !printStatements(stdout, confirm, stmts) {
		return 0
	}
	if o.checkpoint != "" {
		for _, st := range stmts {
			st.Checkpoint(o.checkpoint, o.every)
		}
	}
	return runQueries(eng, o, stmts, stdout, stderr, os.Interrupt, syscall.SIGTERM)
}

// runQueries starts the script's queries together and writes their results
// until their input ends or one of the signals stops them; it returns the
// exit code.
func runQueries(eng *streamsql.Engine, o options, stmts []*streamsql.Statement, stdout, stderr io.Writer, signals ...os.Signal) int {
	queries, err := eng.Start(context.Background(), stmts)
	if err != nil {
		printError(stderr, err)
		return 1
	}
	for _, st := range stmts {
		if q := st.Resumed(); q != nil {
			queries = append(queries, q) // a view restored from --checkpoint: the script's, as if started now
		}
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, signals...)
	defer signal.Stop(sig)
	done := make(chan struct{})
	defer close(done)
	go func() {
		select {
		case <-sig:
			for _, q := range queries {
				q.Stop()
			}
		case <-done:
		}
	}()

	var outMu sync.Mutex
	var wg sync.WaitGroup
	code := 0
	spec, _ := sinks.Lookup(o.output)
	for _, q := range queries {
		publish, done := func(*streamsql.Result) {}, func(error) {}
		if o.watch != nil {
			publish, done = o.watch(q) // --http: show it on the dashboard too
		}
		// ended reports how a query ended, once its results are written.
		ended := func(err error) {
			done(err)
			if err != nil {
				outMu.Lock()
				printError(stderr, fmt.Errorf("query %d: %w", q.ID, err))
				code = 1
				outMu.Unlock()
			}
			summary(stderr, &outMu, o, q)
		}
		if q.IsInsert() {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if o.watch != nil {
					for res := range q.Progress() {
						publish(res)
					}
				}
				ended(q.Wait())
			}()
			continue
		}
		opts := sinks.Options{Columns: q.Columns, Key: q.Key}
		if len(queries) > 1 {
			opts.Label = fmt.Sprintf("query %d", q.ID)
		}
		sink, err := spec.Open(&lockedWriter{w: stdout, mu: &outMu}, opts)
		if err != nil {
			printError(stderr, err)
			return 1
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			ended(drain(q, sink, publish))
		}()
	}
	wg.Wait()
	return code
}

// summary prints a bounded run's totals for a query on stderr.
func summary(w io.Writer, mu *sync.Mutex, o options, q *streamsql.Query) {
	if !o.once {
		return
	}
	s := q.Stats()
	mu.Lock()
	defer mu.Unlock()
	fmt.Fprintf(w, "streamsql: query %d: %d rows read, %d late rows dropped, %d malformed records skipped\n", q.ID, s.RowsIn, s.Late, s.Malformed)
}

// runCluster runs the script's one query as a member of a cluster query
// until a signal stops it; EXPLAIN prints the two stages.
func runCluster(o options, stmts []*streamsql.Statement, stdout, stderr io.Writer) int {
	var query *streamsql.Statement
	for _, st := range stmts {
		switch st.Kind {
		case streamsql.KindExplain:
			plan, err := st.ClusterPlan(o.cluster)
			if err != nil {
				printError(stderr, err)
				return 1
			}
			fmt.Fprint(stdout, plan)
		case streamsql.KindInsert, streamsql.KindQuery:
			if query != nil {
				fmt.Fprintln(stderr, "streamsql: --cluster runs one query; the script has more")
				return 2
			}
			query = st
		}
	}
	if query == nil {
		return 0
	}
	if o.once {
		fmt.Fprintln(stderr, "streamsql: --cluster runs until stopped; it does not go with --once")
		return 2
	}
	if o.checkpoint != "" {
		fmt.Fprintln(stderr, "streamsql: --cluster keeps its state in Kafka (the changelog topic); --checkpoint does not apply")
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := query.RunCluster(ctx, o.cluster, streamsql.ClusterConfig{}); err != nil {
		printError(stderr, err)
		return 1
	}
	return 0
}

// printStatements shows what the statements that do not run have to say
// (EXPLAIN plans, SHOW listings, DDL confirmations) and reports whether
// any statement is a query to run. Confirmations (`stream s created`) go
// to confirm, which is stderr when stdout carries a query's JSON or CSV.
func printStatements(w, confirm io.Writer, stmts []*streamsql.Statement) (queries bool) {
	for _, st := range stmts {
		switch st.Kind {
		case streamsql.KindQuery, streamsql.KindInsert:
			queries = true
		case streamsql.KindCreateView:
			queries = true
			fmt.Fprint(confirm, st.Output)
		case streamsql.KindExplain:
			fmt.Fprint(w, st.Plan())
		case streamsql.KindPull:
			res, err := st.Pull()
			if err != nil {
				fmt.Fprintf(confirm, "streamsql: %v\n", err)
				continue
			}
			spec, _ := sinks.Lookup("table")
			sink, _ := spec.Open(w, sinks.Options{Columns: res.Columns})
			sink.Write(context.Background(), res)
			sink.Close()
		case streamsql.KindSubscribe:
			fmt.Fprintf(confirm, "streamsql: SUBSCRIBE streams over the PostgreSQL wire (--pg); here a query without WINDOW shows the table as it changes\n")
		case streamsql.KindCreateStream, streamsql.KindDropStream, streamsql.KindDropView:
			fmt.Fprint(confirm, st.Output)
		default:
			fmt.Fprint(w, st.Output)
		}
	}
	return queries
}

// drain writes a query's results to its sink until the query ends,
// handing each to publish too when it is not nil.
func drain(q *streamsql.Query, sink sinks.Sink, publish func(*streamsql.Result)) error {
	var werr error
	for res := range q.Results() {
		if publish != nil {
			publish(res)
		}
		if werr == nil {
			if werr = sink.Write(context.Background(), res); werr != nil {
				q.Stop() // output is gone (closed pipe): stop reading input
			}
		}
		q.Ack(res, werr)
	}
	if err := sink.Close(); err != nil && werr == nil {
		werr = err
	}
	if err := q.Wait(); err != nil {
		return err
	}
	return werr
}

// lockedWriter lets several queries share stdout one whole write at a time.
type lockedWriter struct {
	w  io.Writer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
