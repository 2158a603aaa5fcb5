//go:build !wasm

package natshub

import (
	"encoding/json"
	"slices"

	"github.com/loopswithfriends/loops/shared"
)

// jamRecord is a jam as the cluster stores it: one value of the jams bucket,
// under the jam's id, in the form of record_codec.go. Every change is a
// compare-and-set on the key's revision, so two nodes never both add the
// seventh member or give one loop twice: the loser reads the record again
// and decides again.
type jamRecord struct {
	// Kit is the id of the kit the jam plays.
	Kit      string
	Timeline shared.Timeline
	// Created orders jams for the balancer's ties (server ms).
	Created float64
	// Private jams were created by naming their id; the balancer never
	// places anyone in them.
	Private bool
	Members []memberRecord // in joining order
	// Events are what the changes that wrote this record tell the
	// members, in order: a node writes the changes it has waiting for a
	// jam at once.
	Events []jamEvent
	// Event is what the change being made tells the members; change
	// moves it to Events. It is not stored.
	Event jamEvent
}

// jamEvent is what one change tells the members: a frame, to all but Skip,
// and a member that its node must drop (Gone: removed, or taken over by
// another node), closing its socket with Status and Reason.
type jamEvent struct {
	Frame  json.RawMessage
	Skip   string
	Gone   string
	Status int
	Reason string
	// Node made the change.
	Node string
	// Of and Seq name a change of member Of's state that also went out
	// on a plain publish (a play or stop, fast.go), by its number in that
	// member's changes: a node delivers whichever of the two reaches it
	// first, once. A join and a takeover of member Of carry the
	// member's Seq as the jam has it.
	Of  string
	Seq uint64
}

// memberRecord is one member of a jam, and the node whose socket holds it.
type memberRecord struct {
	ID      string
	Loop    string
	Playing bool
	Bar     int64
	Node    string
	// Seq numbers the member's plays and stops (fast.go): it starts at
	// a number larger than any of an earlier stay of the same user
	// (firstSeq) and grows by one with each.
	Seq uint64
}

// clone returns a deep copy, to change without touching r.
func (r *jamRecord) clone() *jamRecord {
	c := *r
	c.Members = slices.Clone(r.Members)
	c.Event, c.Events = jamEvent{}, nil
	return &c
}

// member returns the index of the member with the id, or -1.
func (r *jamRecord) member(id string) int {
	return slices.IndexFunc(r.Members, func(m memberRecord) bool { return m.ID == id })
}

// full reports whether the jam has no room.
func (r *jamRecord) full() bool { return len(r.Members) >= shared.Capacity }

// size is the jam's members as the stats count them: 0 for none (nil: no
// jam), at most shared.Capacity.
func (r *jamRecord) size() int {
	if r == nil {
		return 0
	}
	return min(len(r.Members), shared.Capacity)
}

// taken reports whether a member has the loop.
func (r *jamRecord) taken(loop string) bool {
	return slices.ContainsFunc(r.Members, func(m memberRecord) bool { return m.Loop == loop })
}

// kit returns the jam's kit (the default one for a record of a node that
// knew no kits, or of a kit this node does not know).
func (r *jamRecord) kit() *shared.Kit {
	if k := shared.KitByID(r.Kit); k != nil {
		return k
	}
	return shared.DefaultKit()
}

// freeLoop returns prefer when no member has it, and otherwise the first
// loop of the jam's kit no member has. The jam has room.
func (r *jamRecord) freeLoop(prefer string) string {
	kit := r.kit()
	if prefer != "" && kit.LoopIndex(prefer) >= 0 && !r.taken(prefer) {
		return prefer
	}
	for _, l := range kit.Loops {
		if !r.taken(l.ID) {
			return l.ID
		}
	}
	return "" // cannot happen: the catalog has at least Capacity loops
}

// view returns the member as the protocol shows it.
func (m memberRecord) view() shared.Member {
	return shared.Member{ID: m.ID, Loop: m.Loop, Playing: m.Playing, Bar: m.Bar}
}

// views returns every member as the protocol shows them.
func (r *jamRecord) views() []shared.Member {
	v := make([]shared.Member, len(r.Members))
	for i, m := range r.Members {
		v[i] = m.view()
	}
	return v
}
