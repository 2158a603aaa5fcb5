package app

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/loopswithfriends/loops/shared"
)

// socketConn is one connection of the protocol's socket. In the browser it
// is the browser's own WebSocket (socket_js.go); natively, in the tests, it
// is coder/websocket (socket_native.go). The app does not use
// coder/websocket in the browser: its browser side imports net/http, and
// with it Go's TLS client, a fifth of the WASM.
type socketConn interface {
	// Read returns the next message's frame.
	Read(ctx context.Context) ([]byte, error)
	// Write sends frame as a text message, and never waits long: a dead
	// peer must not wedge a sender.
	Write(ctx context.Context, frame []byte) error
	// CloseNow closes the connection without waiting for the peer.
	CloseNow()
}

// Connection states, the values of #connection's data-state.
const (
	stateConnecting = "connecting"
	stateOnline     = "online"
	stateOffline    = "offline"
	// stateElsewhere: another tab or device took the player's place with
	// the resume token (close 4000); the client stops for good.
	stateElsewhere = "elsewhere"
)

// socketEvent is what the socket client reports: a new connection state, a
// message of the server, or a pong with the local times around it.
type socketEvent struct {
	state string
	msg   shared.Message
	pong  *pongSample
}

type pongSample struct {
	t0, t1, server float64
}

// jamClient keeps the player in a jam over the protocol's socket: it joins,
// answers for the clock with pings, and on a lost connection reconnects by
// itself with backoff and the resume token, so the player keeps their id,
// jam and loop through a blip. Run it in its own goroutine.
type jamClient struct {
	url string
	// now is the local clock, in ms, that pings are stamped with.
	now func() float64
	// emit receives every event; it is called from the client's goroutines.
	emit func(socketEvent)
	// minBackoff and maxBackoff bound the wait between two connection
	// attempts: quick for a blip, patient for a server that is down.
	minBackoff, maxBackoff time.Duration
	// Pings, burstGap apart, start the clock after each welcome, until the
	// page says the clock settled (Settled) or burst of them went: on a
	// jittery link the offset is only as good as the fastest round trips
	// seen, and the player may press Play within seconds, so the first
	// burst is dense (up to 100 pings in 3 s, 33 a second, under the
	// server's 40 messages a second). Then one a second for a while, and
	// one every pingEvery keeps the estimate fresh.
	burst               int
	burstGap, pingEvery time.Duration
	// settled is set once the page's clock settled: the burst ends.
	settled atomic.Bool
	// burstEnd is the index of the first ping after the burst, 0 while it
	// goes on; only the pinging goroutine touches it.
	burstEnd int

	// kit is the kit a join that creates a private jam names ("" for the
	// server's choice); a join into a jam that exists ignores it.
	kit string

	mu     sync.Mutex
	jam    string
	resume string
	out    chan []byte
}

func newJamClient(url, jam, resume string, now func() float64, emit func(socketEvent)) *jamClient {
	return &jamClient{
		url: url, jam: jam, resume: resume, now: now, emit: emit,
		minBackoff: 250 * time.Millisecond, maxBackoff: 5 * time.Second,
		burst: 100, burstGap: 30 * time.Millisecond, pingEvery: 2 * time.Second,
	}
}

// Send queues m for the server. It reports false when there is no
// connection (the player is offline) or the queue is full.
func (c *jamClient) Send(m shared.Message) bool {
	frame, err := shared.Encode(m)
	if err != nil {
		return false
	}
	c.mu.Lock()
	out := c.out
	c.mu.Unlock()
	if out == nil {
		return false
	}
	select {
	case out <- frame:
		return true
	default:
		return false
	}
}

