package pgwire_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"
	"github.com/xdg-go/scram"

	"github.com/streamsql/streamsql"
	"github.com/streamsql/streamsql/pgwire"
)

// env is an engine serving the wire protocol on a loopback port, with a
// watched directory words() reads and a view counts over it.
type env struct {
	t    *testing.T
	eng  *streamsql.Engine
	dir  string
	addr string
	log  *syncBuffer
	n    int
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Printf(format string, args ...any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fmt.Fprintf(&s.b, format+"\n", args...)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func newEnv(t *testing.T, cfg pgwire.Config) *env {
	t.Helper()
	e := &env{t: t, dir: t.TempDir(), log: &syncBuffer{}}
	e.eng = streamsql.New(streamsql.Config{BatchInterval: 20 * time.Millisecond, Log: io.Discard})
	// start => 'earliest': a file moved in while the source starts
	// watching is read either way (the default skips files already there).
	stmts, err := e.eng.Prepare(fmt.Sprintf("CREATE MATERIALIZED VIEW counts AS SELECT word, COUNT(*) AS n FROM file('%s', start => 'earliest') GROUP BY word", e.dir))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.eng.Start(context.Background(), stmts); err != nil {
		t.Fatal(err)
	}
	if cfg.Users == nil && !cfg.Trust {
		cfg.Users = map[string]string{"alice": "s3cret"}
	}
	cfg.Logf = e.log.Printf
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	e.addr = ln.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- pgwire.Serve(ctx, e.eng, ln, cfg) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
		e.eng.Stop()
	})
	return e
}

func (e *env) url(user, pass string) string {
	return fmt.Sprintf("postgres://%s:%s@%s/streamsql?sslmode=disable", user, pass, e.addr)
}

func (e *env) connect() *pgx.Conn {
	e.t.Helper()
	c, err := pgx.Connect(context.Background(), e.url("alice", "s3cret"))
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { c.Close(context.Background()) })
	return c
}

// feed drops a file of words into the watched directory.
func (e *env) feed(words string) {
	e.t.Helper()
	e.n++
	tmp := filepath.Join(e.t.TempDir(), "f")
	if err := os.WriteFile(tmp, []byte(strings.ReplaceAll(words, " ", "\n")+"\n"), 0o644); err != nil {
		e.t.Fatal(err)
	}
	if err := os.Rename(tmp, filepath.Join(e.dir, fmt.Sprintf("%03d.txt", e.n))); err != nil {
		e.t.Fatal(err)
	}
}

