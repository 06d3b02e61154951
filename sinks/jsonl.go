package sinks

import (
	"io"
	"slices"

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
	buf    []byte   // one result, written with a single Write
	cols   []string // the columns keys was built for
	keys   [][]byte // `"name":` per column, JSON-escaped; keys[0] opens with '{', the rest with ','
	closed bool
}

func (s *jsonlSink) Write(r *types.Result) error {
	if s.closed {
		return ErrClosed
	}
	if !r.Emitted || len(r.Rows) == 0 {
		return nil
	}
	if err := checkRows(r); err != nil {
		return err
	}
	if !slices.Equal(s.cols, r.Columns) {
		s.setColumns(r.Columns)
	}
	b := s.buf[:0]
	for _, row := range r.Rows {
		if len(row) == 0 {
			b = append(b, '{')
		}
		for i, v := range row {
			b = append(b, s.keys[i]...)
			b = v.AppendJSON(b)
		}
		b = append(b, '}', '\n')
	}
	_, err := s.w.Write(b)
	if cap(b) <= 1<<20 {
		s.buf = b // keep for reuse unless one huge result grew it
	}
	return err
}

func (s *jsonlSink) setColumns(cols []string) {
	s.cols = slices.Clone(cols)
	s.keys = make([][]byte, len(cols))
	for i, c := range cols {
		sep := byte(',')
		if i == 0 {
			sep = '{'
		}
		k := types.Text(c).AppendJSON([]byte{sep})
		s.keys[i] = append(k, ':')
	}
}

func (s *jsonlSink) Close() error {
	s.closed = true
	return nil
}
