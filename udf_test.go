package streamsql_test

import (
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/streamsql/streamsql"
	"github.com/streamsql/streamsql/agg"
	"github.com/streamsql/streamsql/types"
)

// udfCalls counts the calls of ut_triple, over every engine.
var udfCalls atomic.Int64

// registerTestFunctions registers the functions the tests call on eng
// (ptEngine does, for every engine of these tests).
func registerTestFunctions(eng *streamsql.Engine) error {
	if err := eng.RegisterFunction("ut_triple", 1, 1, func(args []types.Value) types.Value {
		udfCalls.Add(1)
		if f, ok := args[0].Float64(); ok {
			if args[0].Kind() == types.KindInt {
				return types.Int(3 * args[0].AsInt())
			}
			return types.Float(3 * f)
		}
		return types.Null
	}); err != nil {
		return err
	}
	if err := eng.RegisterFunction("UT_Initials", 1, -1, func(args []types.Value) types.Value {
		var b strings.Builder
		for _, a := range args {
			for _, w := range strings.Fields(a.String()) {
				b.WriteString(strings.ToUpper(w[:1]))
			}
		}
		return types.Text(b.String())
	}); err != nil {
		return err
	}
	if err := eng.RegisterAggregate("ut_sum_sq", sumSquares{}); err != nil {
		return err
	}
	return eng.RegisterAggregate("ut_range", intRange{})
}

// sumSquares is SUM(x*x) over integers: the sum in I, the count in N.
type sumSquares struct{}

func (sumSquares) Add(s *agg.State, v types.Value) {
	if v.Kind() == types.KindInt {
		s.N++
		s.I += v.AsInt() * v.AsInt()
	}
}
func (sumSquares) Merge(d, s *agg.State) { d.N += s.N; d.I += s.I }
func (sumSquares) Result(s *agg.State) types.Value {
	if s.N == 0 {
		return types.Null
	}
	return types.Int(s.I)
}

// intRange is MAX(x) - MIN(x) over integers: the minimum in I, the maximum
// in V, the count in N. Its Merge must handle zero states on either side.
type intRange struct{}

func (intRange) Add(s *agg.State, v types.Value) {
	if v.Kind() != types.KindInt {
		return
	}
	x := v.AsInt()
	if s.N == 0 || x < s.I {
		s.I = x
	}
	if s.N == 0 || x > s.V.AsInt() {
		s.V = v
	}
	s.N++
}
func (intRange) Merge(d, s *agg.State) {
	if s.N == 0 {
		return
	}
	if d.N == 0 {
		d.N, d.I, d.V = s.N, s.I, s.V
		return
	}
	d.I = min(d.I, s.I)
	if s.V.AsInt() > d.V.AsInt() {
		d.V = s.V
	}
	d.N += s.N
}
func (intRange) Result(s *agg.State) types.Value {
	if s.N == 0 {
		return types.Null
	}
	return types.Int(s.V.AsInt() - s.I)
}

func TestFunctionInQueries(t *testing.T) {
	for _, c := range []struct{ sql, want string }{
		{"SELECT name, ut_triple(n) AS t FROM ut_rows() WHERE ut_triple(n) > 5", "bo|9\nann lee|15\n"},
		{"SELECT ut_triple(n) AS t, COUNT(*) AS c FROM ut_rows() GROUP BY ut_triple(n)", "NULL|1\n3|1\n9|1\n15|1\n"},
		{"SELECT ut_initials(name, 'x y') AS i FROM ut_rows() WHERE n IS NULL", "CXY\n"},
		{"SELECT UT_TRIPLE(2.5) AS t, ut_triple('7') AS u FROM ut_rows() LIMIT 1", "7.5|NULL\n"},
		{"SELECT ut_initials(name) AS i, SUM(ut_triple(n)) AS s FROM ut_rows() GROUP BY 1 HAVING SUM(ut_triple(n)) > 3 ORDER BY s DESC", "AL|15\nB|9\n"},
	} {
		t.Run(c.sql, func(t *testing.T) {
			eng, _ := ptEngine(true)
			src := ptSource(t, eng, "ut_rows", "name TEXT, n BIGINT")
			q := ptQuery(t, eng, c.sql)
			ptPush(t, src, "al", 1)
			ptPush(t, src, "bo", 3)
			ptPush(t, src, "cy", nil)
			ptPush(t, src, "ann lee", 5)
			src.Close()
			if got := ptRows(ptNext(t, q)); got != c.want {
				t.Fatalf("got:\n%s\nwant:\n%s", got, c.want)
			}
		})
	}
}

