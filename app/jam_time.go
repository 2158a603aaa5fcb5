package app

import "github.com/loopswithfriends/loops/shared"

// jamTime is the jam's time as this browser knows it: the jam's timeline and
// the offset from the local clock to the server's (server ms = local ms +
// offset). The session owns it and alone changes it; the engine, the
// playheads and the page read it, so that the timeline and the offset live
// in one place.
type jamTime struct {
	// local is this browser's clock in ms since the Unix epoch, the one
	// pings are stamped with.
	local func() float64
	// est turns pongs into the offset.
	est *clock

	timeline shared.Timeline
	offsetMs float64
	// synced is set by the first pong: until then the offset is the first
	// welcome's guess, good to a round trip.
	synced bool
}

func newJamTime(local func() float64) *jamTime {
	return &jamTime{local: local, est: newClock(), timeline: shared.NewTimeline(0)}
}

// Timeline returns the jam's timeline.
func (t *jamTime) Timeline() shared.Timeline { return t.timeline }

// Offset returns the offset in ms from the local clock to the server's.
func (t *jamTime) Offset() float64 { return t.offsetMs }

// Synced reports whether the offset rests on pongs, not on a guess.
func (t *jamTime) Synced() bool { return t.synced }

// Settled reports whether the offset is as good as it will get soon, so a
// loop started now lands in time (see clock.Settled).
func (t *jamTime) Settled() bool { return t.synced && t.est.Settled() }

// RTT returns the shortest round trip the offset rests on.
func (t *jamTime) RTT() float64 { return t.est.RTT() }

// Now returns the server's clock now, in ms.
func (t *jamTime) Now() float64 { return t.local() + t.offsetMs }

// ServerMs returns the server time of a local time.
func (t *jamTime) ServerMs(localMs float64) float64 { return localMs + t.offsetMs }

// NextBar returns the next bar to start on the jam's grid.
func (t *jamTime) NextBar() int64 { return t.timeline.NextBar(t.Now()) }

// guess sets the offset from a welcome's server time, until pongs come.
func (t *jamTime) guess(serverMs float64) {
	if !t.synced {
		t.offsetMs = serverMs - t.local()
	}
}

// pong adds a ping's round trip to the estimate.
func (t *jamTime) pong(t0, t1, server float64) {
	t.est.Add(t0, t1, server)
	if off, ok := t.est.Offset(); ok {
		t.offsetMs, t.synced = off, true
	}
}
