package sources

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/streamsql/streamsql/formats"

	"github.com/streamsql/streamsql/types"
)

const (
	httpDefaultPath     = "/ingest"
	httpDefaultMaxBody  = 10 << 20
	httpDefaultQueue    = 65536 // rows
	httpQueueWait       = 500 * time.Millisecond
	httpShutdownTimeout = 5 * time.Second
	httpMaxErrors       = 20 // errors listed in a 400 response
	// httpKeepRejected is how many malformed records of one body are
	// kept for the dead letter and the log; the rest are counted.
	httpKeepRejected = 100
)

func init() {
	Register(&Spec{
		Name:    "http",
		Usage:   "http(addr [, path => '/ingest', max_body => '10MB', queue => 65536, " + formats.Usage + "])",
		MaxArgs: 1,
		Options: append([]string{"path", "max_body", "queue"}, formats.Options...),
		Open:    openHTTP,
	})
}

// httpSource is an HTTP server that takes records POSTed to one path:
// each request body is a stream of records in the source's format (JSON
// lines, csv with its header record unless header => false, or text
// lines). It listens on addr once the query runs ('127.0.0.1:0' for any
// free port; ':8080', with no host, on 127.0.0.1 like --http; '0.0.0.0:8080'
// on every interface), and says where through Logf
// ("http(':8080'): listening on 127.0.0.1:8080").
//
// Answers, each with a small JSON body:
//
//   - 202 Accepted {"accepted": N}: every record decoded and the N rows
//     were queued for the query.
//   - 400 Bad Request {"accepted": N, "rejected": M, "errors": ["line 3:
//     ...", ...]}: M records were malformed (at most 20 are listed); the N
//     well-formed ones of the same body were still queued, so a client
//     should resend only the rejected lines. Malformed records are also
//     counted by the query. A body that cannot be read at all accepts
//     nothing.
//   - 413 Request Entity Too Large: the body is over max_body (default
//     10MB; sizes take B, KB, MB, GB, all powers of 1024). Nothing of it
//     is accepted.
//   - 503 Service Unavailable, with Retry-After: the query is falling
//     behind. Rows go through a queue of up to `queue` rows (default
//     65536) in front of the query; a body whose rows do not fit waits up
//     to half a second for room, then is refused whole. A body larger than
//     the queue is taken when the queue is empty. Also the answer while
//     the query is stopping.
//   - 405 Method Not Allowed for anything but POST on the path, 404 Not
//     Found for any other path.
//
// A body is accepted whole or not at all (apart from its malformed
// records), so a client can retry on 503 or 413 without duplicating rows.
// A graceful stop loses nothing acknowledged: the server stops accepting
// connections, lets requests in flight finish (for up to 5s; those still
// waiting for room get 503), and hands every queued row to the query
// before it ends. Delivery is at-most-once only across a crash: rows
// queued but not yet taken by the query die with the process.
//
// Without a declared schema a jsonl or csv source is Open: nothing can be
// sampled before the query starts.
type httpSource struct {
	addr    string // as the query gives it
	listen  string // what it listens on: addr, with 127.0.0.1 for no host
	path    string
	maxBody int64
	queue   int
	args    Args
	dec     formats.Decoder // template: Schema and Bind; requests decode with copies
	// wait is how long a request waits for room in a full queue.
	wait time.Duration
}

