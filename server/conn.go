//go:build !wasm

package server

import (
	"context"
	"errors"
	"io"
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
	// over (see hub.takeover): the session goes on elsewhere, so the
	// client must not reconnect by itself but tell its user.
	statusReplaced = websocket.StatusCode(shared.StatusTakenOver)
	replacedReason = "taken over"
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
	addr  string        // the client's address, for the socket and resume limits
	born  time.Time
	rate  rateLimiter // read loop only
	joins rateLimiter // read loop only

	// When the last rate_limited for a ping went out (read loop only).
	pingLimited   bool
	pingLimitedAt time.Duration
	token         string // guarded by hub.mu
	slot          int    // guarded by Server.mu

	// noJoin closes the connection unless it is in a jam by the join
	// timeout; the first join that places the user stops it.
	noJoin  *time.Timer // set under mu
	joinBy  time.Time   // when the join timeout runs out; guarded by mu
	inJam   atomic.Bool // a join placed the user, here or in the cluster
	joining atomic.Bool // a join is on its way (joinStarted)

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

func newConn(s *Server, ws *websocket.Conn, sock *socketWriter, addr string) *conn {
	c := &conn{
		s: s, ws: ws, sock: sock, addr: addr, born: time.Now(),
		rate:    newRateLimiter(s.cfg.RateLimit, s.cfg.RateWindow, s.cfg.RateLimitGrace),
		joins:   newRateLimiter(s.cfg.JoinLimit, s.cfg.JoinWindow, 0),
		records: newRateLimiter(s.cfg.RecordRate, s.cfg.RecordWindow, 0),
	}
	// A timer, not a goroutine: an idle socket costs no stack. It counts
	// from the socket's opening (and again from a leave), and only a join
	// that places the user stops it: a socket cannot sit out of every jam
	// by sending joins that fail.
	// markClosed reads the timer under c.mu, maybe on the timer's own
	// goroutine: it is set under c.mu too.
	c.mu.Lock()
	c.joinBy = c.born.Add(s.cfg.JoinTimeout)
	c.noJoin = time.AfterFunc(s.cfg.JoinTimeout, c.joinTimedOut)
	c.mu.Unlock()
	return c
}

// joinTimedOut closes the connection with 1008, unless a join placed the
// user or one is on its way: a join that takes the cluster longer than
// the timeout is the server's delay, not the client's, and the join's end
// decides (joinEnded).
func (c *conn) joinTimedOut() {
	if !c.inJam.Load() && !c.joining.Load() {
		c.closeAsync(statusPolicyViolation, "no join within "+c.s.cfg.JoinTimeout.String(), reasonNoJoin)
	}
}

// joinStarted notes that a join is on its way: the join timeout waits for
// its end.
func (c *conn) joinStarted() { c.joining.Store(true) }

// lateJoinGrace is how long a socket whose join failed after its join
// timeout ran out stays open: long enough to get the join's error (a close
// drops the frames still queued) and send another join.
const lateJoinGrace = time.Second

// joinEnded notes the end of a join, and whether it placed the user. One
// that placed the user ends the join timeout; one that did not gives it
// back its deadline, or lateJoinGrace when the timeout ran out while the
// join was on its way.
func (c *conn) joinEnded(placed bool) {
	if placed {
		c.inJam.Store(true)
		c.joining.Store(false)
		c.noJoin.Stop()
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.joining.Store(false)
	if !c.closed {
		c.noJoin.Reset(max(time.Until(c.joinBy), lateJoinGrace))
	}
}

// left notes that the user left their jam: the join timeout starts again,
// so that a socket cannot stay open in no jam by joining once and leaving.
func (c *conn) left() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return
	}
	c.inJam.Store(false)
	c.joinBy = time.Now().Add(c.s.cfg.JoinTimeout)
	c.noJoin.Reset(c.s.cfg.JoinTimeout)
}

// onPing counts a WebSocket ping frame toward the message rate, as the
// library reads it inside serve's Read; it reports whether to answer it.
//
// A flood of pings costs the server a read each and nothing more: the
// excess gets one rate_limited a window, not one each, so that a flood of
// 6-byte pings cannot make the server write a flood of errors.
func (c *conn) onPing() bool {
	at := time.Now()
	c.heard(at)
	c.s.metrics.in.Inc()
	since := at.Sub(c.born)
	if c.rate.allow(since) {
		return true
	}
	if c.rate.excess(since) {
		// Inside Read: the close must not wait for the read loop.
		c.closeAsync(statusPolicyViolation, rateClosedReason, reasonRateLimited)
		return false
	}
	if !c.pingLimited || since-c.pingLimitedAt >= c.s.cfg.RateWindow {
		c.pingLimited, c.pingLimitedAt = true, since
		c.sendError(shared.Errorf(shared.CodeRateLimited, "more than %d messages in %v (pings count)", c.s.cfg.RateLimit, c.s.cfg.RateWindow), at)
	}
	return false
}

