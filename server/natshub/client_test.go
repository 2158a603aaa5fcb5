//go:build !wasm

package natshub

import (
	"testing"

	"github.com/loopswithfriends/loops/server/wstest"
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
