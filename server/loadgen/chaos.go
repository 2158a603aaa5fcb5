//go:build !wasm

package loadgen

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"

	"github.com/loopswithfriends/loops/shared"
)

// chaosRun is the chaos of one run: droppers that come back with resume,
// and clients that send bad input.
type chaosRun struct {
	g  *gen
	wg sync.WaitGroup

	mu  sync.Mutex
	rep ChaosReport
}

// expectedStatus is the close status PROTOCOL.md gives each bad input.
var expectedStatus = map[role]int{
	roleMalformed: shared.StatusInvalidPayload,
	roleOversized: shared.StatusMessageTooBig,
	roleBinary:    shared.StatusUnsupportedData,
	roleFlood:     shared.StatusPolicyViolation,
}

// malformedFrames are frames the server must close with 1007.
var malformedFrames = [][]byte{
	[]byte(`{"type":"play"`),
	[]byte(`not json`),
	[]byte(`{"type":7}`),
	[]byte(`{"kind":"play"}`),
	[]byte(`{"type":"swap","loop":5}`),
	[]byte(`["play"]`),
}

// startChaos schedules every dropper's drop and every misbehaving client's
// bad input at random moments in the first 60% of the run.
func (g *gen) startChaos(ctx context.Context, start time.Time) *chaosRun {
	ch := &chaosRun{g: g}
	ch.rep.Misbehaving = map[string]*MisbehaveResult{}
	window := int64(g.cfg.Duration) * 6 / 10
	for _, c := range g.clients {
		c.mu.Lock()
		open := c.open
		c.mu.Unlock()
		if c.role == roleSteady || !open {
			continue
		}
		at := time.Duration(int64(g.cfg.Duration)/10 + g.rng.Int64N(max(1, window-int64(g.cfg.Duration)/10)))
		down := 200*time.Millisecond + time.Duration(g.rng.Int64N(int64(2800*time.Millisecond)))
		variant := g.rng.IntN(len(malformedFrames))
		ch.wg.Add(1)
		go func() {
			defer ch.wg.Done()
			t := time.NewTimer(time.Until(start.Add(at)))
			defer t.Stop()
			select {
			case <-t.C:
			case <-ctx.Done():
				return
			}
			if c.role == roleDropper {
				ch.dropAndResume(ctx, c, down)
			} else {
				ch.misbehave(ctx, c, variant)
			}
		}()
	}
	return ch
}

// dropAndResume closes the client's TCP connection without a close frame,
// waits, and joins again with its resume token.
func (ch *chaosRun) dropAndResume(ctx context.Context, c *client, down time.Duration) {
	c.mu.Lock()
	conn, you, token := c.conn, c.you, c.token
	c.mu.Unlock()
	c.abort(conn)
	ch.mu.Lock()
	ch.rep.Drops++
	ch.mu.Unlock()
	select {
	case <-time.After(down):
	case <-ctx.Done():
		return
	}
	var err error
	for attempt := range 3 {
		if _, err = c.dial(ctx, token); err == nil {
			break
		}
		time.Sleep(time.Duration(attempt+1) * 200 * time.Millisecond)
	}
	ch.mu.Lock()
	defer ch.mu.Unlock()
	if err != nil {
		ch.rep.ResumeFailed++
		if len(ch.rep.Problems) < 10 {
			ch.rep.Problems = append(ch.rep.Problems, fmt.Sprintf("client %d could not come back: %v", c.idx, err))
		}
		return
	}
	c.mu.Lock()
	same := c.you == you
	c.mu.Unlock()
	if same {
		ch.rep.Resumed++
	} else {
		ch.rep.NewIdentity++
		if len(ch.rep.Problems) < 10 {
			ch.rep.Problems = append(ch.rep.Problems, fmt.Sprintf("client %d resumed within %s as a new user", c.idx, down.Round(time.Millisecond)))
		}
	}
}

// misbehave sends the client's kind of bad input, waits for the server to
// close the connection, and records the status it got.
func (ch *chaosRun) misbehave(ctx context.Context, c *client, variant int) {
	c.mu.Lock()
	conn, done := c.conn, c.readDone
	c.mu.Unlock()
	wctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	switch c.role {
	case roleMalformed:
		_ = conn.Write(wctx, websocket.MessageText, malformedFrames[variant])
	case roleOversized:
		pad := strings.Repeat("x", shared.MaxFrameBytes+100)
		_ = conn.Write(wctx, websocket.MessageText, []byte(`{"type":"ping","id":1,"t0":0,"pad":"`+pad+`"}`))
	case roleBinary:
		_ = conn.Write(wctx, websocket.MessageBinary, []byte(`{"type":"ping","id":1,"t0":0}`))
	case roleFlood:
		// 100 pings a second, well over the limit of 40, until the server
		// closes the connection (it must within about 5 s) or 12 s pass.
		// A late tick catches up, so that a starved generator still
		// floods.
		t := time.NewTicker(10 * time.Millisecond)
		start := time.Now()
		stop := time.After(12 * time.Second)
		var sent int64
	flood:
		for {
			select {
			case <-t.C:
			case <-stop:
				break flood
			case <-done:
				break flood
			case <-ctx.Done():
				break flood
			}
			for due := int64(time.Since(start) / (10 * time.Millisecond)); sent < due; sent++ {
				frame := shared.MustEncode(&shared.Ping{ID: sent, T0: float64(time.Now().UnixMilli())})
				if conn.Write(wctx, websocket.MessageText, frame) != nil {
					break flood
				}
			}
		}
		t.Stop()
	}
	got := "not closed"
	select {
	case <-done:
		got = closeReason(c.lastCloseErr())
	case <-time.After(10 * time.Second):
	case <-ctx.Done():
	}
	c.abort(conn)
	c.mu.Lock()
	rateErrs := c.rateErrs
	c.mu.Unlock()

	ch.mu.Lock()
	defer ch.mu.Unlock()
	res := ch.rep.Misbehaving[c.role.String()]
	if res == nil {
		res = &MisbehaveResult{Expected: fmt.Sprintf("status %d", expectedStatus[c.role]), Got: map[string]int{}}
		ch.rep.Misbehaving[c.role.String()] = res
	}
	res.Clients++
	res.Got[got]++
	if got == res.Expected {
		res.AsExpected++
	}
	if c.role == roleFlood {
		res.RateLimitedErrors += rateErrs
	}
}

// wait waits for every scheduled drop and bad input to be over.
func (ch *chaosRun) wait() *ChaosReport {
	ch.wg.Wait()
	ch.mu.Lock()
	defer ch.mu.Unlock()
	rep := ch.rep
	return &rep
}
