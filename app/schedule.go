package app

import (
	"math"

	"github.com/loopswithfriends/loops/shared"
)

// Ramps and leads that keep starts, stops and volume changes free of clicks.
const (
	fadeInSec  = 0.004
	fadeOutSec = 0.012
	// volumeTau is the time constant of a volume change.
	volumeTau = 0.02
	// lateLeadSec is how far ahead a late start is scheduled: far enough
	// that the audio thread sees it before its time, close enough to sound
	// at once.
	lateLeadSec = 0.03
	// driftSec is how far a sounding loop may drift from where the clock
	// says it should be before it is re-anchored with a short crossfade,
	// where the output clock is steady: Chromium's readings agree to about
	// 0.2 ms, so this fires when the clock offset was corrected (mostly in
	// a page's first seconds) or the audio clock glitched, and it keeps
	// browsers within a couple of ms. Where the output clock wobbles more
	// (Firefox's, by ±1-3 ms), the bound is its wobble plus driftMarginSec.
	driftSec       = 0.0015
	driftMarginSec = 0.0005
	// driftPersistMs is how long a drift must last before the loop is
	// re-anchored: a restart is audible, and a mapping that wobbles comes
	// back by itself. driftJumpSec is a drift fixed at once: a glitch or a
	// jump of the clock offset that no one should hear for seconds.
	driftPersistMs = 2000
	driftJumpSec   = 0.010
)

// sourceStart is how one loop source starts: at audio time When, Offset
// seconds into its buffer, played at Rate.
type sourceStart struct {
	When, Offset, Rate float64
	// Anchor is the audio time the bar's start maps to: when the clock
	// mapping moves away from it, the source is re-anchored.
	Anchor float64
	// ServerMs is the bar's start on the server's clock.
	ServerMs float64
}

// scheduleStart returns how to start a loop of bufSec seconds so that it
// plays bar on, phase-locked to the timeline: at the bar's audio time, or,
// when that is past (a late message, a buffer that just finished
// rendering), lateLeadSec after nowSec and in phase. shiftMs maps server time to
// audio time: audio s = (server ms - shiftMs) / 1000. A buffer rendered for
// another tempo is stretched to the jam's grid.
func scheduleStart(tl shared.Timeline, bar int64, shiftMs, nowSec, bufSec float64) sourceStart {
	barMs := tl.BarStart(bar)
	at := (barMs - shiftMs) / 1000
	when := math.Max(at, nowSec+lateLeadSec)
	serverAt := barMs + (when-at)*1000
	loopSec := tl.LoopSeconds()
	st := sourceStart{When: when, Offset: tl.Phase(serverAt) / 1000, Rate: 1, Anchor: at, ServerMs: barMs}
	if bufSec > 0 && math.Abs(bufSec-loopSec) > 1e-3 {
		st.Rate = bufSec / loopSec
		st.Offset *= st.Rate
	}
	return st
}

// drift follows how long a sounding loop has been off the grid.
type drift struct {
	off   bool
	since float64 // the local ms it was first seen off
}

// due reports whether a source anchored at anchor, whose bar the grid now
// puts at audio time at, must be re-anchored at local ms nowMs: it is
// further off than tol (seconds) and has been for driftPersistMs, or is off
// by driftJumpSec or more.
func (d *drift) due(anchor, at, tol, nowMs float64) bool {
	off := math.Abs(at - anchor)
	if off >= driftJumpSec {
		return true
	}
	if off < tol {
		d.off = false
		return false
	}
	if !d.off {
		d.off, d.since = true, nowMs
	}
	return nowMs-d.since >= driftPersistMs
}

// driftBound returns how far (seconds) a loop may drift before it counts as
// off the grid, for an output clock that wobbles by wobbleMs: at least
// driftSec, and never past driftJumpSec.
func driftBound(wobbleMs float64) float64 {
	return math.Min(driftJumpSec, math.Max(driftSec, wobbleMs/1000+driftMarginSec))
}
