//go:build !wasm

package server

import (
	"math/bits"
	"sync/atomic"

	"github.com/loopswithfriends/loops/shared"
)

// openJams are the public jams that have room, by size, so that a join
// finds the balancer's pick, and files a jam under its new size, in a few
// word operations whatever the number of jams. Private jams are never here.
// Guarded by hub.mu.
//
// PROTOCOL.md breaks a tie between the fullest jams in favour of the oldest,
// and a jam comes to a size at any place in that order (a member of an old
// jam leaves, a stranger joins a young one): a list per size could keep only
// the order in which jams came to that size, and a heap per size costs a
// logarithm of the jams of that size to move one. Instead every live public
// jam has a rank: its place in creation order, dense, so that the ranks are
// a small range of ints. Each size holds the ranks of its jams in a
// bitTree, where the oldest jam of a size is the lowest set bit, found with
// one find-first-set per level, and filing a jam under a size sets or
// clears a bit per level. With 64 branches a level, four levels hold 16
// million jams.
//
// Ranks stay dense: a jam takes the next rank when its first member comes
// (when it is created: an empty jam is removed), its rank is freed when it
// empties, and once more than half of the ranks handed out are free, the
// live jams are renumbered in their order and the trees rebuilt. That costs
// a pass over the ranks, paid for by the more than half as many jams that
// emptied since the last renumbering: constant time per jam, amortised.
type openJams struct {
	byRank []*jam                   // the public jams by creation order; nil for a free rank
	live   int                      // the non-nil entries of byRank
	bySize [shared.Capacity]bitTree // ranks of the jams of each size with room; [0] stays empty
}

// pick returns the fullest open jam, the oldest of those on a tie, or nil.
func (o *openJams) pick() *jam {
	for n := shared.Capacity - 1; n > 0; n-- {
		if r := o.bySize[n].first(); r >= 0 {
			return o.byRank[r]
		}
	}
	return nil
}

// move files j, a public jam, under its new size n, out of its old size; a
// full or empty jam is under no size. A jam gets its rank as its first
// member comes and gives it back as its last leaves.
func (o *openJams) move(j *jam, old, n int) {
	if j.rank < 0 && n > 0 {
		j.rank = len(o.byRank)
		o.byRank = append(o.byRank, j)
		o.live++
	}
	if old > 0 && old < shared.Capacity {
		o.bySize[old].remove(j.rank)
	}
	if n > 0 && n < shared.Capacity {
		o.bySize[n].add(j.rank)
	}
	if n == 0 && j.rank >= 0 {
		o.byRank[j.rank] = nil
		j.rank = -1
		o.live--
		if 2*o.live < len(o.byRank) {
			o.renumber()
		}
	}
}

// renumber gives the live jams the ranks 0, 1, ... in their order and
// rebuilds the trees from them, in fresh storage, so that a burst of jams
// leaves no memory behind once they are gone.
func (o *openJams) renumber() {
	live := make([]*jam, 0, 2*o.live)
	for _, j := range o.byRank {
		if j != nil {
			j.rank = len(live)
			live = append(live, j)
		}
	}
	o.byRank = live
	for n := range o.bySize {
		o.bySize[n] = bitTree{}
	}
	for _, j := range live {
		if j.size > 0 && j.size < shared.Capacity {
			o.bySize[j.size].add(j.rank)
		}
	}
}

// bitTree is a set of non-negative ints that finds its smallest in one
// find-first-set per level. levels[0] holds the ints as bits (i is bit i%64
// of word i/64); a bit of a word of every level above says whether the word
// below it is not zero (bit w%64 of word w/64 stands for word w); the top
// level is one word, so a tree of d levels holds the ints below 64^d, and
// grows a level when an int beyond that comes. The zero value is empty.
type bitTree struct {
	levels [][]uint64
}

// add puts i in the set.
func (t *bitTree) add(i int) {
	for len(t.levels) == 0 || i>>(6*len(t.levels)) != 0 {
		// A new top word whose bit 0 stands for the old top word.
		var top uint64
		if len(t.levels) > 0 && t.levels[len(t.levels)-1][0] != 0 {
			top = 1
		}
		t.levels = append(t.levels, []uint64{top})
	}
	for l, words := range t.levels {
		w := i >> 6
		for len(words) <= w {
			words = append(words, 0)
		}
		words[w] |= 1 << (i & 63)
		t.levels[l] = words
		i = w
	}
}

// remove takes i, which is in the set, out of it.
func (t *bitTree) remove(i int) {
	for _, words := range t.levels {
		w := i >> 6
		words[w] &^= 1 << (i & 63)
		if words[w] != 0 {
			return // the levels above still see a bit in this word
		}
		i = w
	}
}

// first returns the smallest int in the set, or -1 when it is empty.
func (t *bitTree) first() int {
	top := len(t.levels) - 1
	if top < 0 || t.levels[top][0] == 0 {
		return -1
	}
	i := 0
	for l := top; l >= 0; l-- {
		i = i<<6 | bits.TrailingZeros64(t.levels[l][i])
	}
	return i
}

// SizeCounts counts the jams of each size, public and private, so that
// /api/stats and the metrics read them without the lock their writers hold
// (hub.mu here, the world's lock of a cluster node: natshub). Reads may see
// a jam between two sizes, never a count that does not add up.
type SizeCounts [shared.Capacity + 1]atomic.Int64

// Move files a jam that had old members (0: none, a new jam) under n (0: it
// is gone).
func (sc *SizeCounts) Move(old, n int) {
	if old > 0 {
		sc[old].Add(-1)
	}
	if n > 0 {
		sc[n].Add(1)
	}
}

// Stats returns the jams, the users and the jams by size, from one pass
// over the counters: jams and users are the sums of the sizes read, so the
// three always agree.
func (sc *SizeCounts) Stats() shared.Stats {
	st := shared.Stats{Sizes: make(map[string]int, shared.Capacity)}
	for n := 1; n <= shared.Capacity; n++ {
		k := int(sc[n].Load())
		if k <= 0 {
			continue
		}
		st.Sizes[shared.SizeKey(n)] = k
		st.Jams += k
		st.Users += n * k
	}
	return st
}

// balance returns the jam a user without a jam of their own goes to: the
// fullest public jam that still has room, the oldest of those on a tie, or
// a new public jam when every one is full. h.mu is held.
func (h *hub) balance() *jam {
	if j := h.open.pick(); j != nil {
		return j
	}
	return h.create(h.newJamID(), false, h.nextKit())
}

// nextKit returns the kit of the next public jam: the kits take turns, so
// that public jams are spread over them. h.mu is held.
func (h *hub) nextKit() *shared.Kit {
	k := shared.Kits[h.kitTurn%len(shared.Kits)]
	h.kitTurn++
	return k
}

// newJamID returns a fresh random jam id that no current jam has. h.mu is
// held.
func (h *hub) newJamID() string {
	for {
		if id := shared.NewJamID(); h.jams[id] == nil {
			return id
		}
	}
}
