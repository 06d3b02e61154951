package agg

// Merger merges the states of a group for a list of aggregate functions,
// calling the built-in functions' merges directly: a sliding window merges
// every group of a pane several times over, and an interface call per
// state was much of that work. Other functions (DISTINCT, sketches,
// user-defined) go through the interface.
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
		case keepMin:
			extreme{sign: -1}.Merge(d, s)
		case keepMax:
			extreme{sign: 1}.Merge(d, s)
		default:
			m.fs[i].Merge(d, s)
		}
	}
}
