package agg

import "github.com/streamsql/streamsql/types"

// Merger merges the states of a group for a list of aggregate functions,
// with the built-in functions' merges written out: a sliding window merges
// every group of a pane several times over, and an interface call per
// state was much of that work. Other functions (DISTINCT, sketches,
// user-defined) go through their Merge.
type Merger struct {
	fs    []Func
	kinds []mergeKind
}

type mergeKind uint8

const (
	byFunc    mergeKind = iota // the function's own Merge
	addCounts                  // COUNT(*), COUNT(x)
	addSums                    // SUM, AVG: mergeSum
	keepMin
	keepMax
)

// NewMerger returns the Merger of fs.
func NewMerger(fs []Func) Merger {
	m := Merger{fs: fs, kinds: make([]mergeKind, len(fs))}
	for i, f := range fs {
		m.kinds[i] = kindOf(f)
	}
	return m
}

func kindOf(f Func) mergeKind {
	switch f := f.(type) {
	case countStar, count:
		return addCounts
	case sum, avg:
		return addSums
	case extreme:
		if f.sign < 0 {
			return keepMin
		}
		return keepMax
	case filtered:
		// FILTER decides what is added, not how states merge.
		return kindOf(f.Func)
	}
	return byFunc
}

// Merge folds src into dst: src[i] and dst[i] are states of the i-th
// function, as Func.Merge would.
func (m Merger) Merge(dst, src []State) {
	for i, k := range m.kinds {
		d, s := &dst[i], &src[i]
		switch k {
		case addCounts:
			d.N += s.N
		case addSums:
			mergeSum(d, s)
		case keepMin, keepMax:
			// extreme.Merge: a state of no rows has no value.
			if s.N == 0 {
				continue
			}
			if d.N == 0 {
				d.V = s.V
			} else if c := types.Compare(s.V, d.V); (k == keepMax && c > 0) || (k == keepMin && c < 0) {
				d.V = s.V
			}
			d.N += s.N
		default:
			m.fs[i].Merge(d, s)
		}
	}
}
