package agg

import "github.com/streamsql/streamsql/types"

// distinctOf applies an aggregate to the distinct non-NULL values of its
// argument. The state is the set of values itself, so merging two panes is
// a set union and the result is exact however the window is cut.
type distinctOf struct {
	inner Func
	arg   func(types.Row) types.Value
}

func (d distinctOf) Add(s *State, r types.Row) {
	v := d.arg(r)
	if v.IsNull() {
		return
	}
	var buf [32]byte
	k := types.AppendKey(buf[:0], v)
	if s.Set == nil {
		s.Set = make(map[string]types.Value)
	}
	if _, ok := s.Set[string(k)]; !ok {
		s.Set[string(k)] = v
	}
}

func (distinctOf) Merge(dst, src *State) {
	if len(src.Set) == 0 {
		return
	}
	if dst.Set == nil {
		dst.Set = make(map[string]types.Value, len(src.Set))
	}
	for k, v := range src.Set {
		dst.Set[k] = v
	}
}

func (d distinctOf) Result(s *State) types.Value {
	var acc State
	row := make(types.Row, 1)
	for _, v := range s.Set {
		row[0] = v
		d.inner.Add(&acc, row)
	}
	return d.inner.Result(&acc)
}

func (d distinctOf) Kind() types.Kind { return d.inner.Kind() }
