//go:build !wasm

package server

import (
	"net/http"

	"github.com/coder/websocket"
	"github.com/loopswithfriends/loops/shared"
)

// serveSocket serves GET /socket: the WebSocket of PROTOCOL.md. The origin
// check is the library's: the server's own host or one of AllowedOrigins,
// else 403.
func (s *Server) serveSocket(w http.ResponseWriter, r *http.Request) {
	if s.isDraining() {
		http.Error(w, "server is shutting down", http.StatusServiceUnavailable)
		return
	}
	ws, err := websocket.Accept(w, r, &websocket.AcceptOptions{
		OriginPatterns:  s.cfg.AllowedOrigins,
		CompressionMode: websocket.CompressionDisabled,
	})
	if err != nil {
		s.log.Debug("socket refused", "remote", r.RemoteAddr, "origin", r.Header.Get("Origin"), "err", err)
		return
	}
	ws.SetReadLimit(shared.MaxFrameBytes)
	c := newConn(s, ws)
	if !s.track(c) {
		_ = ws.Close(statusGoingAway, "server shutting down")
		return
	}
	defer s.untrack(c)
	c.serve()
}
