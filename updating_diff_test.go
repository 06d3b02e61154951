package streamsql_test

// TestDiffUpdating is the differential test of updating results: an
// aggregate without WINDOW is a table kept up to date, so after every
// batch of a live run, the table its changes build (types.View) must equal
// SQLite's answer to the same query over every row received so far. The
// rows of TestDiff arrive through a push source in pieces, on a virtual
// clock, cut into batches several ways: batching must not change any
// table. The queries are TestDiff's random aggregates (grouped, global,
// HAVING, ORDER BY ... LIMIT) and hand-written nested ones, whose inner
// aggregate is itself updating.

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/streamsql/streamsql"
	"github.com/streamsql/streamsql/clock"
	"github.com/streamsql/streamsql/types"
)

// updatingHand are the shapes the random queries do not make.
var updatingHand = []string{
	// Nested aggregates: the outer one takes the inner one's updates
	// (Nexmark q4's AVG of per-auction maxima).
	"SELECT COUNT(*), SUM(m), MIN(m), MAX(m), AVG(m) FROM (SELECT city, MAX(qty) AS m FROM t GROUP BY city) AS c",
	"SELECT n % 3 AS r, COUNT(*), MIN(city), MAX(city) FROM (SELECT city, COUNT(*) AS n FROM t GROUP BY city) AS c GROUP BY n % 3",
	"SELECT hi, COUNT(*) AS names FROM (SELECT name, MAX(price) AS hi FROM t WHERE name IS NOT NULL GROUP BY name) AS x GROUP BY hi",
	"SELECT COUNT(DISTINCT n) FROM (SELECT name, COUNT(*) AS n FROM t GROUP BY name) AS x",
	// FILTER (WHERE ...) on aggregates (Nexmark q15-q17).
	"SELECT city, COUNT(*) FILTER (WHERE qty < 5), SUM(price) FILTER (WHERE flag = 1), COUNT(DISTINCT name) FILTER (WHERE qty >= 5), MAX(qty) FILTER (WHERE name LIKE '%a%') FROM t GROUP BY city",
	// ROW_NUMBER(): top-N per partition, deduplication, a numbering kept
	// whole, and a top-N of an updating table.
	"SELECT city, id, qty, rn FROM (SELECT city, id, qty, ROW_NUMBER() OVER (PARTITION BY city ORDER BY qty DESC, id) AS rn FROM t WHERE qty IS NOT NULL) AS r WHERE rn <= 3",
	"SELECT name, id, price FROM (SELECT name, id, price, ROW_NUMBER() OVER (PARTITION BY name ORDER BY price, id DESC) AS rn FROM t) AS d WHERE rn = 1",
	"SELECT id, ROW_NUMBER() OVER (PARTITION BY flag ORDER BY id, qty) AS rn FROM t",
	"SELECT city, name, n, rn FROM (SELECT city, name, n, ROW_NUMBER() OVER (PARTITION BY city ORDER BY n DESC, name) AS rn FROM (SELECT city, name, COUNT(*) AS n FROM t GROUP BY city, name) AS c) AS r WHERE rn <= 2",
	// Aggregates OVER a frame of each row's partition. The rows that are
	// sent twice, the second time out of order, are left out: live, a
	// late row does not revise the frames already emitted.
	"SELECT id, city, SUM(qty) OVER (PARTITION BY city ORDER BY id ROWS BETWEEN 2 PRECEDING AND CURRENT ROW) AS s, COUNT(qty) OVER (PARTITION BY city ORDER BY id ROWS BETWEEN 2 PRECEDING AND CURRENT ROW) AS c FROM t WHERE id NOT IN (3, 17, 42, 99, 150, 200)",
	"SELECT id, flag, AVG(price) OVER (PARTITION BY flag ORDER BY id ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS running, MAX(name) OVER (PARTITION BY flag ORDER BY id ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS hi FROM t WHERE id NOT IN (3, 17, 42, 99, 150, 200)",
	// SELECT DISTINCT of an updating table.
	"SELECT DISTINCT n FROM (SELECT city, COUNT(*) AS n FROM t GROUP BY city) AS c",
	"SELECT DISTINCT n % 3 AS r, m FROM (SELECT name, COUNT(*) AS n, MAX(flag) AS m FROM t GROUP BY name) AS c",
	// A filter over an updating table: rows enter and leave it.
	"SELECT city, n FROM (SELECT city, COUNT(*) AS n FROM t GROUP BY city) AS c WHERE n % 2 = 0",
	// Top-N of an updating table, and of an aggregate over one.
	"SELECT name, COUNT(*) AS n FROM t GROUP BY name ORDER BY n DESC, name LIMIT 3",
	"SELECT n, COUNT(*) AS k FROM (SELECT name, COUNT(*) AS n FROM t GROUP BY name) AS x GROUP BY n ORDER BY k DESC, n LIMIT 2",
}

