package window

import (
	"sort"
	"strings"

	"github.com/streamsql/streamsql/agg"
	"github.com/streamsql/streamsql/types"
)

// Group is one key's partial aggregates.
type Group struct {
	Key    []types.Value
	States []agg.State
}

// Table maps encoded group keys to their groups. It is plain data: a
// checkpoint can write it out and read it back.
type Table struct {
	Groups map[string]*Group
}

// NewTable returns an empty table.
func NewTable() *Table { return &Table{Groups: make(map[string]*Group)} }

// Len is the number of groups.
func (t *Table) Len() int { return len(t.Groups) }

// Get returns the group for the encoded key k, creating it with the key
// values from key (copied) and nStates empty states if absent.
func (t *Table) Get(k []byte, key []types.Value, nStates int) *Group {
	if g, ok := t.Groups[string(k)]; ok {
		return g
	}
	g := newGroup(key, nStates)
	t.Groups[string(k)] = g
	return g
}

// newGroup allocates a group with a copy of key and nStates empty states.
// The common shapes (one key, one or two aggregates) come in a single
// allocation, so the group, its key and its states sit together in
// memory: grouping is bound by cache misses on exactly these.
func newGroup(key []types.Value, nStates int) *Group {
	if len(key) == 1 && nStates <= 2 {
		a := &struct {
			g   Group
			key [1]types.Value
			st  [2]agg.State
		}{}
		a.key[0] = cloneValue(key[0])
		a.g.Key, a.g.States = a.key[:], a.st[:nStates:nStates]
		return &a.g
	}
	return &Group{Key: CloneKey(key), States: make([]agg.State, nStates)}
}

func cloneValue(v types.Value) types.Value {
	if v.Kind() == types.KindText {
		return types.Text(strings.Clone(v.AsText()))
	}
	return v
}

// MergeInto folds every group of t into dst with the aggregate functions
// fs, creating groups in dst as needed.
func (t *Table) MergeInto(dst *Table, fs []agg.Func) {
	// Groups new to dst are carved from two slabs, not allocated one by
	// one: sliding windows merge whole panes every slide.
	var slab []Group
	var states []agg.State
	if len(dst.Groups) == 0 {
		slab = make([]Group, len(t.Groups))
		states = make([]agg.State, len(t.Groups)*len(fs))
	}
	for k, g := range t.Groups {
		d, ok := dst.Groups[k]
		if !ok {
			if len(slab) > 0 && len(states) >= len(fs) {
				d, slab = &slab[0], slab[1:]
				d.Key, d.States = g.Key, states[:len(fs):len(fs)]
				states = states[len(fs):]
			} else {
				d = &Group{Key: g.Key, States: make([]agg.State, len(g.States))}
			}
			dst.Groups[k] = d
		}
		for i, f := range fs {
			f.Merge(&d.States[i], &g.States[i])
		}
	}
}

// Sorted returns the groups ordered by key, so results come out in a
// stable order when the query has no ORDER BY.
func (t *Table) Sorted() []*Group {
	out := make([]*Group, 0, len(t.Groups))
	for _, g := range t.Groups {
		out = append(out, g)
	}
	SortGroups(out)
	return out
}

// SortGroups orders groups by their key values.
func SortGroups(gs []*Group) {
	sort.Slice(gs, func(i, j int) bool {
		a, b := gs[i].Key, gs[j].Key
		for x := range a {
			if c := types.Compare(a[x], b[x]); c != 0 {
				return c < 0
			}
		}
		return false
	})
}

// CloneKey copies the key values, and the text inside them, so a group
// does not keep alive the whole input line a word was cut from.
func CloneKey(key []types.Value) []types.Value {
	out := make([]types.Value, len(key))
	for i, v := range key {
		out[i] = cloneValue(v)
	}
	return out
}
