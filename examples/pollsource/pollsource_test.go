package pollsource_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/streamsql/streamsql"
	_ "github.com/streamsql/streamsql/examples/pollsource"
)

// TestPollOnce: a bounded run fetches the page once and aggregates its
// csv records; the malformed one is counted, not fatal.
func TestPollOnce(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "city,temp\noslo,3\nlima,19\noslo,5\n\"open,7\nlima,21\n")
	}))
	defer srv.Close()
	eng := streamsql.New(streamsql.Config{Once: true, Log: io.Discard})
	defer eng.Stop()
	sql := fmt.Sprintf(`SELECT city, COUNT(*) AS n, MAX(temp) AS hottest FROM poll('%s', format => 'csv') GROUP BY city ORDER BY city`, srv.URL)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	q, err := eng.Query(ctx, sql)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for res := range q.Results() {
		for _, r := range res.Rows {
			got = append(got, fmt.Sprint(r))
		}
	}
	if err := q.Wait(); err != nil {
		t.Fatal(err)
	}
	if g, want := strings.Join(got, " "), "[lima 2 21] [oslo 2 5]"; g != want {
		t.Errorf("rows %s, want %s", g, want)
	}
	if m := q.Stats().Malformed; m != 1 {
		t.Errorf("malformed %d, want 1 (the open quote spoils its own line only)", m)
	}
}

func TestPollErrors(t *testing.T) {
	eng := streamsql.New(streamsql.Config{Once: true, Log: io.Discard})
	for sql, want := range map[string]string{
		`SELECT * FROM poll('ftp://x')`:                          "poll(): 'ftp://x' is not an http:// or https:// URL",
		`SELECT * FROM poll('http://127.0.0.1:1', every => 'x')`: "poll(): every must be a duration such as '10s', got 'x'",
	} {
		_, err := eng.Prepare(sql)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", sql, err, want)
		}
	}
}
