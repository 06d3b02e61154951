package cluster

import (
	"bytes"
	"encoding/binary"
	"encoding/gob"
	"hash/fnv"

	"github.com/streamsql/streamsql/agg"
	"github.com/streamsql/streamsql/types"
)

// partial is one key's partial aggregates over one pane, as stage 1 sends
// them and the changelog keeps them.
type partial struct {
	Pane   int64 // pane index: pane start / pane length
	Key    []types.Value
	States []agg.State
}

// mark is an input partition's watermark as stage 1 reports it.
type mark struct {
	Input int32 // the input partition
	At    int64 // the watermark, Unix ns: no later row of the partition is earlier
	Idle  bool  // no rows for a while (or ever): windows do not wait for it
}

// Record kinds, the first byte of a repartition or changelog record key.
const (
	kindPartial  = 'g' // + pane (8 bytes) + encoded key
	kindMark     = 'm' // changelog: + input partition (4 bytes); one mark
	kindMarks    = 'M' // repartition: the marks of one member's input partitions
	kindClosedTo = 'c' // changelog: windows ending at or before are emitted
)

func encode(v any) []byte {
	var b bytes.Buffer
	if err := gob.NewEncoder(&b).Encode(v); err != nil {
		panic(err) // our own plain types always encode
	}
	return b.Bytes()
}

func decode(b []byte, v any) error { return gob.NewDecoder(bytes.NewReader(b)).Decode(v) }

// encKey is the group key as the engine encodes it (types.AppendKey).
func encKey(key []types.Value) []byte {
	var b []byte
	for _, v := range key {
		b = types.AppendKey(b, v)
	}
	return b
}

func partialKey(pane int64, enc []byte) []byte {
	k := binary.BigEndian.AppendUint64([]byte{kindPartial}, uint64(pane))
	return append(k, enc...)
}

func markKey(input int32) []byte {
	return binary.BigEndian.AppendUint32([]byte{kindMark}, uint32(input))
}

// partitionOf is the repartition (and output) partition of an encoded
// key: a hash every member computes alike, so all partials of a key meet
// in one stage 2 partition.
func partitionOf(enc []byte, n int) int32 {
	h := fnv.New64a()
	h.Write(enc)
	return int32(h.Sum64() % uint64(n))
}