// waitTotal waits until the view has counted total words: the event the
// tests wait for (never a fixed sleep).
func (e *env) waitTotal(c *pgx.Conn, total int64) {
	e.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		var got *int64
		if err := c.QueryRow(context.Background(), "SELECT SUM(n) AS s FROM counts").Scan(&got); err != nil {
			e.t.Fatal(err)
		}
		if got != nil && *got == total {
			return
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("the view never counted %d words (last: %v)", total, got)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestPullWithParameters(t *testing.T) {
	e := newEnv(t, pgwire.Config{})
	c := e.connect()
	e.feed("a b a c a b")
	e.waitTotal(c, 6)
	want := map[string]int64{"a": 3, "b": 2, "c": 1, "zz": 0}
	// A prepared statement reused: binary results (pgx asks for them),
	// the parameter's type inferred from the column it is compared with.
	for i := 0; i < 50; i++ {
		for w, n := range want {
			var got int64
			err := c.QueryRow(context.Background(), "SELECT n FROM counts WHERE word = $1", w).Scan(&got)
			if n == 0 {
				if !errors.Is(err, pgx.ErrNoRows) {
					t.Fatalf("word %q: got %v, want no rows", w, err)
				}
				continue
			}
			if err != nil || got != n {
				t.Fatalf("word %q: got %d, %v; want %d", w, got, err, n)
			}
		}
	}
	// LIMIT $1 (inferred BIGINT), and the simple protocol (text results).
	for _, mode := range []pgx.QueryExecMode{pgx.QueryExecModeCacheStatement, pgx.QueryExecModeSimpleProtocol} {
		q := "SELECT word, n FROM counts ORDER BY n DESC, word LIMIT $1"
		args := []any{mode, 2}
		if mode == pgx.QueryExecModeSimpleProtocol {
			q, args = "SELECT word, n FROM counts ORDER BY n DESC, word LIMIT 2", []any{mode}
		}
		checkTop2(t, c, q, args)
	}
}

func checkTop2(t *testing.T, c *pgx.Conn, q string, args []any) {
	t.Helper()
	rows, err := c.Query(context.Background(), q, args...)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for rows.Next() {
		var w string
		var n int64
		if err := rows.Scan(&w, &n); err != nil {
			t.Fatal(err)
		}
		got = append(got, fmt.Sprintf("%s=%d", w, n))
	}
	if rows.Err() != nil || strings.Join(got, " ") != "a=3 b=2" {
		t.Fatalf("got %v, %v; want a=3 b=2", got, rows.Err())
	}
}

func TestTypes(t *testing.T) {
	e := newEnv(t, pgwire.Config{})
	src, err := e.eng.NewPushSource("ev", "name TEXT, price DECIMAL, x DOUBLE, ts TIMESTAMP")
	if err != nil {
		t.Fatal(err)
	}
	c := e.connect()
	if _, err := c.Exec(context.Background(), "CREATE MATERIALIZED VIEW typed AS SELECT name, COUNT(*) AS n, SUM(price) AS total, MAX(x) AS mx, MAX(ts) AS last, COUNT(*) > 1 AS many FROM ev() GROUP BY name"); err != nil {
		t.Fatal(err)
	}
	ts := time.Date(2026, 12, 5, 10, 30, 0, 123456000, time.UTC)
	for _, r := range [][]any{{"p", "1.10", 2.5, ts}, {"p", "2.25", -1.0, ts.Add(-time.Hour)}, {"q", "0.5", 1e10, ts}} {
		if err := src.Push(r...); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		var n *int64
		c.QueryRow(context.Background(), "SELECT SUM(n) AS s FROM typed").Scan(&n)
		if n != nil && *n == 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the view never counted 3 rows")
		}
		time.Sleep(5 * time.Millisecond)
	}
	for _, mode := range []pgx.QueryExecMode{pgx.QueryExecModeCacheStatement, pgx.QueryExecModeSimpleProtocol} {
		var (
			n     int64
			total string
			mx    float64
			last  time.Time
			many  bool
		)
		err := c.QueryRow(context.Background(), "SELECT n, total, mx, last, many FROM typed WHERE name = $1", mode, "p").Scan(&n, &total, &mx, &last, &many)
		if err != nil {
			t.Fatalf("%v: %v", mode, err)
		}
		if n != 2 || total != "3.35" || mx != 2.5 || !last.Equal(ts) || !many {
			t.Errorf("%v: got n=%d total=%s mx=%g last=%s many=%v", mode, n, total, mx, last, many)
		}
	}
	// Parameters of every type, binary (pgx sends them so for the types
	// the server describes) and as text.
	for _, mode := range []pgx.QueryExecMode{pgx.QueryExecModeCacheStatement, pgx.QueryExecModeExec, pgx.QueryExecModeSimpleProtocol} {
		var name string
		err := c.QueryRow(context.Background(), "SELECT name FROM typed WHERE n = $1 AND total = $2 AND mx = $3 AND last = $4 AND many = $5",
			mode, int64(2), "3.35", 2.5, ts, true).Scan(&name)
		if err != nil || name != "p" {
			t.Errorf("%v: parameters of every type: %q, %v", mode, name, err)
		}
	}
	var oids []uint32
	rows, _ := c.Query(context.Background(), "SELECT name, n, total, mx, last, many FROM typed")
	for _, f := range rows.FieldDescriptions() {
		oids = append(oids, f.DataTypeOID)
	}
	rows.Close()
	if fmt.Sprint(oids) != "[25 20 1700 701 1184 16]" {
		t.Errorf("column types %v, want text int8 numeric float8 timestamptz bool [25 20 1700 701 1184 16]", oids)
	}
}

func TestErrors(t *testing.T) {
	e := newEnv(t, pgwire.Config{})
	c := e.connect()
	for _, tc := range []struct {
		sql, code, msg string
		pos            int32
	}{
		{"SELECT wrd FROM counts", "42703", `column "wrd" not found; did you mean "word"?`, 8},
		{"SELEC 1", "42601", "syntax error: unexpected \"SELEC\"; expected SELECT, EXPLAIN, CREATE, DROP, SHOW, INSERT or SUBSCRIBE (did you mean SELECT?)", 1},
		{"SELECT * FROM nope", "42P01", "", 15},
		{"CREATE MATERIALIZED VIEW counts AS SELECT 1 AS x", "42P07", `materialized view "counts" already exists; DROP MATERIALIZED VIEW counts first`, 1},
		{"SHOW nothing_here", "42704", `unrecognized configuration parameter "nothing_here"`, 0},
	} {
		_, err := c.Exec(context.Background(), tc.sql)
		var pe *pgconn.PgError
		if !errors.As(err, &pe) {
			t.Errorf("%s: got %v, want a PgError", tc.sql, err)
			continue
		}
		if pe.Code != tc.code || (tc.msg != "" && pe.Message != tc.msg) || pe.Position != tc.pos {
			t.Errorf("%s: got %s %q at %d, want %s %q at %d", tc.sql, pe.Code, pe.Message, pe.Position, tc.code, tc.msg, tc.pos)
		}
	}
	// An empty text is not a NULL.
	var empty, null *string
	if err := c.QueryRow(context.Background(), "SELECT '' AS e, NULL AS n").Scan(&empty, &null); err != nil || empty == nil || *empty != "" || null != nil {
		t.Errorf("'' and NULL: %v %v %v", empty, null, err)
	}
	// The connection is still good after its errors.
	var one int64
	if err := c.QueryRow(context.Background(), "SELECT 1 AS one").Scan(&one); err != nil || one != 1 {
		t.Fatalf("after errors: %d, %v", one, err)
	}
}

func TestSubscribeAndCancel(t *testing.T) {
	e := newEnv(t, pgwire.Config{})
	c := e.connect()
	e.feed("a b")
	e.waitTotal(c, 2)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	rows, err := c.Query(ctx, "SUBSCRIBE TO counts", pgx.QueryExecModeSimpleProtocol)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	next := func() string {
		if !rows.Next() {
			t.Fatalf("the subscription ended: %v", rows.Err())
		}
		var op, w string
		var n int64
		if err := rows.Scan(&op, &w, &n); err != nil {
			t.Fatal(err)
		}
		return fmt.Sprintf("%s %s=%d", op, w, n)
	}
	got = append(got, next(), next())
	e.feed("b c")
	got = append(got, next(), next(), next())
	want := "+I a=1,+I b=1,-U b=1,+U b=2,+I c=1"
	if strings.Join(got, ",") != want {
		t.Errorf("got %s, want %s", strings.Join(got, ","), want)
	}
	cancel() // pgx sends a CancelRequest
	for rows.Next() {
	}
	var pe *pgconn.PgError
	if !errors.As(rows.Err(), &pe) && !errors.Is(rows.Err(), context.Canceled) {
		t.Fatalf("after cancel: %v", rows.Err())
	}
	// A cursor over a subscription, as drivers without streaming use it.
	c2 := e.connect()
	for _, q := range []string{"BEGIN", "DECLARE cur CURSOR FOR SUBSCRIBE TO counts"} {
		if _, err := c2.Exec(context.Background(), q); err != nil {
			t.Fatal(err)
		}
	}
	fetch := func() []string {
		rows, err := c2.Query(context.Background(), "FETCH ALL cur WITH (timeout = '20s')", pgx.QueryExecModeSimpleProtocol)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for rows.Next() {
			var op, w string
			var n int64
			rows.Scan(&op, &w, &n)
			out = append(out, fmt.Sprintf("%s %s=%d", op, w, n))
		}
		return out
	}
	if got := strings.Join(fetch(), ","); got != "+I a=1,+I b=2,+I c=1" {
		t.Errorf("first FETCH: %s", got)
	}
	e.feed("c")
	if got := strings.Join(fetch(), ","); got != "-U c=1,+U c=2" {
		t.Errorf("second FETCH: %s", got)
	}
}

func TestBadClients(t *testing.T) {
	e := newEnv(t, pgwire.Config{AuthTimeout: 2 * time.Second})
	// A wrong password.
	_, err := pgx.Connect(context.Background(), e.url("alice", "wrong"))
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "28P01" || pe.Message != `password authentication failed for user "alice"` {
		t.Errorf("wrong password: %v", err)
	}
	_, err = pgx.Connect(context.Background(), e.url("mallory", "s3cret"))
	if !errors.As(err, &pe) || pe.Code != "28P01" {
		t.Errorf("unknown user: %v", err)
	}
	// Garbage instead of a startup message, and a half-sent one.
	for _, junk := range [][]byte{[]byte("GET / HTTP/1.1\r\n\r\n"), {0, 0, 0, 40, 0, 3, 0, 0, 'u', 's'}, bytes.Repeat([]byte{0xff}, 64)} {
		nc, err := net.Dial("tcp", e.addr)
		if err != nil {
			t.Fatal(err)
		}
		nc.Write(junk)
		nc.SetReadDeadline(time.Now().Add(10 * time.Second))
		io.Copy(io.Discard, nc) // the server closes it
		nc.Close()
	}
	// 1000 idle connections, then a real client is still served.
	var idle []net.Conn
	for i := 0; i < 1000; i++ {
		nc, err := net.Dial("tcp", e.addr)
		if err != nil {
			t.Fatalf("connection %d: %v", i, err)
		}
		idle = append(idle, nc)
	}
	c := e.connect()
	e.feed("x y")
	e.waitTotal(c, 2)
	for _, nc := range idle {
		nc.Close()
	}
	log := e.log.String()
	for _, want := range []string{`password authentication failed for user "alice"`, "dropped during startup"} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %q:\n%s", want, log)
		}
	}
}

