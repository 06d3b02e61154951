package parser

import "testing"

// Window functions parse, and print back as they were written.
func TestParseOver(t *testing.T) {
	for _, q := range []string{
		"SELECT *, ROW_NUMBER() OVER (PARTITION BY a, b ORDER BY c DESC, d) AS rn FROM s",
		"SELECT AVG(x) OVER (PARTITION BY k ORDER BY t ROWS BETWEEN 9 PRECEDING AND CURRENT ROW) FROM s",
		"SELECT MAX(x) OVER (PARTITION BY k ORDER BY t RANGE BETWEEN INTERVAL '10' SECOND PRECEDING AND CURRENT ROW) FROM s",
		"SELECT SUM(x) OVER (ORDER BY t ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) FROM s",
		"SELECT COUNT(*) OVER () FROM s",
	} {
		st, err := Parse(q)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		if got := st[0].String(); got != q {
			t.Errorf("printed back as\n  %s\nwant\n  %s", got, q)
		}
	}
	// over is still a name where no window follows.
	if _, err := Parse("SELECT over FROM s"); err != nil {
		t.Errorf("a column called over: %v", err)
	}
}
