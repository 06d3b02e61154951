package kafka

import (
	"context"
	"net"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/streamsql/streamsql/sources"
	"github.com/streamsql/streamsql/sources/sourcetest"
	"github.com/streamsql/streamsql/types"
)

// kafkaCluster starts an in-process Kafka cluster with the topic t of the
// given number of partitions and returns its address.
func kafkaCluster(t *testing.T, partitions int32) (*kfake.Cluster, string) {
	t.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(partitions, "t"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c, strings.Join(c.ListenAddrs(), ",")
}

// kafkaTime is the timestamp of produced records: record i gets
// kafkaTime + i seconds.
var kafkaTime = time.Date(2025, 3, 1, 21, 30, 0, 0, time.UTC)

// produceKafka writes records to topic t, each to the partition it names.
func produceKafka(t *testing.T, addr string, recs ...*kgo.Record) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	for _, r := range recs {
		r.Topic = "t"
	}
	ctx, cancel := context.WithTimeout(context.Background(), sourcetest.Wait)
	defer cancel()
	if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
}

func krec(partition int32, key, value string, sec int) *kgo.Record {
	r := &kgo.Record{Partition: partition, Value: []byte(value), Timestamp: kafkaTime.Add(time.Duration(sec) * time.Second)}
	if key != "" {
		r.Key = []byte(key)
	}
	return r
}

func openKafkaSource(t *testing.T, addr string, once bool, named ...string) *kafkaSource {
	t.Helper()
	args := sources.Args{Positional: []types.Value{types.Text(addr)}, Named: map[string]types.Value{}, Once: once}
	for i := 0; i < len(named); i += 2 {
		args.Named[named[i]] = types.Text(named[i+1])
	}
	spec, ok := sources.Lookup("kafka")
	if !ok {
		t.Fatal("kafka source not registered")
	}
	src, err := spec.OpenChecked(args)
	if err != nil {
		t.Fatal(err)
	}
	return src.(*kafkaSource)
}

// startKafka runs src until the returned stop is called; stop returns
// Run's error.
func startKafka(t *testing.T, src sources.Source, out sources.Emitter) (stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- src.Run(ctx, out) }()
	stopped := false
	var runErr error
	stop = func() error {
		if stopped {
			return runErr
		}
		stopped = true
		cancel()
		select {
		case runErr = <-done:
		case <-time.After(sourcetest.Wait):
			t.Fatal("Run did not return after cancel")
		}
		return runErr
	}
	t.Cleanup(func() { stop() })
	return stop
}

