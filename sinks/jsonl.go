package sinks

import (
	"context"
	"io"

	"github.com/streamsql/streamsql/formats"
	"github.com/streamsql/streamsql/types"
)

func init() {
	Register(&Spec{
		Name:  "jsonl",
		Usage: "one JSON object per row, keys in column order",
		Open: func(w io.Writer, _ Options) (Sink, error) {
			return &jsonlSink{w: w}, nil
		},
	})
}

type jsonlSink struct {
	w      io.Writer
	buf    []byte // up to jsonlChunk of a result, written with one Write
	obj    formats.JSONObjects
	closed bool
}

func (s *jsonlSink) Write(ctx context.Context, r *types.Result) error {
	if skip, err := admit(r, s.closed); skip || err != nil {
		return err
	}
	s.obj.SetColumns(r.Columns)
	b := s.buf[:0]
	for _, row := range r.Rows {
		b = s.obj.AppendRow(b, row)
		b = append(b, '\n')
		if len(b) >= jsonlChunk {
			// A huge result (a --once run's sliding windows) is written
			// in whole lines as it is encoded, not held twice in memory.
			if _, err := s.w.Write(b); err != nil {
				return err
			}
			b = b[:0]
		}
	}
	_, err := s.w.Write(b)
	s.buf = b
	return err
}

// jsonlChunk is the most a result's encoding is held before writing.
const jsonlChunk = 1 << 20

func (s *jsonlSink) Close() error {
	s.closed = true
	return nil
}
