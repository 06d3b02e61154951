// Package server is the live query service of streamsql: an HTTP API to
// submit, list and stop continuous queries, their results pushed as
// server-sent events, Prometheus metrics, and a dashboard page.
//
//	POST   /api/queries             {"sql": "..."} → 201 {"id": 1, "columns": [...]}
//	                                SQL errors → 400 {"error", "line", "column"}
//	GET    /api/queries             every query: id, sql, state, stats
//	GET    /api/queries/{id}        one query, with its last result and recent batches
//	DELETE /api/queries/{id}        stop a running query (it emits its final
//	                                result); on an ended query: forget it
//	GET    /api/queries/{id}/events server-sent events, one per result
//	GET    /api/views               materialized views: columns, key, rows,
//	                                last update, subscribers
//	GET    /metrics                 Prometheus metrics
//	GET    /                        the dashboard (embedded, no network needed)
//
// The server reads each query's results itself, one goroutine per query,
// so queries run whether or not anybody watches. Each result is encoded
// once into a per-query ring of recent events (the last 256); every
// event-stream client reads that ring at its own pace. The engine never
// waits for a client: a client that falls further behind than the ring
// holds skips to the oldest event still held and is told how many it
// missed (an "event: gap"), and a client that does not take a write within
// 10s is disconnected. Events carry ids, so a reconnecting EventSource
// resumes after the last event it saw (Last-Event-ID), and ?from=0 asks
// for every event still held.
package server

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/streamsql/streamsql"
	"github.com/streamsql/streamsql/parser"
	"github.com/streamsql/streamsql/sinks"
)

//go:embed static
var staticFiles embed.FS

// Server serves the API, the metrics and the dashboard for one engine.
type Server struct {
	eng     *streamsql.Engine
	mux     *http.ServeMux
	reg     *prometheus.Registry
	metrics *metrics

	mu      sync.Mutex
	queries map[int]*query
	closed  bool

	// WriteTimeout bounds each write to an event-stream client; a client
	// that does not take the bytes in time is disconnected. Default 10s.
	WriteTimeout time.Duration
	// Heartbeat is how often an idle event stream gets a comment line,
	// so proxies keep it open and dead clients are noticed. Default 15s.
	Heartbeat time.Duration
	// Token, when set, is required on every API request, event stream
	// and /metrics (see guard.go); "" serves without authentication, for
	// an embedder that authenticates in front of the server.
	Token string
	// Hosts are the names the Host header may give (HostsFor); nil
	// accepts any.
	Hosts []string
	// MaxStreams bounds the event streams open at once (503 beyond);
	// default 64, 0 for no bound.
	MaxStreams int

	streams atomic.Int64 // event streams open
}

// maxStreams is Server.MaxStreams by default: each stream holds a
// connection and a goroutine.
const maxStreams = 64

// New returns a server for eng. Queries submitted through it run until
// they end, are deleted, or Close is called.
func New(eng *streamsql.Engine) *Server {
	s := &Server{
		eng:          eng,
		mux:          http.NewServeMux(),
		reg:          prometheus.NewRegistry(),
		queries:      map[int]*query{},
		WriteTimeout: 10 * time.Second,
		Heartbeat:    15 * time.Second,
		MaxStreams:   maxStreams,
	}
	s.metrics = newMetrics(s.reg)
	s.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	s.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "streamsql_queries_running",
		Help: "Queries submitted through the server that are running.",
	}, func() float64 {
		n := 0
		for _, q := range s.list() {
			if q.snapshot().State == stateRunning {
				n++
			}
		}
		return float64(n)
	}))

	static, _ := fs.Sub(staticFiles, "static")
	s.mux.HandleFunc("POST /api/queries", s.submit)
	s.mux.HandleFunc("GET /api/queries", s.listQueries)
	s.mux.HandleFunc("GET /api/queries/{id}", s.getQuery)
	s.mux.HandleFunc("DELETE /api/queries/{id}", s.deleteQuery)
	s.mux.HandleFunc("GET /api/queries/{id}/events", s.events)
	s.mux.HandleFunc("GET /api/views", s.listViews)
	s.mux.Handle("GET /metrics", promhttp.HandlerFor(s.reg, promhttp.HandlerOpts{}))
	s.mux.Handle("GET /", http.FileServerFS(static))
	return s
}

