//go:build !wasm

package server

import (
	"context"
	"time"

	"github.com/coder/websocket"
)

// frame is one frame waiting to be written, with the time the server
// received the message that caused it.
type frame struct {
	data []byte
	at   time.Time
}

// send queues data for the connection without ever blocking: a connection
// whose queue is full is closed with 1008. The writer goroutine exists only
// while frames wait, so an idle connection costs no goroutine for writing.
func (c *conn) send(data []byte, at time.Time) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	if len(c.out) >= c.s.cfg.QueueSize {
		c.mu.Unlock()
		c.closeAsync(statusPolicyViolation, "too slow: outgoing queue full", reasonSlow)
		return
	}
	c.out = append(c.out, frame{data, at})
	start := !c.writing
	c.writing = true
	c.mu.Unlock()
	if start {
		c.s.wg.Add(1)
		go c.write()
	}
}

// write writes the queued frames until the queue is empty.
func (c *conn) write() {
	defer c.s.wg.Done()
	for {
		c.mu.Lock()
		batch := c.out
		c.out = nil
		if len(batch) == 0 || c.closed {
			c.writing = false
			c.mu.Unlock()
			return
		}
		c.mu.Unlock()

		for _, f := range batch {
			if err := c.writeFrame(f.data); err != nil {
				// Leave writing set: nothing more is written to this
				// connection, and closing it leaves its jam.
				c.closeAsync(statusPolicyViolation, "write failed", reasonWriteFailed)
				return
			}
			c.s.metrics.out.Inc()
			c.s.metrics.fanout.Observe(time.Since(f.at).Seconds())
		}
	}
}

// writeFrame writes one frame within WriteTimeout. The deadline is each
// frame's own, not the batch's: when the server is short of CPU a batch
// grows, and a client that takes every frame in time is not too slow.
func (c *conn) writeFrame(data []byte) error {
	ctx, cancel := context.WithTimeout(context.Background(), c.s.cfg.WriteTimeout)
	defer cancel()
	return c.ws.Write(ctx, websocket.MessageText, data)
}
