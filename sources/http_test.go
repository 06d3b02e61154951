package sources

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/streamsql/streamsql/formats"
	"github.com/streamsql/streamsql/types"
)

func openHTTPSource(t *testing.T, named ...string) *httpSource {
	t.Helper()
	spec, ok := Lookup("http")
	if !ok {
		t.Fatal("http source not registered")
	}
	args := Args{Positional: []types.Value{types.Text("127.0.0.1:0")}, Named: map[string]types.Value{}}
	for i := 0; i+1 < len(named); i += 2 {
		args.Named[named[i]] = types.Text(named[i+1])
	}
	src, err := spec.OpenChecked(args)
	if err != nil {
		t.Fatal(err)
	}
	return src.(*httpSource)
}

// startHTTP runs src and returns its base URL, read from the "listening
// on" log line.
func startHTTP(t *testing.T, src *httpSource, em *testEmitter, out Emitter) (base string, stop func()) {
	t.Helper()
	stop = runLive(t, src, out)
	msg := awaitLog(t, em, "listening on ")
	prefix := "http('127.0.0.1:0'): listening on 127.0.0.1:"
	if !strings.HasPrefix(msg, prefix) {
		t.Fatalf("log = %q, want it to start with %q", msg, prefix)
	}
	return "http://" + strings.TrimPrefix(msg, "http('127.0.0.1:0'): listening on "), stop
}

type httpAnswer struct {
	code  int
	body  string
	reply ingestReply
	hdr   http.Header
}

func do(t *testing.T, method, url string, body io.Reader) httpAnswer {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Timeout: wait}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	a := httpAnswer{code: resp.StatusCode, body: string(b), hdr: resp.Header}
	if err := json.Unmarshal(b, &a.reply); err != nil {
		t.Fatalf("answer %d %q is not JSON: %v", a.code, b, err)
	}
	return a
}

func post(t *testing.T, url, body string) httpAnswer {
	t.Helper()
	return do(t, http.MethodPost, url, strings.NewReader(body))
}

func TestHTTPAccepted(t *testing.T) {
	src := openHTTPSource(t, "format", "jsonl")
	if src.Bounded() || src.Describe() != "http('127.0.0.1:0') path=/ingest format=jsonl" {
		t.Fatalf("Bounded/Describe = %v %q", src.Bounded(), src.Describe())
	}
	if !src.Schema().Open {
		t.Fatal("http jsonl schema not open")
	}
	if err := src.Bind([]string{"user", "ms"}); err != nil {
		t.Fatal(err)
	}
	em := newTestEmitter()
	base, stop := startHTTP(t, src, em, em)

	a := post(t, base+"/ingest", `{"user":"ann","ms":12}`+"\n\n"+`{"ms":7.5,"user":"bob"}`+"\n"+`{"user":null}`)
	if a.code != http.StatusAccepted || a.body != `{"accepted":3}`+"\n" {
		t.Fatalf("answer = %d %q", a.code, a.body)
	}
	checkRows(t, awaitRows(t, em, 3), "[TEXT:ann BIGINT:12]", "[TEXT:bob DOUBLE:7.5]", "[NULL:NULL NULL:NULL]")

	a = post(t, base+"/ingest", "")
	if a.code != http.StatusAccepted || a.body != `{"accepted":0}`+"\n" {
		t.Fatalf("empty body: answer = %d %q", a.code, a.body)
	}

	// Shut down gracefully: the port is closed afterwards.
	stop()
	if _, err := http.Post(base+"/ingest", "", strings.NewReader("{}\n")); err == nil {
		t.Fatal("server still answers after the query stopped")
	}
}

// A body with malformed records: 400 naming them, the rest accepted.
func TestHTTPMalformed(t *testing.T) {
	src := openHTTPSource(t, "format", "jsonl")
	if err := src.Bind([]string{"n"}); err != nil {
		t.Fatal(err)
	}
	em := newTestEmitter()
	base, stop := startHTTP(t, src, em, em)

	a := post(t, base+"/ingest", "{\"n\":1}\n{\"n\":2\n[3]\n{\"n\":4}\n")
	if a.code != http.StatusBadRequest {
		t.Fatalf("answer = %d %q, want 400", a.code, a.body)
	}
	r := a.reply
	if r.Accepted == nil || *r.Accepted != 2 || r.Rejected != 2 || len(r.Errors) != 2 ||
		!strings.HasPrefix(r.Errors[0], "line 2: invalid JSON") || r.Errors[1] != "line 3: not a JSON object (got array)" {
		t.Fatalf("answer = %q", a.body)
	}
	checkRows(t, awaitRows(t, em, 2), "[BIGINT:1]", "[BIGINT:4]")
	stop()
	_, bad := em.Snapshot()
	if len(bad) != 2 || !strings.HasPrefix(bad[0].Error(), "http('127.0.0.1:0') POST from 127.0.0.1:") ||
		!strings.Contains(bad[1].Error(), ":3: not a JSON object") {
		t.Fatalf("malformed = %v", bad)
	}
}