// TestSlowSubscriber: a client that subscribes and stops reading is
// dropped once a write to it has waited WriteTimeout; the view and the
// other clients go on.
func TestSlowSubscriber(t *testing.T) {
	e := newEnv(t, pgwire.Config{WriteTimeout: 300 * time.Millisecond})
	c := e.connect()
	// Enough distinct words that the view's rows fill the socket's
	// buffers many times over.
	var words strings.Builder
	for i := 0; i < 300000; i++ {
		fmt.Fprintf(&words, "word%07d ", i)
	}
	e.feed(words.String())
	e.waitTotal(c, 300000)
	nc, err := net.Dial("tcp", e.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	fe := pgproto3.NewFrontend(nc, nc)
	fe.Send(&pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersionNumber, Parameters: map[string]string{"user": "alice"}})
	fe.Flush()
	if err := scramLogin(fe, "alice", "s3cret"); err != nil {
		t.Fatal(err)
	}
	fe.Send(&pgproto3.Query{String: "SUBSCRIBE TO counts"})
	fe.Flush()
	// Never read again: the server must give up on this client.
	deadline := time.Now().Add(60 * time.Second)
	for !strings.Contains(e.log.String(), "(user alice) dropped: write failed: write tcp") {
		if time.Now().After(deadline) {
			t.Fatalf("the slow subscriber was never dropped; log:\n%s", e.log.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	e.feed("zzz")
	e.waitTotal(c, 300001)
}

// TestHalfMessage: a client that sends half a message after logging in
// and goes away is dropped; one that sends a message of a type that does
// not exist is told so.
func TestHalfMessage(t *testing.T) {
	e := newEnv(t, pgwire.Config{})
	for _, junk := range [][]byte{{'Q', 0, 0, 1, 0, 'S', 'E'}, {'!', 0, 0, 0, 4}} {
		nc, err := net.Dial("tcp", e.addr)
		if err != nil {
			t.Fatal(err)
		}
		fe := pgproto3.NewFrontend(nc, nc)
		fe.Send(&pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersionNumber, Parameters: map[string]string{"user": "alice"}})
		fe.Flush()
		if err := scramLogin(fe, "alice", "s3cret"); err != nil {
			t.Fatal(err)
		}
		nc.Write(junk)
		if junk[0] == 'Q' {
			nc.Close()
			continue
		}
		msg, err := fe.Receive()
		if er, ok := msg.(*pgproto3.ErrorResponse); !ok || er.Code != "08P01" {
			t.Errorf("unknown message: got %#v, %v; want a protocol violation", msg, err)
		}
		nc.Close()
	}
	c := e.connect()
	e.feed("still here")
	e.waitTotal(c, 2)
}

// scramLogin answers the server's SCRAM-SHA-256 exchange and reads up to
// ReadyForQuery.
func scramLogin(fe *pgproto3.Frontend, user, pass string) error {
	client, err := scram.SHA256.NewClient(user, pass, "")
	if err != nil {
		return err
	}
	conv := client.NewConversation()
	for {
		msg, err := fe.Receive()
		if err != nil {
			return err
		}
		switch m := msg.(type) {
		case *pgproto3.AuthenticationSASL:
			first, _ := conv.Step("")
			fe.Send(&pgproto3.SASLInitialResponse{AuthMechanism: "SCRAM-SHA-256", Data: []byte(first)})
			fe.Flush()
		case *pgproto3.AuthenticationSASLContinue:
			final, err := conv.Step(string(m.Data))
			if err != nil {
				return err
			}
			fe.Send(&pgproto3.SASLResponse{Data: []byte(final)})
			fe.Flush()
		case *pgproto3.AuthenticationSASLFinal:
			if _, err := conv.Step(string(m.Data)); err != nil {
				return err
			}
		case *pgproto3.ErrorResponse:
			return errors.New(m.Message)
		case *pgproto3.ReadyForQuery:
			return nil
		}
	}
}

// TestTLS: a client that asks for TLS gets it, and logs in through it.
func TestTLS(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert := tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
	e := newEnv(t, pgwire.Config{TLS: &tls.Config{Certificates: []tls.Certificate{cert}}})
	c, err := pgx.Connect(context.Background(), fmt.Sprintf("postgres://alice:s3cret@%s/streamsql?sslmode=require", e.addr))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(context.Background())
	if _, ok := c.PgConn().Conn().(*tls.Conn); !ok {
		t.Fatalf("the connection is not TLS: %T", c.PgConn().Conn())
	}
	var v string
	if err := c.QueryRow(context.Background(), "SHOW server_version").Scan(&v); err != nil || v != "15.0" {
		t.Fatalf("SHOW server_version over TLS: %q, %v", v, err)
	}
}

// TestGoneSubscriber: a client that subscribes to a query and goes away
// while nothing changes has its query stopped once the stream's next
// heartbeat finds it gone.
func TestGoneSubscriber(t *testing.T) {
	defer pgwire.SetHeartbeat(20 * time.Millisecond)()
	e := newEnv(t, pgwire.Config{})
	c, err := pgx.Connect(context.Background(), e.url("alice", "s3cret"))
	if err != nil {
		t.Fatal(err)
	}
	rows, err := c.Query(context.Background(), fmt.Sprintf("SUBSCRIBE TO (SELECT word FROM file('%s'))", e.dir), pgx.QueryExecModeSimpleProtocol)
	if err != nil {
		t.Fatal(err)
	}
	_ = rows
	queries := func() int { return len(e.eng.Queries()) }
	deadline := time.Now().Add(20 * time.Second)
	for queries() != 2 { // the view's and the subscription's
		if time.Now().After(deadline) {
			t.Fatalf("the subscription's query never started: %d queries", queries())
		}
		time.Sleep(5 * time.Millisecond)
	}
	c.PgConn().Conn().Close() // gone, without a word
	for queries() != 1 {
		if time.Now().After(deadline) {
			t.Fatalf("the gone subscriber's query still runs: %d queries", queries())
		}
		time.Sleep(5 * time.Millisecond)
	}
}
