package sinks

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/streamsql/streamsql/types"
)

// TestKafkaSinkTransactional writes results in transactions, then opens
// the sink again as a restarted query would and hands it the last result
// once more: it is skipped, the next one written. A read_committed reader
// sees every row once, with the writer and batch headers.
func TestKafkaSinkTransactional(t *testing.T) {
	_, addr := kafkaCluster(t)
	cols := []string{"k", "n"}
	res := func(sec int64, rows ...types.Row) *types.Result {
		return &types.Result{Time: time.Unix(sec, 0).UTC(), Emitted: true, Columns: cols, Rows: rows}
	}
	row := func(k string, n int64) types.Row { return types.Row{types.Text(k), types.Int(n)} }
	first := openKafkaSink(t, addr, Options{Columns: cols, Key: []string{"k"}}, "topic", "out", "transactional_id", "q1", "partitions", 2)
	write(t, first, res(1, row("a", 1), row("b", 2)), res(2, row("a", 3)))
	first.Close()

	again := openKafkaSink(t, addr, Options{Columns: cols, Key: []string{"k"}}, "topic", "out", "transactional_id", "q1")
	write(t, again, res(2, row("a", 3)), res(3, row("c", 4)))

	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.ConsumeTopics("out"),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	var got []string
	ctx, cancel := context.WithTimeout(context.Background(), kafkaWait)
	defer cancel()
	for len(got) < 4 && ctx.Err() == nil {
		for _, r := range cl.PollFetches(ctx).Records() {
			var h []string
			for _, x := range r.Headers {
				h = append(h, x.Key+"="+string(x.Value))
			}
			got = append(got, string(r.Value)+" "+strings.Join(h, " "))
		}
	}
	// One more look: nothing is there twice.
	short, cancel2 := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel2()
	for _, r := range cl.PollFetches(short).Records() {
		got = append(got, string(r.Value)+" (extra)")
	}
	want := map[string]bool{
		`{"k":"a","n":1} streamsql-writer=q1 streamsql-batch=1000000000`: true,
		`{"k":"b","n":2} streamsql-writer=q1 streamsql-batch=1000000000`: true,
		`{"k":"a","n":3} streamsql-writer=q1 streamsql-batch=2000000000`: true,
		`{"k":"c","n":4} streamsql-writer=q1 streamsql-batch=3000000000`: true,
	}
	if len(got) != len(want) {
		t.Fatalf("records:\n%s", strings.Join(got, "\n"))
	}
	for _, g := range got {
		if !want[g] {
			t.Errorf("unexpected record %s", g)
		}
	}
}
