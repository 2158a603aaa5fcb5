//go:build !wasm

package server

import (
	"errors"
	"net"
	"os"
	"sync"
	"time"
)

// corkLimit is the most bytes a corked socketWriter keeps before it writes
// them out: a batch of frames goes out in writes of at most this size.
const corkLimit = 16 << 10

// corkBuffers are the buffers of corked socketWriters: a connection holds
// one only while it writes a batch.
var corkBuffers = sync.Pool{New: func() any { b := make([]byte, 0, 4<<10); return &b }}

// socketWriter is the socket under the library's bufio.Writer: every write
// to the client, the library's control frames included, goes through it.
//
// Each write(2) gets a deadline of its own, timeout from when it starts, so
// that the library is written to with no context deadline: a frame costs no
// timer, context and callback of its own, only the socket's deadline.
//
// Corked, it keeps what the library flushes, and uncork writes it in one
// write(2): a batch of frames that waited for the writer goroutine (the
// server was short of CPU) costs one system call instead of one a frame,
// which is how the server catches up.
type socketWriter struct {
	nc      net.Conn
	timeout time.Duration

	mu     sync.Mutex // guards what follows, and orders the writes
	corked bool
	buf    *[]byte // while corked
}

func newSocketWriter(nc net.Conn, timeout time.Duration) *socketWriter {
	return &socketWriter{nc: nc, timeout: timeout}
}

// Write writes p to the socket, or keeps it while corked.
func (w *socketWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.corked {
		return w.write(p)
	}
	*w.buf = append(*w.buf, p...)
	if len(*w.buf) >= corkLimit {
		if err := w.flush(); err != nil {
			return 0, err
		}
	}
	return len(p), nil
}

// cork keeps what is written from now on until uncork.
func (w *socketWriter) cork() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.corked = true
	w.buf = corkBuffers.Get().(*[]byte)
}

// uncork writes what was kept since cork, and what comes next at once.
func (w *socketWriter) uncork() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	err := w.flush()
	w.corked = false
	if cap(*w.buf) <= corkLimit*2 {
		*w.buf = (*w.buf)[:0]
		corkBuffers.Put(w.buf)
	}
	w.buf = nil
	return err
}

// flush writes what was kept. w.mu is held.
func (w *socketWriter) flush() error {
	if len(*w.buf) == 0 {
		return nil
	}
	_, err := w.write(*w.buf)
	*w.buf = (*w.buf)[:0]
	return err
}

// write writes p within the timeout. A deadline that passed before any
// byte went out, while the socket had room for p, is the server's delay (a
// goroutine that waited for a CPU between setting the deadline and the
// write), not the client's: the write is tried once more. w.mu is held.
func (w *socketWriter) write(p []byte) (int, error) {
	for retried := false; ; retried = true {
		_ = w.nc.SetWriteDeadline(time.Now().Add(w.timeout))
		n, err := w.nc.Write(p)
		_ = w.nc.SetWriteDeadline(time.Time{})
		if n > 0 || retried || !errors.Is(err, os.ErrDeadlineExceeded) || !w.hasRoom(len(p)) {
			return n, err
		}
	}
}

// hasRoom reports whether the socket's send buffer has room for n more
// bytes. Linux counts its bookkeeping in SO_SNDBUF, twice the payload it
// holds, hence the half.
func (w *socketWriter) hasRoom(n int) bool {
	_, unsent, sndbuf, ok := socketQueues(w.nc)
	return ok && unsent+n <= sndbuf/2
}
