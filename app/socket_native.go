//go:build !wasm

package app

import (
	"context"
	"time"

	"github.com/coder/websocket"
)

// nativeSocket is a socketConn over coder/websocket, for the jam client
// run natively (its tests).
type nativeSocket struct{ c *websocket.Conn }

var _ socketConn = nativeSocket{}

func dialSocket(ctx context.Context, url string) (socketConn, error) {
	c, _, err := websocket.Dial(ctx, url, nil)
	if err != nil {
		return nil, err
	}
	return nativeSocket{c}, nil
}

func (s nativeSocket) Read(ctx context.Context) ([]byte, error) {
	_, frame, err := s.c.Read(ctx)
	return frame, err
}

// writeTimeout bounds a native write (see socketConn.Write); the
// browser's socket queues its frames and returns at once.
const writeTimeout = 5 * time.Second

func (s nativeSocket) Write(ctx context.Context, frame []byte) error {
	ctx, cancel := context.WithTimeout(ctx, writeTimeout)
	defer cancel()
	return s.c.Write(ctx, websocket.MessageText, frame)
}

func (s nativeSocket) CloseNow() { s.c.CloseNow() }

// closeStatus returns the close status the peer sent with the close that
// ended a connection, or -1.
func closeStatus(err error) int { return int(websocket.CloseStatus(err)) }
