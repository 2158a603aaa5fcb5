//go:build !wasm

package server

import (
	"slices"
	"sync"
	"time"

	"github.com/loopswithfriends/loops/shared"
)

// jam is one jam: its timeline and its members. Its lock guards the members'
// loops and playing states; the member list itself changes only with the
// hub's lock held too. Every frame a jam sends is encoded once and the same
// bytes are queued to every member, under the lock, so that every member
// sees the jam's events in one order.
type jam struct {
	id       string
	kit      *shared.Kit
	timeline shared.Timeline
	private  bool // created by naming its id: the balancer never fills it

	// Guarded by hub.mu.
	size int // len(members), readable under the hub's lock alone
	rank int // place in the balancer's creation order (balancer.go), or -1

	mu      sync.Mutex
	members []*member // in joining order
	taken   []bool    // by catalog index
	history history   // what sounded in the last bars
}

// member is one user in a jam.
type member struct {
	id  string
	jam *jam

	// conn is the connection that holds the user; a takeover changes it
	// with both the hub's lock and jam.mu held, so either lock guards it.
	conn *conn

	// Guarded by jam.mu.
	loop    int // catalog index
	playing bool
	bar     int64
	gone    bool
	// swappedFrom is the loop that still sounds until bar swapBar, when a
	// swap of a sounding loop is pending: a leave before then ends it too.
	swappedFrom int
	swapBar     int64
}

func newJam(id string, kit *shared.Kit, tl shared.Timeline) *jam {
	return &jam{id: id, kit: kit, timeline: tl, rank: -1, taken: make([]bool, len(kit.Loops)),
		history: newHistory(tl.BarAt(tl.Epoch))}
}

// loopID returns the id of the jam's kit's loop at index i.
func (j *jam) loopID(i int) string { return j.kit.Loops[i].ID }

func (m *member) view() shared.Member {
	return shared.Member{ID: m.id, Loop: m.jam.kit.Loops[m.loop].ID, Playing: m.playing, Bar: m.bar}
}

// add makes c's user a member, on the loop prefer when it is free and
// otherwise the first free one of the catalog, and sends the welcome to the
// user and joined to everyone else. The hub's lock is held and the jam has
// room.
func (j *jam) add(c *conn, userID string, prefer int, token string, redirected bool, nowMs float64, at time.Time) *member {
	j.mu.Lock()
	defer j.mu.Unlock()
	loop := prefer
	if loop < 0 || loop >= len(j.taken) || j.taken[loop] {
		loop = 0
		for j.taken[loop] {
			loop++
		}
	}
	m := &member{id: userID, conn: c, jam: j, loop: loop, bar: j.timeline.BarAt(nowMs)}
	j.taken[loop] = true
	j.members = append(j.members, m)
	c.send(j.welcome(m, token, redirected, nowMs), at)
	j.broadcast(shared.MustEncode(&shared.Joined{Member: m.view()}), at, m)
	return m
}

// takeover makes c, the user's new connection, hold m, and sends c the
// welcome; the others are told nothing, for nothing changed for them. Every
// frame the jam sends after this goes to c, after the welcome. The hub's
// lock is held.
func (j *jam) takeover(m *member, c *conn, token string, nowMs float64, at time.Time) {
	j.mu.Lock()
	defer j.mu.Unlock()
	m.conn = c
	c.send(j.welcome(m, token, false, nowMs), at)
}

// welcome returns the welcome of m, the members as they are now. j.mu is
// held.
func (j *jam) welcome(m *member, token string, redirected bool, nowMs float64) []byte {
	views := make([]shared.Member, len(j.members))
	for i, o := range j.members {
		views[i] = o.view()
	}
	return shared.MustEncode(&shared.Welcome{
		You:        m.id,
		Resume:     token,
		Loop:       j.kit.Loops[m.loop].ID,
		Redirected: redirected,
		Now:        nowMs,
		Jam:        shared.JamInfo{ID: j.id, Timeline: j.timeline, Capacity: shared.Capacity, Kit: j.kit.ID},
		Members:    views,
	})
}

