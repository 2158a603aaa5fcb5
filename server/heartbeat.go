//go:build !wasm

package server

import (
	"context"
	"errors"
	"time"
)

// heartbeatSlots is how many groups the connections are looked at in: one
// timer looks at one group every PingInterval/heartbeatSlots, so each
// connection is looked at once a PingInterval and the work is spread over
// the interval instead of all done at once.
const heartbeatSlots = 8

// heartbeat finds the dead peers. Any frame a client sends, and any pong,
// proves it alive; the app sends one every few seconds (its clock's pings),
// so most connections need no WebSocket ping at all. The shared timer looks
// at each connection once a PingInterval, and one that has been quiet for
// half an interval gets a ping. PROTOCOL.md: the server closes a connection
// that has not answered two pings. A ping waits half an interval for its
// answer; one unanswered is followed at once by a second, and a connection
// that answers neither is closed. A dead peer is so closed one and a half to
// two and a half intervals after the last frame it sent (30 to 50 s by
// default).
// Its fields are guarded by Server.mu.
type heartbeat struct {
	s     *Server
	slots [heartbeatSlots]map[*conn]struct{}
	next  int // slot the next connection goes to
	tick  int // slot the next firing looks at
	timer *time.Timer
	armed bool
}

func newHeartbeat(s *Server) *heartbeat {
	h := &heartbeat{s: s}
	for i := range h.slots {
		h.slots[i] = make(map[*conn]struct{})
	}
	return h
}

// add starts pinging c. Server.mu is held.
func (h *heartbeat) add(c *conn) {
	c.slot = h.next
	h.next = (h.next + 1) % heartbeatSlots
	h.slots[c.slot][c] = struct{}{}
	if !h.armed {
		h.armed = true
		h.timer = time.AfterFunc(h.s.cfg.PingInterval/heartbeatSlots, h.fire)
	}
}

// remove stops pinging c. Server.mu is held.
func (h *heartbeat) remove(c *conn) {
	delete(h.slots[c.slot], c)
}

// fire looks at one slot's connections and rearms the timer while there are
// connections; with none, no timer and no goroutine is left.
func (h *heartbeat) fire() {
	s := h.s
	s.mu.Lock()
	slot := h.slots[h.tick]
	conns := make([]*conn, 0, len(slot))
	for c := range slot {
		conns = append(conns, c)
	}
	h.tick = (h.tick + 1) % heartbeatSlots
	sweep := h.tick == 0
	if len(s.conns) > 0 && !s.draining {
		h.timer.Reset(s.cfg.PingInterval / heartbeatSlots)
	} else {
		h.armed = false
	}
	s.mu.Unlock()

	if sweep {
		s.resume.sweep(s.cfg.Now())
	}
	now := time.Now()
	for _, c := range conns {
		c.beat(now)
	}
}

// beat pings c if it has been quiet for half a ping interval and no ping of
// it is waiting. Bytes from c waiting unread in its socket count as heard: a
// server that fell behind pings none of the clients whose frames it has not
// read.
func (c *conn) beat(now time.Time) {
	if c.isClosed() || c.quiet(now) < c.s.cfg.PingInterval/2 || c.unread() {
		return
	}
	if c.pinging.CompareAndSwap(false, true) {
		c.s.wg.Add(1)
		go c.ping()
	}
}

// missedPings is how many pings in a row a connection may leave unanswered
// before it is closed (PROTOCOL.md).
const missedPings = 2

// ping sends c WebSocket pings, each waiting half a ping interval for its
// answer, until one is answered, and closes c once missedPings in a row were
// not. Anything heard from c after the first ping went out answers them:
// a pong (even a late one), any frame, or bytes waiting unread in its
// socket.
func (c *conn) ping() {
	defer c.s.wg.Done()
	defer c.pinging.Store(false)
	wait := c.s.cfg.PingInterval / 2
	first := time.Now()
	for range missedPings {
		c.s.metrics.pings.Inc()
		ctx, cancel := context.WithTimeout(context.Background(), wait)
		err := c.ws.Ping(ctx)
		cancel()
		if err == nil {
			c.heard(time.Now())
			return
		}
		if !errors.Is(err, context.DeadlineExceeded) {
			return // the connection ended: its read loop says why
		}
		if c.heardSince(first) || c.unread() {
			return
		}
	}
	c.closeAsync(statusPolicyViolation, "two pings unanswered", reasonNoPong)
}

// unread reports whether bytes from c wait unread in its socket: the
// server is behind (short of CPU), and the client alive; it counts them as
// heard now.
func (c *conn) unread() bool {
	if unread, _, _, ok := socketQueues(c.sock.nc); ok && unread > 0 {
		c.heard(time.Now())
		return true
	}
	return false
}

// heard records that something came from c at t.
func (c *conn) heard(t time.Time) { c.lastHeard.Store(int64(t.Sub(c.born))) }

// heardSince reports whether something came from c at or after t.
func (c *conn) heardSince(t time.Time) bool {
	return time.Duration(c.lastHeard.Load()) >= t.Sub(c.born)
}

// quiet returns how long nothing has come from c.
func (c *conn) quiet(now time.Time) time.Duration {
	return now.Sub(c.born) - time.Duration(c.lastHeard.Load())
}
