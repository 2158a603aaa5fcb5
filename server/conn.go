//go:build !wasm

package server

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/coder/websocket"
	"github.com/loopswithfriends/loops/shared"
)

// The close statuses the hub sends.
const (
	statusGoingAway       = websocket.StatusCode(shared.StatusGoingAway)
	statusUnsupportedData = websocket.StatusCode(shared.StatusUnsupportedData)
	statusPolicyViolation = websocket.StatusCode(shared.StatusPolicyViolation)

	// statusReplaced closes a connection whose user a new connection took
	// over (see hub.takeover). It is 1000, a normal closure, and not 1008:
	// the old connection did nothing wrong, its session simply goes on
	// elsewhere, and 1008 means misbehaviour to clients, to the load
	// generator's checks and to whoever reads the close metrics. 1001 would
	// read as the server going away. The reason says what happened.
	statusReplaced = websocket.StatusNormalClosure
	replacedReason = "replaced by a new connection"
)

// maxCloseReason is the longest close reason a close frame carries.
const maxCloseReason = 123

// conn is one client's connection. Its read loop runs on a goroutine of its
// own and is the only reader (each message is handled on a goroutine of its
// own while the loop waits: see serve); frames to the client go through send.
type conn struct {
	s     *Server
	ws    *websocket.Conn
	sock  *socketWriter // under ws's writes
	born  time.Time
	rate  rateLimiter // read loop only
	token string      // guarded by hub.mu
	slot  int         // guarded by Server.mu

	// records limits the recordings the client asks for; read loop only.
	records rateLimiter

	member    atomic.Pointer[member] // nil while not in a jam, or once taken over
	lastHeard atomic.Int64           // since born: the last frame or pong from the client
	pinging   atomic.Bool            // a WebSocket ping waits for its pong

	mu      sync.Mutex // guards what follows
	out     []frame
	writing bool
	closed  bool
}

func newConn(s *Server, ws *websocket.Conn, sock *socketWriter) *conn {
	return &conn{s: s, ws: ws, sock: sock, born: time.Now(), rate: newRateLimiter(s.cfg),
		records: rateLimiter{limit: s.cfg.RecordRate, window: s.cfg.RecordWindow}}
}

// serve reads the client's messages until the connection ends. Each is
// handled on a goroutine of its own while the read loop waits for it: the
// read loop's goroutine, which every open connection keeps parked in a read,
// so never goes deeper than the library's read, and its stack stays at 4 KB
// instead of the 8 KB that decoding, the hub and encoding grow a stack to.
// A goroutine per message costs a microsecond; the stack of every idle
// connection costs 4 KB.
func (c *conn) serve() {
	for {
		typ, data, err := c.ws.Read(context.Background())
		at := time.Now()
		if err != nil {
			c.readFailed(err)
			return
		}
		done := make(chan bool, 1)
		go func() { done <- c.receive(typ, data, at) }()
		if !<-done {
			return
		}
	}
}

// receive acts on one frame received at at; it reports false when the
// connection ended.
func (c *conn) receive(typ websocket.MessageType, data []byte, at time.Time) bool {
	c.heard(at)
	c.s.metrics.in.Inc()
	if typ != websocket.MessageText {
		c.close(statusUnsupportedData, "binary frames are not accepted", reasonBinary)
		return false
	}
	if since := at.Sub(c.born); !c.rate.allow(since) {
		if c.rate.excess(since) {
			c.close(statusPolicyViolation, "rate limit exceeded for too long", reasonRateLimited)
			return false
		}
		c.sendError(shared.Errorf(shared.CodeRateLimited, "more than %d messages in %v", c.s.cfg.RateLimit, c.s.cfg.RateWindow), at)
		return true
	}
	msg, err := shared.DecodeClient(data)
	if err != nil {
		var bad *shared.BadFrameError
		if errors.As(err, &bad) {
			c.close(websocket.StatusCode(bad.Status), bad.Reason, reasonBadFrame)
			return false
		}
		c.sendErr(err, at)
		return true
	}
	return c.handle(msg, at)
}

