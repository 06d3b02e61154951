package window

import (
	"bytes"
	"encoding/binary"
	"encoding/gob"
	"hash/maphash"
	"iter"
	"slices"
	"strings"

	"github.com/streamsql/streamsql/agg"
	"github.com/streamsql/streamsql/types"
)

// Group is one key's partial aggregates.
//
// The fields a lookup touches come first: a short encoded key, then the
// States header. The group of a one-aggregate table (the word count's)
// has its state right after it (groupOne), so a hit costs the table slot
// and these two adjacent lines; other groups' states come from a slab
// of their own.
type Group struct {
	nshort uint8    // len(enc) when it fits in short, else 0
	short  [23]byte // enc, when short
	States []agg.State
	Key    []types.Value

	enc string // the encoded key (types.AppendKey of Key), the table's key
}

// groupOne is a group of a one-aggregate table with its state.
type groupOne struct {
	g     Group
	state [1]agg.State
}

// matches reports whether the group's encoded key is k.
func (g *Group) matches(k []byte) bool {
	if n := int(g.nshort); n > 0 {
		return n == len(k) && string(g.short[:n]) == string(k)
	}
	return g.enc == string(k)
}

// matchesText reports whether the group's key is the one text s: its
// encoding is the text kind, len(s) as a uvarint, then s.
func (g *Group) matchesText(s string) bool {
	if n := int(g.nshort); n > 0 {
		// Short keys are under 128 bytes: a one-byte length.
		return n == len(s)+2 && types.Kind(g.short[0]) == types.KindText && string(g.short[2:n]) == s
	}
	hdr := 2
	for l := len(s) >> 7; l > 0; l >>= 7 {
		hdr++
	}
	return len(g.enc) == hdr+len(s) && types.Kind(g.enc[0]) == types.KindText && g.enc[hdr:] == s
}

func (g *Group) setEnc(enc string) {
	g.enc = enc
	if len(enc) <= len(g.short) {
		g.nshort = uint8(copy(g.short[:], enc))
	}
}

// Enc is the group's encoded key: equal for equal keys, usable as a map
// key by operators that track groups across tables.
func (g *Group) Enc() string { return g.enc }

// Table maps encoded group keys to their groups.
//
// It is the engine's hottest structure: every input row of a grouped query
// is one lookup. A Go map keyed by string costs a hash, a probe, and a
// comparison through the key's out-of-line bytes, then a pointer chase to
// the group. Here the probe compares the full hash stored in the slot, so
// only a real match touches the group, and groups, states and key bytes
// are carved from slabs in creation order: the frequent keys, which come
// first, sit together in memory.
type Table struct {
	slots []slot // open addressing, linear probing; len is a power of 2
	n     int

	groups []Group // slabs: the next groups, states and key values to hand out
	ones   []groupOne
	states []agg.State
	keys   []types.Value

	reuse []*Group // groups of a Reset, handed out before the slabs

	hashes []uint64 // GetTexts' scratch
	encBuf []byte   // getText's scratch
	sink   uint64   // keeps GetTexts' touching loads from being optimised away
}

type slot struct {
	hash uint64
	g    *Group // nil: empty
}

// seed is shared by every table so hashes carry over in merges.
var seed = maphash.MakeSeed()

// hashKey is the table's hash of the encoded key k. A key of one text
// hashes as that text alone, so the word count's words are hashed as they
// are, never encoded on the way (GetTexts); any other key hashes whole. A
// text and another key hashing alike is a collision like any other:
// matches tells them apart.
func hashKey(k []byte) uint64 {
	return maphash.Bytes(seed, k[textStart(k):])
}

// hashString is hashKey of a key held as a string.
func hashString(k string) uint64 {
	return maphash.String(seed, k[textStart(k):])
}

