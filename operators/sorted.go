package operators

import (
	"slices"
	"sort"

	"github.com/streamsql/streamsql/expr"
	"github.com/streamsql/streamsql/types"
)

// sortKeys are the ORDER BY keys of the operators that keep rows in order
// (Rank, Over).
type sortKeys []SortKey

// of is r's sort key: its ORDER BY values.
func (o sortKeys) of(r types.Row) []types.Value {
	key := make([]types.Value, len(o))
	for i, k := range o {
		key[i] = k.Expr(r)
	}
	return key
}

func (o sortKeys) compare(a, b []types.Value) int {
	for i, k := range o {
		if c := compareKey(a[i], b[i], k); c != 0 {
			return c
		}
	}
	return 0
}

// orderedRows keeps rows in ORDER BY order with their sort keys; rows equal
// under ORDER BY keep their order of arrival.
type orderedRows struct {
	rows []types.Row
	keys [][]types.Value
}

// place is where a row with key goes: after every row that does not
// come after it.
func (s *orderedRows) place(o sortKeys, key []types.Value) int {
	return sort.Search(len(s.keys), func(i int) bool { return o.compare(s.keys[i], key) > 0 })
}

func (s *orderedRows) insert(at int, r types.Row, key []types.Value) {
	s.rows = slices.Insert(s.rows, at, r)
	s.keys = slices.Insert(s.keys, at, key)
}

// remove deletes one row equal to r, looking among the rows with its key
// only; it reports whether there was one.
func (s *orderedRows) remove(o sortKeys, r types.Row) bool {
	key := o.of(r)
	i := sort.Search(len(s.keys), func(i int) bool { return o.compare(s.keys[i], key) >= 0 })
	for ; i < len(s.rows) && o.compare(s.keys[i], key) == 0; i++ {
		if rowsEqual(s.rows[i], r) {
			s.rows, s.keys = slices.Delete(s.rows, i, i+1), slices.Delete(s.keys, i, i+1)
			return true
		}
	}
	return false
}

// dropFront forgets the first n rows.
func (s *orderedRows) dropFront(n int) {
	s.rows, s.keys = slices.Delete(s.rows, 0, n), slices.Delete(s.keys, 0, n)
}

// partitionKey appends r's partition key (the encoding of its PARTITION
// BY values) to buf.
func partitionKey(buf []byte, fns []expr.Func, r types.Row) []byte {
	for _, f := range fns {
		buf = types.AppendKey(buf, f(r))
	}
	return buf
}
