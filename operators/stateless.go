package operators

import (
	"github.com/streamsql/streamsql/expr"
	"github.com/streamsql/streamsql/types"
	"runtime"
)

// Filter passes on the rows for which Pred is true (not false, not NULL).
type Filter struct {
	Pred expr.Func
	Next Operator
}

func (f *Filter) Push(rows []types.Row) error {
	out := rows[:0:0]
	for _, r := range rows {
		if expr.TruthOf(f.Pred(r)) == expr.True {
			out = append(out, r)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return f.Next.Push(out)
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
	arena := make([]types.Value, len(rows)*w)
	out := make([]types.Row, len(rows))
	for i, r := range rows {
		o := arena[i*w : (i+1)*w : (i+1)*w]
		for j, e := range p.Exprs {
			o[j] = e(r)
		}
		out[i] = o
	}
	return p.Next.Push(out)
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

	fork   Folder        // the helper goroutine's partial state (see Push)
	helper chan struct{} // closed when the helper's chunk is folded; nil if none
	turn   bool          // the next big chunk goes to the helper
}

// Folder is implemented by operators that consume one-column text rows
// completely during the call and keep nothing of them (a keyed aggregate
// folds them into its state): SplitWords hands such an operator its words,
// many at a time, without making a row per word, and the aggregate looks
// their groups up together.
type Folder interface {
	FoldTexts(texts []string)
}

// Forker is a Folder that can fold on several goroutines: Fork returns an
// independent partial folder, and Join merges one back (before the batch
// closes). A keyed aggregate forks by keeping a second partial table.
type Forker interface {
	Folder
	Fork() Folder
	Join(Folder)
}

// forkMin is the chunk size from which handing a chunk to another
// goroutine pays for the hand-off.
const forkMin = 256

func (s *SplitWords) Push(rows []types.Row) error {
	if len(rows) == 0 {
		return nil
	}
	if f, ok := s.Next.(Folder); ok && s.WordOnly {
		fk, forks := s.Next.(Forker)
		if !forks || len(rows) < forkMin || runtime.GOMAXPROCS(0) < 2 {
			s.fold(rows, f)
			return nil
		}
		// Every other chunk goes to a helper goroutine folding into its
		// own partial state, joined when the batch closes. Push returns
		// while the helper works (the rows are ours once pushed), so this
		// goroutine goes back for the next chunk instead of waiting: the
		// two fold side by side while the source keeps reading.
		s.turn = !s.turn
		if !s.turn {
			s.fold(rows, f)
			return nil
		}
		s.waitHelper()
		if s.fork == nil {
			s.fork = fk.Fork()
		}
		done := make(chan struct{})
		s.helper = done
		go func() {
			s.fold(rows, s.fork)
			close(done)
		}()
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

// foldRun is how many words SplitWords hands a Folder at a time:
// enough to overlap the cache misses of their lookups, few enough that
// their keys stay in the cache.
const foldRun = 256

// fold is Push for a Folder downstream: the word count's hot loop, with
// no row allocated per word. Words go to the folder in runs of foldRun.
func (s *SplitWords) fold(rows []types.Row, f Folder) {
	words := make([]string, 0, foldRun)
	for _, r := range rows {
		v := r[s.Col]
		if v.IsNull() {
			continue
		}
		line := v.AsText()
		if v.Kind() != types.KindText {
			line = v.String()
		}
		for i, j := nextWord(line, 0); i < j; i, j = nextWord(line, j) {
			words = append(words, line[i:j])
			if len(words) == foldRun {
				f.FoldTexts(words)
				words = words[:0]
			}
		}
	}
	if len(words) > 0 {
		f.FoldTexts(words)
	}
}

// waitHelper waits until the helper goroutine, if any, has folded its
// chunk. Each helper folds one chunk and ends, so a query abandoned
// mid-batch leaves no goroutine behind.
func (s *SplitWords) waitHelper() {
	if s.helper != nil {
		<-s.helper
		s.helper = nil
	}
}

func (s *SplitWords) EndBatch(b *BatchEnd) error {
	s.waitHelper()
	if s.fork != nil {
		s.Next.(Forker).Join(s.fork)
	}
	return s.Next.EndBatch(b)
}

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