// textStart is where the text begins when k encodes one text and
// nothing else (types.AppendKey: the kind, the length as a uvarint, the
// bytes), else 0.
func textStart[K string | []byte](k K) int {
	if len(k) < 2 || types.Kind(k[0]) != types.KindText {
		return 0
	}
	var n, shift uint
	for i := 1; i < len(k) && i <= binary.MaxVarintLen64; i++ {
		b := k[i]
		n |= uint(b&0x7f) << shift
		if b < 0x80 {
			if n == uint(len(k)-i-1) {
				return i + 1
			}
			return 0
		}
		shift += 7
	}
	return 0
}

// NewTable returns an empty table.
func NewTable() *Table { return &Table{} }

// Len is the number of groups.
func (t *Table) Len() int { return t.n }

// Get returns the group for the encoded key k, creating it with the key
// values from key (copied) and nStates empty states if absent.
func (t *Table) Get(k []byte, key []types.Value, nStates int) *Group {
	return t.get(hashKey(k), k, key, nStates)
}

func (t *Table) get(h uint64, k []byte, key []types.Value, nStates int) *Group {
	if len(t.slots) > 0 {
		mask := uint64(len(t.slots) - 1)
		for i := h & mask; ; i = (i + 1) & mask {
			s := &t.slots[i]
			if s.g == nil {
				break
			}
			if s.hash == h && s.g.matches(k) {
				return s.g
			}
		}
	}
	g := t.alloc(nStates)
	var enc string
	enc, g.Key = cloneKey(k, key, t.keySlab(len(key)))
	g.setEnc(enc)
	t.insert(h, g)
	return g
}

// GetTexts is Get for a run of one-text keys, given as the texts
// themselves (the word count's words): out[i] is the group of texts[i].
// The texts are hashed and compared as they are (see hashKey); a key is
// encoded only when its group is new.
//
// Looking keys up one by one, each lookup waits for its cache misses (the
// slot, then the group) before the next starts. Here every key's slot is
// touched first, then every candidate group, so the misses of the whole
// run are in flight together; the exact lookups that follow hit the cache.
func (t *Table) GetTexts(texts []string, nStates int, out []*Group) {
	hs := t.hashes[:0]
	for _, s := range texts {
		hs = append(hs, HashText(s))
	}
	t.hashes = hs
	t.GetHashedTexts(texts, hs, nStates, out)
}

// HashText is the hash a table gives the one-text key s: the same in
// every table of the process, so texts can be spread over tables by hash
// (then no two tables hold the same key) and looked up without hashing
// again (GetHashedTexts).
func HashText(s string) uint64 { return maphash.String(seed, s) }

// cachedSlots is the size of table up to which GetHashedTexts looks keys
// up one by one: its slots and groups (some 100 bytes a key) fit in a
// core's cache, so touching them first would only add a pass.
const cachedSlots = 1 << 13

// GetHashedTexts is GetTexts for texts whose hashes (HashText) are known.
func (t *Table) GetHashedTexts(texts []string, hs []uint64, nStates int, out []*Group) {
	if len(t.slots) <= cachedSlots {
		// A small table stays in the cache: nothing to overlap.
		for i, s := range texts {
			out[i] = t.getText(hs[i], s, nStates)
		}
		return
	}
	mask := uint64(len(t.slots) - 1)
	var sink uint64
	for _, h := range hs {
		sink += t.slots[h&mask].hash
	}
	for i, h := range hs {
		var c *Group
		for j := h & mask; ; j = (j + 1) & mask {
			s := &t.slots[j]
			if s.g == nil {
				break
			}
			if s.hash == h {
				c = s.g
				sink += uint64(c.nshort)
				break
			}
		}
		out[i] = c
	}
	t.sink += sink
	for i, s := range texts {
		if g := out[i]; g == nil || !g.matchesText(s) {
			out[i] = t.getText(hs[i], s, nStates)
		}
	}
}

