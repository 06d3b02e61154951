package pgwire

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgproto3"
	"github.com/xdg-go/scram"
)

// maxMessage bounds a client's message: a query text or a Bind's
// parameters (the parser refuses long statements anyway).
const maxMessage = 4 << 20

// conn is one client connection.
type conn struct {
	srv    *Server
	nc     net.Conn
	be     *pgproto3.Backend
	pid    uint32
	secret []byte
	user   string
	params map[string]string // SET and startup parameters

	stmts   map[string]*prepared
	portals map[string]*portal
	cursors map[string]*cursor

	inTx, failed bool // BEGIN seen; an error since (until ROLLBACK)
	skipping     bool // an extended-protocol error: skip until Sync

	mu     sync.Mutex
	cancel context.CancelFunc // of the statement running, nil when none
	// busy is set while a message is being handled; a CancelRequest that
	// comes then, before the statement has started to wait, is pending
	// and cancels it as soon as it does (as PostgreSQL checks for a
	// cancel at its next chance, not only while waiting).
	busy, pending bool
}

func (s *Server) serveConn(ctx context.Context, nc net.Conn) {
	c := &conn{srv: s, nc: nc, params: map[string]string{}, stmts: map[string]*prepared{}, portals: map[string]*portal{}, cursors: map[string]*cursor{}}
	defer nc.Close()
	c.be = pgproto3.NewBackend(nc, nc)
	c.be.SetMaxBodyLen(maxMessage)
	if !s.register(c) {
		s.cfg.Logf("pgwire: %s refused: %d connections served already", nc.RemoteAddr(), s.cfg.MaxConns)
		c.be.Send(&pgproto3.ErrorResponse{Severity: "FATAL", SeverityUnlocalized: "FATAL", Code: codeTooManyConns,
			Message: fmt.Sprintf("sorry, too many clients already (%d)", s.cfg.MaxConns)})
		c.be.Flush()
		return
	}
	defer s.unregister(c)
	nc.SetDeadline(time.Now().Add(s.cfg.AuthTimeout))
	ok, err := c.startup()
	if err != nil {
		if !errors.Is(err, io.EOF) {
			s.cfg.Logf("pgwire: %s dropped during startup: %v", nc.RemoteAddr(), err)
		}
		return
	}
	if !ok {
		return
	}
	nc.SetDeadline(time.Time{})
	defer c.closeAll()
	if err := c.loop(ctx); err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) {
		s.cfg.Logf("pgwire: %s (user %s) dropped: %v", nc.RemoteAddr(), c.user, err)
	}
}

// startup negotiates TLS, answers a CancelRequest, and authenticates.
// ok is false when the connection ends here without an error to log.
func (c *conn) startup() (ok bool, err error) {
	for {
		msg, err := c.be.ReceiveStartupMessage()
		if err != nil {
			return false, err
		}
		switch m := msg.(type) {
		case *pgproto3.SSLRequest:
			if c.srv.cfg.TLS == nil {
				if _, err := c.nc.Write([]byte{'N'}); err != nil {
					return false, err
				}
				continue
			}
			if _, err := c.nc.Write([]byte{'S'}); err != nil {
				return false, err
			}
			tc := tls.Server(c.nc, c.srv.cfg.TLS)
			c.srv.mu.Lock() // closeConns reads c.nc
			c.nc = tc
			c.srv.mu.Unlock()
			c.be = pgproto3.NewBackend(tc, tc)
			c.be.SetMaxBodyLen(maxMessage)
		case *pgproto3.GSSEncRequest:
			if _, err := c.nc.Write([]byte{'N'}); err != nil {
				return false, err
			}
		case *pgproto3.CancelRequest:
			c.srv.cancel(m.ProcessID, m.SecretKey)
			return false, nil
		case *pgproto3.StartupMessage:
			for k, v := range m.Parameters {
				c.params[k] = v
			}
			c.user = m.Parameters["user"]
			if c.user == "" {
				return false, c.fatal(codeAuthSpec, "no user name given")
			}
			if err := c.authenticate(); err != nil {
				return false, err
			}
			c.greet()
			return true, c.be.Flush()
		default:
			return false, c.fatal(codeProtocol, fmt.Sprintf("unexpected %T before startup", msg))
		}
	}
}

