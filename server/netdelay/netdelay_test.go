//go:build !wasm

package netdelay

import (
	"bytes"
	"io"
	"math/rand/v2"
	"net"
	"testing"
	"time"
)

// echo serves an echo server and a proxy in front of it, at the address
// returned.
func echo(t *testing.T, link Link) (*Proxy, string) {
	t.Helper()
	el, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { el.Close() })
	go func() {
		for {
			c, err := el.Accept()
			if err != nil {
				return
			}
			go func() { io.Copy(c, c); c.Close() }()
		}
	}()
	pl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &Proxy{Upstream: el.Addr().String(), Link: link}
	go p.Serve(pl)
	t.Cleanup(func() { p.Close() })
	return p, pl.Addr().String()
}

func TestProxy(t *testing.T) {
	t.Run("a round trip takes the delay both ways, within the jitter", func(t *testing.T) {
		link := Link{Delay: 30 * time.Millisecond, Jitter: 10 * time.Millisecond}
		_, addr := echo(t, link)
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		buf := make([]byte, 1)
		for i := 0; i < 5; i++ {
			start := time.Now()
			if _, err := c.Write([]byte{byte(i)}); err != nil {
				t.Fatal(err)
			}
			if _, err := io.ReadFull(c, buf); err != nil {
				t.Fatal(err)
			}
			rtt := time.Since(start)
			if rtt < 40*time.Millisecond || rtt > 200*time.Millisecond {
				t.Errorf("round trip %v, want 40 to 80 ms (and a little slack)", rtt)
			}
		}
	})
	t.Run("jittered data arrives whole and in order, and is counted", func(t *testing.T) {
		p, addr := echo(t, Link{Delay: time.Millisecond, Jitter: time.Millisecond})
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		want := make([]byte, 1<<20)
		for i := range want {
			want[i] = byte(rand.IntN(256))
		}
		go func() {
			for b := want; len(b) > 0; {
				n := min(len(b), 1+rand.IntN(5000))
				c.Write(b[:n])
				b = b[n:]
			}
		}()
		got := make([]byte, len(want))
		if _, err := io.ReadFull(c, got); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Fatal("the data came back changed")
		}
		if up, down := p.Up.Load(), p.Down.Load(); up != int64(len(want)) || down != int64(len(want)) {
			t.Errorf("counted %d up and %d down, want %d each", up, down, len(want))
		}
	})
}
