package sinks

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/streamsql/streamsql/types"
)

const kafkaWait = 10 * time.Second

func kafkaCluster(t *testing.T) (*kfake.Cluster, string) {
	t.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(1))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c, strings.Join(c.ListenAddrs(), ",")
}

func openKafkaSink(t *testing.T, addr string, opts Options, named ...any) Sink {
	t.Helper()
	opts.Args = []types.Value{types.Text(addr)}
	opts.Named = map[string]types.Value{}
	for i := 0; i < len(named); i += 2 {
		switch v := named[i+1].(type) {
		case string:
			opts.Named[named[i].(string)] = types.Text(v)
		case int:
			opts.Named[named[i].(string)] = types.Int(int64(v))
		}
	}
	s, err := kafkaOpen(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func kafkaOpen(opts Options) (Sink, error) {
	spec, ok := Lookup("kafka")
	if !ok {
		return nil, errors.New("kafka sink not registered")
	}
	return spec.Open(nil, opts)
}

// consumeKafka reads n records of topic from the start.
func consumeKafka(t *testing.T, addr, topic string, n int) []*kgo.Record {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), kafkaWait)
	defer cancel()
	var recs []*kgo.Record
	for len(recs) < n {
		f := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("got %d records, want %d", len(recs), n)
		}
		for _, e := range f.Errors() {
			t.Logf("fetch error: %v", e.Err)
		}
		recs = append(recs, f.Records()...)
	}
	if len(recs) != n {
		t.Fatalf("got %d records, want %d", len(recs), n)
	}
	return recs
}

