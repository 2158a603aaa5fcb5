//go:build !wasm

package server

import (
	"container/heap"
	"sync/atomic"

	"github.com/loopswithfriends/loops/shared"
)

// openJams are the public jams that have room, bucketed by how many members
// they hold, each bucket a heap with the oldest jam on top: the balancer's
// pick is the top of the fullest bucket, so a join looks at no more than
// shared.Capacity buckets, however many jams there are, and moving a jam
// between buckets costs O(log k), k the jams of its size. Private jams are
// never here. Guarded by hub.mu.
//
// Why heaps and not lists, which would make a move O(1): PROTOCOL.md breaks
// a tie between the fullest jams in favour of the oldest, and a jam enters a
// bucket at any place in that order (a member of an old jam leaves, a
// stranger joins a young one), so each bucket must keep its jams ordered by
// age; a list could only keep the order in which they came to that size.
// A join's cost stays bounded by the buckets and a logarithm, never by the
// number of jams.
type openJams [shared.Capacity]jamHeap // by size; [0] stays empty

// pick returns the fullest open jam, the oldest of those on a tie, or nil.
func (o *openJams) pick() *jam {
	for n := shared.Capacity - 1; n > 0; n-- {
		if len(o[n]) > 0 {
			return o[n][0]
		}
	}
	return nil
}

// move files j, a public jam, under its new size n, out of the bucket of
// its old size; a full or empty jam is in no bucket.
func (o *openJams) move(j *jam, old, n int) {
	if old > 0 && old < shared.Capacity && j.slot >= 0 {
		heap.Remove(&o[old], j.slot)
	}
	if n > 0 && n < shared.Capacity {
		heap.Push(&o[n], j)
	}
}

// jamHeap is a min-heap of jams by creation order; each jam knows its index.
type jamHeap []*jam

var _ heap.Interface = (*jamHeap)(nil)

func (h jamHeap) Len() int           { return len(h) }
func (h jamHeap) Less(a, b int) bool { return h[a].seq < h[b].seq }
func (h jamHeap) Swap(a, b int) {
	h[a], h[b] = h[b], h[a]
	h[a].slot, h[b].slot = a, b
}

// Push adds x, a *jam.
func (h *jamHeap) Push(x any) {
	j := x.(*jam)
	j.slot = len(*h)
	*h = append(*h, j)
}

// Pop removes and returns the last jam.
func (h *jamHeap) Pop() any {
	old := *h
	j := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	j.slot = -1
	return j
}

// sizeCounts counts the jams of each size, public and private, so that
// /api/stats and the metrics read them without the hub's lock. Writes happen
// under hub.mu; reads may see a jam between two sizes, never a count that
// does not add up.
type sizeCounts [shared.Capacity + 1]atomic.Int64

func (sc *sizeCounts) move(old, n int) {
	if old > 0 {
		sc[old].Add(-1)
	}
	if n > 0 {
		sc[n].Add(1)
	}
}

// stats returns the jams, the users and the jams by size, from one pass
// over the counters: jams and users are the sums of the sizes read, so the
// three always agree.
func (sc *sizeCounts) stats() shared.Stats {
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
