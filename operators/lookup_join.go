package operators

import (
	"github.com/streamsql/streamsql/expr"
	"github.com/streamsql/streamsql/tables"
	"github.com/streamsql/streamsql/types"
)

// LookupJoin joins each row of a stream with the rows of a table: the
// stream row followed by the table row's columns, for every table row
// with an equal key on which Cond holds; with Left, a stream row without
// any is kept once, followed by NULLs. The table is read through its
// current version at each chunk, so rows arriving after a reload see the
// new version; the index of a version is built once, the first time it is
// seen.
type LookupJoin struct {
	Table *tables.Table
	// Keys compute the equality key from a stream row; TableKeys from a
	// table row.
	Keys, TableKeys JoinKeys
	// Cond is the whole ON condition over the joined row.
	Cond  expr.Func
	Left  bool
	Width int // the table's columns
	Next  Operator

	version *tables.Version
	index   map[string][]types.Row
	key     []byte
}

func (j *LookupJoin) refresh() {
	v := j.Table.Current()
	if v == j.version {
		return
	}
	j.version = v
	j.index = make(map[string][]types.Row, len(v.Rows))
	for _, r := range v.Rows {
		k, ok := j.TableKeys.appendKey(j.key[:0], r)
		j.key = k
		if !ok {
			continue // a NULL key never matches
		}
		j.index[string(k)] = append(j.index[string(k)], r)
	}
}

func (j *LookupJoin) Push(rows []types.Row) error {
	j.refresh()
	out := make([]types.Row, 0, len(rows))
	var arena []types.Value
	for _, r := range rows {
		matched := false
		k, ok := j.Keys.appendKey(j.key[:0], r)
		j.key = k
		if ok {
			for _, t := range j.index[string(k)] {
				prev := arena
				o := joinRow(&arena, r, t, j.Width)
				if expr.TruthOf(j.Cond(o)) == expr.True {
					out = append(out, o)
					matched = true
				} else {
					arena = prev // o is not kept: reuse its values
				}
			}
		}
		if !matched && j.Left {
			out = append(out, joinRow(&arena, r, nil, j.Width))
		}
	}
	if len(out) == 0 {
		return nil
	}
	return j.Next.Push(out)
}

func (j *LookupJoin) EndBatch(b *BatchEnd) error { return j.Next.EndBatch(b) }