// joinQueries join two streams without a time bound: {L} holds the rows
// at odd positions, {R} those at even ones.
var joinQueries = []string{
	"SELECT a.id, b.id, a.city FROM {L} AS a JOIN {R} AS b ON a.city = b.city AND a.qty < b.qty",
	"SELECT a.id, b.id FROM {L} AS a, {R} AS b WHERE a.city = b.city AND a.qty > b.qty + 10", // a comma join
	"SELECT a.id, b.id FROM {L} AS a LEFT JOIN {R} AS b ON a.name = b.name AND b.qty > 10",
	"SELECT a.id, b.id FROM {L} AS a RIGHT JOIN {R} AS b ON a.name = b.name AND a.flag = 1",
	"SELECT a.id, b.id, a.name, b.name FROM {L} AS a FULL JOIN {R} AS b ON a.name = b.name AND a.qty = b.qty",
	// Aggregates over joins, the outer one updating.
	"SELECT a.city, COUNT(*), SUM(b.qty) FROM {L} AS a JOIN {R} AS b ON a.name = b.name GROUP BY a.city",
	"SELECT a.city, COUNT(b.id), MAX(b.price) FROM {L} AS a LEFT JOIN {R} AS b ON a.name = b.name AND b.qty < 3 GROUP BY a.city",
	// Joins of updating inputs.
	"SELECT x.city, x.n, y.m FROM (SELECT city, COUNT(*) AS n FROM {L} GROUP BY city) AS x JOIN (SELECT city, MAX(qty) AS m FROM {R} GROUP BY city) AS y ON x.city = y.city",
	"SELECT x.name, x.n, y.n FROM (SELECT name, COUNT(*) AS n FROM {L} WHERE qty > 5 GROUP BY name) AS x FULL JOIN (SELECT name, COUNT(*) AS n FROM {R} WHERE qty < 5 GROUP BY name) AS y ON x.name = y.name AND x.n >= y.n",
}

// batchings are how the rows are cut into batches: piece sizes, repeated.
var batchings = [][]int{
	{200},         // all at once
	{1, 2, 3, 50}, // small batches first
	{37},          // even pieces
}

func TestDiffUpdating(t *testing.T) {
	env := newDiffEnv(t)
	rows := diffRows()
	seed := diffSeedValue(t)
	g := &queryGen{r: rand.New(rand.NewPCG(seed, 0xda7a)), noDiv: true}
	queries := append([]string(nil), updatingHand...)
	for range 120 {
		queries = append(queries, g.aggQuery())
	}
	for i, q := range joinQueries {
		for _, b := range batchings {
			name := fmt.Sprintf("join query %d in batches of %v", i+1, b)
			if !env.diffLive(t, q, rows, b, name) {
				t.Errorf("%s: rejected", name)
				break
			}
		}
	}
	rejected := 0
	for i, q := range queries {
		for _, b := range batchings {
			name := fmt.Sprintf("query %d (seed %d) in batches of %v", i+1, seed, b)
			if !env.diffLive(t, q, rows, b, name) {
				rejected++
				break
			}
		}
	}
	if rejected*5 > len(queries) {
		t.Errorf("streamsql rejected %d of %d queries", rejected, len(queries))
	}
}

