//go:build linux

package server

import (
	"testing"
	"time"
)

func TestSocketQueues(t *testing.T) {
	t.Run("the kernel's queues of a socket count what waits unread and untaken", func(t *testing.T) {
		peer, nc := tcpPair(t)
		if _, _, _, ok := socketQueues(nc); !ok {
			t.Fatal("linux tells no queues of a TCP socket")
		}
		if _, err := peer.Write([]byte("0123456789")); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "ten unread bytes", func() bool {
			unread, _, _, _ := socketQueues(nc)
			return unread == 10
		})
		w := newSocketWriter(nc, time.Second)
		if !w.hasRoom(1 << 10) {
			t.Fatal("a fresh socket has no room for 1 KB")
		}
		// The peer reads nothing: writes fill the peer's receive buffer,
		// then this socket's send buffer, and then there is no room.
		chunk := make([]byte, 64<<10)
		w.timeout = 100 * time.Millisecond
		for range 1000 {
			if _, err := w.Write(chunk); err != nil {
				break
			}
		}
		if _, unsent, _, _ := socketQueues(nc); unsent == 0 {
			t.Fatal("no bytes wait for a peer that reads nothing")
		}
		if w.hasRoom(len(chunk)) {
			t.Fatal("a full socket has room")
		}
	})
}
