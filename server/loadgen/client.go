//go:build !wasm

package loadgen

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/coder/websocket"

	"github.com/loopswithfriends/loops/shared"
)

// role is what a client does during a run.
type role int

const (
	// roleSteady joins, toggles its loop every period and stays.
	roleSteady role = iota
	// roleDropper is a steady client that drops its TCP connection once at
	// a random moment and comes back with its resume token.
	roleDropper
	// The misbehaving roles join, then send one kind of bad input and
	// expect to be closed with the status PROTOCOL.md gives it.
	roleMalformed
	roleOversized
	roleBinary
	roleFlood
)

func (r role) String() string {
	return [...]string{"steady", "dropper", "malformed", "oversized", "binary", "flood"}[r]
}

// wellBehaved reports whether the client follows the protocol, so that its
// view and its deliveries are checked.
func (r role) wellBehaved() bool { return r == roleSteady || r == roleDropper }

// client is one protocol client. Its fields are guarded by mu; the reader
// goroutine of its current session and the scheduler share it.
type client struct {
	idx  int
	role role
	g    *gen

	mu        sync.Mutex
	conn      *wsConn
	session   int  // counts the client's connections
	open      bool // the current session has a welcome and is not closed
	closing   bool // the generator is closing the connection on purpose
	welcomed  chan struct{}
	readDone  chan struct{}
	you       string
	token     string
	jam       string
	timeline  shared.Timeline // the jam's, for telling an event's news by its bar
	welcomeAt time.Time       // when the last welcome arrived
	view      shared.View
	want      bool     // the playing state the client last asked for
	events    []*event // the events this client sent, oldest first
	closeErr  error    // why the last session ended, when the server ended it
	rateErrs  int      // rate_limited errors received
	resumes   int      // successful resumes (same user id)
	lostIDs   int      // resumes that came back with another user id
}

// dial opens a session: the socket, the join, and the welcome. resume is a
// token or empty.
func (c *client) dial(ctx context.Context, resume string) (time.Duration, error) {
	start := time.Now()
	ctx, cancel := context.WithTimeout(ctx, c.g.cfg.JoinTimeout)
	defer cancel()
	c.mu.Lock()
	socket := c.g.socketURL(c.idx + c.session)
	c.mu.Unlock()
	nc, rest, err := dialWS(ctx, c.g.dialer(c.idx/c.g.cfg.ClientsPerIP), socket, c.g.origin(socket))
	if err != nil {
		return 0, fmt.Errorf("dial: %w", err)
	}
	welcomed := make(chan struct{})
	readDone := make(chan struct{})
	c.mu.Lock()
	c.session++
	// Events of an earlier session that nobody heard of are void: they
	// must not take the news of this session's events.
	for _, e := range c.events {
		if !e.barKnown {
			e.failed = true
		}
	}
	session := c.session
	c.open = false
	c.closing = false
	c.closeErr = nil
	c.welcomed = welcomed
	c.readDone = readDone
	c.mu.Unlock()
	conn, err := c.g.poll.open(nc, rest,
		func(typ websocket.MessageType, frame []byte, at time.Time) { c.got(session, welcomed, typ, frame, at) },
		func(err error) { c.ended(session, readDone, err) })
	if err != nil {
		return 0, fmt.Errorf("dial: %w", err)
	}
	c.mu.Lock()
	c.conn = conn
	c.mu.Unlock()

	frame := shared.MustEncode(&shared.Join{Resume: resume})
	if err := conn.Write(ctx, websocket.MessageText, frame); err != nil {
		c.abort(conn)
		return 0, fmt.Errorf("send join: %w", err)
	}
	select {
	case <-welcomed:
		return time.Since(start), nil
	case <-readDone:
		c.abort(conn)
		return 0, fmt.Errorf("closed before welcome: %w", c.lastCloseErr())
	case <-ctx.Done():
		c.abort(conn)
		return 0, fmt.Errorf("no welcome: %w", ctx.Err())
	}
}

// abort closes conn on purpose and waits for its reader.
func (c *client) abort(conn *wsConn) {
	c.mu.Lock()
	done := c.readDone
	if c.conn == conn {
		c.closing = true
		c.open = false
	}
	c.mu.Unlock()
	conn.CloseNow()
	if done != nil {
		<-done
	}
}

func (c *client) lastCloseErr() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closeErr == nil {
		return errors.New("no close status")
	}
	return c.closeErr
}

