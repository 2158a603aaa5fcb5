//go:build !wasm

package server

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// newListenerServer is newTestServer on the public listener's own
// http.Server (Server.HTTPServer), with its timeouts.
func newListenerServer(t *testing.T, cfg Config) *testServer {
	t.Helper()
	s := New(cfg)
	ts := httptest.NewUnstartedServer(s)
	ts.Config = s.HTTPServer("")
	ts.Start()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		s.Drain(ctx)
		ts.Close()
	})
	return &testServer{Server: s, ts: ts}
}

// dialTCP opens a plain TCP connection to the server.
func (s *testServer) dialTCP(t *testing.T) net.Conn {
	t.Helper()
	nc, err := net.Dial("tcp", strings.TrimPrefix(s.ts.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = nc.Close() })
	return nc
}

// waitClosed reads nc until the server closes it and returns how long that
// took and what it sent meanwhile; it fails if nc is still open after
// testTimeout.
func waitClosed(t *testing.T, nc net.Conn) (time.Duration, string) {
	t.Helper()
	start := time.Now()
	_ = nc.SetReadDeadline(start.Add(testTimeout))
	got, err := io.ReadAll(nc)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("the connection was still open %v later (it sent %q)", testTimeout, got)
	}
	return time.Since(start), string(got)
}

func TestHTTPTimeouts(t *testing.T) {
	t.Run("an idle keep-alive connection is closed at the idle timeout, and one that asks again within it is served", func(t *testing.T) {
		const idle = 300 * time.Millisecond
		s := newListenerServer(t, Config{IdleTimeout: idle})
		nc := s.dialTCP(t)
		br := bufio.NewReader(nc)
		for i := range 2 {
			if i > 0 {
				time.Sleep(idle / 3)
			}
			if _, err := io.WriteString(nc, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
				t.Fatalf("request %d: %v", i, err)
			}
			res, err := http.ReadResponse(br, nil)
			if err != nil {
				t.Fatalf("request %d on the kept-alive connection: %v", i, err)
			}
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode != http.StatusOK || res.Close {
				t.Fatalf("request %d: %s, close %v", i, res.Status, res.Close)
			}
		}
		took, sent := waitClosed(t, nc)
		if sent != "" {
			t.Errorf("the server sent %q to an idle connection", sent)
		}
		// The server's idle clock started as it wrote the response,
		// a little before the test read it.
		if took < idle/2 {
			t.Errorf("closed %v after the last response, well before the %v idle timeout", took, idle)
		}
	})

	t.Run("a client that sends its headers slowly is cut off at the read header timeout", func(t *testing.T) {
		const header = 300 * time.Millisecond
		s := newListenerServer(t, Config{ReadHeaderTimeout: header})
		nc := s.dialTCP(t)
		if _, err := io.WriteString(nc, "GET /healthz HTTP/1.1\r\nHost: x\r\n"); err != nil {
			t.Fatal(err)
		}
		// A header line every 100 ms, for longer than the test waits:
		// the headers never end unless the server ends them.
		stop := make(chan struct{})
		defer close(stop)
		go func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				case <-time.After(100 * time.Millisecond):
				}
				if _, err := fmt.Fprintf(nc, "X-Slow-%d: a\r\n", i); err != nil {
					return
				}
			}
		}()
		took, sent := waitClosed(t, nc)
		if strings.Contains(sent, "200 OK") {
			t.Fatalf("the slow request was served: %q", sent)
		}
		if took < header/2 {
			t.Errorf("cut off after %v, well before the %v header timeout", took, header)
		}
	})

	t.Run("a request body sent slowly is cut off at the response's read deadline", func(t *testing.T) {
		const read = 300 * time.Millisecond
		s := newListenerServer(t, Config{
			ResponseReadTimeout: read,
			App: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if _, err := io.ReadAll(r.Body); err != nil {
					http.Error(w, "body: "+err.Error(), http.StatusBadRequest)
					return
				}
				w.WriteHeader(http.StatusNoContent)
			}),
		})
		nc := s.dialTCP(t)
		// 1,000 bytes promised, 10 sent every 100 ms: 10 s of body.
		if _, err := io.WriteString(nc, "POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n"); err != nil {
			t.Fatal(err)
		}
		stop := make(chan struct{})
		defer close(stop)
		go func() {
			for {
				if _, err := io.WriteString(nc, "0123456789"); err != nil {
					return
				}
				select {
				case <-stop:
					return
				case <-time.After(100 * time.Millisecond):
				}
			}
		}()
		start := time.Now()
		_ = nc.SetReadDeadline(start.Add(testTimeout))
		res, err := http.ReadResponse(bufio.NewReader(nc), nil)
		if err != nil {
			t.Fatalf("no response within %v: %v", testTimeout, err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusBadRequest {
			t.Fatalf("got %s, want 400 from a body read that timed out", res.Status)
		}
		if took := time.Since(start); took < read/2 {
			t.Errorf("the read failed after %v, well before the %v read deadline", took, read)
		}
	})

	t.Run("a socket outlives every HTTP timeout: none of them applies to it", func(t *testing.T) {
		const short = 200 * time.Millisecond
		s := newListenerServer(t, Config{
			IdleTimeout: short, ReadHeaderTimeout: short,
			ResponseReadTimeout: short, ResponseWriteTimeout: short,
		})
		c := s.dial(t)
		c.Join("", "")
		time.Sleep(5 * short)
		c.ExpectQuiet()
	})
}
