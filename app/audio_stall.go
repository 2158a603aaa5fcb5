package app

import "math"

// stallWatch tells a stall of the audio thread from the context's clock
// (currentTime, which every browser lets the page read at any time): its
// lag behind the wall clock, wall ms - audio s*1000, holds still while the
// clock runs, give or take how coarsely it advances (a render quantum, or
// Firefox's callback of 10 to 20 ms) and how late the page reads it, which
// only ever add to it. When the audio thread is starved its clock stops or
// crawls while the wall clock goes on, and the lag climbs; once the clock
// runs again the lag holds still where the stall left it (the samples were
// lost: the sound is that much later on the wall clock) or comes back down
// (the clock made them up).
//
// The output clock's mapping follows a stall over a second, in steps, as
// its readings from before it age out (see outputClock); the watch knows
// when the stall began and when the clock ran again, so that the readings
// from before it can be forgotten at once, and a loop left behind by it
// restarted once its new place is known and the clock settled: once for
// stalls in a row.
type stallWatch struct {
	// lags are the readings' lags (d) at their audio time (at): those of
	// the last stallBaseSec while the clock runs, those since the stall
	// began while it is on.
	lags []stamp
	// on is whether a stall is on: since wall ms fromMs, from a lag of
	// base before it. highs are the last readings, if their lags were
	// already past stallMs: a late read of the clock or two is no stall.
	on           bool
	fromMs, base float64
	highs        []stamp
	// ranFromMs is the wall ms from which the clock ran at its pace again,
	// when the last stall ended.
	ranFromMs float64
	// owedMs is how many ms the last stalls lost, until a realign takes it
	// once the clock settled (see settling); firstMs and endedMs are the
	// wall ms the first and the last of them ended.
	owedMs, firstMs, endedMs float64
	// stalls are the last maxStalls stalls that lost audio, for the
	// diagnostics: each at the wall ms it ended, by how many ms (d).
	stalls []stamp
}

// The thresholds of a stall.
const (
	// stallMs is how far the lag climbs above its smallest of the last
	// stallBaseSec of audio time before a stall is on: more than the
	// coarseness of the clock and a late read on a busy page, less than
	// restartSec.
	stallMs      = 30
	stallBaseSec = 1.0
	// stallReads is how many readings in a row must be past stallMs: the
	// samples a stall lost keep the lag up, and a late read is one.
	stallReads = 3
	// A stall is over once the clock has run at its pace for stallRunSec
	// of audio time: the lag's smallest over each half of it within
	// stallPaceMs of the other.
	stallRunSec = 0.5
	stallPaceMs = 12
	// stallLostMs is the least a stall must have lost to count: a late
	// read of the clock, or a stall it made up, loses nothing.
	stallLostMs = 20
	// stallSettleMs is how long the clock must run without another stall
	// after one that lost audio before a loop it left off the grid is
	// restarted: an audio thread starved on a busy machine stalls in
	// bursts, one within a second or two of the other, and each restart
	// is a crossfade of a sounding bar; stalls in a row are answered by
	// one. Meanwhile the loops are steered by their rate (5 ms a second
	// at most), and the output clock gathers readings since the stall, so
	// a stall under restartSec that its first readings overstate restarts
	// nothing. Each second more would answer a few more stalls together,
	// and leave a loop a large stall put out of phase with the jam a
	// second longer (see TestStalledAudioClock).
	stallSettleMs = 2000
	// stallWaitMs bounds the wait for the clock to settle: in a storm of
	// stalls, each within stallSettleMs of the last, the loops would fall
	// further behind the grid (a new loop started meanwhile would sound
	// that far from them), so the stalls owed restart after stallWaitMs
	// all the same, once the stall on (if any) is over.
	stallWaitMs = 10000
	// stallMaxMs ends a stall that never settles (a clock that stutters on
	// and on) after this much wall time, so that the loops are judged
	// again.
	stallMaxMs = 5000
	maxStalls  = 64
)

