package sinks

import (
	"bytes"
	"context"
	"io"
	"time"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/tw"
	"github.com/streamsql/streamsql/types"
)

func init() {
	Register(&Spec{
		Name:  "table",
		Usage: "a header line with the batch time and window, then the rows as a table",
		Open: func(w io.Writer, opts Options) (Sink, error) {
			return &tableSink{w: w, label: opts.Label, loc: opts.location()}, nil
		},
	})
}

type tableSink struct {
	w      io.Writer
	label  string
	loc    *time.Location
	buf    bytes.Buffer // one result, written with a single Write
	closed bool
	// view is the table an updating result maintains: each batch that
	// changed it shows it whole, as it now stands.
	view types.View
}

func (s *tableSink) Write(ctx context.Context, r *types.Result) error {
	if s.closed {
		return ErrClosed
	}
	if !r.Emitted {
		return nil
	}
	if err := checkRows(r); err != nil {
		return err
	}
	s.buf.Reset()
	s.header(r)
	rows := r.Rows
	if r.Updating {
		s.view.Apply(r)
		rows = s.view.Rows()
	}
	if len(rows) == 0 {
		s.buf.WriteString("(no rows)\n")
	} else if err := s.table(r.Columns, rows); err != nil {
		return err
	}
	s.buf.WriteByte('\n')
	_, err := s.w.Write(s.buf.Bytes())
	if s.buf.Cap() > 1<<20 {
		s.buf = bytes.Buffer{} // do not pin one huge result's memory
	}
	return err
}

// header writes the line above a result, e.g.
//
//	── query 2 · 21:30:10 window [21:30:00, 21:30:10) (final) ──
//	── 21:58:46.760 whole input, read from 21:58:46.759 to 21:58:46.760 (final) ──
func (s *tableSink) header(r *types.Result) {
	b := s.buf.AvailableBuffer()
	b = append(b, "── "...)
	if s.label != "" {
		b = append(b, s.label...)
		b = append(b, " · "...)
	}
	b = s.appendClock(b, r.Time)
	if r.Window != nil && r.Window.Whole {
		// A bounded run's processing-time window is all of its input:
		// its bounds are only when the run read it.
		b = append(b, " whole input, read from "...)
		b = s.appendClock(b, r.Window.Start)
		b = append(b, " to "...)
		b = s.appendClock(b, r.Window.End)
	} else if r.Window != nil {
		b = append(b, " window ["...)
		b = s.appendClock(b, r.Window.Start)
		b = append(b, ", "...)
		b = s.appendClock(b, r.Window.End)
		b = append(b, ')')
	}
	if r.Final {
		b = append(b, " (final)"...)
	}
	b = append(b, " ──\n"...)
	s.buf.Write(b)
}

// appendClock appends t as HH:MM:SS, with milliseconds when t has a
// sub-second part.
func (s *tableSink) appendClock(b []byte, t time.Time) []byte {
	t = t.In(s.loc)
	if t.Nanosecond() != 0 {
		return t.AppendFormat(b, "15:04:05.000")
	}
	return t.AppendFormat(b, "15:04:05")
}

func (s *tableSink) table(columns []string, rows []types.Row) error {
	aligns := make([]tw.Align, len(columns))
	for c := range aligns {
		aligns[c] = columnAlign(rows, c)
	}
	t := tablewriter.NewTable(&s.buf,
		// Column names are shown as written, not upper-cased.
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithHeaderAlignmentConfig(tw.CellAlignment{Global: tw.AlignCenter}),
		tablewriter.WithRowAlignmentConfig(tw.CellAlignment{Global: tw.AlignLeft, PerColumn: aligns}),
		// Text values keep their leading and trailing blanks.
		tablewriter.WithTrimSpace(tw.Off),
		tablewriter.WithTrimTab(tw.Off),
	)
	t.Header(columns)
	for _, row := range rows {
		cells := make([]string, len(row))
		for i, v := range row {
			cells[i] = v.String()
		}
		if err := t.Append(cells); err != nil {
			return err
		}
	}
	return t.Render()
}

// columnAlign right-aligns a column whose non-NULL values are all numbers.
func columnAlign(rows []types.Row, c int) tw.Align {
	numeric := false
	for _, row := range rows {
		switch k := row[c].Kind(); {
		case k == types.KindNull:
		case k.Numeric():
			numeric = true
		default:
			return tw.AlignLeft
		}
	}
	if numeric {
		return tw.AlignRight
	}
	return tw.AlignLeft
}

func (s *tableSink) Close() error {
	s.closed = true
	return nil
}
