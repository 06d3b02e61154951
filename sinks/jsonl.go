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
	buf    []byte // up to jsonlChunk of a result, written with one Write
	obj    jsonObjects
	closed bool
}

func (s *jsonlSink) Write(r *types.Result) error {
	if skip, err := admit(r, s.closed); skip || err != nil {
		return err
	}
	s.obj.setColumns(r.Columns)
	b := s.buf[:0]
	for _, row := range r.Rows {
		b = s.obj.appendRow(b, row)
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

// jsonObjects renders rows as JSON objects, one key per column in column
// order, values as Value.AppendJSON writes them. The jsonl and kafka sinks
// share it, so a row reads the same in a file and in a topic.
type jsonObjects struct {
	cols []string // the columns keys was built for
	keys [][]byte // `"name":` per column, JSON-escaped; keys[0] opens with '{', the rest with ','
}

// setColumns prepares for rows of cols; it is cheap when they did not
// change since the last call.
func (j *jsonObjects) setColumns(cols []string) {
	if j.keys != nil && slices.Equal(j.cols, cols) {
		return
	}
	j.cols = slices.Clone(cols)
	j.keys = make([][]byte, len(cols))
	for i, c := range cols {
		sep := byte(',')
		if i == 0 {
			sep = '{'
		}
		k := types.Text(c).AppendJSON([]byte{sep})
		j.keys[i] = append(k, ':')
	}
}

// appendRow appends row, which has one value per column of the last
// setColumns, as one JSON object without a line break.
func (j *jsonObjects) appendRow(b []byte, row types.Row) []byte {
	if len(row) == 0 {
		b = append(b, '{')
	}
	for i, v := range row {
		b = append(b, j.keys[i]...)
		b = v.AppendJSON(b)
	}
	return append(b, '}')
}
