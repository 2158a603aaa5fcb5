//go:build !wasm

package server

import (
	"net"
	"net/http"
	"strings"
)

// clientAddr returns the address a request's socket counts against: the
// peer's IP, or with TrustProxy the last entry of X-Forwarded-For, which the
// proxy in front of the server wrote (any entry before it is the client's
// own word). An IPv6 address counts as its /64 (addrKey).
func (s *Server) clientAddr(r *http.Request) string {
	if s.cfg.TrustProxy {
		xff := r.Header.Values("X-Forwarded-For")
		if len(xff) > 0 {
			parts := strings.Split(xff[len(xff)-1], ",")
			if ip := net.ParseIP(strings.TrimSpace(parts[len(parts)-1])); ip != nil {
				return addrKey(ip)
			}
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	if ip := net.ParseIP(host); ip != nil {
		return addrKey(ip)
	}
	return host
}

// addrKey is what an IP address counts as for the per-address limits: an
// IPv4 address itself, an IPv6 address its /64, the block a home or a
// server is given whole: one host may use every address of it, so a limit
// per IPv6 address would be no limit.
func addrKey(ip net.IP) string {
	if v4 := ip.To4(); v4 != nil {
		return v4.String()
	}
	return ip.Mask(net.CIDRMask(64, 128)).String() + "/64"
}

// admit takes a socket slot for addr, or returns the status that refuses
// the upgrade: 503 while the server drains or holds MaxSockets, 429 while
// addr holds MaxSocketsPerAddr.
func (s *Server) admit(addr string) (refused int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.draining:
		return http.StatusServiceUnavailable
	case s.sockets >= s.cfg.MaxSockets:
		s.metrics.refused.WithLabelValues("total").Inc()
		return http.StatusServiceUnavailable
	case s.perAddr[addr] >= s.cfg.MaxSocketsPerAddr:
		s.metrics.refused.WithLabelValues("address").Inc()
		return http.StatusTooManyRequests
	}
	s.sockets++
	s.perAddr[addr]++
	return 0
}

// unadmit gives back addr's socket slot.
func (s *Server) unadmit(addr string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.release(addr)
}

// release gives back addr's socket slot. s.mu is held.
func (s *Server) release(addr string) {
	s.sockets--
	if n := s.perAddr[addr] - 1; n > 0 {
		s.perAddr[addr] = n
	} else {
		delete(s.perAddr, addr)
	}
}
