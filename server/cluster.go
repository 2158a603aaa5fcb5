//go:build !wasm

package server

import (
	"errors"
	"time"

	"github.com/coder/websocket"
	"github.com/loopswithfriends/loops/shared"
)

// Cluster is a hub spread over several nodes (server/natshub is the one on
// NATS). With Config.Cluster set, the server keeps doing the sockets (the
// handshake, admission, rate limits, decoding, pings, queues) and hands
// every join, leave, play, stop and swap to the Cluster, which owns the
// jams: who is in which, their loops and playing states, placement and the
// fan-out of events to the members, wherever they are connected. Without
// it, the single-node hub of hub.go does all that in memory.
type Cluster interface {
	// Join places c's user in a jam, as hub.join does: want is "" or a
	// well-formed jam id, resume a token of an earlier welcome or "". It
	// sends the welcome to c and joined to the others. A jam the join
	// creates by its id plays kit; one the balancer creates, the kit the
	// cluster picks. An error is either a *shared.Error for the client or
	// ErrUnavailable.
	Join(c Client, want, resume string, kit *shared.Kit, at time.Time) error
	// Leave takes c's user out of their jam, if c holds one.
	Leave(c Client)
	// Joined reports whether c holds a user in a jam.
	Joined(c Client) bool
	// Play, Stop and Swap act for c's user as in PROTOCOL.md; an error
	// is a *shared.Error for the client or ErrUnavailable.
	Play(c Client, at time.Time) error
	Stop(c Client, at time.Time) error
	Swap(c Client, loop string, at time.Time) error
	// Snapshot returns the last bars bars of c's user's jam as a
	// recording without its id and creation time, as jam.snapshot does.
	Snapshot(c Client, bars int) (*shared.Recording, error)
	// Recorded tells every member of c's user's jam that the user saved
	// the recording.
	Recorded(c Client, rec *shared.Recording)
	// Stats returns the cluster's numbers, read at one instant.
	Stats() shared.Stats
}

// Client is one connection as a Cluster sees it.
type Client interface {
	// Send queues a frame for the client without ever blocking; at is
	// when the server received the message that caused it.
	Send(frame []byte, at time.Time)
	// CloseWith closes the connection with status and reason without
	// waiting, from any goroutine; the connection's Leave follows.
	CloseWith(status int, reason string)
}

// ErrUnavailable is what a Cluster returns when it cannot reach its shared
// state: the client is closed with 1012 (try again later), so that it
// reconnects through the load balancer, to a node that can.
var ErrUnavailable = errors.New("cluster unavailable")

// StatusTryAgainLater closes the sockets of a node that lost the cluster.
const StatusTryAgainLater = 1012

// StatusTakenOver closes a connection whose user a resume took over on
// another node.
const StatusTakenOver = int(statusReplaced)

var _ Client = (*conn)(nil)

// Send queues frame for the client.
func (c *conn) Send(frame []byte, at time.Time) { c.send(frame, at) }

// CloseWith closes the connection with status and reason without waiting.
func (c *conn) CloseWith(status int, reason string) {
	label := reasonUnavailable
	if status == StatusTakenOver {
		label = reasonReplaced
	}
	c.closeAsync(websocket.StatusCode(status), reason, label)
}

// handleClustered acts on one message in cluster mode; it reports false
// when the connection ended.
func (c *conn) handleClustered(cl Cluster, msg shared.Message, at time.Time) bool {
	if join, ok := msg.(*shared.Join); ok {
		if cl.Joined(c) {
			c.sendError(shared.Errorf(shared.CodeAlreadyJoined, "already in a jam"), at)
			return true
		}
		kit, kerr := shared.CheckJoin(join)
		if kerr != nil {
			c.sendError(kerr, at)
			return true
		}
		if c.s.isDraining() {
			c.close(statusGoingAway, "server shutting down", reasonDraining)
			return false
		}
		c.joinStarted()
		err := cl.Join(c, join.Jam, join.Resume, kit, at)
		if errors.Is(err, ErrUnavailable) {
			c.closeUnavailable(shared.TypeJoin, err)
			return false
		}
		if err != nil {
			c.sendErr(err, at)
		} else {
			c.s.metrics.joins.Inc()
		}
		c.joinEnded(err == nil)
		return true
	}
	if !cl.Joined(c) {
		c.sendError(shared.Errorf(shared.CodeNotJoined, "join a jam first"), at)
		return true
	}
	var err error
	switch msg := msg.(type) {
	case *shared.Ping:
		c.send(shared.MustEncode(&shared.Pong{ID: msg.ID, T0: msg.T0, Now: c.s.nowMs()}), at)
	case *shared.Play:
		err = cl.Play(c, at)
	case *shared.Stop:
		err = cl.Stop(c, at)
	case *shared.Swap:
		err = cl.Swap(c, msg.Loop, at)
	case *shared.Record:
		c.record(msg, at,
			func(float64) (*shared.Recording, error) { return cl.Snapshot(c, msg.Bars) },
			func(rec *shared.Recording) { cl.Recorded(c, rec) })
	case *shared.Leave:
		cl.Leave(c)
		c.left()
	}
	switch {
	case errors.Is(err, ErrUnavailable):
		c.closeUnavailable(msg.MessageType(), err)
		return false
	case err != nil:
		c.sendErr(err, at)
	}
	return true
}

// closeUnavailable closes the connection with 1012 after its message (of
// type what) found the cluster unavailable, and logs why: a node closes a
// socket so only when it cannot reach the cluster, or a change of its jam
// could not be written in time.
func (c *conn) closeUnavailable(what string, err error) {
	c.s.log.Warn("closing a socket with 1012", "message", what, "err", err)
	c.close(websocket.StatusCode(StatusTryAgainLater), "cluster unavailable, try again later", reasonUnavailable)
}
