package sources

import (
	"context"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/streamsql/streamsql/types"
)

func openSocketSource(t *testing.T, addr string, once bool, named ...string) *socketSource {
	t.Helper()
	spec, ok := Lookup("socket")
	if !ok {
		t.Fatal("socket source not registered")
	}
	args := Args{Positional: []types.Value{types.Text(addr)}, Named: map[string]types.Value{}, Once: once}
	for i := 0; i+1 < len(named); i += 2 {
		args.Named[named[i]] = types.Text(named[i+1])
	}
	src, err := spec.OpenChecked(args)
	if err != nil {
		t.Fatal(err)
	}
	s := src.(*socketSource)
	s.backoffMin, s.backoffMax = time.Millisecond, 20*time.Millisecond
	return s
}

func listenTCP(t *testing.T, addr string) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln
}

// accept waits for the source to connect.
func accept(t *testing.T, ln net.Listener) net.Conn {
	t.Helper()
	ln.(*net.TCPListener).SetDeadline(time.Now().Add(wait))
	conn, err := ln.Accept()
	if err != nil {
		t.Fatalf("accept: %v", err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

func send(t *testing.T, conn net.Conn, data string) {
	t.Helper()
	if _, err := io.WriteString(conn, data); err != nil {
		t.Fatal(err)
	}
}

// The server goes away in the middle of a line; a new server on the same
// port gets the source back, which goes on reading.
func TestSocketReconnect(t *testing.T) {
	ln := listenTCP(t, "127.0.0.1:0")
	addr := ln.Addr().String()
	src := openSocketSource(t, addr, false)
	if src.Bounded() {
		t.Fatal("socket source bounded")
	}
	if got, want := src.Describe(), "socket('"+addr+"') format=text"; got != want {
		t.Fatalf("Describe() = %q, want %q", got, want)
	}
	if err := src.Bind([]string{"line"}); err != nil {
		t.Fatal(err)
	}
	em := newTestEmitter()
	stop := runLive(t, src, em)

	conn := accept(t, ln)
	awaitLog(t, em, "socket('"+addr+"'): connected to "+addr)
	send(t, conn, "a\r\nb\n")
	checkRows(t, awaitRows(t, em, 2), "[TEXT:a]", "[TEXT:b]")
	// Rows come as they arrive, not once a chunk is full.
	send(t, conn, "c\n")
	checkRows(t, awaitRows(t, em, 1), "[TEXT:c]")

	send(t, conn, "cut sho")
	ln.Close() // no listener while the source reconnects
	conn.Close()
	msg := awaitLog(t, em, "connection lost")
	if want := "socket('" + addr + "'): connection lost: closed by the server; reconnecting in 1ms"; msg != want {
		t.Fatalf("log = %q, want %q", msg, want)
	}

	ln2 := listenTCP(t, addr)
	conn2 := accept(t, ln2)
	awaitLog(t, em, "socket('"+addr+"'): connected to "+addr)
	send(t, conn2, "d\n")
	checkRows(t, awaitRows(t, em, 1), "[TEXT:d]")

	stop()
	rows, bad := em.Snapshot()
	checkRows(t, rows, "[TEXT:a]", "[TEXT:b]", "[TEXT:c]", "[TEXT:d]")
	if len(bad) != 1 || bad[0].Error() != "socket('"+addr+"'):4: connection lost in the middle of a line; its 7 byte(s) were dropped" {
		t.Fatalf("malformed = %v", bad)
	}
}

// No server yet: the source retries with growing delays until one is up.
func TestSocketDialRetry(t *testing.T) {
	ln := listenTCP(t, "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()

	src := openSocketSource(t, addr, false)
	em := newTestEmitter()
	runLive(t, src, em)
	first := awaitLog(t, em, "cannot connect")
	if !strings.HasPrefix(first, "socket('"+addr+"'): cannot connect: ") || !strings.HasSuffix(first, "; retrying in 1ms") {
		t.Fatalf("first log = %q", first)
	}
	awaitLog(t, em, "; retrying in 2ms")

	ln2 := listenTCP(t, addr)
	conn := accept(t, ln2)
	send(t, conn, "hello\n")
	checkRows(t, awaitRows(t, em, 1), "[TEXT:hello]")
}

func TestSocketJSONL(t *testing.T) {
	ln := listenTCP(t, "127.0.0.1:0")
	addr := ln.Addr().String()
	src := openSocketSource(t, addr, false, "format", "jsonl")
	if !src.Schema().Open {
		t.Fatal("socket jsonl schema not open")
	}
	if err := src.Bind([]string{"n", "s"}); err != nil {
		t.Fatal(err)
	}
	em := newTestEmitter()
	stop := runLive(t, src, em)
	conn := accept(t, ln)
	send(t, conn, `{"n":1,"s":"x"}`+"\n"+`not json`+"\n\n"+`{"n":2.5}`+"\n")
	checkRows(t, awaitRows(t, em, 2), "[BIGINT:1 TEXT:x]", "[DOUBLE:2.5 NULL:NULL]")
	stop()
	_, bad := em.Snapshot()
	if len(bad) != 1 || !strings.HasPrefix(bad[0].Error(), "socket('"+addr+"'):2: invalid JSON") {
		t.Fatalf("malformed = %v", bad)
	}
}

// Each connection is a csv stream of its own, with its header.
func TestSocketCSVHeaderPerConnection(t *testing.T) {
	ln := listenTCP(t, "127.0.0.1:0")
	addr := ln.Addr().String()
	src := openSocketSource(t, addr, false, "format", "csv")
	if err := src.Bind([]string{"n", "s"}); err != nil {
		t.Fatal(err)
	}
	em := newTestEmitter()
	runLive(t, src, em)
	conn := accept(t, ln)
	send(t, conn, "n,s\n1,a\n")
	checkRows(t, awaitRows(t, em, 1), "[BIGINT:1 TEXT:a]")
	conn.Close()
	conn = accept(t, ln)
	send(t, conn, "s,n\nb,2\n")
	checkRows(t, awaitRows(t, em, 1), "[BIGINT:2 TEXT:b]")
}

// Bounded, the source reads one connection to its end; the last line
// needs no newline there.
func TestSocketOnce(t *testing.T) {
	ln := listenTCP(t, "127.0.0.1:0")
	addr := ln.Addr().String()
	src := openSocketSource(t, addr, true)
	if !src.Bounded() || src.Describe() != "socket('"+addr+"') format=text bounded" {
		t.Fatalf("Bounded/Describe = %v %q", src.Bounded(), src.Describe())
	}
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		io.WriteString(conn, "x\ny")
		conn.Close()
	}()
	em := newTestEmitter()
	if err := src.Run(context.Background(), em); err != nil {
		t.Fatal(err)
	}
	rows, bad := em.Snapshot()
	checkRows(t, rows, "[TEXT:x]", "[TEXT:y]")
	if len(bad) != 0 {
		t.Fatalf("malformed = %v", bad)
	}

	ln.Close()
	if err := openSocketSource(t, addr, true).Run(context.Background(), newTestEmitter()); err == nil ||
		!strings.HasPrefix(err.Error(), "socket('"+addr+"'): dial tcp") {
		t.Fatalf("Run without a server = %v", err)
	}
}

func TestSocketOpenErrors(t *testing.T) {
	spec, _ := Lookup("socket")
	for _, c := range []struct {
		args Args
		want string
	}{
		{Args{}, "socket() needs argument 1 ('host:port')"},
		{Args{Positional: []types.Value{types.Text("localhost")}}, "socket(): address 'localhost' is not host:port"},
		{Args{Positional: []types.Value{types.Text("localhost:9999")}, Named: map[string]types.Value{"format": types.Text("xml")}},
			`socket(): unknown format "xml" (known formats: csv, json, jsonl, text)`},
	} {
		if _, err := spec.OpenChecked(c.args); err == nil || err.Error() != c.want {
			t.Errorf("OpenChecked(%v) = %v, want %s", c.args, err, c.want)
		}
	}
}
