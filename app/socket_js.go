//go:build wasm

package app

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"syscall/js"
)

// browserSocket is a socketConn over the browser's WebSocket. Messages
// arrive in JS callbacks, which must not block: they queue the frame and
// signal a reader.
type browserSocket struct {
	ws    js.Value
	funcs []js.Func

	mu     sync.Mutex
	queue  [][]byte
	signal chan struct{} // one token while the queue is not empty
	closed chan struct{} // closed by the close event
	err    error         // why it closed, set before closed is
}

var _ socketConn = (*browserSocket)(nil)

// socketClosed is the close event's status and reason.
type socketClosed struct {
	code   int
	reason string
}

func (e socketClosed) Error() string {
	return fmt.Sprintf("websocket closed: status %d %q", e.code, e.reason)
}

var errSocketClosed = errors.New("websocket closed")

func dialSocket(ctx context.Context, url string) (socketConn, error) {
	ws, err := newWebSocket(url)
	if err != nil {
		return nil, err
	}
	s := &browserSocket{ws: ws, signal: make(chan struct{}, 1), closed: make(chan struct{})}
	ws.Set("binaryType", "arraybuffer")
	opened := make(chan struct{})
	s.on("open", func(js.Value) { close(opened) })
	s.on("message", func(e js.Value) {
		data := e.Get("data")
		var frame []byte
		if data.Type() == js.TypeString {
			frame = []byte(data.String())
		} else {
			arr := js.Global().Get("Uint8Array").New(data)
			frame = make([]byte, arr.Length())
			js.CopyBytesToGo(frame, arr)
		}
		s.mu.Lock()
		s.queue = append(s.queue, frame)
		s.mu.Unlock()
		select {
		case s.signal <- struct{}{}:
		default:
		}
	})
	s.on("close", func(e js.Value) {
		s.mu.Lock()
		s.err = socketClosed{code: e.Get("code").Int(), reason: e.Get("reason").String()}
		s.mu.Unlock()
		close(s.closed)
		s.release()
	})
	select {
	case <-opened:
		return s, nil
	case <-s.closed:
		return nil, s.closeErr()
	case <-ctx.Done():
		s.CloseNow()
		return nil, ctx.Err()
	}
}

// newWebSocket makes the browser's WebSocket, which throws for a bad URL.
func newWebSocket(url string) (ws js.Value, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("websocket %s: %v", url, r)
		}
	}()
	return js.Global().Get("WebSocket").New(url), nil
}

func (s *browserSocket) on(event string, f func(js.Value)) {
	fn := js.FuncOf(func(_ js.Value, args []js.Value) any {
		f(args[0])
		return nil
	})
	s.funcs = append(s.funcs, fn)
	s.ws.Call("addEventListener", event, fn)
}

// release frees the callbacks once the socket has closed (from the close
// callback itself, which JS allows: the Func is only freed after it returns).
func (s *browserSocket) release() {
	for i, event := range []string{"open", "message", "close"} {
		s.ws.Call("removeEventListener", event, s.funcs[i])
		s.funcs[i].Release()
	}
}

func (s *browserSocket) closeErr() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// Read returns the queued frames in order, then the close.
func (s *browserSocket) Read(ctx context.Context) ([]byte, error) {
	for {
		s.mu.Lock()
		if len(s.queue) > 0 {
			frame := s.queue[0]
			s.queue[0] = nil
			s.queue = s.queue[1:]
			s.mu.Unlock()
			return frame, nil
		}
		s.mu.Unlock()
		select {
		case <-s.signal:
		case <-s.closed:
			s.mu.Lock()
			n := len(s.queue)
			s.mu.Unlock()
			if n == 0 {
				return nil, s.closeErr()
			}
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// Write sends frame at once: the browser queues it (bufferedAmount), so
// ctx has nothing to bound.
func (s *browserSocket) Write(_ context.Context, frame []byte) error {
	select {
	case <-s.closed:
		return s.closeErr()
	default:
	}
	if s.ws.Get("readyState").Int() != 1 { // OPEN
		return errSocketClosed
	}
	s.ws.Call("send", string(frame))
	return nil
}

// CloseNow starts the closing handshake (1000: a browser may not send
// other codes below 3000) and does not wait for it.
func (s *browserSocket) CloseNow() {
	s.ws.Call("close", 1000)
}

// closeStatus returns the close status the server sent with the close that
// ended a connection, or -1.
func closeStatus(err error) int {
	var c socketClosed
	if errors.As(err, &c) {
		return c.code
	}
	return -1
}
