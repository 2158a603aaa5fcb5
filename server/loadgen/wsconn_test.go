//go:build !wasm

package loadgen

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// wsPeer is a client connection of the generator's own against a server
// handler running coder/websocket, as the hub does.
type wsPeer struct {
	conn *wsConn
	msgs chan string
	end  chan error
}

func dialPeer(t *testing.T, p *poller, srv *httptest.Server) *wsPeer {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	socket := "ws" + strings.TrimPrefix(srv.URL, "http")
	nc, rest, err := dialWS(ctx, &net.Dialer{}, socket, srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	w := &wsPeer{msgs: make(chan string, 16), end: make(chan error, 1)}
	w.conn, err = p.open(nc, rest,
		func(typ websocket.MessageType, b []byte, _ time.Time) { w.msgs <- typ.String() + ":" + string(b) },
		func(err error) { w.end <- err })
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func (w *wsPeer) next(t *testing.T) string {
	t.Helper()
	select {
	case m := <-w.msgs:
		return m
	case err := <-w.end:
		t.Fatalf("ended before a message: %v", err)
	case <-time.After(5 * time.Second):
		t.Fatal("no message in 5 s")
	}
	return ""
}

func (w *wsPeer) ended(t *testing.T) error {
	t.Helper()
	select {
	case err := <-w.end:
		return err
	case <-time.After(10 * time.Second):
		t.Fatal("not ended in 10 s")
	}
	return nil
}

func TestWSConnFramesPingAndClose(t *testing.T) {
	p, err := newPoller()
	if err != nil {
		t.Fatal(err)
	}
	defer p.close()
	serverDone := make(chan error, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		serverDone <- func() error {
			c, err := websocket.Accept(w, r, nil)
			if err != nil {
				return err
			}
			defer c.CloseNow()
			ctx := r.Context()
			// At once: it may come with the handshake's answer.
			if err := c.Write(ctx, websocket.MessageText, []byte("first")); err != nil {
				return err
			}
			// One message in three frames.
			mw, err := c.Writer(ctx, websocket.MessageBinary)
			if err != nil {
				return err
			}
			for _, part := range []string{"frag", "men", "ted"} {
				if _, err := mw.Write([]byte(part)); err != nil {
					return err
				}
			}
			if err := mw.Close(); err != nil {
				return err
			}
			// A client message, masked as it must be, and a reply to
			// the ping, read meanwhile.
			typ, b, err := c.Read(ctx)
			if err != nil {
				return err
			}
			if typ != websocket.MessageText || string(b) != strings.Repeat("long ", 40) {
				return errors.New("client message garbled: " + string(b))
			}
			go c.Read(ctx) // reads the pong, and later the close frame
			pctx, cancel := context.WithTimeout(ctx, 3*time.Second)
			defer cancel()
			if err := c.Ping(pctx); err != nil {
				return errors.New("no pong: " + err.Error())
			}
			return c.Close(4000, "done")
		}()
	}))
	defer srv.Close()

	w := dialPeer(t, p, srv)
	if got := w.next(t); got != "MessageText:first" {
		t.Errorf("first message %q", got)
	}
	if got := w.next(t); got != "MessageBinary:fragmented" {
		t.Errorf("fragmented message %q", got)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := w.conn.Write(ctx, websocket.MessageText, []byte(strings.Repeat("long ", 40))); err != nil {
		t.Fatal(err)
	}
	err = w.ended(t)
	if websocket.CloseStatus(err) != 4000 {
		t.Errorf("ended with %v, want status 4000", err)
	}
	var ce websocket.CloseError
	if errors.As(err, &ce) && ce.Reason != "done" {
		t.Errorf("close reason %q", ce.Reason)
	}
	if err := <-serverDone; err != nil {
		t.Errorf("server: %v", err)
	}
	if err := w.conn.Write(ctx, websocket.MessageText, []byte("late")); err == nil {
		t.Error("a write after the close went through")
	}
}

func TestWSConnLimitAndCloseNow(t *testing.T) {
	p, err := newPoller()
	if err != nil {
		t.Fatal(err)
	}
	defer p.close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer c.CloseNow()
		if r.URL.Query().Has("big") {
			c.Write(r.Context(), websocket.MessageText, make([]byte, wsReadLimit+1))
		}
		c.Read(r.Context())
	}))
	defer srv.Close()

	big := dialPeer(t, p, &httptest.Server{URL: srv.URL + "/?big"})
	if err := big.ended(t); err == nil || !strings.Contains(err.Error(), "over the limit") {
		t.Errorf("a message over the limit ended the socket with %v", err)
	}

	quiet := dialPeer(t, p, srv)
	quiet.conn.CloseNow()
	if err := quiet.ended(t); !errors.Is(err, net.ErrClosed) {
		t.Errorf("CloseNow ended the socket with %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := quiet.conn.Write(ctx, websocket.MessageText, []byte("x")); !errors.Is(err, net.ErrClosed) {
		t.Errorf("a write after CloseNow: %v", err)
	}
}

func TestWSConnHandshakeRefused(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "full", http.StatusServiceUnavailable)
	}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, _, err := dialWS(ctx, &net.Dialer{}, "ws"+strings.TrimPrefix(srv.URL, "http"), srv.URL)
	if err == nil || !strings.Contains(err.Error(), "503") {
		t.Errorf("a 503 answer: %v", err)
	}
}
