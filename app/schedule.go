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
	// says it should be before it is re-anchored with a short crossfade.
	// The output clock's readings agree to about 0.2 ms, so this only fires
	// when the clock offset was corrected (mostly in a page's first
	// seconds) or the audio clock glitched, and it keeps browsers within a
	// couple of ms.
	driftSec = 0.0015
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

// drifted reports whether a source anchored at anchor has moved off the
// grid, which now puts its bar at audio time at.
func drifted(anchor, at float64) bool { return math.Abs(at-anchor) >= driftSec }
