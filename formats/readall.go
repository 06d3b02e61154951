package formats

import (
	"bytes"
	"fmt"
	"io"

	"github.com/streamsql/streamsql/types"
)

// ReadAll decodes a whole bounded input, such as the file of a lookup
// table, with the format options in args (Options): every column the
// data names (csv header, JSON fields of the first records), in order.
// Unlike a stream, a table is read whole or not at all: a record that does
// not decode is an error naming its line, so a half-written new version of
// a table is never taken for a good one.
func ReadAll(data []byte, name string, args Settings) (types.Schema, []types.Row, error) {
	dec, err := Open(args)
	if err != nil {
		return nil, nil, err
	}
	type record struct {
		rec  []byte
		line int
	}
	var recs []record
	var sample [][]byte
	rr := NewRecordReader(dec, bytes.NewReader(data))
	for {
		rec, line, err := rr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, nil, fmt.Errorf("%s:%d: %w", name, line, err)
		}
		if IsBlank(rec) {
			continue
		}
		rec = bytes.Clone(ValidUTF8(rec))
		recs = append(recs, record{rec, line})
		sample = append(sample, rec)
	}
	if s, ok := dec.(Sampler); ok {
		s.SampleSchema([][][]byte{sample})
	}
	sch := dec.Schema()
	if len(sch.Columns) == 0 {
		return nil, nil, fmt.Errorf("%s: no columns (an empty file, or no record to learn them from)", name)
	}
	if err := dec.Bind(sch.Columns.Names()); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", name, err)
	}
	cols := dec.Schema().Columns
	if s, ok := dec.(StreamStarter); ok {
		s.StartStream()
	}
	rows := make([]types.Row, 0, len(recs))
	for _, r := range recs {
		row := make(types.Row, len(cols))
		switch err := dec.Decode(r.rec, row); {
		case err == ErrSkip:
			continue
		case err != nil:
			return nil, nil, fmt.Errorf("%s:%d: %w", name, r.line, err)
		}
		rows = append(rows, row)
	}
	return cols, rows, nil
}
