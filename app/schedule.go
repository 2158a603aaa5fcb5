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
	// says it should be before it is steered back, where the output clock
	// is steady: Chromium's readings agree to about 0.2 ms. Where the
	// output clock wobbles more (Firefox's, by ±1-3 ms), the bound is its
	// wobble plus driftMarginSec, so that a wobble that comes back by
	// itself is not chased.
	driftSec       = 0.0015
	driftMarginSec = 0.0005
	// A sounding loop off the grid is steered back by its playback rate,
	// not restarted: a restart crossfades the bar against itself, which is
	// audible, and an audio clock that slips (Firefox's output clock moved
	// 0.34 % against the wall clock on a quiet box) or glitches by a buffer
	// (Chromium's, 10 ms) would restart it again and again. The rate moves
	// off the loop's own by the drift over nudgeTauSec a second, so a
	// drift decays with that time constant, by at most nudgeMax (0.5 %,
	// under 9 cents: a pitch change no one hears in a mix, and more than a
	// slipping clock needs). The nudge ends when the loop is within
	// nudgeDoneSec of the grid; a rate moves only in steps of nudgeStep,
	// so that the wobble of the clock does not become a stream of changes.
	nudgeMax     = 0.005
	nudgeTauSec  = 1.0
	nudgeDoneSec = 0.0002
	nudgeStep    = 0.0001
	// restartSec is a drift that is re-anchored with a short crossfade
	// once it persists (see restartHold): at nudgeMax it would take 10 s
	// to make up (a jump of the clock offset, a long stall of the audio
	// thread).
	restartSec = 0.050
	// moveSec is how far a start still to come may be off the grid before
	// it is simply moved: nothing sounds yet, so moving it costs nothing.
	moveSec = 0.0002
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

// follow is how a sounding source follows the grid: the audio time its
// bar's start maps to (its anchor), as of audio time since, and the factor
// its playback rate plays at since then (1: the loop's own rate). A factor
// above 1 moves the anchor earlier by (factor-1) s each second.
//
// It steers like a PI controller: once the drift passed the bound, the
// rate moves off by the drift over nudgeTauSec (to make it up), and by
// trim, what the drift within the bound added up to over nudgeTrimSec
// (what an audio clock that runs slow or fast against the wall clock needs
// all along), until
// the loop is within nudgeDoneSec of the grid; then it plays on at its own
// rate with trim.
type follow struct {
	anchor, since, factor float64
	trim                  float64
	engaged               bool
	// hold is how long a drift past restartSec has lasted.
	hold restartHold
	// last is the audio time of the last steer.
	last float64
	// nudges counts the rate changes, for the diagnostics.
	nudges int
}

// nudgeTrimSec is the integral time of the steering: with nudgeTauSec,
// critically damped (no ringing).
const nudgeTrimSec = 4 * nudgeTauSec * nudgeTauSec

func newFollow(anchor, when float64) follow {
	return follow{anchor: anchor, since: when, factor: 1, last: when}
}

// anchorAt returns the source's anchor at audio time t.
func (f *follow) anchorAt(t float64) float64 {
	return f.anchor + (1-f.factor)*(t-f.since)
}

// The audio clock at a steer, as the stall watch (see stallWatch) sees it.
type clockState int

const (
	// clockRunning: no stall of the audio thread is on, nor just ended.
	clockRunning clockState = iota
	// clockStalling: a stall is on, and the output clock's mapping is on
	// its way to where it leaves the loop, or one ended and the clock has
	// yet to settle (see stallSettleMs): no drift is judged yet, the loop
	// is only steered.
	clockStalling
	// clockStalled: stalls that lost audio ended since the last steer, and
	// the clock settled since: the output clock has forgotten its readings
	// from before them, and the loop is where they and the steering since
	// left it.
	clockStalled
)

