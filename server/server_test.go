package server

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/streamsql/streamsql"
	"github.com/streamsql/streamsql/clock"
)

// newTestServer serves a fresh engine (fake clock when fake is non-nil);
// setup, when given, sets the server up before it serves.
func newTestServer(t *testing.T, fake *clock.Fake, setup ...func(*Server)) (*Server, *httptest.Server) {
	t.Helper()
	cfg := streamsql.Config{BatchInterval: time.Second, Log: io.Discard}
	if fake != nil {
		cfg.Clock = fake
	}
	srv := New(streamsql.New(cfg))
	for _, f := range setup {
		f(srv)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(func() {
		srv.Close()
		ts.Close()
	})
	return srv, ts
}

type apiResponse struct {
	ID      int      `json:"id"`
	Columns []string `json:"columns"`
	Error   string   `json:"error"`
	Line    int      `json:"line"`
	Column  int      `json:"column"`
	State   string   `json:"state"`
	Deleted bool     `json:"deleted"`
}

func call(t *testing.T, method, url, body string) (int, apiResponse) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var r apiResponse
	if err := json.Unmarshal(raw, &r); err != nil {
		t.Fatalf("%s %s: %v in %q", method, url, err, raw)
	}
	return resp.StatusCode, r
}

func submit(t *testing.T, ts *httptest.Server, sql string) apiResponse {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"sql": sql})
	code, r := call(t, "POST", ts.URL+"/api/queries", string(body))
	if code != http.StatusCreated {
		t.Fatalf("POST %q: %d %+v", sql, code, r)
	}
	return r
}

type sseEvent struct {
	ID   int64
	Kind string // "" for results
	Data string
}

type resultEvent struct {
	Query   int             `json:"query"`
	Emitted bool            `json:"emitted"`
	Final   bool            `json:"final"`
	Columns []string        `json:"columns"`
	Rows    [][]any         `json:"rows"`
	Window  *map[string]any `json:"window"`
	Stats   struct {
		RowsIn    int64   `json:"rows_in"`
		Late      int64   `json:"late"`
		Malformed int64   `json:"malformed"`
		ProcMS    float64 `json:"processing_ms"`
	} `json:"stats"`
}

// subscribe opens a query's event stream and delivers its events until
// the server ends it.
func subscribe(t *testing.T, ts *httptest.Server, id int, query string) <-chan sseEvent {
	t.Helper()
	resp, err := http.Get(ts.URL + "/api/queries/" + strconv.Itoa(id) + "/events" + query)
	if err != nil {
		t.Fatal(err)
	}
	if ct := resp.Header.Get("Content-Type"); resp.StatusCode != 200 || ct != "text/event-stream" {
		t.Fatalf("events: %d %s", resp.StatusCode, ct)
	}
	ch := make(chan sseEvent, 1000)
	go func() {
		defer close(ch)
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(nil, 1<<24)
		var ev sseEvent
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if ev.Data != "" {
					ch <- ev
				}
				ev = sseEvent{}
			case strings.HasPrefix(line, "id: "):
				ev.ID, _ = strconv.ParseInt(line[4:], 10, 64)
			case strings.HasPrefix(line, "event: "):
				ev.Kind = line[7:]
			case strings.HasPrefix(line, "data: "):
				ev.Data += line[6:]
			}
		}
	}()
	return ch
}

