package streamsql_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/streamsql/streamsql"
	"github.com/streamsql/streamsql/clock"
	"github.com/streamsql/streamsql/parser"
	"github.com/streamsql/streamsql/types"
)

// viewEnv is an engine on a fake clock with a push source words(word,
// n) and a materialized view over it.
type viewEnv struct {
	t     *testing.T
	eng   *streamsql.Engine
	fake  *clock.Fake
	src   *streamsql.PushSource
	batch int
}

func newViewEnv(t *testing.T, create string) *viewEnv {
	t.Helper()
	fake := clock.NewFake(time.Unix(0, 0).UTC())
	eng := streamsql.New(streamsql.Config{BatchInterval: time.Second, Clock: fake, Log: io.Discard})
	src, err := eng.NewPushSource("words", "word TEXT, n BIGINT")
	if err != nil {
		t.Fatal(err)
	}
	e := &viewEnv{t: t, eng: eng, fake: fake, src: src}
	stmts, err := eng.Prepare(create)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := eng.Start(context.Background(), stmts); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(eng.Stop)
	return e
}

// feed pushes rows "word:n ..." and closes the batch.
func (e *viewEnv) feed(rows string) {
	e.t.Helper()
	for _, f := range strings.Fields(rows) {
		w, n, _ := strings.Cut(f, ":")
		var k int64
		fmt.Sscan(n, &k)
		if err := e.src.Push(w, k); err != nil {
			e.t.Fatal(err)
		}
	}
	synctest.Wait()
	e.batch++
	e.fake.Set(time.Unix(int64(e.batch), 0))
	synctest.Wait()
}

// pull runs a pull query and prints its rows, one per line.
func (e *viewEnv) pull(sql string) string {
	e.t.Helper()
	stmts, err := e.eng.Prepare(sql)
	if err != nil {
		return "error: " + err.Error()
	}
	res, err := stmts[0].Pull()
	if err != nil {
		return "error: " + err.Error()
	}
	return rowsText(res.Rows)
}

func rowsText(rows []types.Row) string {
	var lines []string
	for _, r := range rows {
		var vals []string
		for _, v := range r {
			vals = append(vals, v.String())
		}
		lines = append(lines, strings.Join(vals, ","))
	}
	return strings.Join(lines, " ")
}

func TestViewPull(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newViewEnv(t, "CREATE MATERIALIZED VIEW counts AS SELECT word, COUNT(*) AS c, SUM(n) AS total FROM words() GROUP BY word")
		e.feed("a:1 b:2 a:3")
		for _, tc := range []struct{ sql, want string }{
			{"SELECT word, c, total FROM counts ORDER BY word", "a,2,4 b,1,2"},
			{"SELECT total FROM counts WHERE word = 'a'", "4"},
			{"SELECT * FROM counts WHERE word = 'zz'", ""},
			{"SELECT SUM(c) AS n FROM counts", "3"},
			{"SELECT word FROM counts WHERE total > 3", "a"},
		} {
			if got := e.pull(tc.sql); got != tc.want {
				t.Errorf("%s: got %q, want %q", tc.sql, got, tc.want)
			}
		}
		e.feed("b:5 c:1")
		if got, want := e.pull("SELECT word, c, total FROM counts ORDER BY total DESC LIMIT 2"), "b,2,7 a,2,4"; got != want {
			t.Errorf("after the second batch: got %q, want %q", got, want)
		}
		if got, want := e.pull("SELECT c FROM counts WHERE word = 'b'"), "2"; got != want {
			t.Errorf("point lookup after an update: got %q, want %q", got, want)
		}
		// A prepared pull query with parameters, run again and again.
		stmts, err := e.eng.Prepare("SELECT word, total FROM counts WHERE word = $1 OR total > $2")
		if err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			args []types.Value
			want string
		}{
			{[]types.Value{types.Text("a"), types.Int(100)}, "a,4"},
			{[]types.Value{types.Text("c"), types.Int(5)}, "b,7 c,1"},
			{[]types.Value{types.Text("zz"), types.Int(0)}, "a,4 b,7 c,1"},
		} {
			res, err := stmts[0].Pull(tc.args...)
			if err != nil {
				t.Fatal(err)
			}
			got := strings.Fields(rowsText(res.Rows))
			sort.Strings(got)
			if strings.Join(got, " ") != tc.want {
				t.Errorf("Pull(%v): got %q, want %q", tc.args, got, tc.want)
			}
		}
		lookup, _ := e.eng.Prepare("SELECT c FROM counts WHERE word = $1")
		for w, want := range map[string]string{"a": "2", "b": "2", "c": "1", "zz": ""} {
			res, err := lookup[0].Pull(types.Text(w))
			if err != nil || rowsText(res.Rows) != want {
				t.Errorf("point lookup of %s: got %v, %v; want %q", w, res, err, want)
			}
		}
		info, ok := e.eng.View("COUNTS")
		if !ok || info.Rows != 3 || strings.Join(info.Key, ",") != "word" || info.QueryID == 0 {
			t.Errorf("View: %+v", info)
		}
	})
}