// diffLive runs q live over rows, cut into batches of the given sizes, and
// compares the table after every batch with SQLite's answer over the rows
// so far. It reports false when streamsql rejects the query.
func (e *diffEnv) diffLive(t *testing.T, q string, rows []diffRow, sizes []int, name string) (planned bool) {
	t.Helper()
	planned = true
	synctest.Test(t, func(t *testing.T) {
		fake := clock.NewFake(time.Unix(0, 0).UTC())
		eng := streamsql.New(streamsql.Config{BatchInterval: time.Second, Clock: fake, Log: io.Discard})
		// A query over {L} and {R} reads two streams: the rows at odd
		// positions and those at even ones.
		split := strings.Contains(q, "{L}")
		var srcs []*streamsql.PushSource
		for _, name := range []string{"t_live", "lt_live", "rt_live"}[:map[bool]int{false: 1, true: 3}[split]] {
			src, err := eng.NewPushSource(name, "id BIGINT, name TEXT, city TEXT, qty BIGINT, price DOUBLE, flag BIGINT")
			if err != nil {
				t.Fatal(err)
			}
			srcs = append(srcs, src)
		}
		text := fromT.ReplaceAllLiteralString(q, "FROM t_live()")
		text = strings.NewReplacer("{L}", "lt_live()", "{R}", "rt_live()").Replace(text)
		query, err := eng.Query(context.Background(), text)
		if err != nil {
			t.Logf("%s: rejected: %v", q, err)
			planned = false
			return
		}
		defer eng.Stop()
		var view types.View
		sent := 0
		for batch := 1; sent < len(rows); batch++ {
			n := min(sizes[(batch-1)%len(sizes)], len(rows)-sent)
			for i, r := range rows[sent : sent+n] {
				src := srcs[0]
				if split {
					src = srcs[1+(sent+i)%2] // rowid sent+i+1: odd to {L}
				}
				if err := src.Push(r.values()...); err != nil {
					t.Fatal(err)
				}
			}
			sent += n
			synctest.Wait() // the job has taken every row
			fake.Set(time.Unix(int64(batch), 0))
			synctest.Wait()
		drain:
			for {
				select {
				case r := <-query.Results():
					if r.Emitted {
						if !r.Updating {
							// An append-only result adds its rows.
							r = &types.Result{Updating: true, Rows: r.Rows}
						}
						view.Apply(r)
					}
				default:
					break drain
				}
			}
			lite := fromT.ReplaceAllLiteralString(q, fmt.Sprintf("FROM (SELECT * FROM t WHERE rowid <= %d) AS t", sent))
			lite = strings.NewReplacer(
				"{L}", fmt.Sprintf("(SELECT * FROM t WHERE rowid <= %d AND rowid %% 2 = 1)", sent),
				"{R}", fmt.Sprintf("(SELECT * FROM t WHERE rowid <= %d AND rowid %% 2 = 0)", sent)).Replace(lite)
			want, err := e.sqliteRun(lite)
			if err != nil {
				t.Fatalf("%s\nquery: %s\nsqlite: %v", name, q, err)
			}
			var got [][]any
			for _, row := range view.Rows() {
				cells := make([]any, len(row))
				for i, v := range row {
					cells[i] = cellOf(v)
				}
				got = append(got, cells)
			}
			if d := diffResults(got, want, false); d != "" {
				t.Fatalf("%s\nquery: %s\nafter batch %d (%d rows), the table differs:\n  %s\nstreamsql (%d rows):\n%ssqlite (%d rows):\n%s",
					name, q, batch, sent, d, len(got), fmtRows(got), len(want), fmtRows(want))
			}
		}
	})
	return planned
}

// values are the row's columns as Go values for PushSource.Push (nil for
// NULL); flag is the 1 or 0 SQLite stores.
func (d diffRow) values() []any {
	out := []any{d.id, nil, nil, nil, nil, nil}
	if d.name != nil {
		out[1] = *d.name
	}
	if d.city != nil {
		out[2] = *d.city
	}
	if d.qty != nil {
		out[3] = *d.qty
	}
	if d.price != nil {
		out[4] = *d.price
	}
	if d.flag != nil {
		out[5] = boolInt(*d.flag) // as SQLite holds it
	}
	return out
}
