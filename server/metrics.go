//go:build !wasm

package server

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Close reasons, the "reason" label of loops_closes_total.
const (
	reasonClient      = "client"       // the client closed or went away
	reasonBadFrame    = "bad_frame"    // 1007
	reasonBinary      = "binary"       // 1003
	reasonTooBig      = "too_big"      // 1009
	reasonRateLimited = "rate_limited" // 1008
	reasonSlow        = "slow"         // 1008, outgoing queue full
	reasonNoPong      = "no_pong"      // 1008, two pings in a row unanswered
	reasonWriteFailed = "write_failed" // a write failed or timed out
	reasonDraining    = "draining"     // 1001
	reasonReplaced    = "replaced"     // 4000, a resume took the user over
	reasonNoJoin      = "no_join"      // 1008, no join within the join timeout
	reasonUnavailable = "unavailable"  // 1012, the node lost the cluster
)

// metrics are the server's Prometheus metrics, in a registry of its own so
// that any number of servers can live in one process.
type metrics struct {
	reg    *prometheus.Registry
	joins  prometheus.Counter
	in     prometheus.Counter
	out    prometheus.Counter
	closes *prometheus.CounterVec
	pings  prometheus.Counter
	fanout prometheus.Histogram
	// recordings counts recordings saved.
	recordings prometheus.Counter
	// refused counts the socket upgrades refused by the admission limits.
	refused *prometheus.CounterVec
}

func newMetrics(h *hub) *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		joins: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "loops_joins_total", Help: "Users placed in a jam.",
		}),
		in: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "loops_messages_in_total", Help: "Frames received from clients.",
		}),
		out: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "loops_messages_out_total", Help: "Frames written to clients.",
		}),
		closes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "loops_closes_total", Help: "Connections ended, by reason.",
		}, []string{"reason"}),
		recordings: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "loops_recordings_total", Help: "Recordings saved.",
		}),
		pings: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "loops_pings_total", Help: "WebSocket pings sent to connections that had been quiet.",
		}),
		fanout: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "loops_fanout_seconds",
			Help:    "Time from receiving a message to writing a frame it caused to one member.",
			Buckets: []float64{.0005, .001, .0025, .005, .0075, .01, .015, .02, .025, .05, .1, .25, .5, 1, 2.5},
		}),
	}
	m.refused = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "loops_sockets_refused_total", Help: "Socket upgrades refused, by limit (total: 503, address: 429).",
	}, []string{"limit"})
	m.refused.WithLabelValues("total")
	m.refused.WithLabelValues("address")
	m.reg.MustRegister(m.joins, m.recordings, m.in, m.out, m.closes, m.pings, m.fanout, m.refused,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "loops_jams", Help: "Jams with members."},
			func() float64 { return float64(h.stats().Jams) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "loops_users", Help: "Users in a jam."},
			func() float64 { return float64(h.stats().Users) }),
		// The runtime's and the process's own figures (goroutines, heap,
		// RSS, CPU, open files): what a load run watches for growth.
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	for _, r := range []string{reasonClient, reasonBadFrame, reasonBinary, reasonTooBig, reasonRateLimited,
		reasonSlow, reasonNoPong, reasonWriteFailed, reasonDraining, reasonReplaced, reasonNoJoin, reasonUnavailable} {
		m.closes.WithLabelValues(r)
	}
	return m
}

func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}
