package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/streamsql/streamsql"
	"github.com/streamsql/streamsql/types"
)

// Query states.
const (
	stateRunning  = "running"
	stateStopping = "stopping" // DELETE asked; the final result is on its way
	stateFinished = "finished" // the input ended
	stateStopped  = "stopped"  // stopped by DELETE or Close
	stateFailed   = "failed"
)

const (
	ringSize     = 256 // events kept at least, per query, for (re)connecting clients
	batchHistory = 120 // batch statistics kept per query for the dashboard
)

// event is one encoded server-sent event.
type event struct {
	seq  int64
	kind string // "" for results; "batch" for batches without emission; "end"
	data []byte
}

// query is a running (or ended) query the server reads.
type query struct {
	id      int
	sql     string
	columns []string
	q       *streamsql.Query
	m       *metrics
	done    chan struct{} // closed when its results have all been read
	// view is an updating query's table: clients are sent it whole
	// (read and written by the one goroutine that publishes).
	view types.View

	mu       sync.Mutex
	state    string
	err      string
	started  time.Time
	rowsIn   int64 // sums over the results read, consistent with the events
	late     int64
	malf     int64
	rowsOut  int64
	emits    int64
	batches  int64
	last     json.RawMessage // the last emitted result's event
	history  []batchPoint
	ring     []event // the last ringSize events, oldest first
	seq      int64   // id of the newest event
	wake     chan struct{}
	stopping bool
}

type batchPoint struct {
	Time              time.Time `json:"time"`
	RowsIn            int64     `json:"rows_in"`
	RowsOut           int       `json:"rows_out"`
	ProcessingMS      float64   `json:"processing_ms"`
	SchedulingDelayMS float64   `json:"scheduling_delay_ms"`
}

func newQuery(sq *streamsql.Query, m *metrics) *query {
	cols := sq.Columns
	if cols == nil {
		cols = []string{}
	}
	return &query{
		id: sq.ID, sql: sq.SQL, columns: cols, q: sq, m: m,
		done: make(chan struct{}), state: stateRunning, started: time.Now(),
		wake: make(chan struct{}),
	}
}

// run reads the query's results until it ends. It never waits on a
// client: publishing appends to the ring and wakes the readers.
func (q *query) run() {
	results := q.q.Results()
	if q.q.IsInsert() {
		results = q.q.Progress()
	}
	for res := range results {
		q.publish(res)
	}
	q.finish(q.q.Wait())
}

// publish records one result of the query and sends it to the clients.
func (q *query) publish(res *streamsql.Result) {
	if res.Updating && res.Emitted {
		// The page shows the table as it now stands, as the console does.
		q.view.Apply(res)
		whole := *res
		whole.Rows, whole.Deletes, whole.Updating = q.view.Rows(), nil, false
		res = &whole
	}
	q.m.observe(q.id, res)
	data := encodeResult(q.id, res)
	q.mu.Lock()
	defer q.mu.Unlock()
	q.batches++
	q.rowsIn += res.Stats.RowsIn
	q.late += res.Stats.Late
	q.malf += res.Stats.Malformed
	q.history = append(q.history, batchPoint{
		Time: res.Time, RowsIn: res.Stats.RowsIn, RowsOut: len(res.Rows),
		ProcessingMS:      ms(res.Stats.ProcessingTime),
		SchedulingDelayMS: ms(res.Stats.SchedulingDelay),
	})
	if len(q.history) > batchHistory {
		q.history = q.history[len(q.history)-batchHistory:]
	}
	kind := "batch"
	if res.Emitted {
		kind = ""
		q.rowsOut += int64(len(res.Rows))
		q.emits++
		q.last = data
	}
	q.publishLocked(kind, data)
}

// finish records how the query ended and closes the event streams.
func (q *query) finish(err error) {
	defer close(q.done)
	q.mu.Lock()
	defer q.mu.Unlock()
	switch {
	case err != nil:
		q.state, q.err = stateFailed, err.Error()
	case q.stopping:
		q.state = stateStopped
	default:
		q.state = stateFinished
	}
	end, _ := json.Marshal(map[string]any{"id": q.id, "state": q.state, "error": q.err})
	q.publishLocked("end", end)
}

