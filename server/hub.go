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
// and swaps hold only their jam's lock.
type hub struct {
	s *Server

	mu       sync.Mutex
	jams     map[string]*jam
	users    int
	seq      uint64
	draining bool
}

func newHub(s *Server) *hub {
	return &hub{s: s, jams: make(map[string]*jam)}
}

// errDraining is returned by join while the server drains.
var errDraining = errors.New("server is draining")

// create adds a new empty jam with the id. h.mu is held.
func (h *hub) create(id string) *jam {
	h.seq++
	j := newJam(id, h.seq, shared.NewTimeline(float64(int64(h.s.nowMs()))))
	h.jams[id] = j
	return j
}

// join places c's user in a jam and sends the welcome and the joined frames.
// want is the jam the client asked for ("" for none, well-formed otherwise);
// back is the resume entry the client presented, or nil.
func (h *hub) join(c *conn, want string, back *resumeEntry, at time.Time) error {
	// The random ids are drawn before taking the lock every join waits on.
	userID, prefer := "", -1
	if back != nil {
		userID = back.user
		if want == "" {
			want = back.jam
		}
		if want == back.jam {
			prefer = back.loop
		}
	} else {
		userID = uuid.NewString()
	}
	token := h.s.resume.issue(userID)

	h.mu.Lock()
	defer h.mu.Unlock()
	if h.draining {
		h.s.resume.forget(token)
		return errDraining
	}
	if c.member.Load() != nil {
		h.s.resume.forget(token)
		return shared.Errorf(shared.CodeAlreadyJoined, "already in a jam")
	}

	var j *jam
	redirected := false
	if want != "" {
		switch j = h.jams[want]; {
		case j == nil:
			j = h.create(want)
		case len(j.members) >= shared.Capacity:
			j, redirected = nil, true
		}
	}
	if j == nil {
		j = h.balance()
	}

	if c.token != "" {
		h.s.resume.forget(c.token) // a token of this connection's earlier user
	}
	c.token = token
	m := j.add(c, userID, prefer, token, redirected, h.s.nowMs(), at)
	c.member.Store(m)
	h.users++
	h.s.metrics.joins.Inc()
	h.s.log.Debug("join", "user", userID, "jam", j.id, "loop", shared.Catalog[m.loop].ID, "redirected", redirected, "resumed", back != nil)
	return nil
}

// leave takes c's user out of their jam, if any, tells the others and lets
// the user's resume token bring them back for the resume window.
func (h *hub) leave(c *conn) {
	h.mu.Lock()
	defer h.mu.Unlock()
	m := c.member.Swap(nil)
	if m == nil {
		return
	}
	j := m.jam
	loop := j.remove(m, time.Now())
	if len(j.members) == 0 {
		delete(h.jams, j.id)
	}
	h.users--
	h.s.resume.release(c.token, j.id, loop, h.s.cfg.Now().Add(h.s.cfg.ResumeWindow))
	h.s.log.Debug("leave", "user", m.id, "jam", j.id)
}

// drain refuses every join from now on.
func (h *hub) drain() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.draining = true
}

// stats returns the hub's numbers, read at one instant.
func (h *hub) stats() Stats {
	h.mu.Lock()
	defer h.mu.Unlock()
	st := Stats{Jams: len(h.jams), Users: h.users, JamSizes: make(map[string]int, len(h.jams))}
	for id, j := range h.jams {
		st.JamSizes[id] = len(j.members)
	}
	return st
}

// counts returns the number of jams and users.
func (h *hub) counts() (jams, users int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.jams), h.users
}
