//go:build !wasm

package server

import (
	"net/http"
	"net/http/pprof"
	"runtime"
	"runtime/trace"
	"time"
)

// serveJams serves the admin listener's GET /api/jams: every jam's id and
// member count.
func (s *Server) serveJams(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, s.hub.jamSizes())
}

// handleProfiles serves Go's profiles at /debug/pprof/ on mux, with
// blocking and mutex contention sampled, and the last seconds of the
// execution trace at /debug/flight (a flight recorder, for the moments
// around a latency outlier: `loops load -outlier-trace` fetches it).
func (s *Server) handleProfiles(mux *http.ServeMux) {
	runtime.SetBlockProfileRate(int(50 * time.Microsecond))
	runtime.SetMutexProfileFraction(20)
	fr := trace.NewFlightRecorder(trace.FlightRecorderConfig{MinAge: 5 * time.Second, MaxBytes: 64 << 20})
	flight := fr.Start() == nil
	s.stopFlight = func() {
		if flight {
			fr.Stop()
		}
	}
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	mux.HandleFunc("/debug/flight", func(w http.ResponseWriter, r *http.Request) {
		if !flight {
			http.Error(w, "no flight recorder", http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "application/octet-stream")
		_, _ = fr.WriteTo(w)
	})
}