// Registry is the Prometheus registry behind /metrics, for embedders
// that add their own collectors.
func (s *Server) Registry() *prometheus.Registry { return s.reg }

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.guard(w, r) {
		s.mux.ServeHTTP(w, r)
	}
}

// Watch shows a query someone else reads (the command's -e/-f queries) on
// the dashboard, in the list and in /metrics: the reader passes each
// result to publish and the query's end to done.
func (s *Server) Watch(sq *streamsql.Query) (publish func(*streamsql.Result), done func(error)) {
	q := newQuery(sq, s.metrics)
	s.mu.Lock()
	s.queries[q.id] = q
	s.mu.Unlock()
	return q.publish, q.finish
}

// Close stops every query submitted through the server, waits for them
// to end, and ends the event streams. Later submissions are refused.
func (s *Server) Close() {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	qs := s.list()
	for _, q := range qs {
		q.stop()
	}
	for _, q := range qs {
		<-q.done
	}
}

func (s *Server) list() []*query {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*query, 0, len(s.queries))
	for _, q := range s.queries {
		out = append(out, q)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].id < out[j].id })
	return out
}

func (s *Server) lookup(w http.ResponseWriter, r *http.Request) *query {
	id, err := strconv.Atoi(r.PathValue("id"))
	if err == nil {
		s.mu.Lock()
		q := s.queries[id]
		s.mu.Unlock()
		if q != nil {
			return q
		}
	}
	writeJSON(w, http.StatusNotFound, map[string]any{"error": "no query " + strconv.Quote(r.PathValue("id"))})
	return nil
}

// maxSQL bounds a submitted statement.
const maxSQL = 1 << 20

type submitted struct {
	ID      int      `json:"id"`
	SQL     string   `json:"sql"`
	Columns []string `json:"columns"`
}

// submit prepares the posted SQL and starts its queries. A script may hold
// several statements (CREATE STREAM, then queries over it); the response
// names the first query in id/columns and every one in queries. Text
// without a query (SHOW STREAMS, EXPLAIN, DDL) answers 200 with its output.
func (s *Server) submit(w http.ResponseWriter, r *http.Request) {
	var body struct {
		SQL string `json:"sql"`
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxSQL))
	if err := dec.Decode(&body); err != nil {
		if mbe := (*http.MaxBytesError)(nil); errors.As(err, &mbe) {
			writeJSON(w, http.StatusRequestEntityTooLarge, map[string]any{"error": fmt.Sprintf("request body over %d bytes", maxSQL)})
			return
		}
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": "request body must be JSON {\"sql\": \"...\"}: " + err.Error()})
		return
	}
	if body.SQL == "" {
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": "sql is empty"})
		return
	}
	s.mu.Lock()
	closed := s.closed
	s.mu.Unlock()
	if closed {
		writeJSON(w, http.StatusServiceUnavailable, map[string]any{"error": "server is shutting down"})
		return
	}
	stmts, err := s.eng.PrepareContext(r.Context(), body.SQL)
	if r.Context().Err() != nil {
		return // the client went away
	}
	if err != nil {
		writeSQLError(w, err)
		return
	}
	var output string
	for _, st := range stmts {
		switch st.Kind {
		case streamsql.KindExplain:
			output += st.Plan()
		case streamsql.KindQuery, streamsql.KindInsert:
		case streamsql.KindPull:
			res, err := st.Pull()
			if err != nil {
				writeSQLError(w, err)
				return
			}
			var b strings.Builder
			spec, _ := sinks.Lookup("table")
			sink, _ := spec.Open(&b, sinks.Options{Columns: res.Columns})
			sink.Write(r.Context(), res)
			sink.Close()
			output += b.String()
		default:
			output += st.Output
		}
	}
	// The server owns the queries' lifetime, not the request.
	started, err := s.eng.Start(context.Background(), stmts)
	if errors.Is(err, streamsql.ErrTooManyQueries) {
		w.Header().Set("Retry-After", "60")
		writeJSON(w, http.StatusTooManyRequests, map[string]any{"error": err.Error()})
		return
	}
	if err != nil {
		writeSQLError(w, err)
		return
	}
	if len(started) == 0 {
		writeJSON(w, http.StatusOK, map[string]any{"output": output})
		return
	}
	var subs []submitted
	for _, sq := range started {
		q := newQuery(sq, s.metrics)
		s.mu.Lock()
		s.queries[q.id] = q
		s.mu.Unlock()
		go q.run()
		cols := sq.Columns
		if cols == nil {
			cols = []string{}
		}
		subs = append(subs, submitted{ID: sq.ID, SQL: sq.SQL, Columns: cols})
	}
	writeJSON(w, http.StatusCreated, map[string]any{
		"id":      subs[0].ID,
		"columns": subs[0].Columns,
		"queries": subs,
		"output":  output,
	})
}