func next(t *testing.T, ch <-chan sseEvent, kinds ...string) sseEvent {
	t.Helper()
	for {
		select {
		case ev, ok := <-ch:
			if !ok {
				t.Fatal("event stream ended")
			}
			for _, k := range kinds {
				if ev.Kind == k {
					return ev
				}
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("no %q event within 10s", kinds)
		}
	}
}

func decodeResult(t *testing.T, ev sseEvent) resultEvent {
	t.Helper()
	var r resultEvent
	if err := json.Unmarshal([]byte(ev.Data), &r); err != nil {
		t.Fatalf("%v in %s", err, ev.Data)
	}
	return r
}

func rowsText(rows [][]any) string {
	var b strings.Builder
	for _, r := range rows {
		for i, v := range r {
			if i > 0 {
				b.WriteByte('|')
			}
			b.WriteString(strings.Trim(string(must(json.Marshal(v))), `"`))
		}
		b.WriteByte('\n')
	}
	return b.String()
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func TestBoundedQueryEvents(t *testing.T) {
	_, ts := newTestServer(t, nil)
	r := submit(t, ts, "SELECT COUNT(*) AS n FROM generate(kind => 'words', limit => 1000, rate => 0)")
	if r.ID == 0 || strings.Join(r.Columns, ",") != "n" {
		t.Fatalf("submit: %+v", r)
	}
	// from=0 replays what the query emitted before we connected.
	for _, ch := range []<-chan sseEvent{subscribe(t, ts, r.ID, "?from=0"), subscribe(t, ts, r.ID, "?from=0")} {
		res := decodeResult(t, next(t, ch, ""))
		if got := rowsText(res.Rows); got != "1000\n" || !res.Final || res.Stats.RowsIn != 1000 || res.Query != r.ID {
			t.Fatalf("result: %+v", res)
		}
		end := next(t, ch, "end", "")
		if end.Kind != "end" || !strings.Contains(end.Data, `"state":"finished"`) {
			t.Fatalf("after the final result: %+v", end)
		}
		if _, open := <-ch; open {
			t.Fatal("stream not closed after end")
		}
	}
	var list []info
	resp := must(http.Get(ts.URL + "/api/queries"))
	json.NewDecoder(resp.Body).Decode(&list)
	resp.Body.Close()
	if len(list) != 1 || list[0].State != stateFinished || list[0].Stats.RowsIn != 1000 || list[0].Stats.RowsOut != 1 || list[0].Stats.Emissions != 1 {
		t.Fatalf("list: %+v", list)
	}
	metricsHave(t, ts, r.ID, map[string]string{
		"streamsql_query_rows_in_total":                        "1000",
		"streamsql_query_rows_out_total":                       "1",
		"streamsql_query_batches_total":                        "1",
		"streamsql_query_emissions_total":                      "1",
		"streamsql_query_late_rows_total":                      "0",
		"streamsql_query_malformed_records_total":              "0",
		"streamsql_query_batch_processing_seconds_count":       "1",
		"streamsql_query_batch_scheduling_delay_seconds_count": "1",
	})
	// DELETE of an ended query forgets it and its series.
	if code, d := call(t, "DELETE", ts.URL+"/api/queries/"+strconv.Itoa(r.ID), ""); code != 200 || !d.Deleted {
		t.Fatalf("delete: %d %+v", code, d)
	}
	if code, _ := call(t, "GET", ts.URL+"/api/queries/"+strconv.Itoa(r.ID), ""); code != 404 {
		t.Fatalf("deleted query still there: %d", code)
	}
	if body := get(t, ts.URL+"/metrics"); strings.Contains(body, `query="`+strconv.Itoa(r.ID)+`"`) {
		t.Fatal("deleted query's metrics still exported")
	}
}

// TestPushedBatches follows a query over rows pushed by the test through
// batches closed by a fake clock, with two subscribers, then stops it.
func TestPushedBatches(t *testing.T) {
	fake := clock.NewFake(time.Unix(0, 0).UTC())
	srv, ts := newTestServer(t, fake)
	src, err := srv.eng.NewPushSource("srv_clicks", "user TEXT, late BOOLEAN")
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	r := submit(t, ts, "SELECT user, COUNT(*) AS n FROM srv_clicks() GROUP BY user WINDOW 1s ORDER BY user")
	a, b := subscribe(t, ts, r.ID, ""), subscribe(t, ts, r.ID, "")
	push := func(users ...string) {
		for _, u := range users {
			if err := src.Push(u, false); err != nil {
				t.Fatal(err)
			}
		}
	}
	// Each batch's rows are pushed once the previous batch has closed.
	var got [2][]string
	for _, users := range [][]string{{"ann", "bob", "ann"}, {"cid"}} {
		push(users...)
		fake.Advance(time.Second)
		for i, ch := range []<-chan sseEvent{a, b} {
			res := decodeResult(t, next(t, ch, ""))
			if res.Final || strings.Join(res.Columns, ",") != "user,n" {
				t.Fatalf("result: %+v", res)
			}
			got[i] = append(got[i], rowsText(res.Rows))
		}
	}
	want := []string{"ann|2\nbob|1\n", "cid|1\n"}
	for i := range got {
		if strings.Join(got[i], "/") != strings.Join(want, "/") {
			t.Fatalf("subscriber %d got %q, want %q", i, got[i], want)
		}
	}
	push("dee", "dee")
	code, d := call(t, "DELETE", ts.URL+"/api/queries/"+strconv.Itoa(r.ID), "")
	if code != 200 || d.State != stateStopped {
		t.Fatalf("delete: %d %+v", code, d)
	}
	for _, ch := range []<-chan sseEvent{a, b} {
		res := decodeResult(t, next(t, ch, ""))
		if got := rowsText(res.Rows); got != "dee|2\n" || !res.Final {
			t.Fatalf("final result: %q final=%v", got, res.Final)
		}
		if end := next(t, ch, "end"); !strings.Contains(end.Data, `"state":"stopped"`) {
			t.Fatalf("end: %s", end.Data)
		}
	}
	if err := src.Push("eve", false); err == nil {
		t.Fatal("push after DELETE succeeded")
	}
	metricsHave(t, ts, r.ID, map[string]string{
		"streamsql_query_rows_in_total":   "6",
		"streamsql_query_rows_out_total":  "4",
		"streamsql_query_emissions_total": "3",
		"streamsql_query_batches_total":   "3",
	})
	// A late subscriber resuming after the first event gets the rest.
	c := subscribe(t, ts, r.ID, "?from=1")
	if res := decodeResult(t, next(t, c, "")); rowsText(res.Rows) != "cid|1\n" {
		t.Fatalf("resumed at %+v", res)
	}
}

func TestSQLErrors(t *testing.T) {
	_, ts := newTestServer(t, nil)
	for _, c := range []struct {
		sql          string
		line, column int
		msg          string
	}{
		{"SELEC 1", 1, 1, "syntax error"},
		{"SELECT COUNT(*)\nFROM nosuch()", 2, 6, "unknown source nosuch()"},
	} {
		body, _ := json.Marshal(map[string]string{"sql": c.sql})
		code, r := call(t, "POST", ts.URL+"/api/queries", string(body))
		if code != 400 || r.Line != c.line || r.Column != c.column || !strings.Contains(r.Error, c.msg) {
			t.Errorf("%q: %d %+v, want 400 at %d:%d", c.sql, code, r, c.line, c.column)
		}
	}
	if code, r := call(t, "POST", ts.URL+"/api/queries", "not json"); code != 400 || r.Error == "" {
		t.Errorf("bad body: %d %+v", code, r)
	}
	if code, _ := call(t, "DELETE", ts.URL+"/api/queries/99", ""); code != 404 {
		t.Errorf("DELETE unknown: %d", code)
	}
}

func TestDashboardIsSelfContained(t *testing.T) {
	_, ts := newTestServer(t, nil)
	page := get(t, ts.URL+"/")
	for _, want := range []string{`<script src="app.js">`, `href="style.css"`, `id="query-form"`} {
		if !strings.Contains(page, want) {
			t.Fatalf("dashboard lacks %s", want)
		}
	}
	external := regexp.MustCompile(`(?i)(https?:)?//[a-z0-9.-]+\.[a-z]{2,}`)
	for _, f := range []string{"/", "/app.js", "/style.css"} {
		body := get(t, ts.URL+f)
		for _, m := range external.FindAllString(body, -1) {
			if m != "http://www.w3.org" { // the SVG namespace name, never fetched
				t.Errorf("%s references %s", f, m)
			}
		}
	}
}

func get(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %s", url, resp.StatusCode, body)
	}
	return string(body)
}

// metricsHave checks the query's series in /metrics.
func metricsHave(t *testing.T, ts *httptest.Server, id int, want map[string]string) {
	t.Helper()
	body := get(t, ts.URL+"/metrics")
	for name, v := range want {
		line := name + `{query="` + strconv.Itoa(id) + `"} ` + v + "\n"
		if !strings.Contains(body, line) {
			t.Errorf("/metrics lacks %q", line)
		}
	}
}

// TestSlowClientSkips: the ring keeps the newest events; a reader that
// fell behind is told how many it missed and goes on from the oldest held.
func TestSlowClientSkips(t *testing.T) {
	q := &query{wake: make(chan struct{})}
	for i := 0; i < 3*ringSize; i++ {
		q.mu.Lock()
		q.publishLocked("", []byte(strconv.Itoa(i)))
		q.mu.Unlock()
	}
	evs, missed, ended, _ := q.after(0)
	if ended || len(evs) < ringSize || int(missed)+len(evs) != 3*ringSize || evs[len(evs)-1].seq != 3*ringSize {
		t.Fatalf("missed %d, got %d events, last %d", missed, len(evs), evs[len(evs)-1].seq)
	}
	if evs, missed, _, _ := q.after(3*ringSize - 1); missed != 0 || len(evs) != 1 {
		t.Fatalf("up to date reader: missed %d, %d events", missed, len(evs))
	}
}

// TestLimits: a SQL body over the limit gets 413, a query beyond
// --max-queries 429, an event stream beyond MaxStreams 503; what was
// accepted before keeps working.
func TestLimits(t *testing.T) {
	cfg := streamsql.Config{BatchInterval: time.Second, Log: io.Discard, MaxQueries: 1}
	srv := New(streamsql.New(cfg))
	srv.MaxStreams = 1
	ts := httptest.NewServer(srv)
	t.Cleanup(func() {
		srv.Close()
		ts.Close()
	})
	huge := `{"sql": "SELECT 1 AS x -- ` + strings.Repeat("x", maxSQL) + `"}`
	if code, r := call(t, "POST", ts.URL+"/api/queries", huge); code != 413 || r.Error != "request body over 1048576 bytes" {
		t.Errorf("huge body: %d %+v", code, r)
	}
	q := submit(t, ts, "SELECT line FROM generate(rate => 1)")
	body, _ := json.Marshal(map[string]string{"sql": "SELECT line FROM generate(rate => 1)"})
	if code, r := call(t, "POST", ts.URL+"/api/queries", string(body)); code != 429 || !strings.HasPrefix(r.Error, "too many queries: 1 running") {
		t.Errorf("a second query: %d %+v", code, r)
	}
	url := ts.URL + "/api/queries/" + strconv.Itoa(q.ID) + "/events"
	first, err := http.Get(url)
	if err != nil || first.StatusCode != 200 {
		t.Fatalf("first stream: %v %v", first, err)
	}
	defer first.Body.Close()
	second, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(second.Body)
	second.Body.Close()
	if second.StatusCode != 503 || !strings.Contains(string(b), "too many event streams open (the limit is 1)") {
		t.Errorf("second stream: %d %s", second.StatusCode, b)
	}
}

// TestUpdatingTable: an aggregate without WINDOW is a table kept up to
// date; subscribers are sent it whole after each batch that changed it.
func TestUpdatingTable(t *testing.T) {
	fake := clock.NewFake(time.Unix(0, 0).UTC())
	srv, ts := newTestServer(t, fake)
	src, err := srv.eng.NewPushSource("srv_views", "user TEXT")
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	r := submit(t, ts, "SELECT user, COUNT(*) AS n FROM srv_views() GROUP BY user")
	ch := subscribe(t, ts, r.ID, "")
	var got []string
	for _, users := range [][]string{{"ann", "bob", "ann"}, {"cid", "bob"}} {
		for _, u := range users {
			if err := src.Push(u); err != nil {
				t.Fatal(err)
			}
		}
		fake.Advance(time.Second)
		got = append(got, rowsText(decodeResult(t, next(t, ch, "")).Rows))
	}
	want := []string{"ann|2\nbob|1\n", "ann|2\nbob|2\ncid|1\n"}
	if strings.Join(got, "/") != strings.Join(want, "/") {
		t.Fatalf("got %q, want %q", got, want)
	}
}

// TestViews: a materialized view created through the API is listed by
// /api/views with its rows and key, and a pull query posted answers from
// it at once.
func TestViews(t *testing.T) {
	fake := clock.NewFake(time.Unix(0, 0).UTC())
	srv, ts := newTestServer(t, fake)
	src, err := srv.eng.NewPushSource("srv_pv", "user TEXT")
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	submit(t, ts, "CREATE MATERIALIZED VIEW per_user AS SELECT user, COUNT(*) AS n FROM srv_pv() GROUP BY user")
	for _, u := range []string{"ann", "bob", "ann"} {
		if err := src.Push(u); err != nil {
			t.Fatal(err)
		}
	}
	fake.Advance(time.Second)
	deadline := time.Now().Add(20 * time.Second)
	var views []viewInfo
	for {
		resp, err := http.Get(ts.URL + "/api/views")
		if err != nil {
			t.Fatal(err)
		}
		json.NewDecoder(resp.Body).Decode(&views)
		resp.Body.Close()
		if len(views) == 1 && views[0].Rows == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/api/views: %+v", views)
		}
		time.Sleep(5 * time.Millisecond) // the view's writer is its own goroutine
	}
	v := views[0]
	if v.Name != "per_user" || strings.Join(v.Columns, ", ") != "user TEXT, n BIGINT" || strings.Join(v.Key, ",") != "user" || v.Query == 0 || v.Updated != "1970-01-01T00:00:01Z" {
		t.Errorf("/api/views: %+v", v)
	}
	body, _ := json.Marshal(map[string]string{"sql": "SELECT n FROM per_user WHERE user = 'ann'"})
	resp, err := http.Post(ts.URL+"/api/queries", "application/json", strings.NewReader(string(body)))
	if err != nil {
		t.Fatal(err)
	}
	var out struct{ Output string }
	json.NewDecoder(resp.Body).Decode(&out)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(out.Output, "│ 2 │") {
		t.Errorf("pull query: %d %q", resp.StatusCode, out.Output)
	}
}