// Each body is a csv stream with its own header.
func TestHTTPCSV(t *testing.T) {
	src := openHTTPSource(t, "format", "csv", "path", "/in")
	if err := src.Bind([]string{"s", "n"}); err != nil {
		t.Fatal(err)
	}
	em := newTestEmitter()
	base, _ := startHTTP(t, src, em, em)
	if a := post(t, base+"/in", "n,s\n1,a\n2,b\n"); a.code != http.StatusAccepted {
		t.Fatalf("answer = %d %q", a.code, a.body)
	}
	checkRows(t, awaitRows(t, em, 2), "[TEXT:a BIGINT:1]", "[TEXT:b BIGINT:2]")
	if a := post(t, base+"/in", "s,n\r\nc,3\r\n"); a.code != http.StatusAccepted {
		t.Fatalf("answer = %d %q", a.code, a.body)
	}
	checkRows(t, awaitRows(t, em, 1), "[TEXT:c BIGINT:3]")
}

func TestHTTPRefusals(t *testing.T) {
	src := openHTTPSource(t, "max_body", "1KB")
	if err := src.Bind([]string{"line"}); err != nil {
		t.Fatal(err)
	}
	em := newTestEmitter()
	base, stop := startHTTP(t, src, em, em)

	big := strings.Repeat("0123456789abcde\n", 65) // 1040 bytes
	a := post(t, base+"/ingest", big)
	if a.code != http.StatusRequestEntityTooLarge || a.reply.Error != "body of 1040 bytes is over max_body (1024 bytes)" {
		t.Fatalf("known length: answer = %d %q", a.code, a.body)
	}
	// Without a Content-Length the limit is found while reading.
	a = do(t, http.MethodPost, base+"/ingest", io.MultiReader(strings.NewReader(big)))
	if a.code != http.StatusRequestEntityTooLarge || a.reply.Error != "body is over max_body (1024 bytes)" {
		t.Fatalf("chunked: answer = %d %q", a.code, a.body)
	}
	a = do(t, http.MethodGet, base+"/ingest", nil)
	if a.code != http.StatusMethodNotAllowed || a.hdr.Get("Allow") != "POST" {
		t.Fatalf("GET: answer = %d %q, Allow %q", a.code, a.body, a.hdr.Get("Allow"))
	}
	a = post(t, base+"/other", "x\n")
	if a.code != http.StatusNotFound || a.reply.Error != "no such path /other: POST records to /ingest" {
		t.Fatalf("other path: answer = %d %q", a.code, a.body)
	}
	// Exactly at the limit is fine.
	a = post(t, base+"/ingest", big[:1024])
	if a.code != http.StatusAccepted || *a.reply.Accepted != 64 {
		t.Fatalf("at the limit: answer = %d %q", a.code, a.body)
	}
	awaitRows(t, em, 64)
	stop()
	if rows, _ := em.Snapshot(); len(rows) != 64 {
		t.Fatalf("%d rows, want only the 64 of the accepted body", len(rows))
	}
}

// blockingEmitter holds Emit until release is closed, as a query that has
// fallen behind does.
type blockingEmitter struct {
	*testEmitter
	entered chan struct{}
	release chan struct{}
}

func (e *blockingEmitter) Emit(rows []types.Row) error {
	select {
	case e.entered <- struct{}{}:
	default:
	}
	<-e.release
	return e.testEmitter.Emit(rows)
}

func TestHTTPBackpressure(t *testing.T) {
	src := openHTTPSource(t, "queue", "2")
	src.wait = 20 * time.Millisecond
	em := newTestEmitter()
	be := &blockingEmitter{testEmitter: em, entered: make(chan struct{}, 1), release: make(chan struct{})}
	base, stop := startHTTP(t, src, em, be)
	var once sync.Once
	release := func() { once.Do(func() { close(be.release) }) }
	defer release()

	if a := post(t, base+"/ingest", "a\nb\n"); a.code != http.StatusAccepted {
		t.Fatalf("answer = %d %q", a.code, a.body)
	}
	select {
	case <-be.entered: // the query holds the first body
	case <-time.After(wait):
		t.Fatal("Emit not called")
	}
	a := post(t, base+"/ingest", "c\n")
	if a.code != http.StatusServiceUnavailable || a.hdr.Get("Retry-After") != "1" ||
		a.reply.Error != "the query is falling behind: nothing of this body was accepted; retry later" {
		t.Fatalf("full queue: answer = %d %q, Retry-After %q", a.code, a.body, a.hdr.Get("Retry-After"))
	}

	release()
	checkRows(t, awaitRows(t, em, 2), "[TEXT:a]", "[TEXT:b]")
	// Room again (once the pump has counted the rows out).
	deadline := time.Now().Add(wait)
	for {
		a = post(t, base+"/ingest", "d\n")
		if a.code == http.StatusAccepted {
			break
		}
		if a.code != http.StatusServiceUnavailable || time.Now().After(deadline) {
			t.Fatalf("after release: answer = %d %q", a.code, a.body)
		}
	}
	checkRows(t, awaitRows(t, em, 1), "[TEXT:d]")
	stop()
}