// steer decides what a sounding source does, whose bar the grid puts at
// audio time at, from audio time from on (a rate change takes effect then),
// with tol the drift that may be left alone, the audio clock as clock says:
// restart, or play at a new rate factor from from (changed), or go on as it
// is. A drift past restartSec restarts once it persists (see restartHold),
// or at once when stalls ended and the clock settled (clockStalled): it is
// where they left the loop less what the rate made up since, not a step on
// the way there, so it restarts at once, the one restart they owe. While a
// stall is on or settling, nothing restarts. A drift past restartSec is
// steered meanwhile, as any other.
func (f *follow) steer(at, from, tol float64, clock clockState) (restart bool, factor float64, changed bool) {
	from = math.Max(from, f.since)
	off := at - f.anchorAt(from)
	switch {
	case clock == clockStalling:
	case clock == clockStalled && math.Abs(off) >= restartSec, f.hold.persists(from, off):
		return true, f.factor, false
	}
	dt := math.Max(0, math.Min(2, from-f.last))
	f.last = from
	if math.Abs(off) > tol {
		f.engaged = true
	}
	target := 1 + f.trim
	if f.engaged {
		// Later on the grid than the source has it: the source runs ahead,
		// slow it down, and the other way round.
		// The trim learns only from drifts within the bound: a glitch's
		// jump is made up by the first term, and is no clock running slow.
		if math.Abs(off) <= tol {
			f.trim = math.Max(-nudgeMax, math.Min(nudgeMax, f.trim-off*dt/nudgeTrimSec))
		}
		target = 1 + f.trim - off/nudgeTauSec
		if math.Abs(off) < nudgeDoneSec {
			f.engaged, target = false, 1+f.trim
		}
	}
	target = math.Max(1-nudgeMax, math.Min(1+nudgeMax, target))
	if target == f.factor || (f.engaged && math.Abs(target-f.factor) < nudgeStep) {
		return false, f.factor, false
	}
	f.anchor, f.since, f.factor = f.anchorAt(from), from, target
	f.nudges++
	return false, target, true
}

// driftBound returns how far (seconds) a loop may drift before it is
// steered back, for an output clock that wobbles by wobbleMs: at least
// driftSec, and never past restartSec/5.
func driftBound(wobbleMs float64) float64 {
	return math.Min(restartSec/5, math.Max(driftSec, wobbleMs/1000+driftMarginSec))
}

// A drift past restartSec restarts a sounding loop only once it persists:
// seen for persistSec of audio time, each reading within agreeSec plus
// agreeShare of it of the one before, or for holdMaxSec in all. The
// output clock's mapping moves to where a stall of the audio thread left it
// in steps, as its readings from before the stall age out (over
// stampWindow), so a restart at the first large reading would re-anchor
// the loop part way and restart it again a moment later. The audio time
// stands still while the audio thread stalls, so a stall itself adds
// nothing to how long a drift lasted, and a stall that the audio clock
// makes up afterwards never restarts.
const (
	persistSec = 0.4
	agreeSec   = 0.010
	agreeShare = 0.15
	holdMaxSec = 3.0
)

// restartHold tracks how long a drift past restartSec lasted: since the
// audio time of the first reading of this run of them, and steady since
// the first that the later readings agree with; off is the last reading.
type restartHold struct {
	since, steady, off float64
	on                 bool
}

// persists takes the drift off read at audio time t and reports whether a
// drift past restartSec has lasted long enough to restart the loop. It
// forgets a run of them as soon as a drift is within restartSec again.
func (h *restartHold) persists(t, off float64) bool {
	if math.Abs(off) < restartSec {
		h.on = false
		return false
	}
	if !h.on {
		*h = restartHold{since: t, steady: t, off: off, on: true}
		return false
	}
	if math.Abs(off-h.off) > agreeSec+agreeShare*math.Abs(h.off) {
		h.steady = t
	}
	h.off = off
	return t-h.steady >= persistSec || t-h.since >= holdMaxSec
}