func writeSQLError(w http.ResponseWriter, err error) {
	body := map[string]any{"error": err.Error()}
	var perr *parser.Error
	if errors.As(err, &perr) {
		body["line"] = perr.Pos.Line
		body["column"] = perr.Pos.Column
		body["message"] = perr.Msg
		if sn := perr.Snippet(); sn != "" {
			body["snippet"] = sn
		}
	}
	writeJSON(w, http.StatusBadRequest, body)
}

func (s *Server) listQueries(w http.ResponseWriter, r *http.Request) {
	out := []info{}
	for _, q := range s.list() {
		out = append(out, q.snapshot())
	}
	writeJSON(w, http.StatusOK, out)
}

// viewInfo is a materialized view as /api/views lists it.
type viewInfo struct {
	Name        string   `json:"name"`
	Definition  string   `json:"definition"`
	Columns     []string `json:"columns"`
	Key         []string `json:"key"`
	Rows        int      `json:"rows"`
	Updated     string   `json:"updated,omitempty"`
	Query       int      `json:"query"`
	Subscribers int      `json:"subscribers"`
	Error       string   `json:"error,omitempty"`
}

func (s *Server) listViews(w http.ResponseWriter, r *http.Request) {
	out := []viewInfo{}
	for _, v := range s.eng.Views() {
		vi := viewInfo{Name: v.Name, Definition: v.Definition, Key: v.Key, Rows: v.Rows, Query: v.QueryID, Subscribers: v.Subscribers}
		for _, c := range v.Columns {
			vi.Columns = append(vi.Columns, c.Name+" "+c.Type.String())
		}
		if !v.Updated.IsZero() {
			vi.Updated = v.Updated.UTC().Format(time.RFC3339Nano)
		}
		if v.Err != nil {
			vi.Error = v.Err.Error()
		}
		out = append(out, vi)
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) getQuery(w http.ResponseWriter, r *http.Request) {
	q := s.lookup(w, r)
	if q == nil {
		return
	}
	writeJSON(w, http.StatusOK, q.detail())
}

// deleteQuery stops a running query and waits (up to 10s) for its final
// result; a query that has already ended is forgotten, with its metrics.
func (s *Server) deleteQuery(w http.ResponseWriter, r *http.Request) {
	q := s.lookup(w, r)
	if q == nil {
		return
	}
	select {
	case <-q.done:
		s.mu.Lock()
		delete(s.queries, q.id)
		s.mu.Unlock()
		s.metrics.forget(q.id)
		writeJSON(w, http.StatusOK, map[string]any{"id": q.id, "deleted": true})
		return
	default:
	}
	q.stop()
	select {
	case <-q.done:
	case <-time.After(10 * time.Second):
	case <-r.Context().Done():
		return
	}
	writeJSON(w, http.StatusOK, q.snapshot())
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
}
