//go:build !wasm

package server

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/loopswithfriends/loops/server/wstest"
	"github.com/loopswithfriends/loops/shared"
)

// smallBufferListener gives the connection it accepts after shrinkNext the
// smallest socket send buffer, so that a client that does not read blocks
// the server's writes after a few kilobytes instead of megabytes.
type smallBufferListener struct {
	net.Listener
	shrinkNext *atomic.Bool
}

func (l smallBufferListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if tc, ok := c.(*net.TCPConn); ok && l.shrinkNext.Swap(false) {
		_ = tc.SetWriteBuffer(1)
	}
	return c, err
}

// dialSmall opens a socket whose receive buffer is the smallest there is.
func (s *testServer) dialSmall(t *testing.T) *client {
	t.Helper()
	s.shrinkNext.Store(true)
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	dialer := &net.Dialer{}
	hc := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := dialer.DialContext(ctx, network, addr)
		if tc, ok := c.(*net.TCPConn); ok {
			_ = tc.SetReadBuffer(1)
		}
		return c, err
	}}}
	ws, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(s.ts.URL, "http")+"/socket", &websocket.DialOptions{HTTPClient: hc})
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { _ = ws.CloseNow() })
	return &client{T: t, WS: ws}
}

func newSmallBufferServer(t *testing.T, cfg Config) *testServer {
	t.Helper()
	s := New(cfg)
	ts := httptest.NewUnstartedServer(s)
	shrink := new(atomic.Bool)
	ts.Listener = smallBufferListener{ts.Listener, shrink}
	ts.Start()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		s.Drain(ctx)
		ts.Close()
	})
	return &testServer{Server: s, ts: ts, shrinkNext: shrink}
}

func TestSlowConsumer(t *testing.T) {
	t.Run("a client that never reads is closed and the others keep getting messages at once", func(t *testing.T) {
		s := newSmallBufferServer(t, Config{QueueSize: 32, RateLimit: 100000})
		a, wa := s.join(t, "slow")
		b, _ := s.join(t, "slow")
		wstest.Expect[*shared.Joined](a)
		slow := s.dialSmall(t)
		slow.Send(&shared.Join{Jam: "slow"}) // and never reads again
		wstest.Expect[*shared.Joined](a)
		jb := wstest.Expect[*shared.Joined](b)

		// a plays and stops in lockstep with b, so that a's and b's queues
		// stay short while the slow client's fills; b must get every frame
		// at once, and the slow client must be dropped on the way.
		const toggles = 600
		var worst time.Duration
		sawLeft := false
		for i := 0; i < toggles; i++ {
			sent := time.Now()
			if i%2 == 0 {
				a.Send(&shared.Play{})
			} else {
				a.Send(&shared.Stop{})
			}
			for {
				m := b.Next()
				if l, ok := m.(*shared.Left); ok {
					if l.ID != jb.Member.ID {
						t.Fatalf("left %s, want the slow %s", l.ID, jb.Member.ID)
					}
					sawLeft = true
					continue
				}
				switch m := m.(type) {
				case *shared.Played:
					if m.ID != wa.You {
						t.Fatalf("played %+v", m)
					}
				case *shared.Stopped:
					if m.ID != wa.You {
						t.Fatalf("stopped %+v", m)
					}
				default:
					t.Fatalf("b got %T", m)
				}
				break
			}
			if d := time.Since(sent); d > worst {
				worst = d
			}
			for {
				if _, ok := a.Next().(*shared.Left); !ok {
					break
				}
			}
		}
		if !sawLeft {
			m := b.Next()
			if l, ok := m.(*shared.Left); !ok || l.ID != jb.Member.ID {
				t.Fatalf("got %T %+v, want the slow client's left", m, m)
			}
		}
		if worst > time.Second {
			t.Errorf("a frame took %v to reach b", worst)
		}
		t.Logf("worst delay to b over %d frames: %v", toggles, worst)
		if got := counterValue(t, s.metrics.closes.WithLabelValues(reasonSlow)); got != 1 {
			t.Fatalf("closes{reason=slow} = %v, want 1", got)
		}
		if st := s.stats(t); st.Users != 2 {
			t.Fatalf("stats %+v", st)
		}
	})

	t.Run("a client that answers no pings is closed and the others see it leave", func(t *testing.T) {
		// Room for a's pongs on a loaded machine: each ping waits half
		// an interval.
		const interval = 300 * time.Millisecond
		s := newTestServer(t, Config{PingInterval: interval})
		a, _ := s.join(t, "quiet")
		deaf := s.dial(t)
		deaf.Send(&shared.Join{Jam: "quiet"}) // and never reads, so never answers a ping
		j := wstest.Expect[*shared.Joined](a)
		start := time.Now()
		// a reads all along, so it answers every ping and stays.
		if l := wstest.Expect[*shared.Left](a); l.ID != j.Member.ID {
			t.Fatalf("left %s, want %s", l.ID, j.Member.ID)
		}
		if d := time.Since(start); d < interval || d > 5*interval/2+2*time.Second {
			t.Errorf("closed after %v, want after two unanswered pings (one and a half to two and a half intervals)", d)
		}
		if got := counterValue(t, s.metrics.closes.WithLabelValues(reasonNoPong)); got != 1 {
			t.Fatalf("closes{reason=no_pong} = %v, want 1", got)
		}
		a.ExpectQuiet()
	})
}