// read takes a reading of the context's clock, at audio s ctxSec and local
// wall ms wallMs, and reports whether a stall that lost audio ended with it.
// A context that is not running is no stall: its clock stands still by
// design.
func (s *stallWatch) read(ctxSec, wallMs float64, running bool) (ended bool) {
	if !running {
		s.lags, s.on, s.highs = s.lags[:0], false, s.highs[:0]
		return false
	}
	lag := wallMs - ctxSec*1000
	if !s.on {
		keep, base := s.lags[:0], math.Inf(1)
		for _, l := range s.lags {
			if ctxSec-l.at < stallBaseSec && l.at <= ctxSec {
				keep = append(keep, l)
				base = math.Min(base, l.d)
			}
		}
		if lag-base <= stallMs {
			// The high readings before were late reads: they join
			// the lags, which they do not lower.
			s.lags = append(append(keep, s.highs...), stamp{at: ctxSec, d: lag})
			s.highs = s.highs[:0]
			return false
		}
		s.lags, s.highs = keep, append(s.highs, stamp{at: ctxSec, d: lag})
		if len(s.highs) < stallReads {
			return false
		}
		s.on, s.fromMs, s.base = true, s.highs[0].at*1000+s.highs[0].d, base
		s.lags = append(s.lags[:0], s.highs...)
		s.highs = s.highs[:0]
		return false
	}
	s.lags = append(s.lags, stamp{at: ctxSec, d: lag})
	// The smallest lag over each half of the last stallRunSec; the run
	// counts only once the stall's own readings are older than all of it.
	early, late := math.Inf(1), math.Inf(1)
	for _, l := range s.lags {
		switch age := ctxSec - l.at; {
		case age < stallRunSec/2:
			late = math.Min(late, l.d)
		case age < stallRunSec:
			early = math.Min(early, l.d)
		}
	}
	ran := ctxSec-s.lags[0].at >= stallRunSec && math.Abs(late-early) < stallPaceMs
	if !ran && wallMs-s.fromMs < stallMaxMs {
		return false
	}
	s.on = false
	// From now on the clock's lag is that of the run.
	keep, after := s.lags[:0], math.Inf(1)
	for _, l := range s.lags {
		if ctxSec-l.at < stallRunSec {
			keep = append(keep, l)
			after = math.Min(after, l.d)
		}
	}
	s.lags = keep
	s.ranFromMs = keep[0].at*1000 + keep[0].d // its wall ms
	lost := after - s.base
	if lost < stallLostMs {
		return false
	}
	if s.owedMs == 0 {
		s.firstMs = wallMs
	}
	s.owedMs += lost
	s.endedMs = wallMs
	s.stalls = append(s.stalls, stamp{at: wallMs, d: lost})
	if len(s.stalls) > maxStalls {
		s.stalls = s.stalls[len(s.stalls)-maxStalls:]
	}
	return true
}

// settling reports whether a stall is on, or one that lost audio ended
// less than stallSettleMs before wall ms nowMs (and the first of those
// owed less than stallWaitMs before): no loop restarts meanwhile.
func (s *stallWatch) settling(nowMs float64) bool {
	return s.on || (s.owedMs > 0 && nowMs-s.endedMs < stallSettleMs && nowMs-s.firstMs < stallWaitMs)
}

// clock returns the audio clock at a steer at wall ms nowMs (see
// clockState), and how many ms of audio the stalls a restart then answers
// lost: those that ended since the last steer that took them, once the
// clock settled.
func (s *stallWatch) clock(nowMs float64) (clockState, float64) {
	if s.settling(nowMs) {
		return clockStalling, 0
	}
	if lost := s.take(); lost > 0 {
		return clockStalled, lost
	}
	return clockRunning, 0
}

// take returns how many ms the stalls that ended since the last take lost
// (0 if none), and forgets them.
func (s *stallWatch) take() float64 {
	lost := s.owedMs
	s.owedMs = 0
	return lost
}
