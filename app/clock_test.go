package app

import (
	"math"
	"math/rand/v2"
	"sort"
	"testing"
	"time"
)

func TestClock(t *testing.T) {
	t.Run("the offset comes from the shortest round trips", func(t *testing.T) {
		c := newClock()
		// True offset 1000 ms. Slow round trips carry skew (the reply was
		// queued), fast ones almost none.
		c.Add(0, 80, 1000+70)   // rtt 80, skewed by +30
		c.Add(100, 102, 1101)   // rtt 2, exact
		c.Add(200, 260, 1201)   // rtt 60, skewed by -29 (1 ms up, 59 down)
		c.Add(300, 303, 1301.5) // rtt 3, exact
		c.Add(400, 402, 1401)   // rtt 2, exact
		off, ok := c.Offset()
		if !ok || math.Abs(off-1000) > 0.01 {
			t.Errorf("offset %v (ok %v), want 1000", off, ok)
		}
		if rtt := c.RTT(); rtt != 2 {
			t.Errorf("rtt %v, want 2", rtt)
		}
		if c.Samples() != 5 {
			t.Errorf("samples %d, want 5", c.Samples())
		}
	})
	t.Run("later estimates slew, never jump", func(t *testing.T) {
		c := newClock()
		for i := 0; i < 5; i++ {
			c.Add(float64(i*100), float64(i*100+2), float64(i*100+1+500))
		}
		before, _ := c.Offset()
		// The server's clock now reads 20 ms later: within snap range.
		for i := 5; i < 30; i++ {
			c.Add(float64(i*100), float64(i*100+2), float64(i*100)+1+520)
			now, _ := c.Offset()
			if step := math.Abs(now - before); step > c.slewMs+1e-9 {
				t.Fatalf("offset jumped %v ms in one estimate", step)
			}
			before = now
		}
		if off, _ := c.Offset(); math.Abs(off-520) > 0.01 {
			t.Errorf("offset %v after slewing, want 520", off)
		}
	})
	t.Run("much shorter round trips than the first ones win at once", func(t *testing.T) {
		c := newClock()
		// A busy start: slow, skewed samples.
		for i := 0; i < 8; i++ {
			c.Add(float64(i*100), float64(i*100+40), float64(i*100)+20+1000-30)
		}
		for i := 8; i < 12; i++ {
			c.Add(float64(i*100), float64(i*100+2), float64(i*100)+1+1000)
		}
		if off, _ := c.Offset(); math.Abs(off-1000) > 0.01 {
			t.Errorf("offset %v, want 1000", off)
		}
	})
	t.Run("on a jittery link the shortest round trips decide", func(t *testing.T) {
		c := newClock()
		// 50 ms each way, plus up to 25 ms of jitter in either direction.
		ups := []float64{70, 52, 61, 75, 50.5, 66, 58, 73, 55, 69, 51, 64}
		downs := []float64{55, 71, 50.2, 62, 51, 74, 57, 53, 68, 60, 72, 50.8}
		for i := range ups {
			t0 := float64(i * 1000)
			server := t0 + ups[i] + 5000
			c.Add(t0, t0+ups[i]+downs[i], server)
		}
		if off, _ := c.Offset(); math.Abs(off-5000) > 1.5 {
			t.Errorf("offset %v, want 5000 within 1.5 ms", off)
		}
	})
	t.Run("on a jittery link the bounds of every round trip pin the offset", func(t *testing.T) {
		c := newClock()
		// The fastest way up (50.5 ms) and the fastest way down (50.2 ms)
		// come in different round trips; together they bound the offset to
		// within 0.15 ms, closer than any one round trip can.
		ups := []float64{70, 52, 61, 75, 50.5, 66, 58, 73, 55, 69, 51, 64}
		downs := []float64{55, 71, 50.2, 62, 74, 51, 57, 53, 68, 60, 72, 50.8}
		for i := range ups {
			t0 := float64(i * 1000)
			c.Add(t0, t0+ups[i]+downs[i], t0+ups[i]+5000)
		}
		if off, _ := c.Offset(); math.Abs(off-5000) > 0.2 {
			t.Errorf("offset %v, want 5000 within 0.2 ms", off)
		}
	})
	t.Run("skewed samples at the start do not linger past the first burst", func(t *testing.T) {
		c := newClock()
		// A slow link, 125 ms round trips all along: the first three pongs
		// went up slowly (75 ms, 50 back), the next five came back slowly.
		// Only together do they show the offset; all eight are the
		// socket's first burst, before anything is scheduled.
		for i := 0; i < 8; i++ {
			up, down := 75.0, 50.0
			if i >= 3 {
				up, down = 50, 75
			}
			t0 := float64(i * 40)
			c.Add(t0, t0+up+down, t0+up+5000)
		}
		if off, _ := c.Offset(); math.Abs(off-5000) > 0.01 {
			t.Errorf("offset %v after the burst, want 5000", off)
		}
	})
	t.Run("a huge change snaps", func(t *testing.T) {
		c := newClock()
		for i := 0; i < 5; i++ {
			c.Add(float64(i*100), float64(i*100+2), float64(i*100+1))
		}
		for i := 5; i < 25; i++ {
			c.Add(float64(i*100), float64(i*100+2), float64(i*100+1)+5000)
		}
		if off, _ := c.Offset(); math.Abs(off-5000) > 0.01 {
			t.Errorf("offset %v, want 5000", off)
		}
	})
	t.Run("nonsense samples are ignored", func(t *testing.T) {
		c := newClock()
		c.Add(10, 5, 100)
		c.Add(math.NaN(), 5, 100)
		if _, ok := c.Offset(); ok || c.Samples() != 0 {
			t.Error("a negative or NaN round trip counted")
		}
	})
	t.Run("on a 50±25 ms link it settles within 3.2 s, within 4 ms of the truth, in 1000 of 1000 sessions", func(t *testing.T) {
		// The player may press Play 3 s after joining; the goal is the
		// same bar within 5 ms of a browser with a clean link.
		rng := rand.New(rand.NewPCG(10, 10))
		sessions(t, rng, link{delayMs: 50, jitterMs: 25}, 3200, 4)
	})
	t.Run("on a 50±25 ms link, on a page busy starting, it settles within 3.2 s, within 5 ms, in 1000 of 1000 sessions", func(t *testing.T) {
		// The page renders loops and its first views in its first 2.5 s:
		// half the pongs then are stamped up to 40 ms late.
		rng := rand.New(rand.NewPCG(12, 12))
		sessions(t, rng, link{delayMs: 50, jitterMs: 25, busyMs: 2500, lateMs: 40, lateShare: 0.5}, 3200, 5)
	})
	t.Run("on a clean link it settles with the first pings", func(t *testing.T) {
		rng := rand.New(rand.NewPCG(11, 11))
		for range 100 {
			r := simulate(rng, newClock(), link{delayMs: 0.5, jitterMs: 0.2}, 5000)
			if r.at > 500 || r.err > 0.3 {
				t.Fatalf("settled %.0f ms after the welcome, %.2f ms off; want within 500 ms and 0.3 ms", r.at, r.err)
			}
			if r.pings > 30 {
				t.Fatalf("%d pings in 5 s: the burst went on past the settling", r.pings)
			}
		}
	})
	t.Run("it does not settle before a few pongs", func(t *testing.T) {
		c := newClock()
		for i := 0; i < c.best-1; i++ {
			c.Add(float64(i*40), float64(i*40+1), float64(i*40)+0.5)
		}
		if c.Settled() {
			t.Errorf("settled after %d pongs", c.Samples())
		}
	})

	t.Run("each estimate is the one the whole window sorted gives", func(t *testing.T) {
		// estimate and gaps pick the few values they need in passes over
		// the window; here they are checked against the window sorted.
		// The server's clock drifts for a while, so that the samples'
		// bounds part at times (the median of the fastest then stands).
		rng := rand.New(rand.NewPCG(7, 9))
		c := newClock()
		parted := 0
		for i := range 400 {
			t0 := float64(i) * 30
			rtt := 1 + rng.ExpFloat64()*20
			up := rng.Float64() * rtt
			drift := 0.1 * float64(min(i, 200))
			c.Add(t0, t0+rtt, t0+up+1000+drift)
			offset := c.target()
			wantOffset, wantRTT, wantSpread := sortedEstimate(c)
			if math.IsInf(wantSpread, 1) {
				parted++
			}
			if offset != wantOffset || c.RTT() != wantRTT || c.Spread() != wantSpread && !(math.IsInf(c.Spread(), 1) && math.IsInf(wantSpread, 1)) {
				t.Fatalf("pong %d: offset %v, rtt %v, spread %v; sorted, %v, %v and %v", i, offset, c.RTT(), c.Spread(), wantOffset, wantRTT, wantSpread)
			}
		}
		if parted == 0 || parted == 400 {
			t.Fatalf("the bounds parted for %d pongs of 400: the check misses one way", parted)
		}
	})
}

