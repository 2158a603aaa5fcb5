//go:build !wasm

package natshub

import (
	"context"
	"errors"
	"maps"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/loopswithfriends/loops/shared"
)

// testTimeout bounds every wait of a test client.
const testTimeout = 10 * time.Second

// client is a test's protocol client. It keeps its view of its jam from
// every frame it reads, so that tests can compare views across nodes.
type client struct {
	t       *testing.T
	ws      *websocket.Conn
	welcome *shared.Welcome
	view    shared.View
}

// dial opens a socket to a node.
func dial(t *testing.T, n *testNode) *client {
	t.Helper()
	return dialURL(t, n.url())
}

// dialURL opens a socket to the node serving url.
func dialURL(t *testing.T, url string) *client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, url, nil)
	if err != nil {
		t.Fatalf("dial %s: %v", url, err)
	}
	ws.SetReadLimit(1 << 20)
	t.Cleanup(func() { _ = ws.CloseNow() })
	return &client{t: t, ws: ws}
}

// joinAt opens a socket to the node and joins, returning the client with
// its welcome.
func joinAt(t *testing.T, n *testNode, jam, resume string) *client {
	t.Helper()
	c := dial(t, n)
	c.join(jam, resume)
	return c
}

// join sends a join and reads the welcome.
func (c *client) join(jam, resume string) *shared.Welcome {
	c.t.Helper()
	c.send(&shared.Join{Jam: jam, Resume: resume})
	return expect[*shared.Welcome](c)
}

func (c *client) send(m shared.Message) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	if err := c.ws.Write(ctx, websocket.MessageText, shared.MustEncode(m)); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

// read returns the next message, applied to the view.
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
	m, err := shared.DecodeServer(data)
	if err != nil {
		return nil, err
	}
	c.apply(m)
	return m, nil
}

// apply keeps the welcome and the view up to date with m, by the
// protocol's one rule for reading it (shared.View).
func (c *client) apply(m shared.Message) {
	if w, ok := m.(*shared.Welcome); ok {
		c.welcome = w
	}
	c.view.Apply(m)
}

func (c *client) next() shared.Message {
	c.t.Helper()
	m, err := c.read(testTimeout)
	if err != nil {
		c.t.Fatalf("read: %v", err)
	}
	return m
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

// expectQuiet checks that the server sent c nothing it had not read yet: a
// ping's pong must be the next message.
func (c *client) expectQuiet() {
	c.t.Helper()
	c.send(&shared.Ping{ID: 4242, T0: 1})
	if p := expect[*shared.Pong](c); p.ID != 4242 {
		c.t.Fatalf("pong for ping %d, want 4242", p.ID)
	}
}

// sync reads until a pong for a fresh ping: every frame sent before it is
// then in the view.
func (c *client) sync() {
	c.t.Helper()
	c.send(&shared.Ping{ID: 7, T0: 2})
	for {
		if p, ok := c.next().(*shared.Pong); ok && p.ID == 7 {
			return
		}
	}
}

// until reads until done reports true, failing after testTimeout.
func (c *client) until(done func() bool) {
	c.t.Helper()
	deadline := time.Now().Add(testTimeout)
	for !done() {
		if _, err := c.read(time.Until(deadline)); err != nil {
			c.t.Fatalf("read: %v (view %v)", err, c.view)
		}
	}
}

// sameViews fails unless every client's view equals the first one's.
func sameViews(t *testing.T, cs ...*client) {
	t.Helper()
	for _, c := range cs[1:] {
		if !maps.Equal(c.view.ByID(), cs[0].view.ByID()) {
			t.Fatalf("views differ:\n%v\n%v", cs[0].view.Members, c.view.Members)
		}
	}
}
