//go:build !wasm

package server

import (
	"errors"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/loopswithfriends/loops/shared"
)

// hub owns the set of jams and who is in which. Joins and leaves hold its
// lock (then the jam's), so the balancer sees sizes that cannot change under
// it and no jam ever holds more than shared.Capacity members; plays, stops
// and swaps hold only their jam's lock. No join or leave looks at every jam
// under the lock: the balancer reads its trees of bits (balancer.go; only
// its renumbering, paid for by the more than half as many jams that emptied
// before it, passes over the live public jams), and the counts /api/stats
// serves are atomic counters read without the lock.
type hub struct {
	s *Server

	mu       sync.Mutex
	jams     map[string]*jam
	open     openJams
	kitTurn  int // see nextKit
	draining bool

	sizes SizeCounts // written under mu, read without it
}

func newHub(s *Server) *hub {
	return &hub{s: s, jams: make(map[string]*jam)}
}

// errDraining is returned by join while the server drains.
var errDraining = errors.New("server is draining")

// errClosed is returned by join on a connection that is being closed (one
// that was taken over, for instance): it must not place a user.
var errClosed = errors.New("connection is closing")

// create adds a new empty jam of the kit with the id: a private one (created by
// naming its id: the balancer never places anyone in it) or a public one.
// h.mu is held.
func (h *hub) create(id string, private bool, kit *shared.Kit) *jam {
	j := newJam(id, kit, kit.Timeline(float64(int64(h.s.nowMs()))))
	j.private = private
	h.jams[id] = j
	return j
}

// resized files j under its size n after a join or a leave: in the counts
// and, for a public jam, in the balancer's buckets. h.mu is held.
func (h *hub) resized(j *jam, n int) {
	old := j.size
	j.size = n
	h.sizes.Move(old, n)
	if !j.private {
		h.open.move(j, old, n)
	}
}

// join places c's user in a jam and sends the welcome and the joined frames.
// want is the jam the client asked for ("" for none, well-formed otherwise);
// resume is the token the client presented, or "".
//
// A token whose connection still holds its user (a client that came back
// before the server noticed its old connection die) makes c take the user
// over where they are: see takeover. Such a token is looked up under the
// hub's lock, where the connection's leave cannot run halfway: either the
// leave came first and released the token (an ordinary resume), or the
// takeover comes first and the leave finds nothing to remove.
func (h *hub) join(c *conn, want, resume string, kit *shared.Kit, at time.Time) error {
	// The random ids are drawn before taking the lock every join waits on.
	userID, token := uuid.NewString(), newToken()

	h.mu.Lock()
	defer h.mu.Unlock()
	if h.draining {
		return errDraining
	}
	if c.member.Load() != nil {
		return shared.Errorf(shared.CodeAlreadyJoined, "already in a jam")
	}
	if c.isClosed() {
		return errClosed
	}

	prefer, resumed, private := -1, false, want != ""
	back := h.s.resume.take(resume, h.s.cfg.Now())
	if back != nil && back.conn != nil {
		// A live token: its connection holds the user (the hub's lock
		// keeps it so; the checks are for safety only).
		old := back.conn
		m := old.member.Load()
		switch {
		case old == c || m == nil || m.conn != old || m.id != back.user:
			back = nil // nobody to take over: the user joins as new
		case want == "" || want == m.jam.id:
			h.takeover(c, old, m, token, at)
			return nil
		default:
			// The user asks for another jam: they leave this one, as
			// with a close, and come back resumed in that one.
			old.member.Store(nil)
			old.token = ""
			back.jam = m.jam.id
			back.loop = h.detach(m, at)
			old.closeAsync(statusReplaced, replacedReason, reasonReplaced)
		}
	}
	if back != nil {
		resumed = true
		userID = back.user
		if want == "" {
			want = back.jam
		}
		if want == back.jam {
			// The same jam: if it emptied meanwhile, it comes back as
			// it was, public or private.
			prefer, private = back.loop, back.private
			if back.kit != nil {
				kit = back.kit
			}
		}
	}

	var j *jam
	redirected := false
	if want != "" {
		switch j = h.jams[want]; {
		case j == nil:
			j = h.create(want, private, kit)
		case j.size >= shared.Capacity:
			j, redirected = nil, true
		}
	}
	if j == nil {
		j = h.balance()
	}

	h.renew(c, userID, token)
	// Counted before anyone hears of it, so that whoever reads the
	// welcome or the joined finds it in /api/stats.
	h.resized(j, j.size+1)
	m := j.add(c, userID, prefer, token, redirected, h.s.nowMs(), at)
	c.member.Store(m)
	h.s.metrics.joins.Inc()
	h.s.log.Debug("join", "user", userID, "jam", j.id, "loop", j.kit.Loops[m.loop].ID, "redirected", redirected, "resumed", resumed)
	return nil
}

