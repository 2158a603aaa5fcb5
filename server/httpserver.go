//go:build !wasm

package server

import (
	"net/http"
	"strings"
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

// HTTPServer returns the public listener's http.Server for s on addr, with
// the timeouts of s's Config.
func (s *Server) HTTPServer(addr string) *http.Server {
	hs := NewHTTPServer(addr, s)
	hs.ReadHeaderTimeout, hs.IdleTimeout = s.cfg.ReadHeaderTimeout, s.cfg.IdleTimeout
	return hs
}

// ServeHTTP serves the hub and the app: the public listener. Every response
// but the socket's gets read and write deadlines, and every one carries the
// page security headers (pageHeaders).
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	setPageHeaders(w.Header(), r.Host)
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

// setPageHeaders sets the security headers of PROTOCOL.md on a response,
// the one place the public listener's page headers are set: a
// Content-Security-Policy that allows only the server's own origin (and its
// socket, ws: or wss:, which not every browser counts as 'self'), no
// framing, nosniff, and no Referer (an invite link is the key to its jam).
// host is the request's Host, written into the policy only when it is a
// plain host[:port].
//
// Nothing inline and no blob: anywhere. The app marks each loop's element
// with its color and a style sheet of the server's gives it
// (app/loop_colors.go), and it places the recording's stretches through
// their elements' style objects, which the policy does not govern, so no
// element needs a style attribute. A recording's download is a link to the
// blob the page made of it, which no fetch, image or media element loads.
// 'wasm-unsafe-eval' compiles the app's WASM; nothing evaluates a string.
func setPageHeaders(h http.Header, host string) {
	connect := "'self'"
	if validHost(host) {
		connect += " ws://" + host + " wss://" + host
	}
	h.Set("Content-Security-Policy", "default-src 'self'; "+
		"script-src 'self' 'wasm-unsafe-eval'; "+
		"connect-src "+connect+"; "+
		"img-src 'self' data:; media-src 'self'; style-src 'self'; font-src 'self'; "+
		"worker-src 'self'; manifest-src 'self'; object-src 'none'; base-uri 'none'; "+
		"form-action 'self'; frame-ancestors 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
}

// validHost reports whether a Host header is a plain host[:port] that is
// safe to write into the policy.
func validHost(host string) bool {
	if host == "" || len(host) > 255 {
		return false
	}
	return strings.IndexFunc(host, func(r rune) bool {
		return !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' ||
			r == '.' || r == '-' || r == ':' || r == '[' || r == ']')
	}) < 0
}