// fatal tells the client why it is being dropped and returns that as an
// error.
func (c *conn) fatal(code, msg string) error {
	c.be.Send(&pgproto3.ErrorResponse{Severity: "FATAL", SeverityUnlocalized: "FATAL", Code: code, Message: msg})
	c.be.Flush()
	return errors.New(msg)
}

// authenticate runs SCRAM-SHA-256 for c.user (nothing under Trust).
func (c *conn) authenticate() error {
	if c.srv.cfg.Trust {
		c.be.Send(&pgproto3.AuthenticationOk{})
		return nil
	}
	failed := func() error {
		return c.fatal(codeInvalidPassword, fmt.Sprintf("password authentication failed for user %q", c.user))
	}
	creds, known := c.srv.creds[c.user]
	server, err := scram.SHA256.NewServer(func(string) (scram.StoredCredentials, error) {
		if !known {
			return scram.StoredCredentials{}, errors.New("unknown user")
		}
		return creds, nil // the SCRAM user name is empty in PostgreSQL: the startup's counts
	})
	if err != nil {
		return err
	}
	c.be.Send(&pgproto3.AuthenticationSASL{AuthMechanisms: []string{"SCRAM-SHA-256"}})
	if err := c.be.Flush(); err != nil {
		return err
	}
	if err := c.be.SetAuthType(pgproto3.AuthTypeSASL); err != nil {
		return err
	}
	msg, err := c.be.Receive()
	if err != nil {
		return err
	}
	first, ok := msg.(*pgproto3.SASLInitialResponse)
	if !ok || first.AuthMechanism != "SCRAM-SHA-256" {
		return c.fatal(codeProtocol, "expected a SASL initial response for SCRAM-SHA-256")
	}
	conv := server.NewConversation()
	serverFirst, err := conv.Step(string(first.Data))
	if err != nil {
		return failed()
	}
	c.be.Send(&pgproto3.AuthenticationSASLContinue{Data: []byte(serverFirst)})
	if err := c.be.Flush(); err != nil {
		return err
	}
	if err := c.be.SetAuthType(pgproto3.AuthTypeSASLContinue); err != nil {
		return err
	}
	if msg, err = c.be.Receive(); err != nil {
		return err
	}
	final, ok := msg.(*pgproto3.SASLResponse)
	if !ok {
		return c.fatal(codeProtocol, "expected a SASL response")
	}
	serverFinal, err := conv.Step(string(final.Data))
	if err != nil || !conv.Valid() || !known {
		return failed()
	}
	c.be.Send(&pgproto3.AuthenticationSASLFinal{Data: []byte(serverFinal)})
	c.be.Send(&pgproto3.AuthenticationOk{})
	return nil
}

// serverVersion is what clients are told: they choose their catalog
// queries by it, and streamsql answers those of PostgreSQL 15.
const serverVersion = "15.0"

func (c *conn) greet() {
	for _, p := range [][2]string{
		{"server_version", serverVersion},
		{"server_encoding", "UTF8"},
		{"client_encoding", "UTF8"},
		{"DateStyle", "ISO, MDY"},
		{"TimeZone", "UTC"},
		{"IntervalStyle", "postgres"},
		{"integer_datetimes", "on"},
		{"standard_conforming_strings", "on"},
		{"is_superuser", "off"},
		{"session_authorization", c.user},
		{"application_name", c.params["application_name"]},
	} {
		c.be.Send(&pgproto3.ParameterStatus{Name: p[0], Value: p[1]})
	}
	c.be.Send(&pgproto3.BackendKeyData{ProcessID: c.pid, SecretKey: c.secret})
	c.ready()
}

