//go:build !wasm

// Package netdelay is a TCP proxy that delays what it forwards, each way,
// by a set time with jitter, as a slow network would; it also counts the
// bytes it carries. The sync benchmark puts one browser behind it, and the
// load benchmark counts what a page transfers with it.
package netdelay

import (
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// Link is how a direction of the proxy delays data: every chunk read is
// written Delay ± a uniform Jitter after it arrived, never before the chunk
// read ahead of it (TCP keeps order, so a late chunk holds back the next).
type Link struct {
	Delay, Jitter time.Duration
}

// after returns the delay for one chunk.
func (l Link) after() time.Duration {
	d := l.Delay
	if l.Jitter > 0 {
		d += time.Duration(rand.Int64N(int64(2*l.Jitter)+1)) - l.Jitter
	}
	return max(d, 0)
}

// Proxy forwards every connection accepted to Upstream through Link, both
// ways. The zero Link forwards at once.
type Proxy struct {
	// Upstream is the address connections are forwarded to.
	Upstream string
	Link     Link

	// Up and Down count the bytes carried to the upstream and back.
	Up, Down atomic.Int64

	mu     sync.Mutex
	l      net.Listener
	conns  map[net.Conn]struct{}
	closed bool
	wg     sync.WaitGroup
}

// Serve accepts connections on l until Close.
func (p *Proxy) Serve(l net.Listener) error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return net.ErrClosed
	}
	p.l = l
	p.conns = make(map[net.Conn]struct{})
	p.mu.Unlock()
	for {
		c, err := l.Accept()
		if err != nil {
			if p.isClosed() {
				return nil
			}
			return err
		}
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			p.forward(c)
		}()
	}
}

func (p *Proxy) isClosed() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.closed
}

// track adds c to the open connections, or closes it after Close.
func (p *Proxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		c.Close()
		return false
	}
	p.conns[c] = struct{}{}
	return true
}

func (p *Proxy) untrack(c net.Conn) {
	p.mu.Lock()
	delete(p.conns, c)
	p.mu.Unlock()
	c.Close()
}

func (p *Proxy) forward(down net.Conn) {
	if !p.track(down) {
		return
	}
	defer p.untrack(down)
	up, err := net.Dial("tcp", p.Upstream)
	if err != nil {
		return
	}
	if !p.track(up) {
		return
	}
	defer p.untrack(up)
	done := make(chan struct{}, 2)
	go func() { p.pipe(up, down, &p.Up); done <- struct{}{} }()
	go func() { p.pipe(down, up, &p.Down); done <- struct{}{} }()
	<-done
}

// chunk is data read at one moment, due at another.
type chunk struct {
	data []byte
	due  time.Time
}

// pipe copies src to dst through the link: a reader stamps each chunk with
// its due time, a writer sleeps until then. When src ends, what was read is
// written, then both connections are closed, so the other pipe ends too.
func (p *Proxy) pipe(dst, src net.Conn, count *atomic.Int64) {
	queue := make(chan chunk, 1024)
	go func() {
		defer close(queue)
		var last time.Time
		for {
			buf := make([]byte, 32<<10)
			n, err := src.Read(buf)
			if n > 0 {
				due := time.Now().Add(p.Link.after())
				if due.Before(last) {
					due = last
				}
				last = due
				queue <- chunk{data: buf[:n], due: due}
			}
			if err != nil {
				return
			}
		}
	}()
	defer func() {
		dst.Close()
		src.Close()
		for range queue {
		}
	}()
	for c := range queue {
		if d := time.Until(c.due); d > 0 {
			time.Sleep(d)
		}
		// Counted before the write, so that whoever has read the bytes
		// finds them counted; a short write takes back what did not go.
		count.Add(int64(len(c.data)))
		n, err := dst.Write(c.data)
		if err != nil {
			count.Add(int64(n - len(c.data)))
			return
		}
	}
}

// Close stops accepting, closes every connection and waits for the
// forwarders to end.
func (p *Proxy) Close() error {
	p.mu.Lock()
	p.closed = true
	var err error
	if p.l != nil {
		err = p.l.Close()
	}
	for c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
	if errors.Is(err, net.ErrClosed) {
		err = nil
	}
	return err
}

var _ io.Closer = (*Proxy)(nil)