const rateClosedReason = "rate limit exceeded for too long"

// allow reports whether a frame received at at is within the message rate.
// Beyond it, the client gets rate_limited, or once it kept that up for the
// grace period, tooLong: the connection must be closed with 1008.
func (c *conn) allow(at time.Time) (ok, tooLong bool) {
	since := at.Sub(c.born)
	if c.rate.allow(since) {
		return true, false
	}
	if c.rate.excess(since) {
		return false, true
	}
	c.sendError(shared.Errorf(shared.CodeRateLimited, "more than %d messages in %v", c.s.cfg.RateLimit, c.s.cfg.RateWindow), at)
	return false, false
}

// serve reads the client's messages until the connection ends. Each is
// handled on a goroutine of its own while the read loop waits for it: the
// read loop's goroutine, which every open connection keeps parked in a read,
// so never goes deeper than the library's read, and its stack stays at 4 KB
// instead of the 8 KB that decoding, the hub and encoding grow a stack to.
// A goroutine per message costs a microsecond; the stack of every idle
// connection costs 4 KB.
//
// A frame is read into a buffer of frameBuffers, not one allocated for it
// (as the library's Read does): nothing keeps a frame's bytes once receive
// returned (the decoder copies what it keeps), and the collector has an
// allocation fewer a frame to make up for.
func (c *conn) serve() {
	for {
		typ, buf, err := readFrame(c.ws)
		at := time.Now()
		if err != nil {
			c.readFailed(err)
			return
		}
		done := make(chan bool, 1)
		go func() { done <- c.receive(typ, *buf, at) }()
		ok := <-done
		if cap(*buf) <= maxPooledFrame {
			*buf = (*buf)[:0]
			frameBuffers.Put(buf)
		}
		if !ok {
			return
		}
	}
}

// maxPooledFrame is the largest buffer frameBuffers keeps: client frames
// are small, and a rare large one's buffer is left to the collector.
const maxPooledFrame = 4 << 10

// frameBuffers hold frames from their read until receive returned. A
// connection takes one once a frame began to arrive, not while its read
// waits: an idle connection holds none.
var frameBuffers = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}

// readFrame reads the next message of ws into a buffer of frameBuffers, as
// ws.Read does into a slice of its own.
func readFrame(ws *websocket.Conn) (websocket.MessageType, *[]byte, error) {
	typ, r, err := ws.Reader(context.Background())
	if err != nil {
		return 0, nil, err
	}
	buf := frameBuffers.Get().(*[]byte)
	b := (*buf)[:0]
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			*buf = b
			return typ, buf, nil
		}
		if err != nil {
			*buf = b[:0]
			frameBuffers.Put(buf)
			return 0, nil, err
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
	if ok, tooLong := c.allow(at); tooLong {
		c.close(statusPolicyViolation, rateClosedReason, reasonRateLimited)
		return false
	} else if !ok {
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
	// Every join counts, whatever becomes of it: joining and leaving
	// makes each other member see joined and left.
	if _, ok := msg.(*shared.Join); ok && !c.joins.allow(at.Sub(c.born)) {
		c.sendError(shared.Errorf(shared.CodeRateLimited, "more than %d joins in %v", c.s.cfg.JoinLimit, c.s.cfg.JoinWindow), at)
		return true
	}
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
		c.record(msg, at,
			func(now float64) (*shared.Recording, error) { return m.jam.snapshot(m, c, msg.Bars, now) },
			func(rec *shared.Recording) {
				m.jam.announce(shared.MustEncode(&shared.Recorded{ID: rec.ID, By: m.id, Bars: rec.Bars}), at)
			})
	case *shared.Leave:
		c.s.hub.leave(c)
		c.left()
	}
	return true
}

func (c *conn) join(join *shared.Join, at time.Time) bool {
	if c.member.Load() != nil {
		c.sendError(shared.Errorf(shared.CodeAlreadyJoined, "already in a jam"), at)
		return true
	}
	kit, kerr := shared.CheckJoin(join)
	if kerr != nil {
		c.sendError(kerr, at)
		return true
	}
	c.joinStarted()
	err := c.s.hub.join(c, join.Jam, join.Resume, kit, at)
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
	c.joinEnded(err == nil)
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
	c.noJoin.Stop()
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
