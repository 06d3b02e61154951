package sources

import (
	"context"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/streamsql/streamsql/formats"
)

// Reconnection delays of socket(): the first retry waits socketBackoffMin,
// each failed attempt doubles the wait up to socketBackoffMax.
const (
	socketBackoffMin  = 100 * time.Millisecond
	socketBackoffMax  = 5 * time.Second
	socketDialTimeout = 10 * time.Second
)

func init() {
	Register(&Spec{
		Name:    "socket",
		Usage:   "socket('host:port' [, " + formats.Usage + "])",
		MaxArgs: 1,
		Options: formats.Options,
		Open:    openSocket,
	})
}

// socketSource connects to a TCP server as a client and reads text records
// from it, like Spark's socketTextStream (fed by `nc -lk 9999`).
//
// Live, it never ends by itself: when the connection cannot be made or the
// peer goes away it connects again, waiting 100ms after the first failure
// and twice as long after each further one, up to 5s; a connection that
// delivered data starts the schedule over. Each attempt is reported
// through Logf. Each connection is a stream of its own: a csv header is
// expected at the start of every connection.
//
// Delivery is at-most-once: what the server sends while no connection is
// up is lost, and so is a line cut by a disconnect: the complete lines
// before it are delivered, the partial last line (no newline before the
// connection ended) is dropped and reported as malformed.
//
// Bounded (Once), it reads one connection until the peer closes it and
// ends; there a last line without newline is an ordinary last line, as in
// a file, and a connection that cannot be made is an error.
//
// Without a declared schema a jsonl or csv socket is Open: nothing can be
// sampled before the query starts.
type socketSource struct {
	addr string
	once bool
	dec  formats.Decoder
	// The reconnection schedule; tests shorten it.
	backoffMin, backoffMax time.Duration
}

func openSocket(args Args) (Source, error) {
	addr, err := args.Text("socket", 0, "'host:port'")
	if err != nil {
		return nil, err
	}
	if _, port, err := net.SplitHostPort(addr); err != nil || port == "" {
		return nil, fmt.Errorf("socket(): address %s is not host:port", formats.Quote(addr))
	}
	dec, err := OpenDecoder(args)
	if err != nil {
		return nil, fmt.Errorf("socket(): %w", err)
	}
	return &socketSource{addr: addr, once: args.Once, dec: dec,
		backoffMin: socketBackoffMin, backoffMax: socketBackoffMax}, nil
}

func (s *socketSource) Schema() Schema              { return s.dec.Schema() }
func (s *socketSource) Bind(columns []string) error { return s.dec.Bind(columns) }
func (s *socketSource) Bounded() bool               { return s.once }

func (s *socketSource) Describe() string {
	d := fmt.Sprintf("%s format=%s", s.Label(), s.dec.Name())
	if s.once {
		d += " bounded"
	}
	return d
}

// label names the source in messages: socket('host:port').
func (s *socketSource) Label() string { return "socket(" + formats.Quote(s.addr) + ")" }

func (s *socketSource) Run(ctx context.Context, out Emitter) error {
	out, done := WithRejects(out, s.dec, s.Label())
	defer done()
	dialer := net.Dialer{Timeout: socketDialTimeout}
	delay := s.backoffMin
	// wait sleeps before the next attempt; false when ctx ends first.
	wait := func() bool {
		t := time.NewTimer(delay)
		defer t.Stop()
		delay = min(2*delay, s.backoffMax)
		select {
		case <-t.C:
			return true
		case <-ctx.Done():
			return false
		}
	}
	for {
		conn, err := dialer.DialContext(ctx, "tcp", s.addr)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			if s.once {
				return fmt.Errorf("%s: %w", s.Label(), err)
			}
			out.Logf("%s: cannot connect: %v; retrying in %s", s.Label(), err, delay)
			if !wait() {
				return nil
			}
			continue
		}
		out.Logf("%s: connected to %s", s.Label(), conn.RemoteAddr())
		got, err := s.readConn(ctx, conn, out)
		conn.Close()
		if err == errStopped || ctx.Err() != nil {
			return nil
		}
		if s.once {
			if err != io.EOF {
				return fmt.Errorf("%s: %w", s.Label(), err)
			}
			return nil
		}
		if got {
			delay = s.backoffMin
		}
		reason := "closed by the server"
		if err != io.EOF {
			reason = err.Error()
		}
		out.Logf("%s: connection lost: %s; reconnecting in %s", s.Label(), reason, delay)
		if !wait() {
			return nil
		}
	}
}

// readConn reads records from conn until it ends. got reports whether any
// byte arrived. err is io.EOF when the peer closed the connection,
// errStopped when the query is stopping, else the read error.
func (s *socketSource) readConn(ctx context.Context, conn net.Conn, out Emitter) (got bool, err error) {
	// A read blocked on an idle connection gives way to ctx.
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()

	gate := &lineGate{r: conn, max: formats.MaxRecord(s.dec)}
	rr := formats.NewRecordReader(s.dec, gate)
	if ss, ok := s.dec.(formats.StreamStarter); ok {
		ss.StartStream()
	}
	c := newChunker(len(s.dec.Schema().Columns), out.Emit)
	name := s.Label()
	for {
		// Rows are handed over whenever the next read would wait for the
		// network, so a slow stream is not held back until a chunk fills.
		if rr.Buffered() == 0 && gate.idle() {
			if c.flush() != nil {
				return gate.n > 0, errStopped
			}
		}
		rec, line, rerr := rr.Next()
		if formats.IsTooLong(rerr) {
			Reject(out, fmt.Sprintf("%s:%d", name, line), rerr.Error(), rec)
			continue
		}
		if rerr != nil {
			if ctx.Err() != nil {
				return gate.n > 0, errStopped
			}
			if partial := gate.takePartial(); len(partial) > 0 {
				if s.once && rerr == io.EOF {
					decodeLast(out, s.dec, c, name, rr.Lines()+1, partial)
				} else {
					Reject(out, fmt.Sprintf("%s:%d", name, rr.Lines()+1),
						fmt.Sprintf("connection lost in the middle of a line; its %d byte(s) were dropped", len(partial)), partial)
				}
			}
			if c.flush() != nil {
				return gate.n > 0, errStopped
			}
			return gate.n > 0, rerr
		}
		if err := c.decode(s.dec, rec); err != nil {
			reportDecode(out, s.dec, name, line, err, rec)
			continue
		}
		if c.full() {
			if c.flush() != nil {
				return gate.n > 0, errStopped
			}
		}
	}
}