// renew makes token the resume token of c, which is about to hold the user.
// h.mu is held.
func (h *hub) renew(c *conn, userID, token string) {
	if c.token != "" {
		h.s.resume.forget(c.token) // a token of this connection's earlier user
	}
	c.token = token
	h.s.resume.issue(token, userID, c)
}

// takeover hands m, the member that old holds, to c: the user's new
// connection. Nothing changes for the jam, so the others see nothing: m keeps
// its id, loop and playing state, and only the connection its frames go to
// changes, under the jam's lock, so that every frame after the welcome goes
// to c. old no longer holds a member, so its leave, whenever its read loop,
// the heartbeat, a slow write or Drain gets to it, removes nothing; and it is
// closed. h.mu is held.
func (h *hub) takeover(c, old *conn, m *member, token string, at time.Time) {
	old.member.Store(nil)
	old.token = "" // used up by the take that led here
	h.renew(c, m.id, token)
	m.jam.takeover(m, c, token, h.s.nowMs(), at)
	c.member.Store(m)
	old.closeAsync(statusReplaced, replacedReason, reasonReplaced)
	h.s.log.Debug("takeover", "user", m.id, "jam", m.jam.id)
}

// leave takes c's user out of their jam, if c still holds them, tells the
// others and lets the user's resume token bring them back for the resume
// window.
func (h *hub) leave(c *conn) {
	if cl := h.s.cfg.Cluster; cl != nil {
		cl.Leave(c)
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	m := c.member.Swap(nil)
	if m == nil {
		return
	}
	if m.conn != c {
		// Not c's user any more (it cannot happen: a takeover clears
		// c.member under this lock), so not c's to remove.
		return
	}
	j := m.jam
	loop := h.detach(m, time.Now())
	h.s.resume.release(c.token, c.addr, j.id, j.private, j.kit, loop, h.s.cfg.Now().Add(h.s.cfg.ResumeWindow))
	h.s.log.Debug("leave", "user", m.id, "jam", j.id)
}

// detach takes m out of its jam, tells the others, removes the jam if it
// emptied and returns the loop m had. h.mu is held.
func (h *hub) detach(m *member, at time.Time) (loop int) {
	j := m.jam
	h.resized(j, j.size-1) // before the left goes out, as with a join
	loop = j.remove(m, h.s.nowMs(), at)
	if j.size == 0 {
		delete(h.jams, j.id)
	}
	return loop
}

// drain refuses every join from now on.
func (h *hub) drain() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.draining = true
}

// stats returns the numbers of /api/stats. It takes no lock: a flood of
// requests for it never holds up a join. A cluster counts its own.
func (h *hub) stats() shared.Stats {
	if cl := h.s.cfg.Cluster; cl != nil {
		return cl.Stats()
	}
	return h.sizes.Stats()
}

// jamSizes returns every jam's member count, by id, for the admin listener.
// It holds the hub's lock while it copies them: it is for operators only.
func (h *hub) jamSizes() shared.JamSizes {
	if cl, ok := h.s.cfg.Cluster.(interface{ JamSizes() shared.JamSizes }); ok {
		return cl.JamSizes()
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	js := shared.JamSizes{JamSizes: make(map[string]int, len(h.jams))}
	for id, j := range h.jams {
		js.JamSizes[id] = j.size
	}
	return js
}
