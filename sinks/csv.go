package sinks

import (
	"context"
	"encoding/csv"
	"io"

	"github.com/streamsql/streamsql/formats"
	"github.com/streamsql/streamsql/types"
)

func init() {
	Register(&Spec{
		Name:  "csv",
		Usage: "CSV with a header row; NULL is an empty field",
		Open: func(w io.Writer, _ Options) (Sink, error) {
			return &csvSink{w: csv.NewWriter(w)}, nil
		},
	})
}

type csvSink struct {
	w         *csv.Writer
	record    []string
	wroteHead bool
	closed    bool
}

func (s *csvSink) Write(ctx context.Context, r *types.Result) error {
	if skip, err := admit(r, s.closed); skip || err != nil {
		return err
	}
	if !s.wroteHead {
		if err := s.w.Write(r.Columns); err != nil {
			return err
		}
		s.wroteHead = true
	}
	for _, row := range r.Rows {
		s.record = formats.CSVRecord(s.record[:0], row)
		if err := s.w.Write(s.record); err != nil {
			return err
		}
	}
	s.w.Flush()
	return s.w.Error()
}

func (s *csvSink) Close() error {
	if s.closed {
		return nil
	}
	s.closed = true
	s.w.Flush()
	return s.w.Error()
}
