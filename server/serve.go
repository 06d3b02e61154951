package server

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/streamsql/streamsql"
)

// Options are the command's choices for Start.
type Options struct {
	// Token is required on API requests (see guard.go). "" makes a random
	// one, printed in the dashboard URL; a server reachable from other
	// machines refuses to start without one given.
	Token string
	// MaxConns bounds the connections served at once; default 512.
	MaxConns int
}

// maxConns is Options.MaxConns by default.
const maxConns = 512

// Start listens on addr and serves a Server for eng in the background,
// for the command's --http flag. An address without a host (":8080")
// listens on the loopback interface only: give 0.0.0.0:8080 to be
// reachable from other machines (with a token). It writes the URL to log.
// The returned stop function stops the server's queries and shuts the
// listener down; srv.Watch shows queries the caller runs itself.
func Start(addr string, eng *streamsql.Engine, log io.Writer, opts Options) (srv *Server, stop func(), err error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, nil, fmt.Errorf("--http %q: want host:port, e.g. 127.0.0.1:8080", addr)
	}
	if host == "" {
		host = "127.0.0.1"
	}
	if opts.Token == "" && !IsLoopback(host) {
		return nil, nil, fmt.Errorf("--http %s listens beyond this machine: give a token with --http-token or STREAMSQL_HTTP_TOKEN (anyone who can connect could run SQL that reads and writes files here)", addr)
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(host, port))
	if err != nil {
		return nil, nil, err
	}
	srv = New(eng)
	srv.Hosts = HostsFor(host)
	made := opts.Token == ""
	if srv.Token = opts.Token; made {
		srv.Token = NewToken()
	}
	if opts.MaxConns <= 0 {
		opts.MaxConns = maxConns
	}
	hs := &http.Server{
		Handler: srv,
		// Slow or idle clients let go of their connection; no write
		// timeout, which would cut the event streams (they have their
		// own, per write: Server.WriteTimeout).
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		IdleTimeout:       time.Minute,
		MaxHeaderBytes:    64 << 10,
	}
	if made {
		fmt.Fprintf(log, "streamsql: dashboard and API on http://%s/?token=%s\n", ln.Addr(), srv.Token)
	} else {
		fmt.Fprintf(log, "streamsql: dashboard and API on http://%s/ (token from --http-token or STREAMSQL_HTTP_TOKEN)\n", ln.Addr())
	}
	go func() {
		if err := hs.Serve(newCapListener(ln, opts.MaxConns)); err != nil && !errors.Is(err, http.ErrServerClosed) {
			fmt.Fprintf(log, "streamsql: http: %v\n", err)
		}
	}()
	return srv, func() {
		srv.Close() // ends the queries, so the event streams end too
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		hs.Shutdown(ctx)
	}, nil
}

// capListener serves at most max connections at once. One more is
// answered 503 and closed at once, so a flood of connections can neither
// use up the process's file descriptors nor wait in the kernel's queue
// for a turn; the engine goes on whatever the API suffers. (An accept
// that fails for want of descriptors is retried by http.Server, with a
// backoff.)
type capListener struct {
	net.Listener
	slots chan struct{}
	// refusing bounds the connections being answered 503 at once; more
	// are closed without an answer.
	refusing chan struct{}
}

func newCapListener(ln net.Listener, max int) *capListener {
	return &capListener{Listener: ln, slots: make(chan struct{}, max), refusing: make(chan struct{}, 64)}
}

var busy = func() []byte {
	body := `{"error":"too many connections; retry later"}` + "\n"
	return fmt.Appendf(nil, "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"+
		"Retry-After: 1\r\nConnection: close\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
}()

func (l *capListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		select {
		case l.slots <- struct{}{}:
			return &slotConn{Conn: c, free: l.slots}, nil
		default:
		}
		select {
		case l.refusing <- struct{}{}:
			go func() {
				defer func() { <-l.refusing }()
				refuse(c)
			}()
		default:
			c.Close()
		}
	}
}

// refuse answers 503 to the request c sends, read first (an answer before
// the request confuses clients), and closes c. A client sends its request
// as soon as it connects: one that has not within 200ms is closed
// unanswered, so idle connections of a flood hold a refuser only briefly.
func refuse(c net.Conn) {
	defer c.Close()
	c.SetDeadline(time.Now().Add(200 * time.Millisecond))
	buf := make([]byte, 4096)
	var got []byte
	for len(got) < 64<<10 && !bytes.Contains(got, []byte("\r\n\r\n")) {
		n, err := c.Read(buf)
		got = append(got, buf[:n]...)
		if err != nil {
			return
		}
	}
	c.Write(busy)
}

// slotConn gives its slot back when closed.
type slotConn struct {
	net.Conn
	free chan struct{}
	once sync.Once
}

func (c *slotConn) Close() error {
	c.once.Do(func() { <-c.free })
	return c.Conn.Close()
}
