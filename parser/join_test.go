package parser

import (
	"testing"
	"time"
)

// Joins, unions and subqueries parse into the AST and print back as SQL
// that parses to the same text.
func TestParseJoins(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"SELECT o.id, c.pop FROM orders o JOIN table('c.csv') AS c ON o.city = c.name",
			"SELECT o.id, c.pop FROM orders AS o JOIN table('c.csv') AS c ON o.city = c.name"},
		{"select * from a left outer join b on a.x = b.x inner join c on c.y = a.y",
			"SELECT * FROM a LEFT JOIN b ON a.x = b.x JOIN c ON c.y = a.y"},
		{"SELECT * FROM a JOIN b WITHIN 10s ON a.id = b.id",
			"SELECT * FROM a JOIN b WITHIN 10s ON a.id = b.id"},
		{"SELECT a.x FROM a, b WHERE a.id = b.id AND a.x > 1",
			"SELECT a.x FROM a JOIN b ON a.id = b.id AND a.x > 1"},
		{"SELECT * FROM a, (SELECT 1 AS id) AS b",
			"SELECT * FROM a JOIN (SELECT 1 AS id) AS b ON TRUE"},
		{"SELECT * FROM a right outer join b ON a.id = b.id",
			"SELECT * FROM a RIGHT JOIN b ON a.id = b.id"},
		{"SELECT * FROM a x FULL OUTER JOIN b ON x.id = b.id",
			"SELECT * FROM a AS x FULL JOIN b ON x.id = b.id"},
		{"SELECT * FROM a LEFT JOIN b WITHIN 1m EVENT TIME a.ts, b.ts LATENESS 5s ON a.id = b.id",
			"SELECT * FROM a LEFT JOIN b WITHIN 1m EVENT TIME a.ts, b.ts LATENESS 5s ON a.id = b.id"},
		{"SELECT * FROM a JOIN b WITHIN 1m EVENT TIME ts ON a.id = b.id",
			"SELECT * FROM a JOIN b WITHIN 1m EVENT TIME ts ON a.id = b.id"},
		{"SELECT x FROM (SELECT a AS x FROM f() UNION ALL SELECT b FROM g()) AS s",
			"SELECT x FROM (SELECT a AS x FROM f() UNION ALL SELECT b FROM g()) AS s"},
		{"CREATE STREAM s AS SELECT a FROM f() UNION ALL SELECT a FROM g() UNION ALL SELECT a FROM h()",
			"CREATE STREAM s AS SELECT a FROM f() UNION ALL SELECT a FROM g() UNION ALL SELECT a FROM h()"},
		{"SELECT o.*, c.pop FROM o JOIN table('c.csv') AS c ON o.city = c.name",
			"SELECT o.*, c.pop FROM o JOIN table('c.csv') AS c ON o.city = c.name"},
		// WITHIN and RIGHT are names where no join bound or kind can stand.
		{"SELECT within FROM within", "SELECT within FROM within"},
		{"SELECT right FROM f() AS right", "SELECT right FROM f() AS right"},
	} {
		stmts, err := Parse(tc.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", tc.in, err)
			continue
		}
		if got := stmts[0].String(); got != tc.want {
			t.Errorf("Parse(%q)\n got %s\nwant %s", tc.in, got, tc.want)
		}
		checkRoundTrip(t, tc.in)
	}
	stmts, err := Parse("SELECT * FROM a LEFT JOIN b WITHIN 10s EVENT TIME a.t, b.t LATENESS 2s ON a.k = b.k")
	if err != nil {
		t.Fatal(err)
	}
	j := stmts[0].(*Select).From.Joins[0]
	if !j.Left || j.Within != 10*time.Second || j.Lateness != 2*time.Second || len(j.EventTime) != 2 || j.Right.Stream != "b" {
		t.Errorf("join parsed as %+v", j)
	}
}

func TestParseJoinErrors(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"SELECT * FROM a JOIN b", `1:23: syntax error: unexpected end of input; expected ON`},
		{"SELECT * FROM a JOIN", `1:21: syntax error: unexpected end of input; expected a source such as file('path') or a stream name`},
		{"SELECT * FROM a UNION SELECT * FROM b", `1:17: syntax error: UNION without ALL is not supported; write UNION ALL (rows are not deduplicated across the branches)`},
		{"SELECT * FROM a CROSS JOIN b", `1:17: syntax error: CROSS JOIN is not supported; streamsql has [INNER] JOIN and LEFT, RIGHT and FULL [OUTER] JOIN ... ON, with an equality`},
	} {
		_, err := Parse(tc.in)
		if err == nil || err.Error() != tc.want {
			t.Errorf("Parse(%q)\n got %v\nwant %s", tc.in, err, tc.want)
		}
	}
}
