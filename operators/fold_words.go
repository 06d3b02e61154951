package operators

import (
	"github.com/streamsql/streamsql/types"
	"github.com/streamsql/streamsql/window"
)

// FoldWords is the word count's flatMap fused with its aggregate: the
// planner places it instead of SplitWords when nothing but the words of
// column Col is read and the operator above folds text (a keyed
// aggregate). The words go straight into Next, many at a time, without a
// row per word.
//
// With Parallel (the planner sets it when Next forks and the process has
// two cores or more), every other chunk of at least forkMin bytes is
// folded on a helper goroutine into a fork of Next, joined when the batch
// closes. Push returns while the helper works (the rows are ours once
// pushed), so the query's goroutine goes back for the next chunk: the two
// fold side by side while the source keeps reading.
//
// When Next is keyed by the word itself (a Partitioner) and its table has
// outgrown a core's cache, the words are also spread over the two by hash:
// each goroutine folds the words of its half of the hashes and hands the
// others to the other goroutine. The two tables then hold disjoint keys,
// each half the size (fewer cache misses per word), and the batch closes
// without merging them. Until then (and in each new batch) both fold
// whole chunks, and the fork is merged in when the batch closes.
type FoldWords struct {
	Col      int
	Next     FoldingOperator
	Parallel bool

	fork   Folder        // the helper goroutine's partial state
	helper chan struct{} // closed when the helper's chunk is folded; nil if none
	turn   bool          // the next big chunk goes to the helper

	// Partitioned folding: toFork gathers the query goroutine's words of
	// the helper's half until the helper's next start; fromFork is where
	// the helper puts the words it finds of the query goroutine's half
	// while it runs. free holds buffers for reuse.
	parts     bool // words are spread by hash now
	canSpread bool // Next is a Partitioner keyed by the word
	canSet    bool // canSpread is known
	toFork    *hashedWords
	fromFork  *hashedWords
	free      []*hashedWords
	inFlight  *hashedWords // the helper's input while it runs
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

// HashFolder is a Folder that also takes texts with their hashes
// (window.HashText), so they are not hashed twice.
type HashFolder interface {
	Folder
	FoldHashed(texts []string, hs []uint64)
}

// Partitioner is a Forker whose forks (HashFolders too) can be given the
// words of one half of the hashes: Partitioned reports whether its groups
// are keyed by the word alone (then forks so fed hold disjoint keys), Large
// whether its table is big enough for that to pay, Spread makes it and a
// fork hold disjoint keys (it the lower half of the hashes, the fork the
// upper), and JoinDisjoint joins such a fork.
type Partitioner interface {
	Forker
	HashFolder
	Partitioned() bool
	Large() bool
	Spread(Folder)
	JoinDisjoint(Folder)
}

// hashTaker takes words with their hashes: a HashFolder, or hashedWords
// keeping them for one.
type hashTaker interface {
	FoldHashed(texts []string, hs []uint64)
}

// hashedWords are words with their hashes, on their way to the goroutine
// folding their half.
type hashedWords struct {
	texts []string
	hs    []uint64
}

// FoldHashed keeps texts and their hashes (copied) for a folder that will
// take them later.
func (w *hashedWords) FoldHashed(texts []string, hs []uint64) {
	w.texts, w.hs = append(w.texts, texts...), append(w.hs, hs...)
}

func (w *hashedWords) reset() {
	clear(w.texts) // let the lines they were cut from go
	w.texts, w.hs = w.texts[:0], w.hs[:0]
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

// partitioned reports whether words are spread by hash, starting to once
// Next's table has grown large (Partitioner.Large): the helper is waited
// for and the two tables made disjoint (Spread) first.
func (s *FoldWords) partitioned() bool {
	if !s.canSet {
		s.canSet = true
		p, ok := s.Next.(Partitioner)
		s.canSpread = s.Parallel && ok && p.Partitioned()
	}
	if s.parts || !s.canSpread || !s.Next.(Partitioner).Large() {
		return s.parts
	}
	s.await() // folding whole chunks: it found no words for us
	if s.fork != nil {
		s.Next.(Partitioner).Spread(s.fork)
	}
	s.parts, s.toFork = true, s.buffer()
	return true
}

func (s *FoldWords) Push(rows []types.Row) error {
	if len(rows) == 0 {
		return nil
	}
	parts := s.partitioned()
	if !s.Parallel || !s.big(rows) {
		s.foldHere(rows, parts)
		return nil
	}
	s.turn = !s.turn
	if !s.turn {
		s.foldHere(rows, parts)
		return nil
	}
	found := s.await()
	if s.fork == nil {
		s.fork = s.Next.(Forker).Fork()
	}
	done := make(chan struct{})
	s.helper = done
	if !parts {
		go func() {
			s.fold(rows, s.fork)
			close(done)
		}()
		return nil
	}
	// The helper takes the words gathered for it so far and gives back
	// those of ours it finds; what it found last time is folded here
	// meanwhile.
	in, out := s.toFork, s.buffer()
	s.toFork, s.fromFork = s.buffer(), out
	fork := s.fork.(HashFolder)
	go func() {
		if len(in.texts) > 0 {
			fork.FoldHashed(in.texts, in.hs)
		}
		in.reset()
		s.split(rows, 1, fork, out)
		close(done)
	}()
	if found != nil {
		s.foldHashed(s.Next.(HashFolder), found)
		s.free = append(s.free, found)
	}
	s.inFlight = in // free again once the helper is done
	return nil
}

// buffer returns an empty hashedWords, reused if one is free.
func (s *FoldWords) buffer() *hashedWords {
	if n := len(s.free); n > 0 {
		b := s.free[n-1]
		s.free = s.free[:n-1]
		return b
	}
	return &hashedWords{}
}

// foldHere folds rows on the query's goroutine. With partitions, the
// words of the helper's half go to the helper's table when no helper is
// running, else are kept for the helper's next start: held words keep
// their lines alive, so they are held only while a helper runs.
func (s *FoldWords) foldHere(rows []types.Row, parts bool) {
	if !parts {
		s.fold(rows, s.Next)
		return
	}
	var theirs hashTaker = s.toFork
	if s.helperDone() {
		s.waitHelper()
		if s.fork == nil {
			s.fork = s.Next.(Forker).Fork()
		}
		theirs = s.fork.(HashFolder)
		s.foldHashed(theirs, s.toFork)
	}
	s.split(rows, 0, s.Next.(HashFolder), theirs)
}

// helperDone reports whether no helper goroutine is folding now.
func (s *FoldWords) helperDone() bool {
	if s.helper == nil {
		return true
	}
	select {
	case <-s.helper:
		return true
	default:
		return false
	}
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
		line, ok := s.line(r)
		if !ok {
			continue
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

func (s *FoldWords) line(r types.Row) (string, bool) {
	v := r[s.Col]
	if v.IsNull() {
		return "", false
	}
	if v.Kind() != types.KindText {
		return v.String(), true
	}
	return v.AsText(), true
}

// split is fold with the words spread by hash: those whose top hash bit
// is half go to mine, the others to theirs, in runs of foldRun.
func (s *FoldWords) split(rows []types.Row, half uint64, mine, theirs hashTaker) {
	var runs [2]hashedWords
	for k := range runs {
		runs[k] = hashedWords{make([]string, 0, foldRun), make([]uint64, 0, foldRun)}
	}
	to := [2]hashTaker{mine, theirs}
	for _, r := range rows {
		line, ok := s.line(r)
		if !ok {
			continue
		}
		for i, j := nextWord(line, 0); i < j; i, j = nextWord(line, j) {
			w := line[i:j]
			h := window.HashText(w)
			k := h>>63 ^ half // 0: mine
			run := &runs[k]
			run.texts, run.hs = append(run.texts, w), append(run.hs, h)
			if len(run.texts) == foldRun {
				to[k].FoldHashed(run.texts, run.hs)
				run.texts, run.hs = run.texts[:0], run.hs[:0]
			}
		}
	}
	for k := range runs {
		if len(runs[k].texts) > 0 {
			to[k].FoldHashed(runs[k].texts, runs[k].hs)
		}
	}
}

// await waits until the helper goroutine, if any, has folded its chunk,
// and returns the words it found of the query goroutine's half (nil
// without partitions or helper). Each helper folds one chunk and ends, so
// a query abandoned mid-batch leaves no goroutine behind.
func (s *FoldWords) await() *hashedWords {
	if s.helper == nil {
		return nil
	}
	<-s.helper
	s.helper = nil
	if s.inFlight != nil {
		s.free = append(s.free, s.inFlight)
		s.inFlight = nil
	}
	found := s.fromFork
	s.fromFork = nil
	return found
}

// waitHelper is await, the words found folded here.
func (s *FoldWords) waitHelper() {
	if found := s.await(); found != nil {
		s.foldHashed(s.Next.(HashFolder), found)
		s.free = append(s.free, found)
	}
}

// foldHashed folds w into f in runs of foldRun and empties it.
func (s *FoldWords) foldHashed(f hashTaker, w *hashedWords) {
	for i := 0; i < len(w.texts); i += foldRun {
		end := min(i+foldRun, len(w.texts))
		f.FoldHashed(w.texts[i:end], w.hs[i:end])
	}
	w.reset()
}

func (s *FoldWords) EndBatch(b *BatchEnd) error {
	s.Settle()
	return s.Next.EndBatch(b)
}

// Settle joins the helper goroutine's partial table into the aggregate.
// The next batch starts with a new table: whole chunks again until it
// grows large.
func (s *FoldWords) Settle() {
	s.waitHelper()
	parts := s.parts
	s.parts = false
	if parts {
		// Words are held for the helper only while one runs, so there
		// is a fork when there are any.
		if s.fork != nil {
			s.foldHashed(s.fork.(HashFolder), s.toFork)
		}
		s.free = append(s.free, s.toFork)
		s.toFork = nil
	}
	switch {
	case s.fork == nil:
	case parts:
		s.Next.(Partitioner).JoinDisjoint(s.fork)
	default:
		s.Next.(Forker).Join(s.fork)
	}
}
