//go:build !wasm

package server

import (
	"context"
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
// at each connection once a PingInterval: one that has been quiet for half
// an interval gets a ping, and one that has been quiet, pongs included, for
// two intervals is closed. A dead peer is so closed two to three intervals
// after the last frame it sent (40 to 60 s by default).
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

// beat closes c if it has been quiet for two ping intervals, and pings it
// if it has been quiet for half of one and no ping of it is waiting. Bytes
// from c waiting unread in its socket count as heard: a server that fell
// behind neither pings nor closes the clients whose frames it has not read.
func (c *conn) beat(now time.Time) {
	if c.isClosed() {
		return
	}
	quiet := c.quiet(now)
	interval := c.s.cfg.PingInterval
	if quiet >= interval/2 {
		if unread, _, _, ok := socketQueues(c.sock.nc); ok && unread > 0 {
			// The client sent bytes the server has not read yet: the
			// server is behind (short of CPU), and the client alive.
			c.heard(now)
			return
		}
	}
	switch {
	case quiet >= 2*interval:
		c.closeAsync(statusPolicyViolation, "no frame and no pong for two ping intervals", reasonNoPong)
	case quiet >= interval/2 && c.pinging.CompareAndSwap(false, true):
		c.s.metrics.pings.Inc()
		c.s.wg.Add(1)
		go c.ping()
	}
}

// ping sends c a WebSocket ping and waits for its pong, at most a ping
// interval; the pong proves c alive.
func (c *conn) ping() {
	defer c.s.wg.Done()
	defer c.pinging.Store(false)
	ctx, cancel := context.WithTimeout(context.Background(), c.s.cfg.PingInterval)
	defer cancel()
	if c.ws.Ping(ctx) == nil {
		c.heard(time.Now())
	}
}

// heard records that something came from c at t.
func (c *conn) heard(t time.Time) { c.lastHeard.Store(int64(t.Sub(c.born))) }

// quiet returns how long nothing has come from c.
func (c *conn) quiet(now time.Time) time.Duration {
	return now.Sub(c.born) - time.Duration(c.lastHeard.Load())
}