// A NULL argument gives NULL without calling the function.
func TestFunctionNull(t *testing.T) {
	eng, _ := ptEngine(true)
	src := ptSource(t, eng, "ut_nulls", "n BIGINT")
	q := ptQuery(t, eng, "SELECT ut_triple(n) AS t FROM ut_nulls()")
	before := udfCalls.Load()
	ptPush(t, src, nil)
	ptPush(t, src, 2)
	src.Close()
	if got := ptRows(ptNext(t, q)); got != "NULL\n6\n" {
		t.Fatalf("got %q", got)
	}
	if n := udfCalls.Load() - before; n != 1 {
		t.Fatalf("function called %d times, want 1", n)
	}
}

func TestFunctionPlanErrors(t *testing.T) {
	eng, _ := ptEngine(true)
	ptSource(t, eng, "ut_plan", "n BIGINT")
	for _, c := range []struct{ sql, want string }{
		{"SELECT ut_tripel(n) FROM ut_plan()", `1:8: unknown function ut_tripel; did you mean "ut_triple"?`},
		{"SELECT ut_sum_sqr(n) FROM ut_plan()", `1:8: unknown function ut_sum_sqr; did you mean "ut_sum_sq"?`},
		{"SELECT ut_triple(n, n) FROM ut_plan()", "ut_triple takes 1 argument, got 2"},
		{"SELECT ut_initials() FROM ut_plan()", "ut_initials takes at least 1 argument, got 0"},
		{"SELECT n FROM ut_plan() WHERE ut_sum_sq(n) > 1", "1:31: aggregate function ut_sum_sq(n) is not allowed in WHERE"},
		{"SELECT ut_sum_sq(*) FROM ut_plan()", "only COUNT takes *"},
		{"SELECT n, ut_range(n) FROM ut_plan()", `1:8: column "n" must appear in GROUP BY or be used in an aggregate function`},
	} {
		_, err := eng.Prepare(c.sql)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.sql, err, c.want)
		}
	}
}

func TestRegisterNameClash(t *testing.T) {
	eng, _ := ptEngine(true)
	one := func(args []types.Value) types.Value { return args[0] }
	for _, c := range []struct {
		err  error
		want string
	}{
		{eng.RegisterFunction("upper", 1, 1, one), "streamsql: cannot register function upper: a built-in function has that name"},
		{eng.RegisterFunction("COUNT", 1, 1, one), "streamsql: cannot register function count: a built-in aggregate function has that name"},
		{eng.RegisterFunction("ut_triple", 1, 1, one), "streamsql: cannot register function ut_triple: a registered function has that name"},
		{eng.RegisterFunction("ut_range", 1, 1, one), "streamsql: cannot register function ut_range: a registered aggregate function has that name"},
		{eng.RegisterAggregate("sum", sumSquares{}), "streamsql: cannot register aggregate sum: a built-in aggregate function has that name"},
		{eng.RegisterAggregate("Lower", sumSquares{}), "streamsql: cannot register aggregate lower: a built-in function has that name"},
		{eng.RegisterAggregate("ut_initials", sumSquares{}), "streamsql: cannot register aggregate ut_initials: a registered function has that name"},
	} {
		if c.err == nil || c.err.Error() != c.want {
			t.Errorf("got %v\nwant %s", c.err, c.want)
		}
		if !errors.Is(c.err, streamsql.ErrFunctionExists) {
			t.Errorf("%v is not ErrFunctionExists", c.err)
		}
	}
	for _, c := range []struct {
		err  error
		want string
	}{
		{eng.RegisterFunction("select", 1, 1, one), `streamsql: cannot register function "select": not a name SQL can call`},
		{eng.RegisterFunction("a-b", 1, 1, one), `streamsql: cannot register function "a-b": not a name SQL can call`},
		{eng.RegisterAggregate("", sumSquares{}), `streamsql: cannot register aggregate "": not a name SQL can call`},
		{eng.RegisterFunction("ut_bad_arity", 2, 1, one), "streamsql: RegisterFunction ut_bad_arity: takes 2 to 1 arguments: no call can match"},
		{eng.RegisterFunction("ut_nil", 1, 1, nil), "streamsql: RegisterFunction ut_nil: fn is nil"},
		{eng.RegisterAggregate("ut_nil", nil), "streamsql: RegisterAggregate ut_nil: the Aggregate is nil"},
	} {
		if c.err == nil || !strings.HasPrefix(c.err.Error(), c.want) {
			t.Errorf("got %v\nwant %s", c.err, c.want)
		}
	}
}

