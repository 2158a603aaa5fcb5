//go:build !wasm

package server

import (
	"net/http"
	"time"
)

// The HTTP timeouts of a listener and of each response. A socket is exempt
// from the per-response ones: it lives as long as its user plays, and its
// own writes have WriteTimeout.
const (
	// ReadHeaderTimeout bounds how long a client may take to send a
	// request's headers.
	ReadHeaderTimeout = 5 * time.Second
	// IdleTimeout closes a keep-alive connection that sends no request.
	IdleTimeout = 60 * time.Second
	// ResponseReadTimeout bounds reading a request's body.
	ResponseReadTimeout = 10 * time.Second
	// ResponseWriteTimeout bounds writing a response: the WASM (a few MB
	// uncompressed) to a slow phone, but not a reader who takes a byte a
	// second to hold the connection.
	ResponseWriteTimeout = 60 * time.Second
	// maxHeaderBytes is far more than a browser sends.
	maxHeaderBytes = 16 << 10
)

// NewHTTPServer returns an http.Server for h on addr with the listener's
// timeouts. The per-response ones are the Server's (ServeHTTP).
func NewHTTPServer(addr string, h http.Handler) *http.Server {
	return &http.Server{
		Addr:              addr,
		Handler:           h,
		ReadHeaderTimeout: ReadHeaderTimeout,
		IdleTimeout:       IdleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
	}
}

// ServeHTTP serves the hub and the app: the public listener. Every response
// but the socket's gets read and write deadlines, and every one carries the
// headers every response carries (the page policy comes with the app).
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	setBaseHeaders(w.Header())
	if r.URL.Path != "/socket" {
		rc := http.NewResponseController(w)
		now := time.Now()
		// Errors mean a ResponseWriter without deadlines (a test's
		// recorder): nothing to bound.
		_ = rc.SetReadDeadline(now.Add(s.cfg.ResponseReadTimeout))
		_ = rc.SetWriteDeadline(now.Add(s.cfg.ResponseWriteTimeout))
	}
	s.mux.ServeHTTP(w, r)
}

// setBaseHeaders sets the headers every response carries.
func setBaseHeaders(h http.Header) {
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
}
