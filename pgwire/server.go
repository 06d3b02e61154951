// Package pgwire serves a streamsql engine over the PostgreSQL wire
// protocol (v3), so psql, drivers (pgx, psycopg, JDBC) and tools such as
// Grafana read its results: pull queries over materialized views answer
// at once, SUBSCRIBE and continuous SELECTs stream rows until the client
// cancels, and every statement the CLI runs works (CREATE STREAM,
// CREATE MATERIALIZED VIEW, INSERT INTO in the background, EXPLAIN,
// SHOW, STOP QUERY).
//
// It sits beside server (HTTP) above the engine: the command wires it to
// --pg, an embedder calls Serve with a listener of its own. Clients
// authenticate with SCRAM-SHA-256 against Config.Users; Config.Trust
// (no password) is for a loopback listener only, and the command allows
// it only when asked. A client gets a clear refusal for what it cannot
// do (garbage, half messages, a wrong password, too many connections, a
// subscription it stopped reading) and the engine keeps running.
package pgwire

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/xdg-go/scram"

	"github.com/streamsql/streamsql"
)

// Config configures Serve.
type Config struct {
	// Users are the user names and their passwords, checked with
	// SCRAM-SHA-256 (the passwords never cross the wire).
	Users map[string]string
	// Trust lets any client in without a password. Only for a listener
	// on the loopback interface.
	Trust bool
	// TLS, when set, is offered to clients that ask (sslmode=require).
	TLS *tls.Config
	// MaxConns bounds the connections served at once; beyond it a client
	// is refused with SQLSTATE 53300. Default 2000.
	MaxConns int
	// Logf receives one line per refused or dropped client.
	Logf func(format string, args ...any)
	// WriteTimeout bounds each write to a client: one that does not take
	// its rows (a subscription it stopped reading) is dropped. Default 10s.
	WriteTimeout time.Duration
	// AuthTimeout bounds the startup and authentication. Default 10s.
	AuthTimeout time.Duration
	// Version is reported by version(); "" for "streamsql".
	Version string
	// Checkpoint, when set, is the directory the materialized views
	// created by clients checkpoint in, every CheckpointEvery batches:
	// Engine.RestoreViews starts them again after a restart.
	Checkpoint      string
	CheckpointEvery int
}

// Server serves one engine.
type Server struct {
	eng   *streamsql.Engine
	cfg   Config
	creds map[string]scram.StoredCredentials

	mu    sync.Mutex
	conns map[uint32]*conn // by process ID, for CancelRequest
	n     int
}

// New returns a server for eng; Serve runs it on a listener.
func New(eng *streamsql.Engine, cfg Config) (*Server, error) {
	if cfg.MaxConns <= 0 {
		cfg.MaxConns = 2000
	}
	if cfg.WriteTimeout <= 0 {
		cfg.WriteTimeout = 10 * time.Second
	}
	if cfg.AuthTimeout <= 0 {
		cfg.AuthTimeout = 10 * time.Second
	}
	if cfg.Logf == nil {
		cfg.Logf = func(string, ...any) {}
	}
	if len(cfg.Users) == 0 && !cfg.Trust {
		return nil, errors.New("pgwire: no users: give Config.Users (or Trust, for a loopback listener)")
	}
	s := &Server{eng: eng, cfg: cfg, creds: map[string]scram.StoredCredentials{}, conns: map[uint32]*conn{}}
	for user, pass := range cfg.Users {
		c, err := scram.SHA256.NewClient(user, pass, "")
		if err != nil {
			return nil, fmt.Errorf("pgwire: user %q: %w", user, err)
		}
		salt := make([]byte, 16)
		rand.Read(salt)
		s.creds[user] = c.GetStoredCredentials(scram.KeyFactors{Salt: string(salt), Iters: 4096})
	}
	return s, nil
}

// Serve accepts clients on ln until ctx is done or ln fails.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	stop := context.AfterFunc(ctx, func() { ln.Close() })
	defer stop()
	var wg sync.WaitGroup
	defer wg.Wait()
	defer s.closeConns() // before the wait: a streaming client never ends by itself
	for {
		nc, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				time.Sleep(10 * time.Millisecond)
				continue
			}
			return err
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.serveConn(ctx, nc)
		}()
	}
}

// Serve serves eng on ln with cfg until ctx is done: the embedder's one
// call.
func Serve(ctx context.Context, eng *streamsql.Engine, ln net.Listener, cfg Config) error {
	s, err := New(eng, cfg)
	if err != nil {
		return err
	}
	return s.Serve(ctx, ln)
}

// register gives c a process ID and secret key for CancelRequest; false
// when MaxConns are served already.
func (s *Server) register(c *conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.n >= s.cfg.MaxConns {
		return false
	}
	s.n++
	var b [8]byte
	for {
		rand.Read(b[:])
		c.pid, c.secret = binary.BigEndian.Uint32(b[:4])&0x7fffffff, append([]byte(nil), b[4:]...)
		if _, taken := s.conns[c.pid]; !taken && c.pid != 0 {
			break
		}
	}
	s.conns[c.pid] = c
	return true
}

func (s *Server) unregister(c *conn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conns[c.pid] == c {
		delete(s.conns, c.pid)
		s.n--
	}
}

// cancel cancels what the connection pid runs, when secret is its key.
func (s *Server) cancel(pid uint32, secret []byte) {
	s.mu.Lock()
	c := s.conns[pid]
	s.mu.Unlock()
	if c == nil || subtle.ConstantTimeCompare(c.secret, secret) != 1 {
		return // as PostgreSQL: no answer either way
	}
	c.cancelRunning()
}

// closeConns drops every client, for a server shutting down.
func (s *Server) closeConns() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.conns {
		c.nc.Close()
	}
}