// got handles a frame of the client's session, as it arrived at.
func (c *client) got(session int, welcomed chan struct{}, typ websocket.MessageType, frame []byte, at time.Time) {
	g := c.g
	if typ != websocket.MessageText {
		g.notef("client %d: a binary frame from the server", c.idx)
		return
	}
	m, ok := decodeToggle(frame)
	var err error
	if !ok {
		m, err = shared.DecodeServer(frame)
	}
	if err != nil {
		g.notef("client %d: undecodable frame %q: %v", c.idx, truncate(frame), err)
		return
	}
	c.handle(m, at, session, welcomed)
}

// ended notes why the client's session ended, and that it did.
func (c *client) ended(session int, done chan struct{}, err error) {
	c.mu.Lock()
	wasOpen := c.open
	onPurpose := c.closing
	if c.session == session {
		c.open = false
		c.closeErr = err
	}
	c.mu.Unlock()
	if !onPurpose {
		c.g.noteClose(c, wasOpen, err)
	}
	close(done)
}

// handle applies one server message to the client's view and, for played
// and stopped, records the delivery.
func (c *client) handle(m shared.Message, now time.Time, session int, welcomed chan struct{}) {
	g := c.g
	var sender string
	var bar int64
	var stop bool
	c.mu.Lock()
	tl, jam := c.timeline, c.jam
	switch m := m.(type) {
	case *shared.Welcome:
		c.view.Apply(m)
		c.you, c.token, c.jam, c.timeline = m.You, m.Resume, m.Jam.ID, m.Jam.Timeline
		me, _ := c.view.Me()
		c.want = me.Playing
		c.welcomeAt = now
		c.open = true
		g.byID.Store(m.You, c)
		close(welcomed)
	case *shared.Played:
		c.view.Apply(m)
		sender, bar = m.ID, m.Bar
	case *shared.Stopped:
		c.view.Apply(m)
		sender, bar, stop = m.ID, m.Bar, true
	case *shared.Joined, *shared.Left, *shared.Swapped:
		c.view.Apply(m)
	case *shared.Error:
		if m.Code == shared.CodeRateLimited {
			c.rateErrs++
		}
		if c.role.wellBehaved() {
			g.notef("client %d (%s, session %d): error %s: %s", c.idx, c.role, c.session, m.Code, m.Message)
		}
	}
	c.mu.Unlock()
	if sender != "" {
		g.deliver(c, session, sender, bar, stop, now, jam, tl)
	}
}

// snapshot returns the client's view of its jam, or ok false when the client
// has no open session.
func (c *client) snapshot() (jam, you string, view map[string]shared.Member, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.open {
		return "", "", nil, false
	}
	return c.jam, c.you, c.view.ByID(), true
}

// close ends the client's session with a normal closure.
func (c *client) close() {
	c.mu.Lock()
	conn := c.conn
	done := c.readDone
	c.closing = true
	c.open = false
	c.mu.Unlock()
	if conn == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	// Leave first so the server frees the place at once; Close then waits
	// for the close handshake (bounded by the library at 5 s).
	_ = conn.Write(ctx, websocket.MessageText, shared.MustEncode(&shared.Leave{}))
	_ = conn.Close(websocket.StatusNormalClosure, "")
	conn.CloseNow()
	if done != nil {
		<-done
	}
}

// decodeToggle decodes the frames that make most of the traffic, played and
// stopped as the hub encodes them ({"type":"played","id":"...","bar":n}),
// without encoding/json: the generator shares the CPU with the server it
// measures. Any other frame gives ok false, for shared.DecodeServer.
func decodeToggle(frame []byte) (shared.Message, bool) {
	var stop bool
	var rest []byte
	if r, ok := bytes.CutPrefix(frame, []byte(`{"type":"played","id":"`)); ok {
		rest = r
	} else if r, ok := bytes.CutPrefix(frame, []byte(`{"type":"stopped","id":"`)); ok {
		rest, stop = r, true
	} else {
		return nil, false
	}
	id, rest, ok := bytes.Cut(rest, []byte(`","bar":`))
	if !ok || bytes.ContainsAny(id, `"\`) {
		return nil, false
	}
	num, ok := bytes.CutSuffix(rest, []byte("}"))
	if !ok {
		return nil, false
	}
	bar, err := strconv.ParseInt(string(num), 10, 64)
	if err != nil {
		return nil, false
	}
	if stop {
		return &shared.Stopped{ID: string(id), Bar: bar}, true
	}
	return &shared.Played{ID: string(id), Bar: bar}, true
}

func truncate(b []byte) []byte {
	if len(b) > 80 {
		return b[:80]
	}
	return b
}
