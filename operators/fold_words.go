package operators

import "github.com/streamsql/streamsql/types"

// FoldWords is the word count's flatMap fused with its aggregate: the
// planner places it instead of SplitWords when nothing but the words of
// column Col is read and the operator above folds text (a keyed
// aggregate). The words go straight into Next, many at a time, without a
// row per word.
//
// With Parallel (the planner sets it when Next forks and the process has
// two cores or more), every other chunk of at least forkMin lines is
// folded on a helper goroutine into a fork of Next, joined when the batch
// closes. Push returns while the helper works (the rows are ours once
// pushed), so the query's goroutine goes back for the next chunk: the two
// fold side by side while the source keeps reading.
type FoldWords struct {
	Col      int
	Next     FoldingOperator
	Parallel bool

	fork   Folder        // the helper goroutine's partial state
	helper chan struct{} // closed when the helper's chunk is folded; nil if none
	turn   bool          // the next big chunk goes to the helper
}

// FoldingOperator is an operator that takes words folded (a Folder) as
// well as rows.
type FoldingOperator interface {
	Operator
	Folder
}

// Folder is implemented by operators that consume one-column text rows
// completely during the call and keep nothing of them (a keyed aggregate
// folds them into its state): FoldWords hands such an operator its words,
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

// forkMin is the text, in bytes, from which handing a chunk to another
// goroutine pays for the hand-off: a chunk of many lines, or one row of
// many lines joined (formats.JoinLines).
const forkMin = 8 << 10

// big reports whether rows hold at least forkMin bytes of text.
func (s *FoldWords) big(rows []types.Row) bool {
	n := 0
	for _, r := range rows {
		if n += len(r[s.Col].AsText()); n >= forkMin {
			return true
		}
	}
	return false
}

func (s *FoldWords) Push(rows []types.Row) error {
	if len(rows) == 0 {
		return nil
	}
	if !s.Parallel || !s.big(rows) {
		s.fold(rows, s.Next)
		return nil
	}
	s.turn = !s.turn
	if !s.turn {
		s.fold(rows, s.Next)
		return nil
	}
	s.waitHelper()
	if s.fork == nil {
		s.fork = s.Next.(Forker).Fork()
	}
	done := make(chan struct{})
	s.helper = done
	go func() {
		s.fold(rows, s.fork)
		close(done)
	}()
	return nil
}

// foldRun is how many words SplitWords hands a Folder at a time:
// enough to overlap the cache misses of their lookups, few enough that
// their keys stay in the cache.
const foldRun = 256

// fold is Push for a Folder downstream: the word count's hot loop, with
// no row allocated per word. Words go to the folder in runs of foldRun.
func (s *FoldWords) fold(rows []types.Row, f Folder) {
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
func (s *FoldWords) waitHelper() {
	if s.helper != nil {
		<-s.helper
		s.helper = nil
	}
}

func (s *FoldWords) EndBatch(b *BatchEnd) error {
	s.Settle()
	return s.Next.EndBatch(b)
}

// Settle joins the helper goroutine's partial table into the aggregate.
func (s *FoldWords) Settle() {
	s.waitHelper()
	if s.fork != nil {
		s.Next.(Forker).Join(s.fork)
	}
}
