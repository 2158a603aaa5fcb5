//go:build !wasm

package server

import (
	"encoding/json"
	"net/http"

	"github.com/loopswithfriends/loops/shared"
)

// Stats returns the numbers GET /api/stats serves, without the hub's lock.
func (s *Server) Stats() shared.Stats { return s.hub.stats() }

// JamSizes returns what the admin listener's GET /api/jams serves.
func (s *Server) JamSizes() shared.JamSizes { return s.hub.jamSizes() }

// serveLoops serves GET /api/loops: the default kit's loops.
func (s *Server) serveLoops(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, shared.DefaultKit().Loops)
}

// serveKits serves GET /api/kits: every kit, with its timeline and loops.
func (s *Server) serveKits(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, shared.Kits)
}

// serveStats serves GET /api/stats.
func (s *Server) serveStats(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, s.hub.stats())
}

// serveHealth serves GET /healthz: 200 while joins are accepted, 503 while
// the server drains.
func (s *Server) serveHealth(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	if s.isDraining() {
		http.Error(w, "draining", http.StatusServiceUnavailable)
		return
	}
	_, _ = w.Write([]byte("ok\n"))
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(v)
}
