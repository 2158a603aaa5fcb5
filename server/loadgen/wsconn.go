//go:build !wasm

package loadgen

import (
	"bufio"
	"context"
	crand "crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"
)

// wsConn is a client's WebSocket as the generator holds it: its own
// handshake and framing (RFC 6455, no extensions) on a socket whose frames
// a poller reads, many sockets to a goroutine (poll_linux.go), instead of a
// goroutine of its own parked on each socket. The generator shares the
// machine with the hub it measures: with a reading goroutine per socket it
// spent more CPU than the hub (each delivery a wake of its own), and on
// two cores that CPU is taken from the hub.
//
// Frames reach onMsg on the poller's goroutine, at most one call at a time
// for a socket and never after onEnd, which is called once, when the
// socket ends for any reason (the server's close frame, an error, or
// CloseNow).
type wsConn struct {
	sock  sock
	onMsg func(typ websocket.MessageType, p []byte, at time.Time)
	onEnd func(err error)

	wmu       sync.Mutex // one frame written at a time
	wbuf      []byte
	closeSent bool // guarded by wmu

	// rmu is held while the socket is read and its frames handled, and
	// while it ends: the poller and CloseNow take turns.
	rmu     sync.Mutex
	ended   bool
	in      []byte // the start of a frame still arriving
	msg     []byte // a fragmented message so far
	msgType websocket.MessageType
	done    chan struct{} // closed once onEnd returned
}

// sock is a connected socket: the poller reads it (poll_*.go).
type sock interface {
	// write writes all of b, or fails once deadline passed (zero: never).
	write(b []byte, deadline time.Time) error
	// read reads what has arrived; ok false means nothing had.
	read(b []byte) (n int, ok bool, err error)
	// close closes the socket; rmu is held.
	close()
}

// wsReadLimit bounds a message from the server: its frames are small.
const wsReadLimit = 64 << 10

// dialWS dials socket (ws://host/path) with d and performs the handshake
// with the Origin given. It returns the socket and what arrived after the
// server's answer: the start of its first frames.
func dialWS(ctx context.Context, d *net.Dialer, socket, origin string) (net.Conn, []byte, error) {
	u, err := url.Parse(socket)
	if err != nil {
		return nil, nil, err
	}
	if u.Scheme != "ws" {
		return nil, nil, fmt.Errorf("dial %s: only ws:// sockets", socket)
	}
	host := u.Host
	if u.Port() == "" {
		host = net.JoinHostPort(u.Hostname(), "80")
	}
	nc, err := d.DialContext(ctx, "tcp", host)
	if err != nil {
		return nil, nil, err
	}
	rest, err := handshake(ctx, nc, u, origin)
	if err != nil {
		nc.Close()
		return nil, nil, err
	}
	return nc, rest, nil
}

// open makes nc, after a handshake that left rest, a wsConn whose frames
// go to onMsg from now on. It fails only with onEnd called.
func (p *poller) open(nc net.Conn, rest []byte, onMsg func(websocket.MessageType, []byte, time.Time), onEnd func(error)) (*wsConn, error) {
	c := &wsConn{onMsg: onMsg, onEnd: onEnd, done: make(chan struct{})}
	if err := p.add(c, nc, rest); err != nil {
		if c.sock == nil {
			c.onEnd(err)
			close(c.done)
		}
		return nil, err
	}
	return c, nil
}

// acceptGUID is RFC 6455's, for Sec-WebSocket-Accept.
const acceptGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

