package server

import (
	"context"
	"strings"
	"testing"
)

// TestWatch shows a query the caller reads itself (the command's -e/-f
// queries) in the list, its events and /metrics.
func TestWatch(t *testing.T) {
	srv, ts := newTestServer(t, nil)
	q, err := srv.eng.Query(context.Background(), "SELECT COUNT(*) AS n FROM generate(kind => 'words', limit => 300, rate => 0, seed => 1)")
	if err != nil {
		t.Fatal(err)
	}
	publish, done := srv.Watch(q)
	for res := range q.Results() {
		publish(res)
	}
	done(q.Wait())
	list := get(t, ts.URL+"/api/queries")
	if !strings.Contains(list, `"state":"finished"`) || !strings.Contains(list, `"rows_in":300`) {
		t.Errorf("list lacks the watched query:\n%s", list)
	}
	if m := get(t, ts.URL+"/metrics"); !strings.Contains(m, `streamsql_query_rows_in_total{query="1"} 300`) {
		t.Errorf("metrics lack the watched query's rows")
	}
}
