package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// httpServer is the binary serving --http, with the URL it printed.
type httpServer struct {
	cmd    *exec.Cmd
	base   string // http://127.0.0.1:PORT
	token  string
	stdout *bufio.Reader
}

var dashboardLine = regexp.MustCompile(`dashboard and API on (http://[^/]+)/(?:\?token=([0-9a-f]+))?`)

// startHTTPServer runs the binary with args and waits for the line that
// says where it serves.
func startHTTPServer(t *testing.T, env []string, args ...string) *httpServer {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = append(os.Environ(), env...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	sc := bufio.NewScanner(stderr)
	for sc.Scan() {
		if m := dashboardLine.FindStringSubmatch(sc.Text()); m != nil {
			go io.Copy(io.Discard, stderr)
			return &httpServer{cmd: cmd, base: m[1], token: m[2], stdout: bufio.NewReader(stdout)}
		}
	}
	t.Fatalf("no dashboard line on stderr")
	return nil
}

type answer struct {
	code int
	body string
}

// do sends one request; hdr holds header pairs ("Host" sets the request's
// Host).
func (s *httpServer) do(t *testing.T, method, path, body string, hdr ...string) answer {
	t.Helper()
	req, err := http.NewRequest(method, s.base+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		if hdr[i] == "Host" {
			req.Host = hdr[i+1]
		} else {
			req.Header.Set(hdr[i], hdr[i+1])
		}
	}
	client := &http.Client{Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return answer{resp.StatusCode, string(b)}
}

// TestHTTPRefusesOtherPages plays a web page the user visits: its
// requests reach the API on 127.0.0.1 but carry no token, another origin,
// a text/plain body or a rebound host name. Each is refused and creates
// nothing; the same query with the token from the printed URL runs.
func TestHTTPRefusesOtherPages(t *testing.T) {
	s := startHTTPServer(t, []string{"STREAMSQL_HTTP_TOKEN="}, "--http", "127.0.0.1:0")
	if s.token == "" {
		t.Fatal("no token in the printed URL")
	}
	out := filepath.Join(t.TempDir(), "stolen")
	sql := fmt.Sprintf(`{"sql": "INSERT INTO file('%s', format => 'jsonl') SELECT line FROM generate(rate => 100)"}`, out)
	bearer := "Bearer " + s.token
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(s.base, "http://"))
	for _, c := range []struct {
		name string
		hdr  []string
		code int
		want string
	}{
		{"no token, text/plain as a browser sends it", []string{"Content-Type", "text/plain"}, 401, "missing or wrong token"},
		{"no token", []string{"Content-Type", "application/json"}, 401, "missing or wrong token"},
		{"wrong token", []string{"Content-Type", "application/json", "Authorization", "Bearer 0000"}, 401, "missing or wrong token"},
		{"token but another origin", []string{"Content-Type", "application/json", "Authorization", bearer, "Origin", "http://evil.example"}, 403, `cross-origin request from "http://evil.example" refused`},
		{"token but text/plain", []string{"Content-Type", "text/plain", "Authorization", bearer}, 415, "the body must be JSON"},
		{"rebound host name", []string{"Content-Type", "application/json", "Authorization", bearer, "Host", "evil.example:" + port}, 403, `host "evil.example:` + port + `" is not this server's`},
	} {
		a := s.do(t, "POST", "/api/queries", sql, c.hdr...)
		var e struct{ Error string }
		json.Unmarshal([]byte(a.body), &e)
		if a.code != c.code || !strings.Contains(e.Error, c.want) {
			t.Errorf("%s: %d %s, want %d with %q", c.name, a.code, a.body, c.code, c.want)
		}
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Fatalf("a refused request created %s (%v)", out, err)
	}
	if a := s.do(t, "GET", "/api/queries", "", "Authorization", bearer); a.code != 200 || strings.TrimSpace(a.body) != "[]" {
		t.Fatalf("queries after the refusals: %d %s", a.code, a.body)
	}
	for _, path := range []string{"/api/queries", "/metrics", "/api/queries/1/events"} {
		if a := s.do(t, "GET", path, ""); a.code != 401 {
			t.Errorf("GET %s without a token: %d", path, a.code)
		}
	}

	// The printed URL puts the token in a cookie and out of the address.
	a := s.do(t, "GET", "/?token="+s.token, "")
	if a.code != http.StatusSeeOther {
		t.Fatalf("the printed URL: %d %s", a.code, a.body)
	}
	ok := s.do(t, "POST", "/api/queries", sql, "Content-Type", "application/json", "Authorization", bearer, "Origin", s.base)
	if ok.code != http.StatusCreated {
		t.Fatalf("with the token: %d %s", ok.code, ok.body)
	}
	var created struct{ ID int }
	json.Unmarshal([]byte(ok.body), &created)
	if a := s.do(t, "GET", fmt.Sprintf("/api/queries/%d", created.ID), "", "Cookie", "streamsql_token="+s.token); a.code != 200 {
		t.Errorf("with the cookie: %d %s", a.code, a.body)
	}
}

// A server reachable from other machines needs a token given to it.
func TestHTTPBeyondLoopbackNeedsToken(t *testing.T) {
	cmd := exec.Command(binary, "--http", "0.0.0.0:0")
	cmd.Env = append(os.Environ(), "STREAMSQL_HTTP_TOKEN=")
	out, err := cmd.CombinedOutput()
	want := "streamsql: --http 0.0.0.0:0 listens beyond this machine: give a token with --http-token or STREAMSQL_HTTP_TOKEN"
	if err == nil || !strings.HasPrefix(string(out), want) {
		t.Fatalf("got %v: %s\nwant %s...", err, out, want)
	}
	s := startHTTPServer(t, []string{"STREAMSQL_HTTP_TOKEN=s3cret"}, "--http", "0.0.0.0:0")
	if s.token != "" {
		t.Errorf("a token given is not printed")
	}
	s.base = strings.Replace(s.base, "0.0.0.0", "127.0.0.1", 1)
	if a := s.do(t, "GET", "/api/queries", "", "Authorization", "Bearer s3cret"); a.code != 200 {
		t.Errorf("with the given token: %d %s", a.code, a.body)
	}
}

// TestHTTPConnectionFlood holds more idle connections than the server
// serves at once: a new request gets a 503 at once instead of waiting or
// failing to accept, the query started with -e goes on printing results,
// and once the flood ends requests are served again.
func TestHTTPConnectionFlood(t *testing.T) {
	s := startHTTPServer(t, nil, "--http", "127.0.0.1:0", "--batch", "100ms", "--output", "jsonl",
		"-e", "SELECT COUNT(*) AS n FROM generate(rate => 1000)")
	addr := strings.TrimPrefix(s.base, "http://")
	var flood []net.Conn
	defer func() {
		for _, c := range flood {
			c.Close()
		}
	}()
	for i := 0; i < 600; i++ {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatalf("connection %d: %v", i, err)
		}
		flood = append(flood, c)
	}
	// A request on a connection beyond the cap is answered 503 at once
	// (or, while many such are being answered, closed unanswered).
	got503 := false
	for deadline := time.Now().Add(30 * time.Second); !got503 && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(30 * time.Second))
		fmt.Fprintf(c, "GET /api/queries HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\n\r\n", addr, s.token)
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != 503 || !strings.Contains(string(b), "too many connections") {
				t.Fatalf("during the flood: %d %s", resp.StatusCode, b)
			}
			got503 = true
		}
		c.Close()
	}
	if !got503 {
		t.Fatal("no 503 during the flood")
	}
	// The engine is not the API: results keep coming.
	for i := 0; i < 3; i++ {
		l, err := s.stdout.ReadString('\n')
		if err != nil || !strings.Contains(l, `"n"`) {
			t.Fatalf("result line %q, %v", l, err)
		}
	}
	for _, c := range flood {
		c.Close()
	}
	flood = nil
	deadline := time.Now().Add(30 * time.Second)
	for {
		a := s.do(t, "GET", "/api/queries", "", "Authorization", "Bearer "+s.token)
		if a.code == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after the flood: %d %s", a.code, a.body)
		}
		time.Sleep(10 * time.Millisecond) // the server sees the closes
	}
}
