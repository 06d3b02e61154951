package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/streamsql/streamsql"
)

// Start listens on addr and serves a Server for eng in the background,
// for the command's --http flag. An address without a host (":8080")
// listens on the loopback interface only: give 0.0.0.0:8080 to be
// reachable from other machines. It writes the URL to log. The returned
// stop function stops the server's queries and shuts the listener down;
// srv.Watch shows queries the caller runs itself.
func Start(addr string, eng *streamsql.Engine, log io.Writer) (srv *Server, stop func(), err error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, nil, fmt.Errorf("--http %q: want host:port, e.g. 127.0.0.1:8080", addr)
	}
	if host == "" {
		host = "127.0.0.1"
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(host, port))
	if err != nil {
		return nil, nil, err
	}
	srv = New(eng)
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(log, "streamsql: dashboard and API on http://%s/\n", ln.Addr())
	go func() {
		if err := hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
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
