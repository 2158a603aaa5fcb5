//go:build !wasm

package natshub

import (
	"container/heap"

	"github.com/loopswithfriends/loops/shared"
)

// openJams are the public jams with room as a node last saw them, filed by
// size, each size oldest first, so that the balancer's pick (world.best)
// takes a few steps whatever the number of jams, and no join holds the
// world's lock, which every play and stop on the node takes, for a pass
// over every jam. The single node's balancer (server/balancer.go) ranks
// its jams by creation order, which it sees happen; a node of a cluster
// learns of jams late and out of order (loading the bucket, it reads each
// jam at its last change), so here each size is a heap ordered by the
// jams' Created, the order PROTOCOL.md breaks ties by. Guarded by world.mu.
type openJams struct {
	bySize [shared.Capacity]openHeap // [0] stays empty
	byID   map[string]*openJam
}

// openJam is a jam's place in openJams.
type openJam struct {
	id      string
	created float64
	size    int
	i       int // its index in bySize[size]
}

func newOpenJams() openJams { return openJams{byID: make(map[string]*openJam)} }

// set files the jam under the size of rec, its record as seen now, or
// takes it out when rec is nil, private, full or empty.
func (o *openJams) set(id string, rec *jamRecord) {
	size := 0
	if rec != nil && !rec.Private && !rec.full() {
		size = len(rec.Members)
	}
	j := o.byID[id]
	if j != nil {
		if j.size == size && j.created == rec.Created {
			return
		}
		heap.Remove(&o.bySize[j.size], j.i)
	}
	if size == 0 {
		delete(o.byID, id)
		return
	}
	if j == nil {
		j = &openJam{id: id}
		o.byID[id] = j
	}
	// Filed again, too, should a jam's Created ever differ from the
	// last record's: the order is the records', as they come.
	j.size, j.created = size, rec.Created
	heap.Push(&o.bySize[size], j)
}

// best returns the fullest jam, the oldest of those on a tie, leaving out
// those tried; "" when there is none. The tried jams at the top of a size
// are set aside and put back: a join tries a handful at most.
func (o *openJams) best(tried map[string]bool) string {
	for n := shared.Capacity - 1; n > 0; n-- {
		h := &o.bySize[n]
		var aside []*openJam
		for h.Len() > 0 && tried[(*h)[0].id] {
			aside = append(aside, heap.Pop(h).(*openJam))
		}
		id := ""
		if h.Len() > 0 {
			id = (*h)[0].id
		}
		for _, j := range aside {
			heap.Push(h, j)
		}
		if id != "" {
			return id
		}
	}
	return ""
}

// openHeap is the jams of one size, the oldest (then the smallest id) on
// top: heap.Interface.
type openHeap []*openJam

func (h openHeap) Len() int { return len(h) }

func (h openHeap) Less(a, b int) bool {
	if h[a].created != h[b].created {
		return h[a].created < h[b].created
	}
	return h[a].id < h[b].id
}

func (h openHeap) Swap(a, b int) {
	h[a], h[b] = h[b], h[a]
	h[a].i, h[b].i = a, b
}

func (h *openHeap) Push(x any) {
	j := x.(*openJam)
	j.i = len(*h)
	*h = append(*h, j)
}

func (h *openHeap) Pop() any {
	old := *h
	j := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return j
}
