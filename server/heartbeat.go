//go:build !wasm

package server

import (
	"context"
	"time"
)

// heartbeatSlots is how many groups the connections are pinged in: one timer
// pings one group every PingInterval/heartbeatSlots, so pings are spread
// over the interval instead of all leaving at once.
const heartbeatSlots = 8

// heartbeat sends every connection a WebSocket ping each PingInterval from
// one shared timer, and closes the connections that left two unanswered.
// Its fields are guarded by Server.mu.
type heartbeat struct {
	s     *Server
	slots [heartbeatSlots]map[*conn]struct{}
	next  int // slot the next connection goes to
	tick  int // slot the next firing pings
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

// fire pings one slot's connections and rearms the timer while there are
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
	for _, c := range conns {
		c.beat()
	}
}

// beat closes c if it left its last two pings unanswered, and otherwise
// pings it again.
func (c *conn) beat() {
	c.mu.Lock()
	closed := c.closed
	c.mu.Unlock()
	if closed {
		return
	}
	if c.missed.Load() >= 2 {
		c.closeAsync(statusPolicyViolation, "no pong to two pings", reasonNoPong)
		return
	}
	c.missed.Add(1)
	c.s.wg.Add(1)
	go func() {
		defer c.s.wg.Done()
		ctx, cancel := context.WithTimeout(context.Background(), c.s.cfg.PingInterval)
		defer cancel()
		if c.ws.Ping(ctx) == nil {
			c.missed.Store(0)
		}
	}()
}