// Run connects and reconnects until ctx is done.
func (c *jamClient) Run(ctx context.Context) {
	backoff := c.minBackoff
	c.emit(socketEvent{state: stateConnecting})
	for ctx.Err() == nil {
		welcomed, err := c.session(ctx)
		if ctx.Err() != nil {
			return
		}
		if closeStatus(err) == shared.StatusTakenOver {
			// Reconnecting would take the player back from the other
			// tab, which would take it back again: tell the player.
			c.emit(socketEvent{state: stateElsewhere})
			return
		}
		c.emit(socketEvent{state: stateOffline})
		if welcomed {
			backoff = c.minBackoff
		}
		// Jitter spreads the reconnects of a whole jam after a restart.
		wait := backoff/2 + rand.N(backoff/2+1)
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		backoff = min(2*backoff, c.maxBackoff)
	}
}

// session runs one connection, from dial to close. It reports whether the
// server welcomed the player.
func (c *jamClient) session(ctx context.Context) (welcomed bool, err error) {
	dialCtx, cancelDial := context.WithTimeout(ctx, 5*time.Second)
	conn, err := dialSocket(dialCtx, c.url)
	cancelDial()
	if err != nil {
		return false, err
	}
	defer conn.CloseNow()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	c.mu.Lock()
	join := &shared.Join{Jam: c.jam, Resume: c.resume, Kit: c.kit}
	out := make(chan []byte, 64)
	c.mu.Unlock()
	if err := conn.Write(ctx, shared.MustEncode(join)); err != nil {
		return false, err
	}

	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	wg.Add(1)
	go func() {
		var id int64
		defer wg.Done()
		defer cancel()
		for {
			select {
			case <-ctx.Done():
				return
			case frame := <-out:
				if frame == nil {
					// A ping, stamped as late as possible so that the
					// time it waited in the queue is not taken for
					// network.
					id++
					frame = shared.MustEncode(&shared.Ping{ID: id, T0: c.now()})
				}
				if conn.Write(ctx, frame) != nil {
					return
				}
			}
		}
	}()

	for {
		frame, err := conn.Read(ctx)
		if err != nil {
			c.setOut(nil)
			return welcomed, err
		}
		t1 := c.now()
		m, err := shared.DecodeServer(frame)
		if err != nil {
			var perr *shared.Error
			if errors.As(err, &perr) {
				continue // a newer server's message type: not ours to read
			}
			c.setOut(nil)
			return welcomed, err
		}
		switch m := m.(type) {
		case *shared.Welcome:
			c.mu.Lock()
			c.jam, c.resume = m.Jam.ID, m.Resume
			c.mu.Unlock()
			c.setOut(out)
			if !welcomed {
				welcomed = true
				wg.Add(1)
				go func() {
					defer wg.Done()
					c.ping(ctx, out)
				}()
			}
			c.emit(socketEvent{msg: m})
			c.emit(socketEvent{state: stateOnline})
		case *shared.Pong:
			c.emit(socketEvent{pong: &pongSample{t0: m.T0, t1: t1, server: m.Now}})
		default:
			c.emit(socketEvent{msg: m})
		}
	}
}

func (c *jamClient) setOut(out chan []byte) {
	c.mu.Lock()
	c.out = out
	c.mu.Unlock()
}

// Settled tells the client that the page's clock settled: its burst of
// pings ends. Safe from any goroutine.
func (c *jamClient) Settled() { c.settled.Store(true) }

// ping sends a ping after each gap of pingGap. A nil frame asks the writer
// for a ping.
func (c *jamClient) ping(ctx context.Context, out chan<- []byte) {
	c.burstEnd = 0
	for i := 0; ; i++ {
		select {
		case out <- nil:
		default:
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(c.pingGap(i)):
		}
	}
}

// pingGap returns the wait after the i-th ping of a connection (from 0):
// the burst until the clock settled, then a ping every second for a while
// (the first samples are often taken while the page is busy starting),
// then one every pingEvery.
func (c *jamClient) pingGap(i int) time.Duration {
	if c.burstEnd == 0 {
		if i < c.burst-1 && !c.settled.Load() {
			return c.burstGap
		}
		c.burstEnd = i + 1
	}
	switch {
	case i < c.burstEnd+9:
		return min(time.Second, c.pingEvery)
	default:
		return c.pingEvery
	}
}

// Jam returns the id of the jam the client is in, or asks for.
func (c *jamClient) Jam() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.jam
}