func (c *conn) ready() {
	status := byte('I')
	switch {
	case c.failed:
		status = 'E'
	case c.inTx:
		status = 'T'
	}
	c.be.Send(&pgproto3.ReadyForQuery{TxStatus: status})
}

// loop serves messages until the client leaves.
func (c *conn) loop(ctx context.Context) error {
	for {
		msg, err := c.be.Receive()
		if err != nil {
			if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
				return io.EOF
			}
			c.fatal(codeProtocol, "invalid message: "+err.Error())
			return err
		}
		if c.skipping {
			if _, ok := msg.(*pgproto3.Sync); !ok {
				continue
			}
		}
		c.setBusy(true)
		err = c.handle(ctx, msg)
		c.setBusy(false)
		if errors.Is(err, errTerminate) {
			return nil
		}
		if err != nil {
			return err // the connection failed
		}
		if err := c.flush(); err != nil {
			return err
		}
	}
}

// errTerminate is a client's Terminate: the connection ends quietly.
var errTerminate = errors.New("terminate")

// handle answers one message; an error ends the connection.
func (c *conn) handle(ctx context.Context, msg pgproto3.FrontendMessage) (err error) {
	switch m := msg.(type) {
	case *pgproto3.Query:
		err = c.simpleQuery(ctx, m.String)
		c.ready()
	case *pgproto3.Parse:
		err = c.parse(m)
	case *pgproto3.Bind:
		err = c.bind(m)
	case *pgproto3.Describe:
		err = c.describe(m)
	case *pgproto3.Execute:
		err = c.execute(ctx, m)
	case *pgproto3.Close:
		c.closeObject(m)
	case *pgproto3.Sync:
		c.skipping = false
		delete(c.portals, "")
		c.ready()
	case *pgproto3.Flush:
	case *pgproto3.Terminate:
		return errTerminate
	default:
		c.fatal(codeProtocol, fmt.Sprintf("unexpected message %T", msg))
		return fmt.Errorf("unexpected message %T", msg)
	}
	return err
}

func (c *conn) setBusy(busy bool) {
	c.mu.Lock()
	c.busy, c.pending = busy, false
	c.mu.Unlock()
}

// flush writes what was sent, bounded by WriteTimeout: a client that
// does not read is dropped.
func (c *conn) flush() error {
	c.nc.SetWriteDeadline(time.Now().Add(c.srv.cfg.WriteTimeout))
	return c.be.Flush()
}

// sendError reports a statement's error; in the extended protocol the
// rest up to Sync is skipped.
func (c *conn) sendError(err error, query string, base int, extended bool) {
	c.be.Send(errorResponse(err, query, base))
	if c.inTx {
		c.failed = true
	}
	if extended {
		c.skipping = true
	}
}

// running sets the cancel function of the statement now running.
func (c *conn) running(cancel context.CancelFunc) {
	c.mu.Lock()
	c.cancel = cancel
	if cancel != nil && c.pending {
		c.pending = false
		cancel()
	}
	c.mu.Unlock()
}

func (c *conn) cancelRunning() {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.cancel != nil:
		c.cancel()
	case c.busy:
		c.pending = true
	}
}

// closeAll ends the connection's cursors' subscriptions.
func (c *conn) closeAll() {
	for _, cur := range c.cursors {
		cur.close()
	}
}

func (c *conn) closeObject(m *pgproto3.Close) {
	if m.ObjectType == 'S' {
		delete(c.stmts, m.Name)
	} else {
		delete(c.portals, m.Name)
	}
	c.be.Send(&pgproto3.CloseComplete{})
}

// firstWords is the statement's first n words, lower case.
func firstWords(text string, n int) []string {
	f := strings.Fields(strings.ToLower(stripComments(text)))
	if len(f) > n {
		f = f[:n]
	}
	return f
}
