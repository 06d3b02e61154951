package server

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strings"
)

// The API runs SQL that reads and writes files on the user's machine, so
// any web page the user visits must not be able to use it. Every request
// passes guard before the routes:
//
//   - Host must name this server (Server.Hosts): a page that rebinds its
//     own DNS name to 127.0.0.1 still sends its own name, and is refused
//     with 403.
//   - A request that changes something (POST, PUT, PATCH, DELETE) and
//     carries an Origin other than the server's own is refused with 403:
//     browsers send Origin on cross-site POSTs, including the text/plain
//     ones they send without asking first (no CORS preflight).
//   - A body must be JSON (Content-Type: application/json), 415 otherwise:
//     a cross-site form or text/plain POST cannot set that type without a
//     preflight, which this server never answers.
//   - With a Token, every API request, event stream and /metrics must
//     carry it: "Authorization: Bearer TOKEN", the cookie the dashboard
//     gets, or ?token= (which also sets the cookie, so the printed URL
//     works once pasted into a browser); 401 otherwise. The dashboard page
//     and its files are served to anyone: they hold no data.

// tokenCookie is the cookie the dashboard keeps the token in: HttpOnly (no
// script reads it), SameSite=Strict (no other site's request carries it).
const tokenCookie = "streamsql_token"

// NewToken returns a random token for the API: 128 bits, hex.
func NewToken() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func (s *Server) guard(w http.ResponseWriter, r *http.Request) bool {
	if len(s.Hosts) > 0 && !hostAllowed(r.Host, s.Hosts) {
		writeJSON(w, http.StatusForbidden, map[string]any{"error": "host " + quote(r.Host) + " is not this server's; use the address it printed at start"})
		return false
	}
	changes := r.Method != http.MethodGet && r.Method != http.MethodHead && r.Method != http.MethodOptions
	if changes {
		if o := r.Header.Get("Origin"); o != "" && !sameOrigin(o, r.Host) {
			writeJSON(w, http.StatusForbidden, map[string]any{"error": "cross-origin request from " + quote(o) + " refused"})
			return false
		}
		if r.Header.Get("Sec-Fetch-Site") == "cross-site" {
			writeJSON(w, http.StatusForbidden, map[string]any{"error": "cross-site request refused"})
			return false
		}
	}
	public := r.Method == http.MethodGet && !strings.HasPrefix(r.URL.Path, "/api/") && r.URL.Path != "/metrics"
	if s.Token != "" && !public {
		if !s.authorized(r) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="streamsql"`)
			writeJSON(w, http.StatusUnauthorized, map[string]any{"error": "missing or wrong token: send Authorization: Bearer TOKEN, or open the dashboard URL streamsql printed at start"})
			return false
		}
	}
	if s.Token != "" && r.URL.Path == "/" && r.URL.Query().Has("token") {
		// The printed URL: keep the token in a cookie and take it out
		// of the address bar (and of the browser's history).
		if !s.tokenMatches(r.URL.Query().Get("token")) {
			writeJSON(w, http.StatusUnauthorized, map[string]any{"error": "wrong token in the URL"})
			return false
		}
		http.SetCookie(w, &http.Cookie{Name: tokenCookie, Value: s.Token, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode})
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return false
	}
	if changes && r.ContentLength != 0 {
		mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
		if err != nil || mt != "application/json" {
			writeJSON(w, http.StatusUnsupportedMediaType, map[string]any{"error": "the body must be JSON, sent with Content-Type: application/json"})
			return false
		}
	}
	return true
}

func (s *Server) authorized(r *http.Request) bool {
	if h := r.Header.Get("Authorization"); h != "" {
		t, ok := strings.CutPrefix(h, "Bearer ")
		return ok && s.tokenMatches(strings.TrimSpace(t))
	}
	if c, err := r.Cookie(tokenCookie); err == nil && s.tokenMatches(c.Value) {
		return true
	}
	return r.URL.Query().Has("token") && s.tokenMatches(r.URL.Query().Get("token"))
}

// tokenMatches compares in constant time, so the answer's timing does not
// tell how much of a guess was right.
func (s *Server) tokenMatches(t string) bool {
	return subtle.ConstantTimeCompare([]byte(t), []byte(s.Token)) == 1
}

// hostAllowed reports whether the Host header names one of hosts (names
// or addresses, without port; the port is the listener's anyway).
func hostAllowed(host string, hosts []string) bool {
	h, _, err := net.SplitHostPort(host)
	if err != nil {
		h = host
	}
	h = strings.Trim(h, "[]")
	for _, a := range hosts {
		if strings.EqualFold(h, a) {
			return true
		}
	}
	return false
}

// sameOrigin reports whether origin is this server as the request reached
// it: http(s)://Host.
func sameOrigin(origin, host string) bool {
	u, err := url.Parse(origin)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && strings.EqualFold(u.Host, host)
}

func quote(s string) string {
	if len(s) > 100 {
		s = s[:100] + "..."
	}
	return `"` + s + `"`
}

// HostsFor lists the names a request to a server listening on host may
// give in its Host header: the host itself, and the loopback names when it
// is a loopback or unspecified address. A server on every interface
// (0.0.0.0) accepts any name: it is reached by names it cannot know, and
// must have a token.
func HostsFor(host string) []string {
	ip := net.ParseIP(host)
	if ip != nil && ip.IsUnspecified() {
		return nil
	}
	hosts := []string{host}
	if host == "localhost" || ip != nil && ip.IsLoopback() {
		hosts = append(hosts, "localhost", "127.0.0.1", "::1")
	}
	return hosts
}

// IsLoopback reports whether a server listening on host is reachable from
// this machine only.
func IsLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