// handle acts on one message; it reports false when the connection ended.
func (c *conn) handle(msg shared.Message, at time.Time) bool {
	if cl := c.s.cfg.Cluster; cl != nil {
		return c.handleClustered(cl, msg, at)
	}
	if join, ok := msg.(*shared.Join); ok {
		return c.join(join, at)
	}
	m := c.member.Load()
	if m == nil {
		c.sendError(shared.Errorf(shared.CodeNotJoined, "join a jam first"), at)
		return true
	}
	switch msg := msg.(type) {
	case *shared.Ping:
		c.send(shared.MustEncode(&shared.Pong{ID: msg.ID, T0: msg.T0, Now: c.s.nowMs()}), at)
	case *shared.Play:
		m.jam.play(m, c, c.s.nowMs(), at)
	case *shared.Stop:
		m.jam.stop(m, c, c.s.nowMs(), at)
	case *shared.Swap:
		if err := m.jam.swap(m, c, msg.Loop, c.s.nowMs(), at); err != nil {
			c.sendErr(err, at)
		}
	case *shared.Record:
		c.record(m, msg, at)
	case *shared.Leave:
		c.s.hub.leave(c)
	}
	return true
}

func (c *conn) join(join *shared.Join, at time.Time) bool {
	if c.member.Load() != nil {
		c.sendError(shared.Errorf(shared.CodeAlreadyJoined, "already in a jam"), at)
		return true
	}
	if join.Jam != "" && !shared.ValidJamID(join.Jam) {
		c.sendError(shared.Errorf(shared.CodeBadJam, "a jam id is 1 to %d letters, digits, '_' or '-'", shared.MaxJamIDLen), at)
		return true
	}
	err := c.s.hub.join(c, join.Jam, join.Resume, at)
	if errors.Is(err, errDraining) {
		c.close(statusGoingAway, "server shutting down", reasonDraining)
		return false
	}
	if errors.Is(err, errClosed) {
		return true // the next read fails, and ends the connection
	}
	if err != nil {
		c.sendErr(err, at)
	}
	return true
}

func (c *conn) sendError(e *shared.Error, at time.Time) {
	c.send(shared.MustEncode(e), at)
}

// sendErr sends err as an error frame; it is always a *shared.Error.
func (c *conn) sendErr(err error, at time.Time) {
	var e *shared.Error
	if !errors.As(err, &e) {
		e = shared.Errorf(shared.CodeUnknownType, "%v", err)
	}
	c.sendError(e, at)
}

// readFailed ends the connection after a failed read: the client closed or
// went away, the frame was too big, or the server closed the connection.
func (c *conn) readFailed(err error) {
	reason := reasonClient
	if errors.Is(err, websocket.ErrMessageTooBig) {
		// The library has sent the 1009 close frame already.
		reason = reasonTooBig
	}
	c.markClosed(reason)
	c.s.hub.leave(c)
	_ = c.ws.CloseNow()
}

// isClosed reports whether c was closed or is being closed.
func (c *conn) isClosed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closed
}

// markClosed stops all writing to c and reports whether it was the first
// call, counting the close under reason.
func (c *conn) markClosed(reason string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return false
	}
	c.closed = true
	c.out = nil
	c.s.metrics.closes.WithLabelValues(reason).Inc()
	return true
}

// close leaves the jam, then closes the connection with status and reason,
// waiting for the close handshake. Only the read loop (through receive) calls it.
func (c *conn) close(status websocket.StatusCode, reason, label string) {
	first := c.markClosed(label)
	c.s.hub.leave(c)
	if !first {
		// closeAsync got here first (Drain, the heartbeat, a slow
		// queue, a takeover) and is closing the socket with its own
		// status, reading the client's close frame itself once this
		// read loop is gone; cutting the socket now would lose it.
		return
	}
	_ = c.ws.Close(status, truncateReason(reason))
	_ = c.ws.CloseNow()
}

// closeAsync is close for any goroutine, even one holding a jam's or the
// hub's lock: it returns at once and never blocks on the client.
func (c *conn) closeAsync(status websocket.StatusCode, reason, label string) {
	if !c.markClosed(label) {
		return
	}
	c.s.wg.Add(1)
	go func() {
		defer c.s.wg.Done()
		c.s.hub.leave(c)
		_ = c.ws.Close(status, truncateReason(reason))
	}()
}

// truncateReason cuts reason to what a close frame carries, on a rune
// boundary.
func truncateReason(reason string) string {
	if len(reason) <= maxCloseReason {
		return reason
	}
	cut := maxCloseReason
	for cut > 0 && !utf8.RuneStart(reason[cut]) {
		cut--
	}
	return reason[:cut]
}