// handshake upgrades nc to a WebSocket and returns the bytes of the first
// frames that came with the server's answer.
func handshake(ctx context.Context, nc net.Conn, u *url.URL, origin string) ([]byte, error) {
	if deadline, ok := ctx.Deadline(); ok {
		nc.SetDeadline(deadline)
		defer nc.SetDeadline(time.Time{})
	}
	stop := context.AfterFunc(ctx, func() { nc.SetDeadline(time.Unix(1, 0)) })
	defer stop()

	var nonce [16]byte
	crand.Read(nonce[:])
	key := base64.StdEncoding.EncodeToString(nonce[:])
	req := &http.Request{Method: http.MethodGet, URL: u, Host: u.Host, Header: http.Header{
		"Upgrade":               {"websocket"},
		"Connection":            {"Upgrade"},
		"Sec-Websocket-Key":     {key},
		"Sec-Websocket-Version": {"13"},
		"Origin":                {origin},
	}}
	if err := req.Write(nc); err != nil {
		return nil, fmt.Errorf("handshake: %w", ctxErr(ctx, err))
	}
	br := bufio.NewReaderSize(nc, 1024)
	res, err := http.ReadResponse(br, req)
	if err != nil {
		return nil, fmt.Errorf("handshake: %w", ctxErr(ctx, err))
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSwitchingProtocols {
		return nil, fmt.Errorf("handshake: expected status 101, got %s", res.Status)
	}
	sum := sha1.Sum([]byte(key + acceptGUID))
	switch {
	case !strings.EqualFold(res.Header.Get("Upgrade"), "websocket"):
		return nil, errors.New("handshake: no Upgrade: websocket")
	case res.Header.Get("Sec-Websocket-Accept") != base64.StdEncoding.EncodeToString(sum[:]):
		return nil, errors.New("handshake: wrong Sec-WebSocket-Accept")
	case res.Header.Get("Sec-Websocket-Extensions") != "":
		return nil, errors.New("handshake: an extension the client did not offer")
	}
	rest, _ := br.Peek(br.Buffered())
	return append([]byte(nil), rest...), nil
}

// ctxErr returns ctx's error when it ended, as the cause of err.
func ctxErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}

// Write sends one message, within ctx's deadline.
func (c *wsConn) Write(ctx context.Context, typ websocket.MessageType, p []byte) error {
	deadline, _ := ctx.Deadline()
	return c.writeFrame(byte(typ), p, deadline)
}

const (
	opContinuation = 0x0
	opClose        = 0x8
	opPing         = 0x9
	opPong         = 0xA
)

// writeFrame writes one masked frame, as a client must.
func (c *wsConn) writeFrame(op byte, p []byte, deadline time.Time) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.closeSent {
		return net.ErrClosed
	}
	if op == opClose {
		c.closeSent = true
	}
	b := append(c.wbuf[:0], 0x80|op)
	switch n := len(p); {
	case n < 126:
		b = append(b, 0x80|byte(n))
	case n <= 0xFFFF:
		b = append(b, 0x80|126)
		b = binary.BigEndian.AppendUint16(b, uint16(n))
	default:
		b = append(b, 0x80|127)
		b = binary.BigEndian.AppendUint64(b, uint64(n))
	}
	var key [4]byte
	binary.LittleEndian.PutUint32(key[:], rand.Uint32())
	b = append(b, key[:]...)
	start := len(b)
	b = append(b, p...)
	for i := range b[start:] {
		b[start+i] ^= key[i&3]
	}
	if cap(b) <= 4<<10 {
		c.wbuf = b
	}
	return c.sock.write(b, deadline)
}

// Close sends a close frame with code and waits (at most 5 s) for the
// server's, then closes the socket.
func (c *wsConn) Close(code websocket.StatusCode, reason string) error {
	err := c.writeFrame(opClose, closePayload(code, reason), time.Now().Add(5*time.Second))
	if err == nil {
		select {
		case <-c.done:
		case <-time.After(5 * time.Second):
		}
	}
	c.CloseNow()
	return err
}

func closePayload(code websocket.StatusCode, reason string) []byte {
	return append(binary.BigEndian.AppendUint16(nil, uint16(code)), reason...)
}

// CloseNow closes the socket without a close frame; onEnd gets
// net.ErrClosed unless the socket had ended already.
func (c *wsConn) CloseNow() {
	c.rmu.Lock()
	c.endLocked(net.ErrClosed)
	c.rmu.Unlock()
	<-c.done
}

// endLocked ends the socket, once. rmu is held.
func (c *wsConn) endLocked(err error) {
	if c.ended {
		return
	}
	c.ended = true
	c.sock.close()
	c.onEnd(err)
	close(c.done)
}