func openHTTP(args Args) (Source, error) {
	addr, err := args.Text("http", 0, "addr")
	if err != nil {
		return nil, err
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("http(): address %s is not host:port (':8080' listens on 127.0.0.1, '0.0.0.0:8080' on every interface)", formats.Quote(addr))
	}
	if args.Once {
		return nil, fmt.Errorf("http() has no end of input, so it cannot run with --once")
	}
	// Like --http, a port alone listens on loopback only: every interface
	// has to be asked for by name.
	listen := addr
	if host == "" {
		listen = net.JoinHostPort("127.0.0.1", port)
	}
	s := &httpSource{addr: addr, listen: listen, path: httpDefaultPath, maxBody: httpDefaultMaxBody, queue: httpDefaultQueue, args: args, wait: httpQueueWait}
	if _, ok := args.Named["path"]; ok {
		s.path = args.Option("path", "")
		if !strings.HasPrefix(s.path, "/") {
			return nil, fmt.Errorf("http(): path must start with /, got %s", formats.Quote(s.path))
		}
	}
	if _, ok := args.Named["max_body"]; ok {
		n, err := formats.ParseSize(args.Option("max_body", ""))
		if err != nil {
			return nil, fmt.Errorf("http(): max_body: %w", err)
		}
		s.maxBody = n
	}
	if _, ok := args.Named["queue"]; ok {
		v := args.Option("queue", "")
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("http(): queue must be a number of rows >= 1, got %s", formats.Quote(v))
		}
		s.queue = n
	}
	if s.dec, err = OpenDecoder(args); err != nil {
		return nil, fmt.Errorf("http(): %w", err)
	}
	return s, nil
}

func (s *httpSource) Schema() Schema              { return s.dec.Schema() }
func (s *httpSource) Bind(columns []string) error { return s.dec.Bind(columns) }
func (s *httpSource) Bounded() bool               { return false }

func (s *httpSource) Describe() string {
	return fmt.Sprintf("%s path=%s format=%s", s.Label(), s.path, s.dec.Name())
}

func (s *httpSource) Label() string { return "http(" + formats.Quote(s.addr) + ")" }

// newDecoder returns a decoder like the template, bound to the same
// columns, for one request at a time.
func (s *httpSource) newDecoder() (formats.Decoder, error) {
	dec, err := OpenDecoder(s.args)
	if err != nil {
		return nil, err
	}
	if err := dec.Bind(s.dec.Schema().Columns.Names()); err != nil {
		return nil, err
	}
	return dec, nil
}

func (s *httpSource) Run(ctx context.Context, out Emitter) error {
	ln, err := net.Listen("tcp", s.listen)
	if err != nil {
		return fmt.Errorf("%s: %w", s.Label(), err)
	}
	out, done := WithRejects(out, s.dec, s.Label())
	defer done()
	q := newIngestQueue(s.queue)
	h := &ingestHandler{s: s, q: q, out: out, ncols: len(s.dec.Schema().Columns)}
	h.decoders.New = func() any {
		dec, err := s.newDecoder()
		if err != nil {
			return err
		}
		return dec
	}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          log.New(io.Discard, "", 0),
	}
	out.Logf("%s: listening on %s", s.Label(), ln.Addr())

	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	pumpCtx, stopPump := context.WithCancel(ctx)
	defer stopPump()
	pumped := make(chan struct{})
	go func() {
		defer close(pumped)
		q.pump(pumpCtx, out)
	}()

	var result error
	select {
	case <-ctx.Done():
	case <-pumped: // the query is stopping
	case err := <-served:
		if !errors.Is(err, http.ErrServerClosed) {
			result = fmt.Errorf("%s: %w", s.Label(), err)
		}
	}
	q.close() // requests waiting for room answer 503
	shutdown, cancel := context.WithTimeout(context.Background(), httpShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		srv.Close()
	}
	stopPump()
	<-pumped
	// Every row still queued was acknowledged with 202: hand it over
	// before returning (the job takes rows until its sources return).
	if lost := q.flush(out); lost > 0 {
		out.Logf("%s: %d acknowledged rows could not be handed to the query, which had already ended", s.Label(), lost)
	}
	return result
}

// ingestHandler answers the requests of one running httpSource.
type ingestHandler struct {
	s        *httpSource
	q        *ingestQueue
	out      Emitter
	ncols    int
	decoders sync.Pool // formats.Decoder (or the error making one)
}

// ingestReply is the JSON body of every answer.
type ingestReply struct {
	Accepted *int     `json:"accepted,omitempty"`
	Rejected int      `json:"rejected,omitempty"`
	Errors   []string `json:"errors,omitempty"`
	Error    string   `json:"error,omitempty"`
}

