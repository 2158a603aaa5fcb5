//go:build !wasm

package app

import (
	"math"
	"math/rand/v2"
	"sort"
	"testing"
	"time"
)

// BenchmarkClockJitteryLink measures the clock estimator alone on a
// simulated link like the sync benchmark's delaying proxy: 50 ms ± 25 ms
// (uniform) each way, in order, with the app's ping schedule (the socket
// client's pingGap). Each iteration is one
// session; the error of the offset (the true one is 0) 30 s into it is
// reported as percentiles over the sessions. "intersection-N" is a
// comparison, not the app's: the offset lies within [server - t1,
// server - t0] for every sample, and it takes the middle of the
// intersection of the last N such intervals (16 is the app's window; 64
// is 3 minutes of pings, long enough for clock drift to matter).
func BenchmarkClockJitteryLink(b *testing.B) {
	for _, est := range []struct {
		name string
		new  func() offsetEstimator
	}{
		{"app", func() offsetEstimator { return appClock{newClock()} }},
		{"intersection-16", func() offsetEstimator { return &intersection{window: 16} }},
		{"intersection-64", func() offsetEstimator { return &intersection{window: 64} }},
	} {
		b.Run(est.name, func(b *testing.B) {
			rng := rand.New(rand.NewPCG(1, 2))
			var errs []float64
			for b.Loop() {
				errs = append(errs, math.Abs(simulateSession(rng, est.new(), 30000)))
			}
			sort.Float64s(errs)
			b.ReportMetric(errs[len(errs)/2], "p50-ms")
			b.ReportMetric(errs[len(errs)*95/100], "p95-ms")
			b.ReportMetric(errs[len(errs)*99/100], "p99-ms")
			b.ReportMetric(errs[len(errs)-1], "max-ms")
		})
	}
}

type offsetEstimator interface {
	Add(t0, t1, server float64)
	Offset() (float64, bool)
}

type appClock struct{ *clock }

// intersection is the comparison estimator.
type intersection struct {
	window int
	lo, hi []float64
}

func (c *intersection) Add(t0, t1, server float64) {
	c.lo = append(c.lo, server-t1)
	c.hi = append(c.hi, server-t0)
	if len(c.lo) > c.window {
		c.lo, c.hi = c.lo[1:], c.hi[1:]
	}
}

func (c *intersection) Offset() (float64, bool) {
	if len(c.lo) == 0 {
		return 0, false
	}
	lo, hi := math.Inf(-1), math.Inf(1)
	for i := range c.lo {
		lo, hi = math.Max(lo, c.lo[i]), math.Min(hi, c.hi[i])
	}
	if lo > hi { // no common interval: the clocks moved; trust the last
		n := len(c.lo) - 1
		return (c.lo[n] + c.hi[n]) / 2, true
	}
	return (lo + hi) / 2, true
}

// simulateSession pings over the jittery link until atMs and returns the
// estimator's offset then.
func simulateSession(rng *rand.Rand, est offsetEstimator, atMs float64) float64 {
	var upLast, downLast float64
	link := func(at float64, last *float64) float64 {
		due := math.Max(at+25+50*rng.Float64(), *last)
		*last = due
		return due
	}
	client := newJamClient("", "", "", nil, nil)
	t0 := 0.0
	for i := 0; t0 < atMs; i++ {
		server := link(t0, &upLast)
		t1 := link(server, &downLast)
		est.Add(t0, t1, server)
		t0 += float64(client.pingGap(i)) / float64(time.Millisecond)
	}
	off, _ := est.Offset()
	return off
}
