package streamsql_test

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDiffJoin is the differential test of stream-table joins: the rows
// of TestDiff's table t, read as a JSON-lines stream, joined with a CSV
// table in a bounded run, must give SQLite's rows for the same query
// over the same data. The table has a key missing from t, keys of t it
// lacks, a duplicated key and a NULL key.
func TestDiffJoin(t *testing.T) {
	env := newDiffEnv(t)
	csv := "cname,country,pop,area\n" +
		"Paris,FR,2100000,105.4\n" +
		"Berlin,DE,3600000,891.8\n" +
		"Rome,IT,2800000,1285\n" +
		"Rome,IT-old,2700000,1285\n" +
		",XX,0,0\n" +
		"Oslo,NO,700000,454\n" +
		"Madrid,ES,3300000,604.3\n"
	path := filepath.Join(t.TempDir(), "cities.csv")
	if err := os.WriteFile(path, []byte(csv), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{
		`CREATE TABLE cities (cname TEXT, country TEXT, pop INTEGER, area REAL)`,
		`INSERT INTO cities VALUES ('Paris', 'FR', 2100000, 105.4), ('Berlin', 'DE', 3600000, 891.8),
			('Rome', 'IT', 2800000, 1285), ('Rome', 'IT-old', 2700000, 1285), (NULL, 'XX', 0, 0),
			('Oslo', 'NO', 700000, 454), ('Madrid', 'ES', 3300000, 604.3)`,
	} {
		if _, err := env.db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	table := "table('" + strings.ReplaceAll(path, "'", "''") + "')"
	run := func(t *testing.T, q, ctx string) {
		t.Helper()
		want, err := env.sqliteRun(q)
		if err != nil {
			t.Fatalf("%s\nquery: %s\nsqlite error: %v", ctx, q, err)
		}
		got, err := env.streamRun(strings.ReplaceAll(q, "JOIN cities", "JOIN "+table))
		if err != nil {
			t.Fatalf("%s\nquery: %s\nstreamsql error: %v", ctx, q, err)
		}
		ordered := strings.Contains(q, "ORDER BY")
		if d := diffResults(got, want, ordered); d != "" {
			t.Errorf("%s\nquery: %s\nresults differ:\n  %s\nstreamsql (%d rows):\n%ssqlite (%d rows):\n%s",
				ctx, q, d, len(got), fmtRows(got), len(want), fmtRows(want))
		}
	}
	t.Run("hand", func(t *testing.T) {
		for i, q := range []string{
			`SELECT id, city, c.country, c.pop FROM t JOIN cities AS c ON city = c.cname`,
			`SELECT id, c.country FROM t LEFT JOIN cities AS c ON city = c.cname`,
			`SELECT id, c.country FROM t LEFT JOIN cities AS c ON city = c.cname AND qty > 3`,
			`SELECT c.country, COUNT(*) AS n, SUM(qty) AS q, MAX(price) FROM t LEFT JOIN cities AS c ON city = c.cname GROUP BY c.country`,
			`SELECT c.country, COUNT(*) FROM t JOIN cities AS c ON city = c.cname WHERE price > 10 GROUP BY c.country HAVING COUNT(*) > 5 ORDER BY c.country`,
			`SELECT name, c.cname FROM t LEFT JOIN cities AS c ON c.cname = city WHERE c.cname IS NULL`,
			`SELECT COUNT(*), COUNT(c.cname), SUM(c.pop) FROM t LEFT JOIN cities AS c ON city = c.cname`,
			`SELECT id, c.area * qty FROM t JOIN cities AS c ON upper(city) = upper(c.cname) AND c.area > 400`,
			`SELECT DISTINCT city, c.country FROM t LEFT JOIN cities AS c ON city = c.cname ORDER BY 1 NULLS FIRST, 2`,
			`SELECT id, a.country, b.pop FROM t JOIN cities AS a ON city = a.cname LEFT JOIN cities AS b ON b.country = a.country AND b.pop > 2750000`,
			`SELECT id, c.country FROM t JOIN cities AS c ON city = c.cname AND (flag OR c.pop < 1000000)`,
		} {
			run(t, q, fmt.Sprintf("hand-written join %d", i+1))
		}
	})
	t.Run("random", func(t *testing.T) {
		seed := diffSeedValue(t)
		g := &queryGen{r: rand.New(rand.NewPCG(seed, 0x701))}
		n := *diffN / 4
		for i := 0; i < n; i++ {
			q := g.query()
			on := "city = c.cname"
			if g.n(3) == 0 {
				on += " AND " + g.boolExpr(1)
			}
			join := g.pick("JOIN", "LEFT JOIN") + " cities AS c ON " + on
			q = strings.Replace(q, " FROM t", " FROM t "+join, 1)
			run(t, q, fmt.Sprintf("random join %d of seed %d (rerun: go test -run TestDiffJoin/random -diff.seed=%d)", i+1, seed, seed))
		}
		t.Logf("seed %d: %d random joins compared", seed, n)
	})
}