// link is a simulated link: every message is held delayMs ± jitterMs
// (uniform) each way, in order, as TCP does; for the first busyMs, a share
// lateShare of the pongs are stamped up to lateMs late (uniform), as a page
// busy starting does.
type link struct {
	delayMs, jitterMs         float64
	busyMs, lateMs, lateShare float64
}

// simulated is how a simulated session went: when the clock first settled
// (ms after the welcome), its error then and 3 s after the welcome, and
// how many pings went out.
type simulated struct {
	at, err, err3s float64
	pings          int
}

// simulate pings as the socket client does, from its welcome for untilMs,
// over l, telling the client when the clock settled as the page does; the
// server's clock is the local one (offset 0).
func simulate(rng *rand.Rand, c *clock, l link, untilMs float64) simulated {
	client := newJamClient("", "", "", nil, nil)
	var upLast, downLast float64
	hold := func(at float64, last *float64) float64 {
		due := math.Max(at+l.delayMs-l.jitterMs+2*l.jitterMs*rng.Float64(), *last)
		*last = due
		return due
	}
	r := simulated{at: math.Inf(1)}
	var pending []pong
	// feed gives the clock every pong that arrived by local ms now.
	feed := func(now float64) {
		sort.Slice(pending, func(i, j int) bool { return pending[i].t1 < pending[j].t1 })
		for len(pending) > 0 && pending[0].t1 <= now {
			p := pending[0]
			pending = pending[1:]
			if p.t1 > 3000 && r.err3s == 0 {
				off, _ := c.Offset()
				r.err3s = math.Max(math.Abs(off), 1e-9)
			}
			stamped := p.t1
			if p.t1 < l.busyMs && rng.Float64() < l.lateShare {
				stamped += l.lateMs * rng.Float64()
			}
			c.Add(p.t0, stamped, p.server)
			if math.IsInf(r.at, 1) && c.Settled() {
				off, _ := c.Offset()
				r.at, r.err = p.t1, math.Abs(off)
				client.Settled()
			}
		}
	}
	t0 := 0.0
	for i := 0; t0 < untilMs; i++ {
		feed(t0)
		server := hold(t0, &upLast)
		pending = append(pending, pong{t0: t0, server: server, t1: hold(server, &downLast)})
		r.pings++
		t0 += float64(client.pingGap(i)) / float64(time.Millisecond)
	}
	feed(math.Inf(1))
	return r
}