func httpReply(w http.ResponseWriter, code int, r ingestReply) {
	b, _ := json.Marshal(r)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)+1))
	w.WriteHeader(code)
	w.Write(append(b, '\n'))
}

func httpError(w http.ResponseWriter, code int, format string, args ...any) {
	httpReply(w, code, ingestReply{Error: fmt.Sprintf(format, args...)})
}

func (h *ingestHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s := h.s
	if r.URL.Path != s.path {
		httpError(w, http.StatusNotFound, "no such path %s: POST records to %s", r.URL.Path, s.path)
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		httpError(w, http.StatusMethodNotAllowed, "method %s not allowed: POST records to %s", r.Method, s.path)
		return
	}
	if r.ContentLength > s.maxBody {
		httpError(w, http.StatusRequestEntityTooLarge, "body of %d bytes is over max_body (%d bytes)", r.ContentLength, s.maxBody)
		return
	}
	body := http.MaxBytesReader(w, r.Body, s.maxBody)

	got := h.decoders.Get()
	dec, ok := got.(formats.Decoder)
	if !ok {
		httpError(w, http.StatusInternalServerError, "%v", got)
		return
	}
	defer h.decoders.Put(dec)
	if ss, ok := dec.(formats.StreamStarter); ok {
		ss.StartStream()
	}
	var chunks [][]types.Row
	c := newChunker(h.ncols, func(rows []types.Row) error {
		chunks = append(chunks, rows)
		return nil
	})
	type bad struct {
		line int
		err  error
		rec  []byte // at most formats.KeepBytes bytes
	}
	// Only the first httpKeepRejected malformed records of a body are
	// kept (for the dead letter, the log and the answer); the others are
	// counted. A 10 MB body of bad lines costs about its own size, not
	// a hundred times it.
	var (
		malformed []bad
		rejected  int
		warnings  []string
	)
	bad1 := func(b bad) {
		if rejected++; len(malformed) < httpKeepRejected {
			malformed = append(malformed, b)
		}
	}
	rr := formats.NewRecordReader(dec, body)
	for {
		rec, line, err := rr.Next()
		if err == io.EOF {
			break
		}
		if formats.IsTooLong(err) {
			bad1(bad{line, err, bytes.Clone(rec)})
			continue
		}
		if err != nil {
			if mbe := (*http.MaxBytesError)(nil); errors.As(err, &mbe) {
				httpError(w, http.StatusRequestEntityTooLarge, "body is over max_body (%d bytes)", s.maxBody)
				return
			}
			httpError(w, http.StatusBadRequest, "reading the body: %v", err)
			return
		}
		if err := c.decode(dec, rec); err != nil {
			if err != formats.ErrSkip {
				bad1(bad{line, err, bytes.Clone(formats.Keep(rec))})
			} else if wr, ok := dec.(formats.Warner); ok {
				if msg := wr.Warning(); msg != "" && len(warnings) < httpKeepRejected {
					warnings = append(warnings, msg)
				}
			}
			continue
		}
		if c.full() {
			c.flush()
		}
	}
	c.flush()
	n := 0
	for _, ch := range chunks {
		n += len(ch)
	}
	if n > 0 {
		if err := h.q.put(r.Context(), chunks, n, s.wait); err != nil {
			w.Header().Set("Retry-After", "1")
			httpError(w, http.StatusServiceUnavailable, "%v: nothing of this body was accepted; retry later", err)
			return
		}
	}
	// Reported once the body's fate is known: a refused body will come
	// again.
	name := fmt.Sprintf("%s POST from %s", s.Label(), r.RemoteAddr)
	for _, msg := range warnings {
		h.out.Logf("warning: %s: %s", name, msg)
	}
	if rejected == 0 {
		httpReply(w, http.StatusAccepted, ingestReply{Accepted: &n})
		return
	}
	res := ingestReply{Accepted: &n, Rejected: rejected}
	for i, m := range malformed {
		Reject(h.out, fmt.Sprintf("%s:%d", name, m.line), m.err.Error(), m.rec)
		if i < httpMaxErrors {
			res.Errors = append(res.Errors, fmt.Sprintf("line %d: %v", m.line, m.err))
		}
	}
	if more := rejected - len(malformed); more > 0 {
		last := malformed[len(malformed)-1].line
		countRejected(h.out, more, fmt.Sprintf("%s: %d more malformed records after line %d (counted, not kept)", name, more, last))
	}
	httpReply(w, http.StatusBadRequest, res)
}