func TestKafkaSinkWrites(t *testing.T) {
	_, addr := kafkaCluster(t)
	cols := []string{"window_start", "window_end", "page", "views", "avg_ms"}
	s := openKafkaSink(t, addr, Options{Columns: cols, Key: []string{"window_start", "window_end", "page"}},
		"topic", "pages", "timeout", "5s")
	w2 := &types.Window{Start: window10s.End, End: window10s.End.Add(10 * time.Second)}
	row := func(w *types.Window, page string, views int64, avg types.Value) types.Row {
		return types.Row{types.Time(w.Start), types.Time(w.End), types.Text(page), types.Int(views), avg}
	}
	write(t, s,
		&types.Result{Time: batchTime, Emitted: true, Window: window10s, Columns: cols, Rows: []types.Row{
			row(window10s, "/home", 3, types.Float(12.5)),
			row(window10s, `/a"b`, 1, types.Null),
		}},
		&types.Result{Time: batchTime.Add(5 * time.Second), Emitted: false, Columns: cols}, // no news
		&types.Result{Time: w2.End, Emitted: true, Window: w2, Columns: cols},              // no rows
		&types.Result{Time: w2.End, Emitted: true, Window: w2, Columns: cols, Rows: []types.Row{
			row(w2, "/home", 7, types.Float(3)),
		}},
	)
	recs := consumeKafka(t, addr, "pages", 3)
	type rec struct{ key, value, ts string }
	want := []rec{
		{`["2025-03-01T21:30:00Z","2025-03-01T21:30:10Z","/home"]`,
			`{"window_start":"2025-03-01T21:30:00Z","window_end":"2025-03-01T21:30:10Z","page":"/home","views":3,"avg_ms":12.5}`,
			"2025-03-01T21:30:10Z"},
		{`["2025-03-01T21:30:00Z","2025-03-01T21:30:10Z","/a\"b"]`,
			`{"window_start":"2025-03-01T21:30:00Z","window_end":"2025-03-01T21:30:10Z","page":"/a\"b","views":1,"avg_ms":null}`,
			"2025-03-01T21:30:10Z"},
		{`["2025-03-01T21:30:10Z","2025-03-01T21:30:20Z","/home"]`,
			`{"window_start":"2025-03-01T21:30:10Z","window_end":"2025-03-01T21:30:20Z","page":"/home","views":7,"avg_ms":3}`,
			"2025-03-01T21:30:20Z"},
	}
	for i, r := range recs {
		got := rec{string(r.Key), string(r.Value), r.Timestamp.UTC().Format(time.RFC3339Nano)}
		if got != want[i] {
			t.Errorf("record %d:\n got  %+v\n want %+v", i, got, want[i])
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Write(context.Background(), &types.Result{Time: batchTime, Emitted: true, Columns: cols, Rows: []types.Row{row(w2, "x", 1, types.Null)}}); !errors.Is(err, ErrClosed) {
		t.Fatalf("Write after Close = %v, want ErrClosed", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close = %v", err)
	}
}

// TestKafkaSinkNoKey: without key columns records have no key; the topic
// is created with the partitions asked for.
func TestKafkaSinkNoKey(t *testing.T) {
	_, addr := kafkaCluster(t)
	s := openKafkaSink(t, addr, Options{Columns: []string{"line"}}, "topic", "lines", "partitions", 3)
	write(t, s, &types.Result{Time: batchTime, Emitted: true, Columns: []string{"line"}, Rows: []types.Row{
		{types.Text("a")}, {types.Text("b")},
	}})
	recs := consumeKafka(t, addr, "lines", 2)
	var values []string
	for _, r := range recs {
		if r.Key != nil {
			t.Errorf("record %s has key %q", r.Value, r.Key)
		}
		values = append(values, string(r.Value))
	}
	if len(values) != 2 || !strings.Contains(strings.Join(values, " "), `{"line":"a"}`) || !strings.Contains(strings.Join(values, " "), `{"line":"b"}`) {
		t.Errorf("values = %q", values)
	}

	cl, err := kgo.NewClient(kgo.SeedBrokers(addr))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	req := kmsg.NewPtrMetadataRequest()
	mt := kmsg.NewMetadataRequestTopic()
	mt.Topic = kmsg.StringPtr("lines")
	req.Topics = append(req.Topics, mt)
	ctx, cancel := context.WithTimeout(context.Background(), kafkaWait)
	defer cancel()
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Topics) != 1 || len(resp.Topics[0].Partitions) != 3 {
		t.Fatalf("topic lines has %d partitions, want 3", len(resp.Topics[0].Partitions))
	}
}

// TestKafkaSinkExistingTopic writes to a topic that is already there.
func TestKafkaSinkExistingTopic(t *testing.T) {
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(2, "t"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	addr := c.ListenAddrs()[0]
	s := openKafkaSink(t, addr, Options{Columns: []string{"k", "n"}, Key: []string{"k"}}, "topic", "t", "partitions", 5)
	write(t, s, &types.Result{Time: batchTime, Emitted: true, Columns: []string{"k", "n"}, Rows: []types.Row{{types.Int(1), types.Int(2)}}})
	recs := consumeKafka(t, addr, "t", 1)
	if string(recs[0].Key) != "[1]" || string(recs[0].Value) != `{"k":1,"n":2}` {
		t.Errorf("record = %q %q", recs[0].Key, recs[0].Value)
	}
}

// TestKafkaSinkUnreachable: with the cluster gone, Write fails within the
// timeout, both before the topic was checked and after writes succeeded.
func TestKafkaSinkUnreachable(t *testing.T) {
	c, addr := kafkaCluster(t)
	r := &types.Result{Time: batchTime, Emitted: true, Columns: []string{"n"}, Rows: []types.Row{{types.Int(1)}}}
	warm := openKafkaSink(t, addr, Options{Columns: r.Columns}, "topic", "t", "timeout", "1s")
	write(t, warm, r)
	c.Close()
	cold := openKafkaSink(t, addr, Options{Columns: r.Columns}, "topic", "t", "timeout", 1)
	for name, s := range map[string]Sink{"warm": warm, "cold": cold} {
		start := time.Now()
		err := s.Write(context.Background(), r)
		if err == nil || !strings.HasPrefix(err.Error(), "kafka(): ") {
			t.Errorf("%s: Write = %v, want an error", name, err)
		}
		if d := time.Since(start); d > 8*time.Second {
			t.Errorf("%s: Write took %v with a 1s timeout", name, d)
		}
		t.Logf("%s: %v", name, err)
	}
}

func TestKafkaSinkOpenErrors(t *testing.T) {
	for _, tc := range []struct {
		opts Options
		want string
	}{
		{Options{}, "kafka() takes 1 positional argument(s) (brokers), got 0; usage: " + kafkaSpec.Usage},
		{Options{Args: []types.Value{types.Int(1)}}, "kafka(): argument 1 (brokers) must be a string, got BIGINT"},
		{Options{Args: []types.Value{types.Text("h:1")}}, "kafka(): option topic => '...' is required; usage: " + kafkaSpec.Usage},
		{Options{Args: []types.Value{types.Text(" ")}}, `kafka(): no broker address in " " (write 'host:port[,host:port]')`},
		{Options{Args: []types.Value{types.Text("h:1")}, Named: map[string]types.Value{"topic": types.Text("t"), "partitions": types.Int(0)}},
			"kafka(): partitions must be a positive whole number, got 0"},
		{Options{Args: []types.Value{types.Text("h:1")}, Named: map[string]types.Value{"topic": types.Text("t"), "timeout": types.Text("soon")}},
			`kafka(): timeout must be a duration such as '5s', got "soon"`},
		{Options{Args: []types.Value{types.Text("h:1")}, Named: map[string]types.Value{"topic": types.Text("t"), "timeout": types.Text("-1s")}},
			"kafka(): timeout must be positive, got -1s"},
		{Options{Args: []types.Value{types.Text("h:1")}, Named: map[string]types.Value{"topic": types.Text("t"), "acks": types.Text("all")}},
			"kafka(): unknown option acks (options: partitions, timeout, topic, transactional_id); usage: " + kafkaSpec.Usage},
		{Options{Args: []types.Value{types.Text("h:1")}, Named: map[string]types.Value{"topic": types.Text("t")}, Columns: []string{"a"}, Key: []string{"b"}},
			`kafka(): key column "b" is not among the columns (a)`},
	} {
		s, err := kafkaOpen(tc.opts)
		if err == nil {
			s.Close()
		}
		if err == nil || err.Error() != tc.want {
			t.Errorf("%+v: err = %v, want %q", tc.opts, err, tc.want)
		}
	}
}

func TestKafkaSinkRowWidth(t *testing.T) {
	s := openKafkaSink(t, "127.0.0.1:1", Options{}, "topic", "t")
	r := &types.Result{Time: batchTime, Emitted: true, Columns: []string{"a", "b"}, Rows: []types.Row{{types.Int(1)}}}
	if err := s.Write(context.Background(), r); err == nil || !strings.Contains(err.Error(), "row 0 has 1 values for 2 columns") {
		t.Fatalf("Write = %v", err)
	}
}

// TestKafkaSinkChangelog: an updating result with key columns writes the
// table as a compacted topic keeps it: upserts by key, a tombstone for a
// deleted row, no record for the -U half of an update; every record says
// its change in the op header. Without key columns every change is a
// record.
func TestKafkaSinkChangelog(t *testing.T) {
	_, addr := kafkaCluster(t)
	keyed, global := tableChanges()
	s := openKafkaSink(t, addr, Options{Columns: []string{"page", "n"}, Key: []string{"page"}}, "topic", "counts")
	write(t, s, keyed...)
	g := openKafkaSink(t, addr, Options{Columns: []string{"n"}}, "topic", "total")
	write(t, g, global...)
	show := func(recs []*kgo.Record) string {
		var out []string
		for _, r := range recs {
			op := ""
			for _, h := range r.Headers {
				if h.Key == "op" {
					op = string(h.Value)
				}
			}
			v := string(r.Value)
			if r.Value == nil {
				v = "(tombstone)"
			}
			out = append(out, fmt.Sprintf("%s %s %s", op, r.Key, v))
		}
		return strings.Join(out, "\n")
	}
	want := `+I ["a"] {"page":"a","n":1}
+I ["b"] {"page":"b","n":1}
+I [null] {"page":null,"n":1}
+U ["a"] {"page":"a","n":2}
+U [null] {"page":null,"n":2}
-D ["b"] (tombstone)`
	if got := show(consumeKafka(t, addr, "counts", 6)); got != want {
		t.Errorf("keyed records:\n%s\nwant:\n%s", got, want)
	}
	want = `+I  {"n":0}
-D  {"n":0}
+I  {"n":3}
-D  {"n":3}
+I  {"n":5}`
	if got := show(consumeKafka(t, addr, "total", 5)); got != want {
		t.Errorf("records without a key:\n%s\nwant:\n%s", got, want)
	}
}