// A graceful stop (the context cancelled) hands every acknowledged row
// to the query, including those still queued behind a slow Emit.
func TestHTTPStopDeliversAcknowledged(t *testing.T) {
	src := openHTTPSource(t)
	em := newTestEmitter()
	be := &blockingEmitter{testEmitter: em, entered: make(chan struct{}, 1), release: make(chan struct{})}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- src.Run(ctx, be) }()
	msg := awaitLog(t, em, "listening on ")
	base := "http://" + msg[strings.LastIndex(msg, " ")+1:]

	if a := post(t, base+"/ingest", "a\nb\n"); a.code != http.StatusAccepted {
		t.Fatalf("answer = %d %q", a.code, a.body)
	}
	<-be.entered // the pump is in Emit with a, b
	for _, body := range []string{"c\n", "d\ne\n"} {
		if a := post(t, base+"/ingest", body); a.code != http.StatusAccepted {
			t.Fatalf("answer = %d %q", a.code, a.body)
		}
	}
	cancel()
	close(be.release)
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run = %v", err)
		}
	case <-time.After(wait):
		t.Fatal("Run did not return after cancel")
	}
	checkRows(t, awaitRows(t, em, 5), "[TEXT:a]", "[TEXT:b]", "[TEXT:c]", "[TEXT:d]", "[TEXT:e]")
}

// A port without a host listens on loopback only, as --http does.
func TestHTTPPortAloneIsLoopback(t *testing.T) {
	spec, _ := Lookup("http")
	src, err := spec.OpenChecked(Args{Positional: []types.Value{types.Text(":0")}, Named: map[string]types.Value{}})
	if err != nil {
		t.Fatal(err)
	}
	em := newTestEmitter()
	runLive(t, src, em)
	msg := awaitLog(t, em, "listening on ")
	if prefix := "http(':0'): listening on 127.0.0.1:"; !strings.HasPrefix(msg, prefix) {
		t.Errorf("log = %q, want it to start with %q", msg, prefix)
	}
}

// When Emit fails the query is stopping: Run ends.
func TestHTTPQueryStops(t *testing.T) {
	src := openHTTPSource(t)
	em := newTestEmitter()
	em.FailEmit()
	done := make(chan error, 1)
	go func() { done <- src.Run(context.Background(), em) }()
	msg := awaitLog(t, em, "listening on ")
	base := "http://" + msg[strings.LastIndex(msg, " ")+1:]
	post(t, base+"/ingest", "x\n")
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run = %v", err)
		}
	case <-time.After(wait):
		t.Fatal("Run did not end after Emit failed")
	}
}

func TestHTTPOpenErrors(t *testing.T) {
	spec, _ := Lookup("http")
	addr := []types.Value{types.Text(":8080")}
	for _, c := range []struct {
		args Args
		want string
	}{
		{Args{}, "http() needs argument 1 (addr)"},
		{Args{Positional: []types.Value{types.Text("8080")}}, "http(): address '8080' is not host:port (':8080' listens on 127.0.0.1, '0.0.0.0:8080' on every interface)"},
		{Args{Positional: addr, Once: true}, "http() has no end of input, so it cannot run with --once"},
		{Args{Positional: addr, Named: map[string]types.Value{"path": types.Text("in")}}, "http(): path must start with /, got 'in'"},
		{Args{Positional: addr, Named: map[string]types.Value{"max_body": types.Text("10XB")}}, "http(): max_body: want a size such as '10MB' or 1048576, got '10XB'"},
		{Args{Positional: addr, Named: map[string]types.Value{"max_body": types.Int(0)}}, "http(): max_body: want a size such as '10MB' or 1048576, got '0'"},
		{Args{Positional: addr, Named: map[string]types.Value{"queue": types.Text("many")}}, "http(): queue must be a number of rows >= 1, got 'many'"},
	} {
		if _, err := spec.OpenChecked(c.args); err == nil || err.Error() != c.want {
			t.Errorf("OpenChecked(%v):\n got  %v\n want %s", c.args, err, c.want)
		}
	}
	for in, want := range map[string]int64{"10MB": 10 << 20, "512 kib": 512 << 10, "1g": 1 << 30, "100": 100, "7B": 7} {
		if got, err := formats.ParseSize(in); err != nil || got != want {
			t.Errorf("formats.ParseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	// A port taken is an error from Run.
	src := openHTTPSource(t)
	em := newTestEmitter()
	base, _ := startHTTP(t, src, em, em)
	taken := openHTTPSource(t)
	taken.listen = strings.TrimPrefix(base, "http://")
	if err := taken.Run(context.Background(), newTestEmitter()); err == nil || !strings.Contains(err.Error(), "address already in use") {
		t.Fatalf("Run on a taken port = %v", err)
	}
}