// remove takes m out of the jam at server time nowMs, tells the others and
// returns the loop m had. A loop that was sounding stops in the history at
// the bar the member left in. The hub's lock is held.
func (j *jam) remove(m *member, nowMs float64, at time.Time) (loop int) {
	j.mu.Lock()
	defer j.mu.Unlock()
	cur := j.timeline.BarAt(nowMs)
	if m.playing || m.bar > cur {
		j.history.set(m.loop, false, cur)
	}
	if m.swapBar > cur {
		// A swap was still to come: the loop swapped from sounded until
		// it, and now only until the leave.
		j.history.cut(m.swappedFrom, cur, m.swapBar)
	}
	if i := slices.Index(j.members, m); i >= 0 {
		j.members = slices.Delete(j.members, i, i+1)
	}
	m.gone = true
	j.taken[m.loop] = false
	j.broadcast(shared.MustEncode(&shared.Left{ID: m.id}), at, nil)
	return m.loop
}

// broadcast queues frame to every member but skip. j.mu is held.
func (j *jam) broadcast(frame []byte, at time.Time, skip *member) {
	for _, m := range j.members {
		if m != skip {
			m.conn.send(frame, at)
		}
	}
}

// play queues m's loop from the next bar, at the request of c; it reports
// false when m already plays or is queued, or c no longer holds m.
func (j *jam) play(m *member, c *conn, nowMs float64, at time.Time) bool {
	j.mu.Lock()
	defer j.mu.Unlock()
	if m.gone || m.conn != c || m.playing {
		return false
	}
	m.playing, m.bar = true, j.timeline.NextBar(nowMs)
	j.history.set(m.loop, true, m.bar)
	j.broadcast(shared.MustEncode(&shared.Played{ID: m.id, Bar: m.bar}), at, nil)
	return true
}

// stop stops m's loop at the next bar, at the request of c; it reports
// false when m is already stopped or stopping, or c no longer holds m.
func (j *jam) stop(m *member, c *conn, nowMs float64, at time.Time) bool {
	j.mu.Lock()
	defer j.mu.Unlock()
	if m.gone || m.conn != c || !m.playing {
		return false
	}
	m.playing, m.bar = false, j.timeline.NextBar(nowMs)
	j.history.set(m.loop, false, m.bar)
	j.broadcast(shared.MustEncode(&shared.Stopped{ID: m.id, Bar: m.bar}), at, nil)
	return true
}

// swap gives m the loop from the next bar on, at the request of c, or
// returns the protocol error that says why not.
func (j *jam) swap(m *member, c *conn, loopID string, nowMs float64, at time.Time) error {
	idx := j.kit.LoopIndex(loopID)
	if idx < 0 {
		return shared.Errorf(shared.CodeUnknownLoop, "no loop %q in the catalog", loopID)
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	if m.gone || m.conn != c {
		return shared.Errorf(shared.CodeNotJoined, "not in a jam")
	}
	if j.taken[idx] {
		return shared.Errorf(shared.CodeLoopTaken, "loop %q is taken in this jam", loopID)
	}
	j.taken[m.loop], j.taken[idx] = false, true
	bar := j.timeline.NextBar(nowMs)
	if m.playing {
		j.history.set(m.loop, false, bar)
		j.history.set(idx, true, bar)
		if m.swapBar != bar {
			// A second swap before the first took effect: the loop
			// sounding until bar is still the first one's.
			m.swappedFrom, m.swapBar = m.loop, bar
		}
	}
	m.loop = idx
	j.broadcast(shared.MustEncode(&shared.Swapped{ID: m.id, Loop: loopID, Bar: bar}), at, nil)
	return nil
}

// snapshot returns the recording of the last bars bars of the jam up to and
// including the bar sounding at nowMs (fewer when the jam or its history is
// younger), without its id and creation time, or the protocol error that
// says why not. Changes take effect on later bars, so the current bar is
// already known to its end.
func (j *jam) snapshot(m *member, c *conn, bars int, nowMs float64) (*shared.Recording, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if m.gone || m.conn != c {
		return nil, shared.Errorf(shared.CodeNotJoined, "not in a jam")
	}
	cur := j.timeline.BarAt(nowMs)
	from := max(j.history.since(j.timeline.BarAt(j.timeline.Epoch), cur), cur-int64(bars)+1)
	tl := j.timeline
	return &shared.Recording{
		Kit:         j.kit.ID,
		BPM:         tl.BPM,
		BeatsPerBar: tl.BeatsPerBar,
		BarsPerLoop: tl.BarsPerLoop,
		FirstBar:    from,
		Bars:        int(cur - from + 1),
		Parts:       j.history.parts(from, cur, j.loopID),
	}, nil
}

// announce queues frame to every member.
func (j *jam) announce(frame []byte, at time.Time) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.broadcast(frame, at, nil)
}
