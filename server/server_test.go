//go:build !wasm

package server

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"go.uber.org/goleak"

	"github.com/loopswithfriends/loops/shared"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// testTimeout bounds every wait of a test client.
const testTimeout = 5 * time.Second

// testServer is a Server behind a real httptest.Server.
type testServer struct {
	*Server
	ts         *httptest.Server
	shrinkNext *atomic.Bool // for dialSmall; nil but on newSmallBufferServer
}

// newTestServer starts a server with cfg; it drains and stops when the test
// ends.
func newTestServer(t *testing.T, cfg Config) *testServer {
	t.Helper()
	s := New(cfg)
	ts := httptest.NewServer(s)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		s.Drain(ctx)
		ts.Close()
	})
	return &testServer{Server: s, ts: ts}
}

// client is a test's WebSocket client.
type client struct {
	t  *testing.T
	ws *websocket.Conn
}

// dial opens a socket to the server.
func (s *testServer) dial(t *testing.T) *client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(s.ts.URL, "http")+"/socket", nil)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	ws.SetReadLimit(1 << 20)
	t.Cleanup(func() { _ = ws.CloseNow() })
	return &client{t: t, ws: ws}
}

// join opens a socket and joins the jam, returning the welcome.
func (s *testServer) join(t *testing.T, jam string) (*client, *shared.Welcome) {
	t.Helper()
	c := s.dial(t)
	return c, c.join(jam, "")
}

// send sends m.
func (c *client) send(m shared.Message) {
	c.t.Helper()
	c.sendRaw(string(shared.MustEncode(m)))
}

// sendRaw sends a text frame.
func (c *client) sendRaw(text string) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	if err := c.ws.Write(ctx, websocket.MessageText, []byte(text)); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

// next returns the next message from the server.
func (c *client) next() shared.Message {
	c.t.Helper()
	m, err := c.read(testTimeout)
	if err != nil {
		c.t.Fatalf("read: %v", err)
	}
	return m
}

func (c *client) read(timeout time.Duration) (shared.Message, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	typ, data, err := c.ws.Read(ctx)
	if err != nil {
		return nil, err
	}
	if typ != websocket.MessageText {
		return nil, errors.New("binary frame from the server")
	}
	return shared.DecodeServer(data)
}

// expect returns the next message, failing unless it is a T.
func expect[T shared.Message](c *client) T {
	c.t.Helper()
	m := c.next()
	v, ok := m.(T)
	if !ok {
		var want T
		c.t.Fatalf("got %T %+v, want %T", m, m, want)
	}
	return v
}

// join sends a join and returns the welcome.
func (c *client) join(jam, resume string) *shared.Welcome {
	c.t.Helper()
	c.send(&shared.Join{Jam: jam, Resume: resume})
	return expect[*shared.Welcome](c)
}

// expectError returns after the next message, failing unless it is an
// error with the code.
func (c *client) expectError(code string) {
	c.t.Helper()
	e := expect[*shared.Error](c)
	if e.Code != code {
		c.t.Fatalf("got error %q (%s), want %q", e.Code, e.Message, code)
	}
}

// expectClose reads until the connection ends, failing unless the server
// closed it with status.
func (c *client) expectClose(status int) {
	c.t.Helper()
	for {
		_, err := c.read(testTimeout)
		if err == nil {
			continue
		}
		if got := websocket.CloseStatus(err); got != websocket.StatusCode(status) {
			c.t.Fatalf("connection ended with %v (status %d), want status %d", err, got, status)
		}
		return
	}
}

// expectQuiet checks that the server sent c nothing it had not answered
// yet: a ping's pong must be the next message.
func (c *client) expectQuiet() {
	c.t.Helper()
	c.send(&shared.Ping{ID: 4242, T0: 1})
	p := expect[*shared.Pong](c)
	if p.ID != 4242 {
		c.t.Fatalf("pong for ping %d, want 4242", p.ID)
	}
}

// getJSON decodes the body of GET path into v and returns the status.
func (s *testServer) getJSON(t *testing.T, path string, v any) int {
	t.Helper()
	res, err := http.Get(s.ts.URL + path)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer res.Body.Close()
	if v != nil {
		if err := json.NewDecoder(res.Body).Decode(v); err != nil {
			t.Fatalf("GET %s: decode: %v", path, err)
		}
	}
	return res.StatusCode
}

// connCount returns the number of connections the server still serves.
func (s *testServer) connCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}

// connOf returns the server's connection that holds the user, or nil.
// connOf returns the server's connection of the user. A client can read its
// welcome a moment before the server has linked the member to the
// connection, so it waits for that.
func (s *testServer) connOf(t *testing.T, user string) *conn {
	t.Helper()
	var found *conn
	waitFor(t, "the connection of "+user, func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		for c := range s.conns {
			if m := c.member.Load(); m != nil && m.id == user {
				found = c
				return true
			}
		}
		return false
	})
	return found
}

// testStats is what the public /api/stats and the admin's /api/jams say.
type testStats struct {
	shared.Stats
	JamSizes map[string]int
}

// stats reads /api/stats over HTTP and every jam's size from the admin
// handler.
func (s *testServer) stats(t *testing.T) testStats {
	t.Helper()
	var st testStats
	s.getJSON(t, "/api/stats", &st.Stats)
	st.JamSizes = s.JamSizes().JamSizes
	return st
}

// waitFor polls cond until it holds or the test times out.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(testTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// fakeClock is a server clock the test sets.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{now: time.Now()} }

// Now returns the clock's time.
func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Set sets the clock's time.
func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// counterValue returns the value of a counter.
func counterValue(t *testing.T, c prometheus.Counter) float64 {
	t.Helper()
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetCounter().GetValue()
}

// httptestServer serves h on a real loopback listener until the test ends,
// and returns its URL.
func httptestServer(t *testing.T, h http.Handler) string {
	t.Helper()
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	return ts.URL
}
