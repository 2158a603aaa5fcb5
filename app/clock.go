package app

import (
	"math"
	"slices"
)

// clock estimates the offset from this browser's clock to the server's from
// ping round trips: server ms = local ms + offset. It trusts the samples
// with the shortest round trips, the least queueing in either direction and
// so the least skew: the median offset of those within a whisker of the
// shortest. It moves the offset it reports slowly, so that a new estimate
// never shifts the schedule audibly.
type clock struct {
	// window is how many recent samples are kept: enough to hold the
	// socket's whole first burst (on a jittery link the offset is only as
	// good as the fastest round trips among many), few enough to follow a
	// drifting clock.
	window int
	// best is how many samples set the offset outright, at the start: the
	// socket's first burst of pings, so that a few skewed samples taken
	// while the page starts up do not linger for many slewing estimates.
	best int
	// near is how much longer than the shortest a round trip may be and
	// still count, as a fraction of the shortest plus a fixed 0.5 ms.
	near float64
	// slewMs is the most the offset moves per estimate once it is set;
	// 2 ms every few seconds is far below what an ear can hear.
	slewMs float64
	// settleMs is the spread (see Spread) below which the clock is
	// settled: the offset is then off by about half of it or less.
	settleMs float64
	// settleMax is how many samples settle the clock whatever the link:
	// the socket's longest first burst; more would not make it much
	// better, and the player should not wait.
	settleMax int
	// snapMs is the change beyond which the offset jumps at once: the
	// local clock was set, or the server changed, and slewing would take
	// minutes.
	snapMs float64

	samples []clockSample
	// scratch is where estimate sorts the offsets it uses, kept between
	// estimates.
	scratch []float64
	offset  float64
	rtt     float64
	// basis is the round trip of the samples the offset last came from
	// outright: much shorter round trips are better evidence, worth a jump.
	basis float64
	// spread is how far the fastest trips each way are likely to be from
	// the fastest the link allows (see Spread).
	spread float64
	ready  bool
	total  int
}

type clockSample struct {
	offset, rtt float64
}

func newClock() *clock {
	return &clock{window: 100, best: 8, near: 0.05, slewMs: 2, settleMs: 0.5, settleMax: 100, snapMs: 50}
}

// Add records a pong: t0 and t1 are the local ms the ping left and the pong
// arrived, server the server's ms in the pong.
func (c *clock) Add(t0, t1, server float64) {
	rtt := t1 - t0
	if rtt < 0 || math.IsNaN(rtt) || math.IsInf(rtt, 0) {
		return
	}
	c.samples = append(c.samples, clockSample{offset: server - (t0+t1)/2, rtt: rtt})
	if len(c.samples) > c.window {
		c.samples = c.samples[len(c.samples)-c.window:]
	}
	c.total++
	c.estimate()
}

// estimate moves the offset toward what the window tells (see target).
func (c *clock) estimate() {
	offset := c.target()
	// The first samples set the offset outright: nothing is scheduled yet.
	// So do samples far better than those the offset came from (the first
	// ones are often taken while the page is still busy starting), and a
	// change too large to slew away in reasonable time.
	if !c.ready || c.total <= c.best || c.rtt < 0.6*c.basis || math.Abs(offset-c.offset) > c.snapMs {
		c.offset, c.basis = offset, c.rtt
		c.ready = true
		return
	}
	c.offset += math.Max(-c.slewMs, math.Min(c.slewMs, offset-c.offset))
}

// target returns the offset the window tells, and sets the shortest round
// trip and the spread, anew for every pong: one pass for the shortest round
// trip and one for the offsets near it, the only ones sorted (a sort of the
// whole window, and two more in gaps, for each of a first burst's 100 pongs
// made tasks of 10 ms in the page).
func (c *clock) target() float64 {
	c.rtt = math.Inf(1)
	for _, s := range c.samples {
		c.rtt = math.Min(c.rtt, s.rtt)
	}
	limit := c.rtt*(1+c.near) + 0.5
	offsets := c.scratch[:0]
	for _, s := range c.samples {
		if s.rtt <= limit {
			offsets = append(offsets, s.offset)
		}
	}
	slices.Sort(offsets)
	c.scratch = offsets
	offset := offsets[len(offsets)/2]
	if len(offsets)%2 == 0 {
		offset = (offsets[len(offsets)/2-1] + offsets[len(offsets)/2]) / 2
	}
	// Every sample bounds the offset: server - t1 <= offset <= server - t0.
	// Where the bounds of all samples meet, the middle of what they allow
	// beats any one sample: on a jittery link even the shortest round
	// trips split unevenly between the two ways. Where they do not meet
	// (the clocks drifted over the window), the median above stands.
	lo, hi := math.Inf(-1), math.Inf(1)
	for _, s := range c.samples {
		lo, hi = math.Max(lo, s.offset-s.rtt/2), math.Min(hi, s.offset+s.rtt/2)
	}
	c.spread = math.Inf(1)
	if lo <= hi {
		offset = (lo + hi) / 2
		c.spread = c.gaps()
	}
	return offset
}

// gaps estimates how far the fastest trip each way among the samples is
// from the fastest the link allows: the mean gap between the best few
// bounds each way (where trips are spread evenly near the fastest, the
// fastest seen is about one gap above it), the larger of the two ways.
// The offset rests on the two fastest trips, so it is off by about half the
// difference of their excesses: less than the spread, mostly far less.
func (c *clock) gaps() float64 {
	if len(c.samples) < len(lowest{}) {
		return math.Inf(1)
	}
	ups, downs := newLowest(), newLowest()
	for _, s := range c.samples {
		ups.add(s.offset + s.rtt/2)
		downs.add(-(s.offset - s.rtt/2))
	}
	return math.Max(ups.gap(), downs.gap())
}

// lowest keeps the lowest few values it is given, in ascending order.
type lowest [4]float64

func newLowest() lowest { return lowest{math.Inf(1), math.Inf(1), math.Inf(1), math.Inf(1)} }

func (l *lowest) add(v float64) {
	i := len(l) - 1
	if v >= l[i] {
		return
	}
	for ; i > 0 && l[i-1] > v; i-- {
		l[i] = l[i-1]
	}
	l[i] = v
}

// gap is the mean gap between the values kept.
func (l *lowest) gap() float64 { return (l[len(l)-1] - l[0]) / float64(len(l)-1) }

// Spread returns how far the fastest trips each way are likely to be from
// the fastest the link allows, in ms; the offset is off by about half of
// it. Infinite until the samples agree on an offset.
func (c *clock) Spread() float64 { return c.spread }

// Offset returns the smoothed offset in ms, and whether any sample came.
func (c *clock) Offset() (float64, bool) { return c.offset, c.ready }

// Settled reports whether the offset is as good as it will get soon, so a
// loop started now lands in time. The offset rests on the fastest trip each
// way among the samples: on a clean link the first pings tell it; on a
// jittery one it takes many more to catch trips near the fastest both ways,
// which the spread tells (see Spread); on a page busy starting, which
// stamps some pongs late, more still.
func (c *clock) Settled() bool {
	if !c.ready || c.total < c.best {
		return false
	}
	return c.total >= c.settleMax || c.spread <= c.settleMs
}

// RTT returns the shortest round trip the estimate rests on.
func (c *clock) RTT() float64 { return c.rtt }

// Samples returns how many pongs the clock has seen.
func (c *clock) Samples() int { return c.total }
