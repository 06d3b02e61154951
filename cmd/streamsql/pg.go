package main

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"os"
	"sort"
	"strings"

	"github.com/streamsql/streamsql"
	"github.com/streamsql/streamsql/pgwire"
	"github.com/streamsql/streamsql/server"
)

// startPG serves --pg in the background; stop closes the listener.
// Without --pg-user the user is streamsql, its password
// STREAMSQL_PG_PASSWORD or a random one printed here (as --http prints
// its token); --pg-trust drops passwords, on a loopback address only.
func startPG(eng *streamsql.Engine, o options, log io.Writer) (stop func(), err error) {
	host, port, err := net.SplitHostPort(o.pg)
	if err != nil {
		return nil, fmt.Errorf("--pg %q: want host:port, e.g. 127.0.0.1:5433", o.pg)
	}
	if host == "" {
		host = "127.0.0.1"
	}
	if o.pgTrust && !server.IsLoopback(host) {
		return nil, fmt.Errorf("--pg-trust lets clients in without a password: only on a loopback address, not %s", host)
	}
	cfg := pgwire.Config{Users: o.pgUsers, Trust: o.pgTrust, Version: version(), Checkpoint: o.checkpoint, CheckpointEvery: o.every,
		Logf: func(format string, args ...any) { fmt.Fprintf(log, "streamsql: "+format+"\n", args...) }}
	made := ""
	if len(cfg.Users) == 0 && !cfg.Trust {
		pass := os.Getenv("STREAMSQL_PG_PASSWORD")
		if pass == "" {
			b := make([]byte, 12)
			rand.Read(b)
			pass, made = hex.EncodeToString(b), hex.EncodeToString(b)
		}
		cfg.Users = map[string]string{"streamsql": pass}
	}
	if o.pgCert != "" || o.pgKey != "" {
		cert, err := tls.LoadX509KeyPair(o.pgCert, o.pgKey)
		if err != nil {
			return nil, fmt.Errorf("--pg-tls-cert/--pg-tls-key: %w", err)
		}
		cfg.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	srv, err := pgwire.New(eng, cfg)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(host, port))
	if err != nil {
		return nil, err
	}
	var users []string
	for u := range cfg.Users {
		users = append(users, u)
	}
	sort.Strings(users)
	addr := ln.Addr().String()
	switch {
	case made != "":
		fmt.Fprintf(log, "streamsql: PostgreSQL wire on %s: psql postgres://streamsql:%s@%s/streamsql\n", addr, made, addr)
	case cfg.Trust:
		fmt.Fprintf(log, "streamsql: PostgreSQL wire on %s (no passwords: --pg-trust): psql postgres://%s/streamsql\n", addr, addr)
	default:
		fmt.Fprintf(log, "streamsql: PostgreSQL wire on %s for %s: psql postgres://%s@%s/streamsql\n", addr, strings.Join(users, ", "), users[0], addr)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := srv.Serve(ctx, ln); err != nil {
			fmt.Fprintf(log, "streamsql: --pg: %v\n", err)
		}
	}()
	return func() {
		cancel()
		<-done
	}, nil
}
