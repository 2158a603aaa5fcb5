//go:build !wasm

// Package wstest is the tests' protocol client: a real WebSocket to a real
// server, reading and writing PROTOCOL.md's messages through shared, and
// failing the test on anything unexpected. The single-node hub's tests and
// the cluster's use the same one.
package wstest

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"net/http"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/loopswithfriends/loops/shared"
)

// Timeout bounds every wait of a Client.
const Timeout = 10 * time.Second

// Client is a test's protocol client. It keeps its view of its jam from
// every frame it reads, so that tests can compare views.
type Client struct {
	T  testing.TB
	WS *websocket.Conn
	// Welcome is the last welcome read.
	Welcome *shared.Welcome
	// View is the jam as the frames read so far tell it.
	View shared.View
}

// Dial opens a socket to url (ws://host/socket); it is closed when the
// test ends.
func Dial(t testing.TB, url string) *Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), Timeout)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, url, nil)
	if err != nil {
		t.Fatalf("dial %s: %v", url, err)
	}
	ws.SetReadLimit(1 << 20)
	t.Cleanup(func() { _ = ws.CloseNow() })
	return &Client{T: t, WS: ws}
}

// Join sends a join and returns the welcome.
func (c *Client) Join(jam, resume string) *shared.Welcome {
	c.T.Helper()
	c.Send(&shared.Join{Jam: jam, Resume: resume})
	return Expect[*shared.Welcome](c)
}

// Send sends m.
func (c *Client) Send(m shared.Message) {
	c.T.Helper()
	c.SendRaw(string(shared.MustEncode(m)))
}

// SendRaw sends a text frame.
func (c *Client) SendRaw(text string) {
	c.T.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), Timeout)
	defer cancel()
	if err := c.WS.Write(ctx, websocket.MessageText, []byte(text)); err != nil {
		c.T.Fatalf("write: %v", err)
	}
}

// Read returns the next message, applied to the view.
func (c *Client) Read(timeout time.Duration) (shared.Message, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	typ, data, err := c.WS.Read(ctx)
	if err != nil {
		return nil, err
	}
	if typ != websocket.MessageText {
		return nil, errors.New("binary frame from the server")
	}
	m, err := shared.DecodeServer(data)
	if err != nil {
		return nil, err
	}
	if w, ok := m.(*shared.Welcome); ok {
		c.Welcome = w
	}
	c.View.Apply(m)
	return m, nil
}

// Next returns the next message from the server.
func (c *Client) Next() shared.Message {
	c.T.Helper()
	m, err := c.Read(Timeout)
	if err != nil {
		c.T.Fatalf("read: %v", err)
	}
	return m
}

// Expect returns the next message, failing unless it is a T.
func Expect[T shared.Message](c *Client) T {
	c.T.Helper()
	m := c.Next()
	v, ok := m.(T)
	if !ok {
		var want T
		c.T.Fatalf("got %T %+v, want %T", m, m, want)
	}
	return v
}

// ExpectError returns after the next message, failing unless it is an
// error with the code.
func (c *Client) ExpectError(code string) {
	c.T.Helper()
	if e := Expect[*shared.Error](c); e.Code != code {
		c.T.Fatalf("got error %q (%s), want %q", e.Code, e.Message, code)
	}
}

// ExpectClose reads until the connection ends, failing unless the server
// closed it with status.
func (c *Client) ExpectClose(status int) {
	c.T.Helper()
	for {
		_, err := c.Read(Timeout)
		if err == nil {
			continue
		}
		if got := websocket.CloseStatus(err); got != websocket.StatusCode(status) {
			c.T.Fatalf("connection ended with %v (status %d), want status %d", err, got, status)
		}
		return
	}
}

// ExpectQuiet checks that the server sent c nothing it had not read yet:
// a ping's pong must be the next message.
func (c *Client) ExpectQuiet() {
	c.T.Helper()
	c.Send(&shared.Ping{ID: 4242, T0: 1})
	if p := Expect[*shared.Pong](c); p.ID != 4242 {
		c.T.Fatalf("pong for ping %d, want 4242", p.ID)
	}
}

// Sync reads until a pong for a fresh ping: every frame sent before it is
// then in the view.
func (c *Client) Sync() {
	c.T.Helper()
	c.Send(&shared.Ping{ID: 7, T0: 2})
	for {
		if p, ok := c.Next().(*shared.Pong); ok && p.ID == 7 {
			return
		}
	}
}

// Until reads until done reports true, failing after Timeout.
func (c *Client) Until(done func() bool) {
	c.T.Helper()
	deadline := time.Now().Add(Timeout)
	for !done() {
		if _, err := c.Read(time.Until(deadline)); err != nil {
			c.T.Fatalf("read: %v (view %v)", err, c.View)
		}
	}
}

// SameViews fails unless every client's view equals the first one's.
func SameViews(t testing.TB, cs ...*Client) {
	t.Helper()
	for _, c := range cs[1:] {
		if !maps.Equal(c.View.ByID(), cs[0].View.ByID()) {
			t.Fatalf("views differ:\n%v\n%v", cs[0].View.Members, c.View.Members)
		}
	}
}

// WaitFor polls cond until it holds, failing after Timeout.
func WaitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	WaitForWithin(t, Timeout, what, cond)
}

// WaitForWithin polls cond until it holds, failing after within.
func WaitForWithin(t testing.TB, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// GetJSON decodes the body of GET url into v, unless v is nil, and returns
// the status.
func GetJSON(t testing.TB, url string, v any) int {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer res.Body.Close()
	if v != nil {
		if err := json.NewDecoder(res.Body).Decode(v); err != nil {
			t.Fatalf("GET %s: %s, decode: %v", url, res.Status, err)
		}
	}
	return res.StatusCode
}
