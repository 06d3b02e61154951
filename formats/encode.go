package formats

import (
	"slices"

	"github.com/streamsql/streamsql/types"
)

// Encoders: how sinks write rows as text records, the other way of the
// decoders.

// JSONObjects encodes rows as JSON objects, one key per column in column
// order, values as Value.AppendJSON writes them. The jsonl and kafka sinks
// share it, so a row reads the same in a file and in a topic.
type JSONObjects struct {
	cols []string // the columns keys was built for
	keys [][]byte // `"name":` per column, JSON-escaped; keys[0] opens with '{', the rest with ','
}

// SetColumns prepares for rows of cols; it is cheap when they did not
// change since the last call.
func (j *JSONObjects) SetColumns(cols []string) {
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

// AppendRow appends row, which has one value per column of the last
// SetColumns, as one JSON object without a line break.
func (j *JSONObjects) AppendRow(b []byte, row types.Row) []byte {
	if len(row) == 0 {
		b = append(b, '{')
	}
	for i, v := range row {
		b = append(b, j.keys[i]...)
		b = v.AppendJSON(b)
	}
	return append(b, '}')
}

// CSVRecord appends row's fields to dst as a csv sink writes them: NULL as
// an empty field, any other value as its text.
func CSVRecord(dst []string, row types.Row) []string {
	for _, v := range row {
		if v.IsNull() {
			dst = append(dst, "")
		} else {
			dst = append(dst, v.String())
		}
	}
	return dst
}
