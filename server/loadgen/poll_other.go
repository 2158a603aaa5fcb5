//go:build !wasm && !linux

package loadgen

import (
	"errors"
	"net"
	"os"
	"time"
)

// poller, where there is no epoll, reads each socket on a goroutine of its
// own, as the Go runtime would.
type poller struct{}

func newPoller() (*poller, error) { return &poller{}, nil }

func (p *poller) close() {}

// add has a goroutine read nc for c, after rest.
func (p *poller) add(c *wsConn, nc net.Conn, rest []byte) error {
	c.sock = &netSock{nc: nc}
	go func() {
		c.start(rest)
		buf := make([]byte, 4<<10)
		for {
			select {
			case <-c.done:
				return
			default:
			}
			c.readable(buf)
		}
	}()
	return nil
}

// netSock is a socket the runtime polls. A read waits at most 50 ms, so
// that CloseNow, which takes turns with it, is not kept waiting.
type netSock struct{ nc net.Conn }

func (s *netSock) read(b []byte) (int, bool, error) {
	s.nc.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	n, err := s.nc.Read(b)
	switch {
	case n > 0:
		return n, true, nil
	case errors.Is(err, os.ErrDeadlineExceeded):
		return 0, false, nil
	case err == nil:
		return 0, false, nil
	}
	return 0, false, err
}

func (s *netSock) write(b []byte, deadline time.Time) error {
	s.nc.SetWriteDeadline(deadline)
	_, err := s.nc.Write(b)
	return err
}

func (s *netSock) close() { s.nc.Close() }
