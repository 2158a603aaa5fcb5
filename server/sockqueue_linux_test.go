//go:build linux

package server

import (
	"errors"
	"io"
	"net"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/loopswithfriends/loops/server/wstest"
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
		wstest.WaitFor(t, "ten unread bytes", func() bool {
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

// lateConn is a TCP connection whose next late writes start delay after
// they are called: a goroutine that waited for a CPU between setting its
// deadline and writing. It counts the writes.
type lateConn struct {
	*net.TCPConn
	delay  time.Duration
	late   atomic.Int32
	writes atomic.Int32
}

func (c *lateConn) Write(p []byte) (int, error) {
	c.writes.Add(1)
	if c.late.Add(-1) >= 0 {
		time.Sleep(c.delay)
	}
	return c.TCPConn.Write(p)
}

func TestWriteRetry(t *testing.T) {
	const timeout = 50 * time.Millisecond
	newLate := func(t *testing.T) (peer net.Conn, lc *lateConn, w *socketWriter) {
		peer, nc := tcpPair(t)
		lc = &lateConn{TCPConn: nc.(*net.TCPConn), delay: 2 * timeout}
		return peer, lc, newSocketWriter(lc, timeout)
	}

	t.Run("a write whose deadline passed before it began, the socket having room, is tried again and goes out", func(t *testing.T) {
		peer, lc, w := newLate(t)
		lc.late.Store(1)
		if n, err := w.Write([]byte("late")); n != 4 || err != nil {
			t.Fatalf("wrote %d bytes, %v; want 4, nil", n, err)
		}
		if n := lc.writes.Load(); n != 2 {
			t.Errorf("%d write(2)s, want 2: the late one and its retry", n)
		}
		_ = peer.SetReadDeadline(time.Now().Add(time.Second))
		got := make([]byte, 4)
		if _, err := io.ReadFull(peer, got); err != nil || string(got) != "late" {
			t.Fatalf("the peer read %q, %v", got, err)
		}
	})

	t.Run("a write is tried again only once", func(t *testing.T) {
		_, lc, w := newLate(t)
		lc.late.Store(2)
		if _, err := w.Write([]byte("late twice")); !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("a write late twice ended with %v, want a deadline exceeded", err)
		}
		if n := lc.writes.Load(); n != 2 {
			t.Errorf("%d write(2)s, want 2", n)
		}
	})

	t.Run("a late write to a socket with no room is not tried again: the client is slow", func(t *testing.T) {
		_, lc, w := newLate(t) // the peer never reads
		chunk := make([]byte, 64<<10)
		for range 1000 {
			if _, err := w.Write(chunk); err != nil {
				break
			}
		}
		if w.hasRoom(len(chunk)) {
			t.Fatal("a full socket has room")
		}
		lc.writes.Store(0)
		lc.late.Store(1)
		if _, err := w.Write(chunk); !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("a late write to a full socket ended with %v, want a deadline exceeded", err)
		}
		if n := lc.writes.Load(); n != 1 {
			t.Errorf("%d write(2)s, want 1: no retry", n)
		}
	})
}
