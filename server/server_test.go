//go:build !wasm

package server

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"go.uber.org/goleak"

	"github.com/loopswithfriends/loops/server/wstest"
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

// client is the tests' protocol client.
type client = wstest.Client

// dial opens a socket to the server.
func (s *testServer) dial(t *testing.T) *client {
	t.Helper()
	return wstest.Dial(t, "ws"+strings.TrimPrefix(s.ts.URL, "http")+"/socket")
}

// join opens a socket and joins the jam, returning the welcome.
func (s *testServer) join(t *testing.T, jam string) (*client, *shared.Welcome) {
	t.Helper()
	c := s.dial(t)
	return c, c.Join(jam, "")
}

// getJSON decodes the body of GET path into v and returns the status.
func (s *testServer) getJSON(t *testing.T, path string, v any) int {
	t.Helper()
	return wstest.GetJSON(t, s.ts.URL+path, v)
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
	wstest.WaitFor(t, "the connection of "+user, func() bool {
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