// publishLocked adds an event to the ring and wakes every reader.
func (q *query) publishLocked(kind string, data []byte) {
	q.seq++
	q.ring = append(q.ring, event{seq: q.seq, kind: kind, data: data})
	if len(q.ring) >= 2*ringSize { // trim in bulk: amortised O(1)
		q.ring = append(q.ring[:0:0], q.ring[len(q.ring)-ringSize:]...)
	}
	close(q.wake)
	q.wake = make(chan struct{})
}

func (q *query) stop() {
	q.mu.Lock()
	if q.state == stateRunning {
		q.state, q.stopping = stateStopping, true
	}
	q.mu.Unlock()
	q.q.Stop()
}

// after returns the events after seq, how many were missed because the
// ring no longer holds them, whether the stream has ended (the "end" event
// is among those returned or was already sent), and a channel closed at
// the next event.
func (q *query) after(seq int64) (evs []event, missed int64, ended bool, wake <-chan struct{}) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.ring) > 0 {
		oldest := q.ring[0].seq
		if seq < oldest-1 {
			missed = oldest - 1 - seq
			seq = oldest - 1
		}
		start := int(seq - oldest + 1)
		if start < len(q.ring) {
			evs = append(evs, q.ring[start:]...)
		}
		ended = q.ring[len(q.ring)-1].kind == "end"
	}
	return evs, missed, ended, q.wake
}

// info is a query as GET /api/queries lists it.
type info struct {
	ID      int       `json:"id"`
	SQL     string    `json:"sql"`
	Columns []string  `json:"columns"`
	State   string    `json:"state"`
	Error   string    `json:"error,omitempty"`
	Insert  bool      `json:"insert"`
	Started time.Time `json:"started"`
	Stats   struct {
		RowsIn    int64 `json:"rows_in"`
		RowsOut   int64 `json:"rows_out"`
		Late      int64 `json:"late"`
		Malformed int64 `json:"malformed"`
		Batches   int64 `json:"batches"`
		Emissions int64 `json:"emissions"`
	} `json:"stats"`
	LastEvent int64 `json:"last_event"`
}

// snapshot sums the results read so far: the totals match the events up to
// LastEvent (rows of a batch not yet closed are not counted).
func (q *query) snapshot() info {
	q.mu.Lock()
	defer q.mu.Unlock()
	in := info{ID: q.id, SQL: q.sql, Columns: q.columns, State: q.state, Error: q.err, Insert: q.q.IsInsert(), Started: q.started, LastEvent: q.seq}
	in.Stats.RowsIn, in.Stats.Late, in.Stats.Malformed = q.rowsIn, q.late, q.malf
	in.Stats.RowsOut, in.Stats.Batches, in.Stats.Emissions = q.rowsOut, q.batches, q.emits
	return in
}

func (q *query) detail() any {
	in := q.snapshot()
	q.mu.Lock()
	defer q.mu.Unlock()
	return struct {
		info
		Last    json.RawMessage `json:"last"`
		Batches []batchPoint    `json:"batches"`
	}{in, q.last, append([]batchPoint{}, q.history...)}
}

