//go:build !wasm

package server

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/loopswithfriends/loops/server/wstest"
	"github.com/loopswithfriends/loops/shared"
)

// dialCounting opens a socket that counts the WebSocket pings it answers.
func (s *testServer) dialCounting(t *testing.T, pings *atomic.Int32) *client {
	t.Helper()
	return s.dialAnswering(t, pings, func(int32) bool { return true })
}

// dialAnswering opens a socket that counts the WebSocket pings it gets and
// answers the nth (from 1) only if answer(n).
func (s *testServer) dialAnswering(t *testing.T, pings *atomic.Int32, answer func(n int32) bool) *client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(s.ts.URL, "http")+"/socket", &websocket.DialOptions{
		OnPingReceived: func(context.Context, []byte) bool { return answer(pings.Add(1)) },
	})
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { _ = ws.CloseNow() })
	return &client{T: t, WS: ws}
}

func TestHeartbeat(t *testing.T) {
	t.Run("a client whose frames prove it alive gets no ping and stays", func(t *testing.T) {
		// A longer interval: a loaded test machine must not stretch the
		// client's gaps to half of it.
		const interval = 2 * time.Second
		s := newTestServer(t, Config{PingInterval: interval})
		var pings atomic.Int32
		a := s.dialCounting(t, &pings)
		a.Join("busy", "")
		// A clock ping every 50 ms, as the app sends one every few
		// seconds: never quiet for half an interval, for an interval
		// and a half.
		begin := time.Now()
		for i := 0; time.Since(begin) < interval*3/2; i++ {
			a.Send(&shared.Ping{ID: int64(i), T0: 1})
			wstest.Expect[*shared.Pong](a)
			time.Sleep(50 * time.Millisecond)
		}
		if n := pings.Load(); n != 0 {
			t.Errorf("the client got %d WebSocket pings, want none", n)
		}
		if n := counterValue(t, s.metrics.pings); n != 0 {
			t.Errorf("loops_pings_total = %v, want 0", n)
		}
		a.ExpectQuiet()
	})

	t.Run("a quiet client that answers pings stays", func(t *testing.T) {
		const interval = 500 * time.Millisecond // room for a late pong on a loaded machine
		s := newTestServer(t, Config{PingInterval: interval})
		var pings atomic.Int32
		a := s.dialCounting(t, &pings)
		a.Join("quiet", "")
		// Reading answers pings; nothing comes for eight intervals.
		if m, err := a.Read(8 * interval); err == nil {
			t.Fatalf("got %T %+v, want nothing", m, m)
		}
		if pings.Load() < 4 {
			t.Errorf("the quiet client got %d WebSocket pings in eight intervals, want at least 4", pings.Load())
		}
		if n := counterValue(t, s.metrics.closes.WithLabelValues(reasonNoPong)); n != 0 {
			t.Fatalf("closes{reason=no_pong} = %v, want 0", n)
		}
	})

	t.Run("a client that sent frames and then went dead is closed one and a half to two and a half intervals after its last frame", func(t *testing.T) {
		const interval = time.Second // gaps of a loaded machine stay under two
		s := newTestServer(t, Config{PingInterval: interval})
		a, _ := s.join(t, "dies")
		b := s.dial(t)
		jb := b.Join("dies", "")
		wstest.Expect[*shared.Joined](a)
		var last time.Time
		for i := range 10 {
			for _, c := range []*client{a, b} {
				if c == b {
					last = time.Now()
				}
				c.Send(&shared.Ping{ID: int64(i), T0: 1})
				wstest.Expect[*shared.Pong](c)
			}
			time.Sleep(50 * time.Millisecond)
		}
		// b neither sends nor reads from now on: it answers no ping. a
		// reads, and so answers its pings.
		if l := wstest.Expect[*shared.Left](a); l.ID != jb.You {
			t.Fatalf("left %s, want %s", l.ID, jb.You)
		}
		// Quiet for half an interval by the beat that finds it, a beat an
		// interval, then two pings of half an interval each.
		d := time.Since(last)
		if d < 3*interval/2 || d > 5*interval/2+2*time.Second {
			t.Errorf("closed %v after its last frame, want one and a half to two and a half intervals (%v to %v)", d, 3*interval/2, 5*interval/2)
		}
		if n := counterValue(t, s.metrics.closes.WithLabelValues(reasonNoPong)); n != 1 {
			t.Fatalf("closes{reason=no_pong} = %v, want 1", n)
		}
		a.ExpectQuiet()
	})

	t.Run("a client whose frames wait unread while the server is behind is neither pinged nor closed", func(t *testing.T) {
		const interval = time.Second
		s := newTestServer(t, Config{PingInterval: interval})
		var pings atomic.Int32
		a := s.dialCounting(t, &pings)
		// The hub's lock held stands for a server short of CPU: a's join
		// waits for it, so a's read loop reads nothing more meanwhile.
		s.hub.mu.Lock()
		a.Send(&shared.Join{Jam: "behind"})
		time.Sleep(interval / 4)
		a.Send(&shared.Ping{ID: 7, T0: 1}) // waits unread in the server's socket
		time.Sleep(4 * interval)
		s.hub.mu.Unlock()
		wstest.Expect[*shared.Welcome](a)
		if p := wstest.Expect[*shared.Pong](a); p.ID != 7 {
			t.Fatalf("pong for ping %d, want 7", p.ID)
		}
		if n := counterValue(t, s.metrics.closes.WithLabelValues(reasonNoPong)); n != 0 {
			t.Fatalf("closes{reason=no_pong} = %v, want 0", n)
		}
		if n := counterValue(t, s.metrics.pings); n != 0 {
			t.Errorf("loops_pings_total = %v, want 0: the client's frame waited unread", n)
		}
		a.ExpectQuiet()
	})

	t.Run("a client that reads but answers no ping is closed after its second unanswered ping", func(t *testing.T) {
		const interval = time.Second
		s := newTestServer(t, Config{PingInterval: interval})
		var pings atomic.Int32
		deaf := s.dialAnswering(t, &pings, func(int32) bool { return false })
		deaf.Join("deaf", "")
		begin := time.Now()
		_, err := deaf.Read(10 * interval)
		if status := websocket.CloseStatus(err); status != websocket.StatusPolicyViolation {
			t.Fatalf("read: %v, want a close with 1008", err)
		}
		if n := pings.Load(); n != missedPings {
			t.Errorf("closed after %d pings, want %d", n, missedPings)
		}
		if d := time.Since(begin); d < 3*interval/2 || d > 5*interval/2+2*time.Second {
			t.Errorf("closed %v after joining, want one and a half to two and a half intervals", d)
		}
		if n := counterValue(t, s.metrics.closes.WithLabelValues(reasonNoPong)); n != 1 {
			t.Fatalf("closes{reason=no_pong} = %v, want 1", n)
		}
	})

	t.Run("a client that answers every other ping stays: one unanswered ping closes nothing", func(t *testing.T) {
		const interval = time.Second
		s := newTestServer(t, Config{PingInterval: interval})
		var pings atomic.Int32
		half := s.dialAnswering(t, &pings, func(n int32) bool { return n%2 == 0 })
		half.Join("half", "")
		if m, err := half.Read(6 * interval); err == nil || websocket.CloseStatus(err) != -1 {
			t.Fatalf("got %T %+v, %v; want nothing and no close", m, m, err)
		}
		if n := pings.Load(); n < 4 {
			t.Errorf("the client got %d pings in six intervals, want at least 4 (two rounds of an unanswered one and an answered one)", n)
		}
		if n := counterValue(t, s.metrics.closes.WithLabelValues(reasonNoPong)); n != 0 {
			t.Fatalf("closes{reason=no_pong} = %v, want 0", n)
		}
	})

	t.Run("by default a silent dead peer is closed within 60 seconds of its last frame", func(t *testing.T) {
		cfg := Config{}.withDefaults()
		// The beat that finds it quiet comes up to an interval and a half
		// after its last frame; each ping waits half an interval.
		if worst := 3*cfg.PingInterval/2 + missedPings*cfg.PingInterval/2; worst > 60*time.Second {
			t.Fatalf("a dead peer may stay %v, want at most 60 s", worst)
		}
	})
}