// getText is get for the one-text key s with hash h.
func (t *Table) getText(h uint64, s string, nStates int) *Group {
	if len(t.slots) > 0 {
		mask := uint64(len(t.slots) - 1)
		for i := h & mask; ; i = (i + 1) & mask {
			sl := &t.slots[i]
			if sl.g == nil {
				break
			}
			if sl.hash == h && sl.g.matchesText(s) {
				return sl.g
			}
		}
	}
	key := [1]types.Value{types.Text(s)}
	t.encBuf = types.AppendKey(t.encBuf[:0], key[0])
	g := t.alloc(nStates)
	var enc string
	enc, g.Key = cloneKey(t.encBuf, key[:], t.keySlab(1))
	g.setEnc(enc)
	t.insert(h, g)
	return g
}

// Lookup returns the group with encoded key k, or nil.
func (t *Table) Lookup(k string) *Group {
	if i, ok := t.find(hashString(k), k); ok {
		return t.slots[i].g
	}
	return nil
}

func (t *Table) find(h uint64, k string) (uint64, bool) {
	if len(t.slots) == 0 {
		return 0, false
	}
	mask := uint64(len(t.slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		s := &t.slots[i]
		if s.g == nil {
			return 0, false
		}
		if s.hash == h && s.g.enc == k {
			return i, true
		}
	}
}

// Delete removes the group with encoded key k, if present.
func (t *Table) Delete(k string) {
	i, ok := t.find(hashString(k), k)
	if !ok {
		return
	}
	// Backward-shift deletion: pull later entries of the probe run into
	// the hole unless that would move one before its home slot, so lookups
	// never need tombstones.
	mask := uint64(len(t.slots) - 1)
	for j := (i + 1) & mask; t.slots[j].g != nil; j = (j + 1) & mask {
		home := t.slots[j].hash & mask
		if (j-home)&mask >= (j-i)&mask {
			t.slots[i] = t.slots[j]
			i = j
		}
	}
	t.slots[i] = slot{}
	t.n--
}

// All yields every group, in no particular order.
func (t *Table) All() iter.Seq[*Group] {
	return func(yield func(*Group) bool) {
		for i := range t.slots {
			if g := t.slots[i].g; g != nil && !yield(g) {
				return
			}
		}
	}
}

func (t *Table) insert(h uint64, g *Group) {
	if (t.n+1)*4 > len(t.slots)*3 {
		t.grow()
	}
	mask := uint64(len(t.slots) - 1)
	i := h & mask
	for t.slots[i].g != nil {
		i = (i + 1) & mask
	}
	t.slots[i] = slot{hash: h, g: g}
	t.n++
}

func (t *Table) grow() {
	size := 8
	if len(t.slots) > 0 {
		size = len(t.slots) * 2
	}
	t.resize(size)
}

// reserve makes room for n groups without growing on the way.
func (t *Table) reserve(n int) {
	size := max(8, len(t.slots))
	for n*4 > size*3 {
		size *= 2
	}
	if size != len(t.slots) {
		t.resize(size)
	}
}

func (t *Table) resize(size int) {
	old := t.slots
	t.slots = make([]slot, size)
	mask := uint64(size - 1)
	for _, s := range old {
		if s.g == nil {
			continue
		}
		i := s.hash & mask
		for t.slots[i].g != nil {
			i = (i + 1) & mask
		}
		t.slots[i] = s
	}
}

// slabChunk is how many groups the next slab holds: small tables (a
// per-batch table of a few keys) stay small, big ones allocate rarely.
func (t *Table) slabChunk() int {
	return min(max(4, t.n), 256)
}

// Reset empties t to be filled again, keeping its groups' memory: they
// are handed out again, their states cleared, before the slabs are drawn
// on. A window's panes come and go at the rate of its slide; reusing the
// memory of the one that left spares allocating and collecting a table per
// pane. Nothing may refer to t's groups any more.
func (t *Table) Reset() {
	for i := range t.slots {
		if g := t.slots[i].g; g != nil {
			// The key's values may be another table's (adopt): never
			// written into, so dropped.
			g.Key, g.enc, g.nshort = nil, "", 0
			t.reuse = append(t.reuse, g)
		}
	}
	clear(t.slots)
	t.n = 0
}

// alloc hands out a group with nStates empty states from the slabs.
func (t *Table) alloc(nStates int) *Group {
	if n := len(t.reuse); n > 0 {
		g := t.reuse[n-1]
		t.reuse[n-1] = nil
		t.reuse = t.reuse[:n-1]
		if len(g.States) == nStates {
			clear(g.States)
			return g
		}
		t.reuse = nil // made for another number of aggregates
	}
	if nStates == 1 {
		if len(t.ones) == 0 {
			t.ones = make([]groupOne, t.slabChunk())
		}
		o := &t.ones[0]
		t.ones = t.ones[1:]
		o.g.States = o.state[:]
		return &o.g
	}
	if len(t.groups) == 0 {
		t.groups = make([]Group, t.slabChunk())
	}
	g := &t.groups[0]
	t.groups = t.groups[1:]
	if nStates > 0 {
		if len(t.states) < nStates {
			t.states = make([]agg.State, t.slabChunk()*nStates)
		}
		g.States = t.states[:nStates:nStates]
		t.states = t.states[nStates:]
	}
	return g
}

func (t *Table) keySlab(n int) []types.Value {
	if n == 0 {
		return nil
	}
	if len(t.keys) < n {
		t.keys = make([]types.Value, t.slabChunk()*n)
	}
	out := t.keys[:n:n]
	t.keys = t.keys[n:]
	return out
}

// adopt adds g, owned by another table, under its own key and fresh
// states from the slabs.
func (t *Table) adopt(h uint64, src *Group, nStates int) *Group {
	g := t.alloc(nStates)
	g.Key = src.Key
	g.setEnc(src.enc)
	t.insert(h, g)
	return g
}

// cloneKey copies the encoded key and the key values into one string, so
// a group neither keeps alive the input line a word was cut from nor
// costs more than one allocation for its key. The values go into dst.
func cloneKey(k []byte, key []types.Value, dst []types.Value) (string, []types.Value) {
	if len(key) == 1 && key[0].Kind() == types.KindText {
		// The encoding of a text key ends with the text itself.
		enc := string(k)
		dst[0] = types.Text(enc[len(enc)-len(key[0].AsText()):])
		return enc, dst
	}
	var b strings.Builder
	b.Grow(len(k) + textLen(key))
	b.Write(k)
	for _, v := range key {
		if v.Kind() == types.KindText {
			b.WriteString(v.AsText())
		}
	}
	s := b.String()
	enc, rest := s[:len(k)], s[len(k):]
	for i, v := range key {
		if v.Kind() == types.KindText {
			n := len(v.AsText())
			v, rest = types.Text(rest[:n]), rest[n:]
		}
		dst[i] = v
	}
	return enc, dst
}

func textLen(key []types.Value) int {
	n := 0
	for _, v := range key {
		if v.Kind() == types.KindText {
			n += len(v.AsText())
		}
	}
	return n
}

// MergeInto folds every group of t into dst with the aggregate functions
// fs, creating groups in dst as needed.
func (t *Table) MergeInto(dst *Table, fs []agg.Func) {
	// Room first: groups come in t's slot order, which is hash order, and
	// inserted so into a smaller table they pile up in ever longer probe
	// runs (quadratic: 560 k words took 2 s to merge).
	dst.reserve(dst.n + t.n)
	// Into an empty table (a window merging its panes starts so) every
	// group is new: no lookup first.
	fresh := dst.n == 0
	for i := range t.slots {
		s := &t.slots[i]
		if s.g == nil {
			continue
		}
		var d *Group
		if fresh {
			d = dst.adopt(s.hash, s.g, len(fs))
		} else if j, ok := dst.find(s.hash, s.g.enc); ok {
			d = dst.slots[j].g
		} else {
			d = dst.adopt(s.hash, s.g, len(fs))
		}
		for i, f := range fs {
			f.Merge(&d.States[i], &s.g.States[i])
		}
	}
}

// Sorted returns the groups ordered by key, so results come out in a
// stable order when the query has no ORDER BY.
func (t *Table) Sorted() []*Group {
	out := make([]*Group, 0, t.n)
	for g := range t.All() {
		out = append(out, g)
	}
	SortGroups(out)
	return out
}

// SortGroups orders groups by their key values.
func SortGroups(gs []*Group) {
	if textKeys(gs) {
		sortTextKeys(gs)
		return
	}
	slices.SortFunc(gs, func(a, b *Group) int {
		for x := range a.Key {
			if c := types.Compare(a.Key[x], b.Key[x]); c != 0 {
				return c
			}
		}
		return 0
	})
}

// keyed is a group with its text key at hand, for sorting: its first 8
// bytes as a big-endian number (zero-padded) decide most comparisons
// without touching the key's bytes.
type keyed struct {
	prefix uint64
	key    string
	g      *Group
}

func prefixOf(s string) uint64 {
	var b [8]byte
	copy(b[:], s)
	return binary.BigEndian.Uint64(b[:])
}

// byKey orders keyed groups as strings.Compare orders their keys.
func byKey(a, b keyed) int {
	if a.prefix != b.prefix {
		if a.prefix < b.prefix {
			return -1
		}
		return 1
	}
	return strings.Compare(a.key, b.key)
}

// sortTextKeys sorts groups keyed by one text column (a word count's):
// the keys are copied beside the groups, so comparing does not go through
// two pointers, and a large table is sorted as two halves on two
// goroutines and merged. The order is types.Compare's for text.
func sortTextKeys(gs []*Group) {
	ks := make([]keyed, len(gs))
	for i, g := range gs {
		k := g.Key[0].AsText()
		ks[i] = keyed{prefixOf(k), k, g}
	}
	if len(ks) < 1<<16 {
		slices.SortFunc(ks, byKey)
		for i := range ks {
			gs[i] = ks[i].g
		}
		return
	}
	half := len(ks) / 2
	done := make(chan struct{})
	go func() {
		slices.SortFunc(ks[:half], byKey)
		close(done)
	}()
	slices.SortFunc(ks[half:], byKey)
	<-done
	i, j := 0, half
	for o := range gs {
		if j == len(ks) || (i < half && byKey(ks[i], ks[j]) <= 0) {
			gs[o] = ks[i].g
			i++
		} else {
			gs[o] = ks[j].g
			j++
		}
	}
}

// textKeys reports whether every group's key is one TEXT value.
func textKeys(gs []*Group) bool {
	for _, g := range gs {
		if len(g.Key) != 1 || g.Key[0].Kind() != types.KindText {
			return false
		}
	}
	return true
}

// CloneKey copies the key values, and the text inside them, so a group
// does not keep alive the whole input line a word was cut from.
func CloneKey(key []types.Value) []types.Value {
	out := make([]types.Value, len(key))
	for i, v := range key {
		if v.Kind() == types.KindText {
			v = types.Text(strings.Clone(v.AsText()))
		}
		out[i] = v
	}
	return out
}

// savedGroup is a group as a checkpoint stores it; the encoded key is
// derived from the key values on the way back.
type savedGroup struct {
	Key    []types.Value
	States []agg.State
}

// GobEncode writes the groups, so window state can be checkpointed.
func (t *Table) GobEncode() ([]byte, error) {
	gs := make([]savedGroup, 0, t.n)
	for g := range t.All() {
		gs = append(gs, savedGroup{g.Key, g.States})
	}
	var buf bytes.Buffer
	err := gob.NewEncoder(&buf).Encode(gs)
	return buf.Bytes(), err
}

// GobDecode reads groups written by GobEncode.
func (t *Table) GobDecode(b []byte) error {
	var gs []savedGroup
	if err := gob.NewDecoder(bytes.NewReader(b)).Decode(&gs); err != nil {
		return err
	}
	*t = Table{}
	var k []byte
	for _, s := range gs {
		k = k[:0]
		for _, v := range s.Key {
			k = types.AppendKey(k, v)
		}
		g := t.Get(k, s.Key, len(s.States))
		copy(g.States, s.States)
	}
	return nil
}
