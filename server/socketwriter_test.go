//go:build !wasm

package server

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"time"

	"github.com/loopswithfriends/loops/server/wstest"
	"github.com/loopswithfriends/loops/shared"
)

// tcpPair returns both ends of a loopback TCP connection.
func tcpPair(t *testing.T) (client, server net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, _ := ln.Accept()
		accepted <- c
	}()
	client, err = net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	server = <-accepted
	if server == nil {
		t.Fatal("accept failed")
	}
	t.Cleanup(func() { client.Close(); server.Close() })
	return client, server
}

func TestSocketWriter(t *testing.T) {
	t.Run("a corked writer keeps what is written until uncork, then writes it in order", func(t *testing.T) {
		peer, nc := tcpPair(t)
		w := newSocketWriter(nc, time.Second)
		w.cork()
		for _, s := range []string{"one ", "two ", "three"} {
			if _, err := w.Write([]byte(s)); err != nil {
				t.Fatal(err)
			}
		}
		_ = peer.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
		if n, err := peer.Read(make([]byte, 64)); !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("the peer read %d bytes (%v) while the writer was corked", n, err)
		}
		if err := w.uncork(); err != nil {
			t.Fatal(err)
		}
		_ = peer.SetReadDeadline(time.Now().Add(time.Second))
		got := make([]byte, len("one two three"))
		if _, err := io.ReadFull(peer, got); err != nil || string(got) != "one two three" {
			t.Fatalf("read %q, %v", got, err)
		}
		// Uncorked, a write goes out at once.
		if _, err := w.Write([]byte("four")); err != nil {
			t.Fatal(err)
		}
		got = make([]byte, 4)
		if _, err := io.ReadFull(peer, got); err != nil || string(got) != "four" {
			t.Fatalf("read %q, %v", got, err)
		}
	})

	t.Run("a corked writer writes out what it keeps past the cork limit", func(t *testing.T) {
		peer, nc := tcpPair(t)
		w := newSocketWriter(nc, time.Second)
		w.cork()
		big := bytes.Repeat([]byte("x"), corkLimit)
		if _, err := w.Write(big); err != nil {
			t.Fatal(err)
		}
		_ = peer.SetReadDeadline(time.Now().Add(time.Second))
		if _, err := io.ReadFull(peer, make([]byte, corkLimit)); err != nil {
			t.Fatalf("the peer got no bytes past the cork limit: %v", err)
		}
		if err := w.uncork(); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("a write the peer does not take within the timeout fails", func(t *testing.T) {
		_, nc := tcpPair(t) // the peer never reads
		w := newSocketWriter(nc, 100*time.Millisecond)
		chunk := make([]byte, 64<<10)
		start := time.Now()
		var err error
		for err == nil && time.Since(start) < 10*time.Second {
			_, err = w.Write(chunk)
		}
		if !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("writes to a peer that reads nothing ended with %v, want a deadline exceeded", err)
		}
	})
}

func TestWriteTimeout(t *testing.T) {
	t.Run("a client that takes no frame within the write timeout is closed and the others see it leave", func(t *testing.T) {
		// A queue long enough never to fill: only the write timeout can
		// close the client.
		s := newSmallBufferServer(t, Config{QueueSize: 1 << 20, RateLimit: 100000, WriteTimeout: 200 * time.Millisecond})
		a, _ := s.join(t, "stuck")
		stuck := s.dialSmall(t)
		stuck.Send(&shared.Join{Jam: "stuck"}) // and never reads again
		j := wstest.Expect[*shared.Joined](a)
		deadline := time.Now().Add(testTimeout)
		for i := 0; ; i++ {
			if time.Now().After(deadline) {
				t.Fatal("the stuck client was never closed")
			}
			if i%2 == 0 {
				a.Send(&shared.Play{})
			} else {
				a.Send(&shared.Stop{})
			}
			if l, ok := a.Next().(*shared.Left); ok {
				if l.ID != j.Member.ID {
					t.Fatalf("left %s, want %s", l.ID, j.Member.ID)
				}
				break
			}
		}
		if got := counterValue(t, s.metrics.closes.WithLabelValues(reasonWriteFailed)); got != 1 {
			t.Fatalf("closes{reason=write_failed} = %v, want 1", got)
		}
	})
}
