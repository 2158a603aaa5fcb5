//go:build !wasm

package server

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/coder/websocket"
	"github.com/loopswithfriends/loops/shared"
)

// The sizes of a socket's read and write buffers. net/http hands a hijacked
// connection 4 KiB of each; almost every frame of the protocol is under
// 200 bytes (a welcome of a full jam is the largest, under 1 KiB), and
// bufio reads and writes anything larger in a few more calls, so small
// buffers cost next to nothing and save most of 8 KiB a connection.
const (
	readBufferSize  = 256
	writeBufferSize = 512
)

// serveSocket serves GET /socket: the WebSocket of PROTOCOL.md. The origin
// check is the library's: the server's own host or one of AllowedOrigins,
// else 403. The socket limits come first: 503 while the server holds
// MaxSockets, 429 while the client's address holds MaxSocketsPerAddr.
func (s *Server) serveSocket(w http.ResponseWriter, r *http.Request) {
	addr := s.clientAddr(r)
	if status := s.admit(addr); status != 0 {
		if status != http.StatusServiceUnavailable || !s.isDraining() {
			w.Header().Set("Retry-After", "10")
		}
		http.Error(w, http.StatusText(status), status)
		return
	}
	admitted := true
	defer func() {
		if admitted {
			s.unadmit(addr)
		}
	}()
	var c *conn
	var sock *socketWriter
	ws, err := websocket.Accept(smallBuffers{w, s.cfg.WriteTimeout, &sock}, r, &websocket.AcceptOptions{
		OriginPatterns:  s.cfg.AllowedOrigins,
		CompressionMode: websocket.CompressionDisabled,
		// The library answers pings inside Read; each counts toward the
		// message rate like any frame. c is set before the first Read.
		OnPingReceived: func(context.Context, []byte) bool { return c.onPing() },
		// A pong answers the heartbeat's ping, even a late one.
		OnPongReceived: func(context.Context, []byte) { c.heard(time.Now()) },
	})
	if err != nil {
		s.log.Debug("socket refused", "remote", r.RemoteAddr, "origin", r.Header.Get("Origin"), "err", err)
		return
	}
	ws.SetReadLimit(shared.MaxFrameBytes)
	c = newConn(s, ws, sock, addr)
	if !s.track(c) {
		_ = ws.Close(statusGoingAway, "server shutting down")
		return
	}
	admitted = false // the connection's own now: untrack gives it back
	// The read loop gets a goroutine of its own and this one returns, so
	// that net/http's per-request state and this deeper stack are freed
	// while the connection lives on.
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer s.untrack(c)
		c.serve()
	}()
}

var _ http.Hijacker = smallBuffers{}

// smallBuffers is a ResponseWriter whose Hijack returns the connection with
// buffers of readBufferSize and writeBufferSize, the writer's over a
// socketWriter with writeTimeout, which it stores in sock.
type smallBuffers struct {
	http.ResponseWriter
	writeTimeout time.Duration
	sock         **socketWriter
}

// Hijack hijacks the connection, keeping any bytes the client already sent.
func (w smallBuffers) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	nc, brw, err := http.NewResponseController(w.ResponseWriter).Hijack()
	if err != nil {
		return nil, nil, err
	}
	br := bufio.NewReaderSize(nc, readBufferSize)
	if n := brw.Reader.Buffered(); n > 0 {
		// Bytes the client sent right after its handshake: they must be
		// in the new reader's buffer, where Accept looks for them.
		b, _ := brw.Reader.Peek(n)
		br = bufio.NewReaderSize(io.MultiReader(bytes.NewReader(bytes.Clone(b)), nc), max(readBufferSize, n))
		if _, err := br.Peek(n); err != nil {
			_ = nc.Close()
			return nil, nil, err
		}
	}
	if err := brw.Writer.Flush(); err != nil {
		_ = nc.Close()
		return nil, nil, err
	}
	*w.sock = newSocketWriter(nc, w.writeTimeout)
	return nc, bufio.NewReadWriter(br, bufio.NewWriterSize(*w.sock, writeBufferSize)), nil
}

// Unwrap returns the ResponseWriter, for http.ResponseController.
func (w smallBuffers) Unwrap() http.ResponseWriter { return w.ResponseWriter }
