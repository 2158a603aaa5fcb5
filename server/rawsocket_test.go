//go:build !wasm

package server

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// rawSocket is a hostile client's WebSocket, written by hand: it sends
// frames a well-behaved library would not (a flood of pings that does not
// wait for pongs, text that is not UTF-8) and reads what comes back frame
// by frame.
type rawSocket struct {
	t  *testing.T
	nc net.Conn
	br *bufio.Reader
}

// rawFrame is a frame from the server.
type rawFrame struct {
	op      byte
	payload []byte
}

const (
	opText  = 0x1
	opClose = 0x8
	opPing  = 0x9
	opPong  = 0xA
)

// dialRaw opens a socket from the local address from (e.g. "127.0.0.2";
// "" for any) and returns it, or the HTTP status that refused the upgrade.
func (s *testServer) dialRaw(t *testing.T, from string, header http.Header) (*rawSocket, int) {
	t.Helper()
	d := net.Dialer{Timeout: testTimeout}
	if from != "" {
		d.LocalAddr = &net.TCPAddr{IP: net.ParseIP(from)}
	}
	host := strings.TrimPrefix(s.ts.URL, "http://")
	nc, err := d.Dial("tcp", host)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { _ = nc.Close() })
	var key [16]byte
	_, _ = rand.Read(key[:])
	req := fmt.Sprintf("GET /socket HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: %s\r\n", host, base64.StdEncoding.EncodeToString(key[:]))
	for k, vs := range header {
		for _, v := range vs {
			req += k + ": " + v + "\r\n"
		}
	}
	_ = nc.SetDeadline(time.Now().Add(testTimeout))
	if _, err := io.WriteString(nc, req+"\r\n"); err != nil {
		t.Fatalf("handshake: %v", err)
	}
	br := bufio.NewReader(nc)
	res, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("handshake: %v", err)
	}
	if res.StatusCode != http.StatusSwitchingProtocols {
		_ = nc.Close()
		return nil, res.StatusCode
	}
	_ = nc.SetDeadline(time.Time{})
	return &rawSocket{t: t, nc: nc, br: br}, res.StatusCode
}

// write sends one frame, masked (with a zero key, which leaves it as is).
func (r *rawSocket) write(op byte, payload []byte) error {
	h := []byte{0x80 | op}
	switch n := len(payload); {
	case n < 126:
		h = append(h, 0x80|byte(n))
	case n < 1<<16:
		h = append(h, 0x80|126, byte(n>>8), byte(n))
	default:
		h = binary.BigEndian.AppendUint64(append(h, 0x80|127), uint64(n))
	}
	h = append(h, 0, 0, 0, 0)
	_ = r.nc.SetWriteDeadline(time.Now().Add(testTimeout))
	_, err := r.nc.Write(append(h, payload...))
	return err
}

// read returns the next frame, or an error once the connection ends or
// nothing comes within timeout.
func (r *rawSocket) read(timeout time.Duration) (rawFrame, error) {
	_ = r.nc.SetReadDeadline(time.Now().Add(timeout))
	var h [2]byte
	if _, err := io.ReadFull(r.br, h[:]); err != nil {
		return rawFrame{}, err
	}
	n := uint64(h[1] & 0x7f)
	switch n {
	case 126:
		var b [2]byte
		if _, err := io.ReadFull(r.br, b[:]); err != nil {
			return rawFrame{}, err
		}
		n = uint64(binary.BigEndian.Uint16(b[:]))
	case 127:
		var b [8]byte
		if _, err := io.ReadFull(r.br, b[:]); err != nil {
			return rawFrame{}, err
		}
		n = binary.BigEndian.Uint64(b[:])
	}
	if n > 1<<20 {
		return rawFrame{}, fmt.Errorf("a frame of %d bytes", n)
	}
	f := rawFrame{op: h[0] & 0x0f, payload: make([]byte, n)}
	_, err := io.ReadFull(r.br, f.payload)
	return f, err
}

// closeStatus reads until the server's close frame and returns its status.
func (r *rawSocket) closeStatus() websocket.StatusCode {
	r.t.Helper()
	for {
		f, err := r.read(testTimeout)
		if err != nil {
			r.t.Fatalf("no close frame: %v", err)
		}
		if f.op == opClose {
			_ = r.write(opClose, f.payload) // the close handshake
			if len(f.payload) < 2 {
				return websocket.StatusNoStatusRcvd
			}
			return websocket.StatusCode(binary.BigEndian.Uint16(f.payload))
		}
	}
}

// dialFrom opens a socket with the library from the local address from.
func (s *testServer) dialFrom(t *testing.T, from string) (*client, error) {
	t.Helper()
	tr := &http.Transport{DialContext: (&net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}}).DialContext}
	t.Cleanup(tr.CloseIdleConnections)
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	ws, res, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(s.ts.URL, "http")+"/socket", &websocket.DialOptions{HTTPClient: &http.Client{Transport: tr}})
	if err != nil {
		if res != nil {
			return nil, fmt.Errorf("status %d: %w", res.StatusCode, err)
		}
		return nil, err
	}
	t.Cleanup(func() { _ = ws.CloseNow() })
	return &client{T: t, WS: ws}, nil
}
