//go:build !wasm

package natshub

import (
	"net/http"
	"testing"
	"time"

	"github.com/loopswithfriends/loops/server/wstest"
	"github.com/loopswithfriends/loops/shared"
)

// testTimeout bounds every wait of a test client.
const testTimeout = wstest.Timeout

// client is the tests' protocol client.
type client = wstest.Client

// dial opens a socket to a node.
func dial(t *testing.T, n *testNode) *client {
	t.Helper()
	return wstest.Dial(t, n.url())
}

// joinAt opens a socket to the node and joins, returning the client with
// its welcome.
func joinAt(t *testing.T, n *testNode, jam, resume string) *client {
	t.Helper()
	c := dial(t, n)
	c.Join(jam, resume)
	return c
}

// untilBar sleeps until bar of c's jam has begun (and a little more).
func untilBar(c *client, bar int64) {
	time.Sleep(time.Until(time.UnixMilli(int64(c.Welcome.Jam.BarStart(bar)))) + 50*time.Millisecond)
}

// recording reads the recording saved under id from the node's HTTP API.
func (n *testNode) recording(t *testing.T, id string) *shared.Recording {
	t.Helper()
	var rec shared.Recording
	if code := wstest.GetJSON(t, n.ts.URL+"/api/recordings/"+id, &rec); code != http.StatusOK {
		t.Fatalf("GET recording %s from %s: %d", id, n.name, code)
	}
	return &rec
}
