package app

import (
	"math"
	"sort"
)

// stampWindow is how long the readings of the output clock are kept, in
// seconds of audio time.
const stampWindow = 1.0

// outputClock maps audio time to the local wall clock at the speakers: d
// such that audio time t reaches them at local wall ms t*1000 + d. Each
// reading (getOutputTimestamp where the browser has it, else the context's
// clock plus its latencies) is late by however long the audio thread waited
// to be scheduled, by some milliseconds, so the smallest reading of the last
// second is the truest.
type outputClock struct {
	stamps []stamp
	// runningSince is the local ms the context was first seen running, 0
	// while it is not (see ready).
	runningSince float64
	// output is whether the stamps came from the output clock, or from the
	// context's clock before it was safe to read (see ready).
	output bool
	// contextOnly is set where the output clock is never read, its pair
	// being the context's clock with performance.now() (see geckoAudio):
	// the stamps always come from the context's clock.
	contextOnly bool
	// bests are the best d, one each bestEvery seconds of audio time over
	// the last wobbleWindow: how much they move is the clock's wobble.
	bests []stamp
	// moves are the last maxMoves moves of the best d by moveMs or more,
	// each at the wall ms of the reading (at) by how much (d), for the
	// diagnostics: a stall of the audio thread is a run of them; last is
	// the best d they start from.
	moves []stamp
	last  float64
	// stall watches the context's clock for stalls of the audio thread.
	stall stallWatch
}

// The moves of the best d the diagnostics keep.
const (
	moveMs   = 1.0
	maxMoves = 512
)

// The wobble of the output clock: how much its best reading moves over
// wobbleWindow seconds, sampled every bestEvery seconds (see wobble).
const (
	bestEvery    = 0.25
	wobbleWindow = 20.0
)

// outputClockAfterMs is how long the context must have been running before
// its output clock is read: a browser's output clock settles after its
// start. (Firefox, whose reads can freeze the tab at any time, never reads
// it: see geckoAudio.)
const outputClockAfterMs = 1000

// ready reports whether the output clock is to be read: the context is
// running (at local ms nowMs), and has been for outputClockAfterMs; never
// where the clock is contextOnly.
func (o *outputClock) ready(running bool, nowMs float64) bool {
	if !running || o.contextOnly {
		o.runningSince = 0
		return false
	}
	if o.runningSince == 0 {
		o.runningSince = nowMs
	}
	return nowMs-o.runningSince >= outputClockAfterMs
}

// source says where the next readings come from: the output clock, or the
// context's clock. Readings of the two kinds differ by the output latency,
// so a change of source forgets the readings of the other.
func (o *outputClock) source(output bool) {
	if output != o.output {
		o.stamps, o.bests, o.output = o.stamps[:0], o.bests[:0], output
	}
}

// wobble returns how much the best reading moves back and forth, in ms: the
// third largest of its moves over the last wobbleWindow, sampled every
// bestEvery. A move runs one way from one turn to the next; it turns where
// the reading comes back from its furthest by more than backShare of the
// move so far (and stillMs). One or two real moves of the mapping are not
// taken for wobble: a glitch, or a stall of the audio thread, after which
// the best reading climbs to where the stall left it over a second, by a
// ragged path (the readings from before it age out); nor is an audio clock
// that slips one way, which the rate's trim follows (see follow). A mapping
// that moves back and forth (Firefox's, by a few ms) is. 0 until there are
// enough readings.
func (o *outputClock) wobble() float64 {
	if len(o.bests) < 9 {
		return 0
	}
	var moves []float64
	from, far, dir := o.bests[0].d, o.bests[0].d, 0.0
	for _, b := range o.bests[1:] {
		v := b.d
		switch {
		case dir == 0:
			if math.Abs(v-from) >= stillMs {
				far, dir = v, math.Copysign(1, v-from)
			}
		case (v-far)*dir > 0:
			far = v
		case (far-v)*dir > math.Max(stillMs, backShare*math.Abs(far-from)):
			moves = append(moves, math.Abs(far-from))
			from, far, dir = far, v, -dir
		}
	}
	if dir != 0 {
		moves = append(moves, math.Abs(far-from))
	}
	if len(moves) < 3 {
		return 0
	}
	sort.Float64s(moves)
	return moves[len(moves)-3]
}

// A move of the best reading (see wobble) turns where the reading comes
// back by more than backShare of it, and stillMs: a steady clock's readings
// differ by a few µs.
const (
	backShare = 0.25
	stillMs   = 0.05
)

// watch takes a reading of the context's clock (see stallWatch). When a
// stall that lost audio ended, the readings of the output clock from before
// the clock ran again are forgotten: they map audio time to where it
// reached the speakers before the stall, and left to age out they would
// move the mapping to its new place in steps, over a second.
func (o *outputClock) watch(ctxSec, wallMs float64, running bool) {
	if !o.stall.read(ctxSec, wallMs, running) {
		return
	}
	keep := o.stamps[:0]
	for _, s := range o.stamps {
		if s.at*1000+s.d >= o.stall.ranFromMs {
			keep = append(keep, s)
		}
	}
	o.stamps = keep
}

// stamp is one reading of the output clock.
type stamp struct{ at, d float64 }

// read adds a reading (an audio time and the wall ms its sample reaches the
// speakers) and returns the best d. A context that is not running forgets
// its readings: its clock stood still.
func (o *outputClock) read(ctxTime, wallMs float64, running bool) float64 {
	if !running {
		o.stamps, o.bests = o.stamps[:0], o.bests[:0]
	}
	d := wallMs - ctxTime*1000
	keep := o.stamps[:0]
	for _, s := range o.stamps {
		if ctxTime-s.at < stampWindow && s.at <= ctxTime {
			keep = append(keep, s)
		}
	}
	o.stamps = append(keep, stamp{at: ctxTime, d: d})
	best := d
	for _, s := range o.stamps {
		best = math.Min(best, s.d)
	}
	if o.last == 0 {
		o.last = best
	}
	if math.Abs(best-o.last) >= moveMs {
		o.moves = append(o.moves, stamp{at: wallMs, d: best - o.last})
		if len(o.moves) > maxMoves {
			o.moves = o.moves[len(o.moves)-maxMoves:]
		}
		o.last = best
	}
	if n := len(o.bests); n == 0 || ctxTime-o.bests[n-1].at >= bestEvery || ctxTime < o.bests[n-1].at {
		keep := o.bests[:0]
		for _, s := range o.bests {
			if ctxTime-s.at < wobbleWindow && s.at <= ctxTime {
				keep = append(keep, s)
			}
		}
		o.bests = append(keep, stamp{at: ctxTime, d: best})
	}
	return best
}
