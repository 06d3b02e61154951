package operators

import (
	"github.com/streamsql/streamsql/expr"
	"github.com/streamsql/streamsql/types"
)

// Filter passes on the rows for which Pred is true (not false, not NULL).
type Filter struct {
	Pred expr.Func
	Next Operator
}

func (f *Filter) Push(rows []types.Row) error {
	out := f.keep(rows)
	if len(out) == 0 {
		return nil
	}
	return f.Next.Push(out)
}

// keep is the rows for which Pred is true, in a new slice.
func (f *Filter) keep(rows []types.Row) []types.Row {
	out := rows[:0:0]
	for _, r := range rows {
		if expr.TruthOf(f.Pred(r)) == expr.True {
			out = append(out, r)
		}
	}
	return out
}

func (f *Filter) EndBatch(b *BatchEnd) error { return f.Next.EndBatch(b) }

// Project computes a new row of Exprs from each row.
type Project struct {
	Exprs []expr.Func
	// Reuse says the input rows belong to this operator alone (an
	// aggregate's fresh output), so results may overwrite them: a big
	// emission, such as a sliding window's, then needs no second copy.
	Reuse bool
	Next  Operator

	tmp []types.Value
}

func (p *Project) Push(rows []types.Row) error {
	if len(rows) == 0 {
		return nil
	}
	w := len(p.Exprs)
	if p.Reuse && w <= len(rows[0]) {
		if p.tmp == nil {
			p.tmp = make([]types.Value, w)
		}
		for i, r := range rows {
			// Every expression reads the input row before any is
			// overwritten.
			for j, e := range p.Exprs {
				p.tmp[j] = e(r)
			}
			rows[i] = r[:copy(r, p.tmp):w]
		}
		return p.Next.Push(rows)
	}
	return p.Next.Push(p.fresh(rows))
}

// fresh is the projections of rows, in new rows.
func (p *Project) fresh(rows []types.Row) []types.Row {
	w := len(p.Exprs)
	arena := make([]types.Value, len(rows)*w)
	out := make([]types.Row, len(rows))
	for i, r := range rows {
		o := arena[i*w : (i+1)*w : (i+1)*w]
		for j, e := range p.Exprs {
			o[j] = e(r)
		}
		out[i] = o
	}
	return out
}

func (p *Project) EndBatch(b *BatchEnd) error { return p.Next.EndBatch(b) }

// SplitWords is the flatMap of the word count: for each input row it emits
// one row per whitespace-separated word of column Col, made of the input
// row's columns followed by the word. Words are substrings of the line, so
// splitting allocates only the output rows.
type SplitWords struct {
	Col int
	// WordOnly emits rows holding just the word, for queries that read
	// nothing else of the line: the common word count copies no line.
	WordOnly bool
	Next     Operator
}

func (s *SplitWords) Push(rows []types.Row) error {
	if len(rows) == 0 {
		return nil
	}
	width := len(rows[0]) + 1
	if s.WordOnly {
		width = 1
	}
	var out []types.Row
	var arena []types.Value
	for _, r := range rows {
		v := r[s.Col]
		if v.IsNull() {
			continue
		}
		line := v.String()
		for i, j := nextWord(line, 0); i < j; i, j = nextWord(line, j) {
			if len(arena) < width {
				arena = make([]types.Value, width*256)
			}
			o := arena[:width:width]
			arena = arena[width:]
			if !s.WordOnly {
				copy(o, r)
			}
			o[width-1] = types.Text(line[i:j])
			out = append(out, o)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return s.Next.Push(out)
}

func (s *SplitWords) EndBatch(b *BatchEnd) error { return s.Next.EndBatch(b) }

// nextWord returns the bounds [i, j) of the first word of line at or after
// from; i == j when there is none.
func nextWord(line string, from int) (i, j int) {
	i = from
	for i < len(line) && isSpace(line[i]) {
		i++
	}
	j = i
	for j < len(line) && !isSpace(line[j]) {
		j++
	}
	return i, j
}

// isSpace matches the ASCII whitespace `tr -s ' ' '\n'` users compare with,
// plus tabs and other ASCII blanks. A table lookup: the word count tests
// every byte of its input.
func isSpace(c byte) bool { return spaces[c] }

var spaces = [256]bool{' ': true, '\t': true, '\n': true, '\r': true, '\v': true, '\f': true}