// waitRows waits until e holds n rows and returns them sorted by their
// rendering (partitions are read in no particular order).
func waitRows(t *testing.T, e *sourcetest.Recorder, n int) []string {
	t.Helper()
	deadline := time.Now().Add(sourcetest.Wait)
	for {
		rows, _ := e.Snapshot()
		if len(rows) >= n {
			got := sourcetest.FormatRows(rows)
			sort.Strings(got)
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("got %d rows %q, want %d", len(rows), sourcetest.FormatRows(rows), n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func waitLog(t *testing.T, e *sourcetest.Recorder, prefix string) string {
	t.Helper()
	timeout := time.After(sourcetest.Wait)
	for {
		select {
		case msg := <-e.Logs:
			if strings.HasPrefix(msg, prefix) {
				return msg
			}
		case <-timeout:
			t.Fatalf("no log line starting with %q", prefix)
		}
	}
}

func tsText(sec int) string {
	return types.Time(kafkaTime.Add(time.Duration(sec) * time.Second)).String()
}

func TestKafkaRows(t *testing.T) {
	_, addr := kafkaCluster(t, 2)
	produceKafka(t, addr,
		krec(0, "a", `{"user":"ann","n":1}`, 0),
		krec(0, "", `{"user":"bob","n":2}`+"\n", 1),
		krec(1, "c", `{"user":`, 2), // malformed
		krec(1, "d", `{"user":"cy","n":3,"_key":"shadowed"}`, 3),
		krec(1, "e", ``, 4), // blank: no row, not malformed
	)
	src := openKafkaSource(t, addr, false, "topic", "t", "group", "g1", "format", "jsonl")
	s := src.Schema()
	if !s.Open || strings.Join(s.Columns.Names(), ",") != "_key,_timestamp,_partition,_offset" {
		t.Fatalf("schema before Bind = %+v", s)
	}
	if err := src.Bind([]string{"user", "n", "_key", "_partition", "_offset", "_timestamp"}); err != nil {
		t.Fatal(err)
	}
	s = src.Schema()
	if got := s.Columns[2:]; got[0].Type != types.KindText || got[1].Type != types.KindInt || got[2].Type != types.KindInt || got[3].Type != types.KindTime {
		t.Fatalf("bound schema = %+v", s)
	}
	if got, want := src.Describe(), "kafka('"+addr+"') topic=t group=g1 offset=earliest format=jsonl live"; got != want {
		t.Errorf("Describe = %q, want %q", got, want)
	}
	if src.Bounded() {
		t.Error("live kafka source is bounded")
	}

	e := sourcetest.NewRecorder()
	stop := startKafka(t, src, e)
	if got, want := waitLog(t, e, "kafka("), "kafka('"+addr+"'): consuming topic t as group g1"; got != want {
		t.Errorf("log = %q, want %q", got, want)
	}
	got := waitRows(t, e, 3)
	want := []string{
		"[TEXT:ann BIGINT:1 TEXT:a BIGINT:0 BIGINT:0 TIMESTAMP:" + tsText(0) + "]",
		"[TEXT:bob BIGINT:2 NULL:NULL BIGINT:0 BIGINT:1 TIMESTAMP:" + tsText(1) + "]",
		"[TEXT:cy BIGINT:3 TEXT:d BIGINT:1 BIGINT:1 TIMESTAMP:" + tsText(3) + "]",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("rows:\n got  %q\n want %q", got, want)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	rows, malformed := e.Snapshot()
	if len(rows) != 3 {
		t.Errorf("got %d rows after stop, want 3", len(rows))
	}
	if len(malformed) != 1 || !strings.HasPrefix(malformed[0].Error(), "topic t partition 1 offset 0: ") {
		t.Fatalf("malformed = %v, want one error for topic t partition 1 offset 0", malformed)
	}
}

func TestKafkaTextNoGroup(t *testing.T) {
	_, addr := kafkaCluster(t, 1)
	produceKafka(t, addr, krec(0, "", "hello world\r\n", 0), krec(0, "", "", 1))
	src := openKafkaSource(t, addr, false, "topic", "t")
	if err := src.Bind([]string{"_offset", "line"}); err != nil {
		t.Fatal(err)
	}
	e := sourcetest.NewRecorder()
	startKafka(t, src, e)
	if got, want := waitLog(t, e, "kafka("), "kafka('"+addr+"'): consuming topic t from the earliest offsets (no group)"; got != want {
		t.Errorf("log = %q, want %q", got, want)
	}
	got := waitRows(t, e, 2)
	want := []string{"[BIGINT:0 TEXT:hello world]", "[BIGINT:1 TEXT:]"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("rows:\n got  %q\n want %q", got, want)
	}
}

// TestKafkaGroupResume stops a group member and starts another: it picks up
// right after what the first one delivered. Rows the query refused (Emit
// failed) are not committed and come again.
func TestKafkaGroupResume(t *testing.T) {
	_, addr := kafkaCluster(t, 1)
	for i := range 3 {
		produceKafka(t, addr, krec(0, "", `{"i":`+string(rune('0'+i))+`}`, i))
	}
	bind := func(src sources.Source) {
		if err := src.Bind([]string{"i", "_offset"}); err != nil {
			t.Fatal(err)
		}
	}

	src := openKafkaSource(t, addr, false, "topic", "t", "group", "g", "offset", "committed", "format", "jsonl")
	bind(src)
	e := sourcetest.NewRecorder()
	stop := startKafka(t, src, e)
	got := waitRows(t, e, 3)
	if want := "[BIGINT:0 BIGINT:0] [BIGINT:1 BIGINT:1] [BIGINT:2 BIGINT:2]"; strings.Join(got, " ") != want {
		t.Fatalf("first run rows = %q, want %s", got, want)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}

	// Written while no member runs: nothing is lost.
	produceKafka(t, addr, krec(0, "", `{"i":3}`, 3), krec(0, "", `{"i":4}`, 4))

	// The query refuses the rows (it is stopping): Run ends, nothing is
	// committed.
	src = openKafkaSource(t, addr, false, "topic", "t", "group", "g", "format", "jsonl")
	bind(src)
	refuse := sourcetest.NewRecorder()
	refuse.FailEmit()
	ctx, cancel := context.WithTimeout(context.Background(), sourcetest.Wait)
	defer cancel()
	if err := src.Run(ctx, refuse); err != nil {
		t.Fatal(err)
	}
	if rows, _ := refuse.Snapshot(); len(rows) == 0 || sourcetest.FormatRows(rows)[0] != "[BIGINT:3 BIGINT:3]" {
		t.Fatalf("refused rows = %q, want to start at offset 3", sourcetest.FormatRows(rows))
	}

	src = openKafkaSource(t, addr, false, "topic", "t", "group", "g", "format", "jsonl")
	bind(src)
	e = sourcetest.NewRecorder()
	stop = startKafka(t, src, e)
	got = waitRows(t, e, 2)
	if want := "[BIGINT:3 BIGINT:3] [BIGINT:4 BIGINT:4]"; strings.Join(got, " ") != want {
		t.Fatalf("second run rows = %q, want %s", got, want)
	}
	time.Sleep(200 * time.Millisecond) // anything delivered twice would show up by now
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if rows, _ := e.Snapshot(); len(rows) != 2 {
		t.Fatalf("second run delivered %q, want exactly offsets 3 and 4", sourcetest.FormatRows(rows))
	}
}

func TestKafkaOnce(t *testing.T) {
	_, addr := kafkaCluster(t, 3)
	produceKafka(t, addr,
		krec(0, "", `{"v":"a"}`, 0), krec(0, "", `{"v":"b"}`, 1),
		krec(1, "", `{"v":"c"}`, 2), // partition 2 stays empty
	)
	run := func(src sources.Source) []string {
		t.Helper()
		if err := src.Bind([]string{"v", "_partition", "_offset"}); err != nil {
			t.Fatal(err)
		}
		if !src.Bounded() {
			t.Fatal("bounded kafka source is not Bounded")
		}
		e := sourcetest.NewRecorder()
		ctx, cancel := context.WithTimeout(context.Background(), sourcetest.Wait)
		defer cancel()
		if err := src.Run(ctx, e); err != nil {
			t.Fatal(err)
		}
		if ctx.Err() != nil {
			t.Fatal("bounded Run did not end by itself")
		}
		rows, _ := e.Snapshot()
		got := sourcetest.FormatRows(rows)
		sort.Strings(got)
		return got
	}

	// Without a group: everything up to the end, each run.
	for range 2 {
		got := run(openKafkaSource(t, addr, true, "topic", "t", "format", "jsonl"))
		if want := "[TEXT:a BIGINT:0 BIGINT:0] [TEXT:b BIGINT:0 BIGINT:1] [TEXT:c BIGINT:1 BIGINT:0]"; strings.Join(got, " ") != want {
			t.Fatalf("rows = %q, want %s", got, want)
		}
	}
	if got := run(openKafkaSource(t, addr, true, "topic", "t", "format", "jsonl", "offset", "latest")); len(got) != 0 {
		t.Fatalf("offset latest read %q", got)
	}

	// With a group: each run reads what the group has not read yet.
	got := run(openKafkaSource(t, addr, true, "topic", "t", "format", "jsonl", "group", "batch"))
	if len(got) != 3 {
		t.Fatalf("first group run = %q", got)
	}
	produceKafka(t, addr, krec(2, "", `{"v":"d"}`, 3), krec(0, "", `{"v":"e"}`, 4))
	got = run(openKafkaSource(t, addr, true, "topic", "t", "format", "jsonl", "group", "batch"))
	if want := "[TEXT:d BIGINT:2 BIGINT:0] [TEXT:e BIGINT:0 BIGINT:2]"; strings.Join(got, " ") != want {
		t.Fatalf("second group run = %q, want %s", got, want)
	}
	if got := run(openKafkaSource(t, addr, true, "topic", "t", "format", "jsonl", "group", "batch")); len(got) != 0 {
		t.Fatalf("third group run = %q, want nothing", got)
	}

	// A missing topic is an error when reading once.
	src := openKafkaSource(t, addr, true, "topic", "nope")
	ctx, cancel := context.WithTimeout(context.Background(), sourcetest.Wait)
	defer cancel()
	if err := src.Run(ctx, sourcetest.NewRecorder()); err == nil || err.Error() != "kafka(): topic nope does not exist" {
		t.Fatalf("Run on a missing topic = %v", err)
	}
}

// TestKafkaOnceStopsAtStartEnd checks that records written after a bounded
// run started are neither read nor committed.
func TestKafkaOnceStopsAtStartEnd(t *testing.T) {
	_, addr := kafkaCluster(t, 1)
	produceKafka(t, addr, krec(0, "", "one", 0))
	src := openKafkaSource(t, addr, true, "topic", "t", "group", "g")
	if err := src.Bind([]string{"line"}); err != nil {
		t.Fatal(err)
	}
	e := sourcetest.NewRecorder()
	blocked := make(chan struct{})
	release := make(chan struct{})
	out := &gateEmitter{Recorder: e, gate: func() { close(blocked); <-release }}
	ctx, cancel := context.WithTimeout(context.Background(), sourcetest.Wait)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- src.Run(ctx, out) }()
	<-blocked
	produceKafka(t, addr, krec(0, "", "two", 1))
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	rows, _ := e.Snapshot()
	sourcetest.CheckRows(t, rows, "[TEXT:one]")

	src = openKafkaSource(t, addr, true, "topic", "t", "group", "g")
	if err := src.Bind([]string{"line"}); err != nil {
		t.Fatal(err)
	}
	e = sourcetest.NewRecorder()
	if err := src.Run(ctx, e); err != nil {
		t.Fatal(err)
	}
	rows, _ = e.Snapshot()
	sourcetest.CheckRows(t, rows, "[TEXT:two]")
}

// gateEmitter calls gate before its first Emit.
type gateEmitter struct {
	*sourcetest.Recorder
	gate func()
}

func (g *gateEmitter) Emit(rows []types.Row) error {
	if g.gate != nil {
		g.gate()
		g.gate = nil
	}
	return g.Recorder.Emit(rows)
}

func TestKafkaCSV(t *testing.T) {
	_, addr := kafkaCluster(t, 1)
	spec, _ := sources.Lookup("kafka")
	open := func(named ...string) error {
		args := sources.Args{Positional: []types.Value{types.Text(addr)}, Named: map[string]types.Value{"topic": types.Text("t"), "format": types.Text("csv")}}
		for i := 0; i < len(named); i += 2 {
			args.Named[named[i]] = types.Text(named[i+1])
		}
		_, err := spec.OpenChecked(args)
		return err
	}
	const msg = "kafka(): format csv needs header => false or a schema: Kafka records carry no header record"
	for _, named := range [][]string{nil, {"header", "true"}, {"header", "true", "schema", "a TEXT"}} {
		if err := open(named...); err == nil || err.Error() != msg {
			t.Errorf("csv with %q: err = %v, want %q", named, err, msg)
		}
	}
	for _, named := range [][]string{{"header", "false"}, {"schema", "a TEXT"}, {"header", "FALSE", "schema", "a TEXT"}} {
		if err := open(named...); err != nil {
			t.Errorf("csv with %q: %v", named, err)
		}
	}

	produceKafka(t, addr, krec(0, "k", "x,1.5\n", 0), krec(0, "", "y", 1), krec(0, "", `"z,z",2`, 2))
	src := openKafkaSource(t, addr, true, "topic", "t", "format", "csv", "schema", "name TEXT, v DOUBLE")
	if err := src.Bind([]string{"_key", "v", "name"}); err != nil {
		t.Fatal(err)
	}
	if !src.Schema().Typed {
		t.Error("csv with a schema is not Typed")
	}
	e := sourcetest.NewRecorder()
	ctx, cancel := context.WithTimeout(context.Background(), sourcetest.Wait)
	defer cancel()
	if err := src.Run(ctx, e); err != nil {
		t.Fatal(err)
	}
	rows, malformed := e.Snapshot()
	sourcetest.CheckRows(t, rows, "[TEXT:k DOUBLE:1.5 TEXT:x]", "[NULL:NULL DOUBLE:2 TEXT:z,z]")
	if len(malformed) != 1 || !strings.HasPrefix(malformed[0].Error(), "topic t partition 0 offset 1: ") {
		t.Fatalf("malformed = %v", malformed)
	}
}

func TestKafkaOpenErrors(t *testing.T) {
	spec, _ := sources.Lookup("kafka")
	for _, tc := range []struct {
		named map[string]string
		want  string
	}{
		{map[string]string{}, "kafka(): topic => 'name' is required; usage: " + spec.Usage},
		{map[string]string{"topic": "t", "offset": "committed"}, "kafka(): offset => 'committed' needs a group (group => 'name')"},
		{map[string]string{"topic": "t", "offset": "newest"}, "kafka(): offset must be 'committed', 'earliest' or 'latest', got 'newest'"},
		{map[string]string{"topic": "t", "format": "xml"}, `kafka(): unknown format "xml" (known formats: csv, json, jsonl, text)`},
	} {
		args := sources.Args{Positional: []types.Value{types.Text("localhost:9092")}, Named: map[string]types.Value{}}
		for k, v := range tc.named {
			args.Named[k] = types.Text(v)
		}
		if _, err := spec.OpenChecked(args); err == nil || err.Error() != tc.want {
			t.Errorf("%v: err = %v, want %q", tc.named, err, tc.want)
		}
	}
	if _, err := spec.OpenChecked(sources.Args{Named: map[string]types.Value{"topic": types.Text("t")}}); err == nil {
		t.Error("missing broker accepted")
	}
	if _, err := spec.OpenChecked(sources.Args{Positional: []types.Value{types.Text(" , ")}, Named: map[string]types.Value{"topic": types.Text("t")}}); err == nil {
		t.Error("empty broker list accepted")
	}
}

// TestKafkaUnreachable: a broker nobody listens on is logged once, Run
// keeps trying and returns nil when cancelled.
func TestKafkaUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	for _, once := range []bool{false, true} {
		src := openKafkaSource(t, addr, once, "topic", "t", "group", "g")
		src.attemptTimeout = 300 * time.Millisecond
		src.retryWait = 50 * time.Millisecond
		e := sourcetest.NewRecorder()
		stop := startKafka(t, src, e)
		msg := waitLog(t, e, "kafka(")
		if want := "kafka('" + addr + "'): warning: cannot reach broker " + addr + ": "; !strings.HasPrefix(msg, want) {
			t.Errorf("log = %q, want prefix %q", msg, want)
		}
		time.Sleep(time.Second) // several more attempts
		start := time.Now()
		if err := stop(); err != nil {
			t.Fatal(err)
		}
		if d := time.Since(start); d > 8*time.Second {
			t.Errorf("Run took %v to end after cancel", d)
		}
		if len(e.Logs) != 0 {
			t.Errorf("logged again: %q", <-e.Logs)
		}
	}
}

// TestKafkaConnectTimeout: bounded reading of a broker nobody listens on
// fails once connect_timeout has passed, with what it was doing and the
// last error; an option that is no duration is refused.
func TestKafkaConnectTimeout(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	src := openKafkaSource(t, addr, true, "topic", "t", "connect_timeout", "300ms")
	src.retryWait = 20 * time.Millisecond
	done := make(chan error, 1)
	go func() { done <- src.Run(context.Background(), sourcetest.NewRecorder()) }()
	select {
	case err := <-done:
		want := "kafka('" + addr + "'): cannot reach broker " + addr + ": gave up after 300ms (connect_timeout): unable to dial: dial tcp " + addr + ": connect: connection refused"
		if err == nil || err.Error() != want {
			t.Errorf("Run = %v\nwant %s", err, want)
		}
	case <-time.After(sourcetest.Wait):
		t.Fatal("Run did not give up")
	}

	if d := openKafkaSource(t, addr, true, "topic", "t").connectTimeout; d != 30*time.Second {
		t.Errorf("bounded reading waits %v by default, want 30s", d)
	}
	if d := openKafkaSource(t, addr, false, "topic", "t").connectTimeout; d != 0 {
		t.Errorf("live reading waits %v by default, want forever", d)
	}
	spec, _ := sources.Lookup("kafka")
	for _, v := range []string{"soon", "-1s"} {
		_, err := spec.OpenChecked(sources.Args{Positional: []types.Value{types.Text(addr)}, Named: map[string]types.Value{"topic": types.Text("t"), "connect_timeout": types.Text(v)}})
		if want := "kafka(): connect_timeout must be a duration such as '5s', or '0' to wait forever, got '" + v + "'"; err == nil || err.Error() != want {
			t.Errorf("connect_timeout %s: %v, want %s", v, err, want)
		}
	}
}