// events streams the query's events: every event after the client's
// Last-Event-ID (or ?from=N), else only new ones, until the query ends or
// the client goes away.
func (s *Server) events(w http.ResponseWriter, r *http.Request) {
	q := s.lookup(w, r)
	if q == nil {
		return
	}
	if n := s.streams.Add(1); s.MaxStreams > 0 && n > int64(s.MaxStreams) {
		s.streams.Add(-1)
		w.Header().Set("Retry-After", "5")
		writeJSON(w, http.StatusServiceUnavailable, map[string]any{"error": fmt.Sprintf("too many event streams open (the limit is %d); close one or retry later", s.MaxStreams)})
		return
	}
	defer s.streams.Add(-1)
	rc := http.NewResponseController(w)
	q.mu.Lock()
	seq := q.seq
	q.mu.Unlock()
	// A reconnecting EventSource sends Last-Event-ID; it wins over the
	// ?from= of the URL it first opened.
	from := r.URL.Query().Get("from")
	if v := r.Header.Get("Last-Event-ID"); v != "" {
		from = v
	}
	if from != "" {
		n, err := strconv.ParseInt(from, 10, 64)
		if err != nil || n < 0 {
			http.Error(w, "from must be an event id", http.StatusBadRequest)
			return
		}
		seq = min(n, seq)
	}
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	var buf bytes.Buffer
	buf.WriteString("retry: 2000\n\n")
	heartbeat := time.NewTicker(s.Heartbeat)
	defer heartbeat.Stop()
	for {
		evs, missed, ended, wake := q.after(seq)
		if missed > 0 {
			fmt.Fprintf(&buf, "event: gap\ndata: {\"missed\":%d}\n\n", missed)
		}
		for _, ev := range evs {
			fmt.Fprintf(&buf, "id: %d\n", ev.seq)
			if ev.kind != "" {
				fmt.Fprintf(&buf, "event: %s\n", ev.kind)
			}
			buf.WriteString("data: ")
			buf.Write(ev.data)
			buf.WriteString("\n\n")
			seq = ev.seq
		}
		if buf.Len() > 0 {
			rc.SetWriteDeadline(time.Now().Add(s.WriteTimeout))
			if _, err := w.Write(buf.Bytes()); err != nil {
				return
			}
			if err := rc.Flush(); err != nil {
				return
			}
			buf.Reset()
		}
		if ended {
			return
		}
		select {
		case <-wake:
		case <-heartbeat.C:
			buf.WriteString(": keep-alive\n\n")
		case <-r.Context().Done():
			return
		}
	}
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// encodeResult renders a result as the JSON of its event.
func encodeResult(id int, res *streamsql.Result) []byte {
	b := make([]byte, 0, 256)
	b = append(b, `{"query":`...)
	b = strconv.AppendInt(b, int64(id), 10)
	b = append(b, `,"time":`...)
	b = appendTime(b, res.Time)
	b = append(b, `,"emitted":`...)
	b = strconv.AppendBool(b, res.Emitted)
	b = append(b, `,"final":`...)
	b = strconv.AppendBool(b, res.Final)
	b = append(b, `,"window":`...)
	if res.Window != nil {
		b = append(b, `{"start":`...)
		b = appendTime(b, res.Window.Start)
		b = append(b, `,"end":`...)
		b = appendTime(b, res.Window.End)
		b = append(b, '}')
	} else {
		b = append(b, "null"...)
	}
	b = append(b, `,"columns":`...)
	cols, _ := json.Marshal(res.Columns)
	if res.Columns == nil {
		cols = []byte("[]")
	}
	b = append(b, cols...)
	b = append(b, `,"rows":[`...)
	for i, row := range res.Rows {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '[')
		for j, v := range row {
			if j > 0 {
				b = append(b, ',')
			}
			b = v.AppendJSON(b)
		}
		b = append(b, ']')
	}
	st := res.Stats
	b = append(b, `],"stats":{"rows_in":`...)
	b = strconv.AppendInt(b, st.RowsIn, 10)
	b = append(b, `,"malformed":`...)
	b = strconv.AppendInt(b, st.Malformed, 10)
	b = append(b, `,"late":`...)
	b = strconv.AppendInt(b, st.Late, 10)
	b = append(b, `,"processing_ms":`...)
	b = strconv.AppendFloat(b, ms(st.ProcessingTime), 'f', -1, 64)
	b = append(b, `,"scheduling_delay_ms":`...)
	b = strconv.AppendFloat(b, ms(st.SchedulingDelay), 'f', -1, 64)
	b = append(b, "}}"...)
	return b
}

func appendTime(b []byte, t time.Time) []byte {
	if t.IsZero() {
		return append(b, "null"...)
	}
	b = append(b, '"')
	b = t.UTC().AppendFormat(b, time.RFC3339Nano)
	return append(b, '"')
}