// sessions simulates 1000 sessions on l and wants each settled within
// atMs of its welcome and within errMs of the truth then and 3 s after the
// welcome.
func sessions(t *testing.T, rng *rand.Rand, l link, atMs, errMs float64) {
	t.Helper()
	var ats, errs, errs3s []float64
	for range 1000 {
		r := simulate(rng, newClock(), l, 5000)
		ats, errs, errs3s = append(ats, r.at), append(errs, r.err), append(errs3s, r.err3s)
	}
	for _, s := range [][]float64{ats, errs, errs3s} {
		sort.Float64s(s)
	}
	t.Logf("settled %.0f ms after the welcome (max %.0f), %.2f ms off then (p99 %.2f, max %.2f); 3 s after the welcome %.2f ms off (p99 %.2f, max %.2f)",
		ats[500], ats[999], errs[500], errs[990], errs[999], errs3s[500], errs3s[990], errs3s[999])
	if ats[999] > atMs || errs[999] > errMs || errs3s[999] > errMs {
		t.Errorf("settled up to %.0f ms after the welcome, up to %.2f ms off (%.2f ms at 3 s); want within %.0f ms and %.1f ms", ats[999], errs[999], errs3s[999], atMs, errMs)
	}
}

// pong is one simulated pong: the local times around it and the server's.
type pong struct{ t0, t1, server float64 }

// sortedEstimate is what clock.estimate finds, made by sorting the whole
// window: the offset of the samples near the shortest round trip (their
// median, or the middle of every sample's bounds where they meet), the
// shortest round trip, and the spread.
func sortedEstimate(c *clock) (offset, rtt, spread float64) {
	sorted := append([]clockSample(nil), c.samples...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].rtt < sorted[j].rtt })
	limit := sorted[0].rtt*(1+c.near) + 0.5
	var offsets []float64
	for _, s := range sorted {
		if s.rtt > limit {
			break
		}
		offsets = append(offsets, s.offset)
	}
	sort.Float64s(offsets)
	offset = offsets[len(offsets)/2]
	if len(offsets)%2 == 0 {
		offset = (offsets[len(offsets)/2-1] + offsets[len(offsets)/2]) / 2
	}
	lo, hi := math.Inf(-1), math.Inf(1)
	for _, s := range c.samples {
		lo, hi = math.Max(lo, s.offset-s.rtt/2), math.Min(hi, s.offset+s.rtt/2)
	}
	spread = math.Inf(1)
	if lo <= hi {
		offset = (lo + hi) / 2
		if len(c.samples) >= 4 {
			ups, downs := make([]float64, len(c.samples)), make([]float64, len(c.samples))
			for i, s := range c.samples {
				ups[i], downs[i] = s.offset+s.rtt/2, -(s.offset - s.rtt/2)
			}
			sort.Float64s(ups)
			sort.Float64s(downs)
			spread = math.Max(ups[3]-ups[0], downs[3]-downs[0]) / 3
		}
	}
	return offset, sorted[0].rtt, spread
}
