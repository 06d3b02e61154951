package streamsql_test

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/streamsql/streamsql"
)

// These tests move known rows through real queries, from the real sources
// to the real sinks, and check what comes out on the other side.

func runOnce(t *testing.T, script string) []*streamsql.Query {
	t.Helper()
	eng := streamsql.New(streamsql.Config{Once: true, Log: io.Discard})
	stmts, err := eng.Prepare(script)
	if err != nil {
		t.Fatal(err)
	}
	qs, err := eng.Start(context.Background(), stmts)
	if err != nil {
		t.Fatal(err)
	}
	return qs
}

// TestKafkaToKafka counts words from one topic into another.
func TestKafkaToKafka(t *testing.T) {
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(2, "lines"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	addr := c.ListenAddrs()[0]
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.ConsumeTopics("counts"))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	for _, l := range []string{`{"w": "a"}`, `{"w": "b"}`, `not json`, `{"w": "a"}`} {
		if err := cl.ProduceSync(context.Background(), &kgo.Record{Topic: "lines", Value: []byte(l)}).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	qs := runOnce(t, fmt.Sprintf(`INSERT INTO kafka('%s', topic => 'counts')
		SELECT w, COUNT(*) AS n FROM kafka('%s', topic => 'lines', group => 'wc', format => 'jsonl') GROUP BY w`, addr, addr))
	if err := qs[0].Wait(); err != nil {
		t.Fatal(err)
	}
	if s := qs[0].Stats(); s.RowsIn != 3 || s.Malformed != 1 {
		t.Errorf("stats %+v, want 3 rows in and 1 malformed", s)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var got []string
	for len(got) < 2 {
		fs := cl.PollFetches(ctx)
		if err := fs.Err0(); err != nil {
			t.Fatalf("reading counts: %v (got %v)", err, got)
		}
		fs.EachRecord(func(r *kgo.Record) { got = append(got, string(r.Key)+" "+string(r.Value)) })
	}
	sort.Strings(got)
	want := []string{`["a"] {"w":"a","n":2}`, `["b"] {"w":"b","n":1}`}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("records %q, want %q", got, want)
	}
}

// TestGenerateIntoSQLite runs the synthetic sensor source into a table.
func TestGenerateIntoSQLite(t *testing.T) {
	db := filepath.Join(t.TempDir(), "s.db")
	qs := runOnce(t, fmt.Sprintf(`INSERT INTO sqlite('%s', table => 'per_sensor')
		SELECT sensor, COUNT(*) AS n FROM generate(kind => 'sensors', limit => 5000, rate => 0, seed => 7) GROUP BY sensor`, db))
	if err := qs[0].Wait(); err != nil {
		t.Fatal(err)
	}
	conn, err := sql.Open("sqlite", db)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var sensors, total int
	if err := conn.QueryRow(`SELECT COUNT(*), SUM(n) FROM per_sensor`).Scan(&sensors, &total); err != nil {
		t.Fatal(err)
	}
	if total != 5000 || sensors < 2 {
		t.Errorf("%d sensors with %d readings, want 5000 readings", sensors, total)
	}
}

// TestHTTPIngest posts JSON lines to a live query's HTTP source, one of
// them malformed, and reads the counts from the query's results.
func TestHTTPIngest(t *testing.T) {
	logs := make(chan string, 16)
	eng := streamsql.New(streamsql.Config{BatchInterval: 50 * time.Millisecond, Log: chanWriter(logs)})
	q, err := eng.Query(context.Background(), `SELECT k, SUM(v) AS total FROM http('127.0.0.1:0', path => '/in', format => 'jsonl') GROUP BY k WINDOW UNBOUNDED`)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		q.Stop()
		for range q.Results() {
		}
	}()
	var addr string
	for addr == "" {
		select {
		case l := <-logs:
			if _, a, ok := strings.Cut(l, "listening on "); ok {
				addr = strings.TrimSpace(a)
			}
		case <-time.After(20 * time.Second):
			t.Fatal("the http source never said where it listens")
		}
	}
	resp, err := http.Post("http://"+addr+"/in", "application/x-ndjson", strings.NewReader("{\"k\":\"a\",\"v\":1}\n{\"k\":\"b\",\"v\":2}\nbroken\n{\"k\":\"a\",\"v\":3}\n"))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), `"accepted":3`) {
		t.Errorf("response %d %s, want 400 naming the bad line and 3 accepted", resp.StatusCode, body)
	}
	totals := map[string]string{}
	deadline := time.After(20 * time.Second)
	for totals["a"] != "4" || totals["b"] != "2" {
		select {
		case r := <-q.Results():
			for _, row := range r.Rows {
				totals[row[0].String()] = row[1].String()
			}
		case <-deadline:
			t.Fatalf("totals %v, want a=4 b=2", totals)
		}
	}
	if q.Stats().Malformed != 1 {
		t.Errorf("malformed %d, want 1", q.Stats().Malformed)
	}
}

type chanWriter chan string

func (c chanWriter) Write(p []byte) (int, error) {
	select {
	case c <- string(p):
	default:
	}
	return len(p), nil
}