func TestViewWindows(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newViewEnv(t, "CREATE MATERIALIZED VIEW w WITH (windows = 2) AS SELECT word, COUNT(*) AS c FROM words() GROUP BY word WINDOW 1s")
		e.feed("a:1 a:1")
		e.feed("b:1")
		e.feed("a:1")
		// Windows 2 and 3 are kept: the first window's a,2 is gone.
		got := strings.Fields(e.pull("SELECT word, c FROM w"))
		sort.Strings(got)
		if strings.Join(got, " ") != "a,1 b,1" {
			t.Errorf("got %q, want the last two windows a,1 b,1", got)
		}
	})
}

func TestViewSubscribe(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newViewEnv(t, "CREATE MATERIALIZED VIEW counts AS SELECT word, COUNT(*) AS c FROM words() GROUP BY word")
		e.feed("a:1")
		stmts, err := e.eng.Prepare("SUBSCRIBE TO counts")
		if err != nil {
			t.Fatal(err)
		}
		sub, err := stmts[0].Subscribe(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		e.feed("a:1 b:1")
		var got []string
		for len(got) < 2 {
			ch := <-sub.C
			var out []string
			for _, c := range ch.Changes {
				out = append(out, c.Op.String()+" "+rowsText([]types.Row{c.Row}))
			}
			got = append(got, strings.Join(out, "; "))
		}
		want := []string{"+I a,1", "-U a,1; +U a,2; +I b,1"}
		if strings.Join(got, " | ") != strings.Join(want, " | ") {
			t.Errorf("got %q, want %q", got, want)
		}
		sub.Close()
		if _, ok := <-sub.C; ok {
			t.Error("a closed subscription still delivers")
		}
	})
}

func TestViewErrors(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newViewEnv(t, "CREATE MATERIALIZED VIEW counts AS SELECT word, COUNT(*) AS c FROM words() GROUP BY word")
		for _, tc := range []struct{ sql, want string }{
			{"CREATE MATERIALIZED VIEW counts AS SELECT word FROM words()", `1:1: materialized view "counts" already exists; DROP MATERIALIZED VIEW counts first`},
			{"CREATE STREAM counts AS SELECT word FROM words()", `1:1: materialized view "counts" already exists; DROP MATERIALIZED VIEW counts first`},
			{"SELECT wrd FROM counts", `1:8: column "wrd" not found; did you mean "word"?`},
			{"SUBSCRIBE TO cnts", `1:1: materialized view "cnts" does not exist (views: counts)`},
			{"DROP MATERIALIZED VIEW cnts", `1:1: materialized view "cnts" does not exist (views: counts)`},
			{"CREATE MATERIALIZED VIEW v WITH (keep = 2) AS SELECT word FROM words()", `1:34: unknown view option keep = 2; a view takes WITH (windows = N), N >= 1: the windows an append-only view keeps`},
			{"SELECT word FROM words() WHERE n = $1", "1:36: parameters ($1) are taken by prepared pull queries over materialized views; write the value here"},
			{"SELECT c FROM counts WINDOW 10s", "1:15: a pull query reads materialized view counts alone, without JOIN, UNNEST or WINDOW (its rows as they are now); SUBSCRIBE TO counts follows its changes"},
		} {
			_, err := e.eng.Prepare(tc.sql)
			var perr *parser.Error
			if !errors.As(err, &perr) {
				t.Errorf("%s: got %v, want a positioned error", tc.sql, err)
				continue
			}
			if got := perr.Pos.String() + ": " + perr.Msg; got != tc.want {
				t.Errorf("%s:\n got %s\nwant %s", tc.sql, got, tc.want)
			}
		}
		if _, err := e.eng.Prepare("DROP MATERIALIZED VIEW counts"); err != nil {
			t.Fatal(err)
		}
		if vs := e.eng.Views(); len(vs) != 0 {
			t.Errorf("after DROP: %v", vs)
		}
	})
}