// start handles rest, what came with the handshake's answer, before
// anything read later, and reports whether the socket is still open.
func (c *wsConn) start(rest []byte) bool {
	c.rmu.Lock()
	defer c.rmu.Unlock()
	if len(rest) > 0 {
		if err := c.feed(rest, time.Now()); err != nil {
			c.endLocked(err)
		}
	}
	return !c.ended
}

// readable reads what arrived on the socket into buf and handles its
// frames. The poller calls it when the socket is readable.
func (c *wsConn) readable(buf []byte) {
	c.rmu.Lock()
	defer c.rmu.Unlock()
	if c.ended {
		return
	}
	n, ok, err := c.sock.read(buf)
	switch {
	case err != nil:
		c.endLocked(err)
	case n == 0 && ok:
		c.endLocked(io.EOF)
	case ok:
		if err := c.feed(buf[:n], time.Now()); err != nil {
			c.endLocked(err)
		}
	}
}

// feed handles the frames in what arrived, keeping an incomplete one for
// the next read. rmu is held.
func (c *wsConn) feed(data []byte, at time.Time) error {
	buf := data
	if len(c.in) > 0 {
		c.in = append(c.in, data...)
		buf = c.in
	}
	for len(buf) >= 2 {
		b0, b1 := buf[0], buf[1]
		if b0&0x70 != 0 {
			return errors.New("frame with reserved bits set")
		}
		if b1&0x80 != 0 {
			return errors.New("masked frame from the server")
		}
		size, head := int64(b1&0x7F), 2
		switch size {
		case 126:
			if len(buf) < 4 {
				break
			}
			size, head = int64(binary.BigEndian.Uint16(buf[2:])), 4
		case 127:
			if len(buf) < 10 {
				break
			}
			size, head = int64(binary.BigEndian.Uint64(buf[2:])), 10
		}
		if size >= 126 && head == 2 {
			break // the length is still arriving
		}
		if size > wsReadLimit {
			return fmt.Errorf("frame of %d bytes, over the limit of %d", size, wsReadLimit)
		}
		if int64(len(buf)-head) < size {
			break
		}
		payload := buf[head : head+int(size)]
		buf = buf[head+int(size):]
		if err := c.frame(b0&0x80 != 0, b0&0x0F, payload, at); err != nil {
			return err
		}
	}
	// Keep the rest: a suffix of c.in, or of the caller's buffer.
	c.in = append(c.in[:0], buf...)
	return nil
}

// frame handles one frame. rmu is held.
func (c *wsConn) frame(fin bool, op byte, p []byte, at time.Time) error {
	switch op {
	case byte(websocket.MessageText), byte(websocket.MessageBinary):
		if c.msgType != 0 {
			return errors.New("a new message inside a fragmented one")
		}
		if fin {
			c.onMsg(websocket.MessageType(op), p, at)
			return nil
		}
		c.msgType, c.msg = websocket.MessageType(op), append(c.msg[:0], p...)
	case opContinuation:
		if c.msgType == 0 {
			return errors.New("a continuation frame with no message")
		}
		if c.msg = append(c.msg, p...); len(c.msg) > wsReadLimit {
			return fmt.Errorf("message over the limit of %d bytes", wsReadLimit)
		}
		if fin {
			typ := c.msgType
			c.msgType = 0
			c.onMsg(typ, c.msg, at)
		}
	case opPing:
		return c.writeFrame(opPong, p, time.Now().Add(5*time.Second))
	case opPong:
	case opClose:
		ce := websocket.CloseError{Code: websocket.StatusNoStatusRcvd}
		if len(p) >= 2 {
			ce.Code, ce.Reason = websocket.StatusCode(binary.BigEndian.Uint16(p)), string(p[2:])
		}
		// Answer it, unless this side sent its own first.
		_ = c.writeFrame(opClose, p[:min(len(p), 2)], time.Now().Add(time.Second))
		return ce
	default:
		return fmt.Errorf("frame with unknown opcode %d", op)
	}
	return nil
}
