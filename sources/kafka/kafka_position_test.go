package kafka

import (
	"context"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/streamsql/streamsql/sources"
	"github.com/streamsql/streamsql/sources/sourcetest"
	"github.com/streamsql/streamsql/types"
)

// TestKafkaResume reads from checkpointed offsets: partition 0 from
// offset 1, partition 1 (not in the checkpoint) from the start; the
// positions handed over say where each partition is, the first one
// before any row.
func TestKafkaResume(t *testing.T) {
	_, addr := kafkaCluster(t, 2)
	produceKafka(t, addr,
		krec(0, "", `{"v":"a"}`, 0), krec(0, "", `{"v":"b"}`, 1), krec(0, "", `{"v":"c"}`, 2),
		krec(1, "", `{"v":"d"}`, 3),
	)
	src := openKafkaSource(t, addr, true, "topic", "t", "group", "g", "format", "jsonl")
	if err := src.Bind([]string{"v", "_partition", "_offset"}); err != nil {
		t.Fatal(err)
	}
	if err := src.Resume([]byte(`{"topic":"t","offsets":{"0":1}}`)); err != nil {
		t.Fatal(err)
	}
	e := &posLog{Recorder: sourcetest.NewRecorder()}
	ctx, cancel := context.WithTimeout(context.Background(), sourcetest.Wait)
	defer cancel()
	if err := src.Run(ctx, e); err != nil {
		t.Fatal(err)
	}
	rows, _ := e.Snapshot()
	got := sourcetest.FormatRows(rows)
	sort.Strings(got)
	if g, want := strings.Join(got, " "), "[TEXT:b BIGINT:0 BIGINT:1] [TEXT:c BIGINT:0 BIGINT:2] [TEXT:d BIGINT:1 BIGINT:0]"; g != want {
		t.Errorf("rows %s, want %s", g, want)
	}
	if len(e.pos) == 0 || e.pos[0] != `{"topic":"t","offsets":{"0":1}}` {
		t.Errorf("first position %q, want the checkpointed one", e.pos)
	}
	if last := e.pos[len(e.pos)-1]; last != `{"topic":"t","offsets":{"0":3,"1":1}}` {
		t.Errorf("last position %s", last)
	}

	if err := openKafkaSource(t, addr, true, "topic", "t").Resume([]byte(`{"topic":"u","offsets":{}}`)); err == nil ||
		err.Error() != "kafka(): the checkpoint is of topic u, not t" {
		t.Errorf("other topic: %v", err)
	}
}

// posLog records the positions handed over with EmitAt.
type posLog struct {
	*sourcetest.Recorder
	mu  sync.Mutex
	pos []string
}

func (e *posLog) EmitAt(rows []types.Row, p sources.Position) error {
	b, err := p.MarshalJSON()
	if err != nil {
		return err
	}
	e.mu.Lock()
	e.pos = append(e.pos, string(b))
	e.mu.Unlock()
	if len(rows) == 0 {
		return nil
	}
	return e.Emit(rows)
}
