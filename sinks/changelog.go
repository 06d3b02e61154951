package sinks

import (
	"context"
	"io"

	"github.com/streamsql/streamsql/formats"
	"github.com/streamsql/streamsql/types"
)

func init() {
	Register(&Spec{
		Name:  "changelog",
		Usage: `one JSON object per change, its "op" first: +I insert, -U/+U the old and new row of an update, -D delete`,
		Open: func(w io.Writer, opts Options) (Sink, error) {
			return &changelogSink{w: w, key: opts.Key}, nil
		},
	})
}

// changelogSink writes how each result changed the query's table, as
// Flink's changelog rows: an append-only query's rows are all +I.
type changelogSink struct {
	w      io.Writer
	key    []string
	buf    []byte
	obj    formats.JSONObjects
	closed bool
}

func (s *changelogSink) Write(ctx context.Context, r *types.Result) error {
	if skip, err := admit(r, s.closed); skip || err != nil {
		return err
	}
	s.obj.SetColumns(append([]string{"op"}, r.Columns...))
	b := s.buf[:0]
	row := make(types.Row, len(r.Columns)+1)
	for _, c := range types.Changelog(r, types.KeyColumns(r.Columns, s.key)) {
		row[0] = types.Text(c.Op.String())
		copy(row[1:], c.Row)
		b = s.obj.AppendRow(b, row)
		b = append(b, '\n')
	}
	_, err := s.w.Write(b)
	s.buf = b
	return err
}

func (s *changelogSink) Close() error {
	s.closed = true
	return nil
}