// ingestQueue holds the chunks of accepted bodies until one goroutine
// hands them to Emit, which may block: requests then find the queue full
// and are answered 503 instead of waiting for the query.
type ingestQueue struct {
	mu     sync.Mutex
	chunks [][]types.Row
	rows   int // queued rows, including those Emit is busy with
	limit  int
	closed bool
	work   chan struct{} // has a token when chunks may be waiting
	room   chan struct{} // closed (and replaced) when rows drop
}

var (
	errQueueFull    = errors.New("the query is falling behind")
	errQueueStopped = errors.New("the query is stopping")
)

func newIngestQueue(limit int) *ingestQueue {
	return &ingestQueue{limit: limit, work: make(chan struct{}, 1), room: make(chan struct{})}
}

// put queues all of chunks (n rows) or none: it waits up to wait for room,
// then gives up with errQueueFull. A queue with nothing in it takes any
// amount.
func (q *ingestQueue) put(ctx context.Context, chunks [][]types.Row, n int, wait time.Duration) error {
	var timeout <-chan time.Time
	for {
		q.mu.Lock()
		if q.closed {
			q.mu.Unlock()
			return errQueueStopped
		}
		if q.rows == 0 || q.rows+n <= q.limit {
			q.chunks = append(q.chunks, chunks...)
			q.rows += n
			q.mu.Unlock()
			select {
			case q.work <- struct{}{}:
			default:
			}
			return nil
		}
		room := q.room
		q.mu.Unlock()
		if timeout == nil {
			t := time.NewTimer(wait)
			defer t.Stop()
			timeout = t.C
		}
		select {
		case <-room:
		case <-timeout:
			return errQueueFull
		case <-ctx.Done():
			return errQueueStopped
		}
	}
}

// pump hands the queued chunks to out.Emit in order until ctx is done or
// Emit fails (the query is stopping).
func (q *ingestQueue) pump(ctx context.Context, out Emitter) {
	for {
		select {
		case <-q.work:
		case <-ctx.Done():
			return
		}
		for {
			q.mu.Lock()
			if len(q.chunks) == 0 {
				q.chunks = q.chunks[:0]
				q.mu.Unlock()
				break
			}
			chunk := q.chunks[0]
			q.chunks[0] = nil
			q.chunks = q.chunks[1:]
			q.mu.Unlock()
			err := out.Emit(chunk)
			q.mu.Lock()
			q.rows -= len(chunk)
			close(q.room)
			q.room = make(chan struct{})
			q.mu.Unlock()
			if err != nil || ctx.Err() != nil {
				return
			}
		}
	}
}

// flush hands every chunk still queued to out.Emit, once the pump has
// stopped, and returns the number of rows Emit refused.
func (q *ingestQueue) flush(out Emitter) (lost int) {
	q.mu.Lock()
	chunks := q.chunks
	q.chunks = nil
	q.mu.Unlock()
	for _, chunk := range chunks {
		if lost > 0 || out.Emit(chunk) != nil {
			lost += len(chunk)
		}
	}
	return lost
}

// close refuses further puts and wakes those waiting.
func (q *ingestQueue) close() {
	q.mu.Lock()
	defer q.mu.Unlock()
	if !q.closed {
		q.closed = true
		close(q.room)
		q.room = make(chan struct{})
	}
}
