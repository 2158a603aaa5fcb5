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

// spareFrames is the largest queue a connection keeps for its next frames
// once it was written: most batches are of one frame, and a queue kept
// saves an allocation a delivered frame (the collector's work) for 32 bytes
// a connection.
const spareFrames = 4

// write writes the queued frames until the queue is empty.
func (c *conn) write() {
	defer c.s.wg.Done()
	var spent []frame // the last batch written, emptied: the next queue
	for {
		c.mu.Lock()
		batch := c.out
		c.out = nil
		if cap(spent) <= spareFrames && !c.closed {
			c.out = spent[:0]
		}
		if len(batch) == 0 || c.closed {
			c.writing = false
			c.mu.Unlock()
			return
		}
		c.mu.Unlock()

		if err := c.writeBatch(batch); err != nil {
			// Leave writing set: nothing more is written to this
			// connection, and closing it leaves its jam.
			c.closeAsync(statusPolicyViolation, "write failed", reasonWriteFailed)
			return
		}
		now := time.Now()
		c.s.metrics.out.Add(float64(len(batch)))
		for _, f := range batch {
			c.s.metrics.fanout.Observe(now.Sub(f.at).Seconds())
		}
		clear(batch) // the frames' bytes are not kept for the next queue
		spent = batch
	}
}

// writeBatch writes the frames. More than one go out corked, in as few
// write(2)s as they fit. Each write(2) has its own deadline, WriteTimeout
// (see socketWriter), not the batch: when the server is short of CPU a
// batch grows, and a client that takes every write in time is not too slow.
func (c *conn) writeBatch(batch []frame) (err error) {
	if len(batch) > 1 {
		c.sock.cork()
		defer func() {
			if uerr := c.sock.uncork(); err == nil {
				err = uerr
			}
		}()
	}
	for _, f := range batch {
		if err := c.ws.Write(context.Background(), websocket.MessageText, f.data); err != nil {
			return err
		}
	}
	return nil
}