func TestAggregateQueries(t *testing.T) {
	for _, c := range []struct{ sql, want string }{
		{"SELECT k, ut_sum_sq(v) AS sq, ut_range(v) AS r FROM ut_agg() GROUP BY k", "a|18|2\nb|NULL|NULL\nc|25|0\n"},
		{"SELECT ut_sum_sq(DISTINCT v) AS sq, ut_sum_sq(v) AS all_sq, COUNT(*) AS n FROM ut_agg()", "39|43|7\n"},
		{"SELECT k FROM ut_agg() GROUP BY k HAVING ut_range(v) >= 2", "a\n"},
	} {
		t.Run(c.sql, func(t *testing.T) {
			eng, _ := ptEngine(true)
			src := ptSource(t, eng, "ut_agg", "k TEXT, v BIGINT")
			q := ptQuery(t, eng, c.sql)
			for _, r := range [][]any{{"a", 1}, {"a", 2}, {"a", 3}, {"b", nil}, {"c", 5}, {"a", 2}, {"a", nil}} {
				ptPush(t, src, r...)
			}
			src.Close()
			if got := ptRows(ptNext(t, q)); got != c.want {
				t.Fatalf("got:\n%s\nwant:\n%s", got, c.want)
			}
		})
	}
}

// A user aggregate in a sliding window (3s every 1s, built from 1s panes
// by Merge) equals the brute-force answer over the rows of each window.
func TestAggregateSlidingWindow(t *testing.T) {
	eng, fake := ptEngine(false)
	src := ptSource(t, eng, "ut_slide", "k TEXT, v BIGINT")
	q := ptQuery(t, eng, "SELECT k, ut_sum_sq(v) AS sq, ut_range(v) AS r, COUNT(v) AS n FROM ut_slide() GROUP BY k WINDOW 3s SLIDE 1s")
	type row struct {
		batch int
		k     string
		v     any
	}
	var rows []row
	rng := rand.New(rand.NewPCG(1, 2))
	const batches = 30
	for b := 0; b < batches; b++ {
		// Rows of batch [b, b+1); then the clock reaches b+1 and the
		// window [b-2, b+1) closes.
		for range rng.IntN(8) {
			r := row{batch: b, k: string(rune('a' + rng.IntN(4)))}
			if rng.IntN(6) > 0 {
				r.v = int64(rng.IntN(41) - 20)
			}
			rows = append(rows, r)
			ptPush(t, src, r.k, r.v)
		}
		fake.Set(time.Unix(int64(b+1), 0))
		res := ptNext(t, q)
		if res.Window == nil || !res.Window.Start.Equal(time.Unix(int64(b-2), 0)) {
			t.Fatalf("batch %d: window %v", b, res.Window)
		}
		// Brute force: per key, over the rows of batches b-2..b.
		type acc struct {
			sq       int64
			lo, hi   int64
			nonNulls int
		}
		byKey := map[string]*acc{}
		for _, r := range rows {
			if r.batch < b-2 || r.batch > b {
				continue
			}
			a := byKey[r.k]
			if a == nil {
				a = &acc{}
				byKey[r.k] = a
			}
			if r.v == nil {
				continue
			}
			v := r.v.(int64)
			if a.nonNulls == 0 || v < a.lo {
				a.lo = v
			}
			if a.nonNulls == 0 || v > a.hi {
				a.hi = v
			}
			a.nonNulls++
			a.sq += v * v
		}
		var keys []string
		for k := range byKey {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var want strings.Builder
		for _, k := range keys {
			a := byKey[k]
			if a.nonNulls == 0 {
				fmt.Fprintf(&want, "%s|NULL|NULL|0\n", k)
				continue
			}
			fmt.Fprintf(&want, "%s|%d|%d|%d\n", k, a.sq, a.hi-a.lo, a.nonNulls)
		}
		if got := ptRows(res); got != want.String() {
			t.Fatalf("window [%ds, %ds):\n got:\n%s\nwant:\n%s", b-2, b+1, got, want.String())
		}
	}
	src.Close()
	for range q.Results() {
	}
	if err := q.Wait(); err != nil {
		t.Fatal(err)
	}
}

// Functions can be registered while other goroutines plan queries.
var liveFuncs atomic.Int64

func TestRegisterWhilePlanning(t *testing.T) {
	eng, _ := ptEngine(true)
	ptSource(t, eng, "ut_live", "n BIGINT")
	done := make(chan error)
	var last string
	go func() {
		for range 50 {
			i := liveFuncs.Add(1)
			last = fmt.Sprintf("ut_live_%d", i)
			if err := eng.RegisterFunction(last, 0, 0, func([]types.Value) types.Value { return types.Int(i) }); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	for range 50 {
		if _, err := eng.Prepare("SELECT ut_triple(n) AS t FROM ut_live()"); err != nil {
			t.Fatal(err)
		}
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if _, err := eng.Prepare("SELECT " + last + "() AS x FROM ut_live()"); err != nil {
		t.Fatal(err)
	}
}

// Two engines in one process: each has its own functions and push
// sources, of the same names, and neither sees the other's.
func TestEnginesDoNotShareFunctionsOrSources(t *testing.T) {
	newEngine := func() *streamsql.Engine {
		return streamsql.New(streamsql.Config{Once: true, Log: io.Discard})
	}
	a, b, c := newEngine(), newEngine(), newEngine()
	if err := a.RegisterFunction("tag", 1, 1, func(v []types.Value) types.Value { return types.Text("a:" + v[0].String()) }); err != nil {
		t.Fatal(err)
	}
	if err := b.RegisterFunction("tag", 1, 1, func(v []types.Value) types.Value { return types.Text("b:" + v[0].String()) }); err != nil {
		t.Fatal(err)
	}
	if err := b.RegisterAggregate("only_b", sumSquares{}); err != nil {
		t.Fatal(err)
	}
	srcA := ptSource(t, a, "feed", "word TEXT")
	srcB := ptSource(t, b, "feed", "n BIGINT, word TEXT")

	qa := ptQuery(t, a, "SELECT tag(word) AS t FROM feed()")
	qb := ptQuery(t, b, "SELECT tag(word) AS t, only_b(n) AS sq FROM feed() GROUP BY tag(word)")
	ptPush(t, srcA, "x")
	srcA.Close()
	ptPush(t, srcB, 3, "y")
	srcB.Close()
	if got := ptRows(ptNext(t, qa)); got != "a:x\n" {
		t.Errorf("engine a: %q, want a:x", got)
	}
	if got := ptRows(ptNext(t, qb)); got != "b:y|9\n" {
		t.Errorf("engine b: %q, want b:y|9", got)
	}

	// Engine a has no only_b, and engine c has neither tag nor feed.
	for _, e := range []struct {
		eng       *streamsql.Engine
		sql, want string
	}{
		{a, "SELECT only_b(word) FROM feed()", "1:8: unknown function only_b"},
		{c, "SELECT tag('x')", "1:8: unknown function tag"},
		{c, "SELECT * FROM feed()", "1:15: unknown source feed()"},
	} {
		_, err := e.eng.Prepare(e.sql)
		if err == nil || !strings.HasPrefix(err.Error(), e.want) {
			t.Errorf("%s: %v, want %q", e.sql, err, e.want)
		}
		if err != nil && (strings.Contains(err.Error(), `"tag"`) || strings.Contains(err.Error(), `"only_b"`) || strings.Contains(err.Error(), "feed, ")) {
			t.Errorf("%s: the suggestion names another engine's function or source: %v", e.sql, err)
		}
	}
}
