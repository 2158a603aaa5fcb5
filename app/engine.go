package app

import (
	"math"

	"github.com/loopswithfriends/loops/shared/sound"
	goapp "github.com/maxence-charriere/go-app/v10/pkg/app"
)

// engine owns the AudioContext, its graph and the loop buffers: the session
// tells it what each member plays from which bar, and it schedules Web Audio
// so that every loop sounds phase-locked to the jam's timeline, which it
// reads from the session's jamTime. Nothing else in the app touches Web
// Audio. On the server (no window) every call does nothing.
//
// The graph: each member's voice (a looping source through a fade envelope)
// goes through the member's local volume to the jam bus, the preview's to
// the preview bus; both buses feed the master gain and a soft-knee limiter.
type engine struct {
	time *jamTime

	// ctor is the browser's AudioContext constructor, undefined without
	// Web Audio. The context itself (ctx) is made by open, at the player's
	// first gesture: making it costs a phone's main thread 100 ms or more,
	// which the first screen must not wait for, and browsers let it sound
	// only after a gesture anyway. Loops render and wait as AudioBuffers
	// meanwhile, at renderRate, the rate the context is then made with.
	ctor   goapp.Value
	ctx    goapp.Value
	master goapp.Value
	jamBus goapp.Value
	preBus goapp.Value
	// kit is the kit the buffers are loops of.
	kit     string
	buffers map[string]goapp.Value
	voices  map[string]*voice
	out     outputClock

	// ready times the player's wait for their own loop.
	ready readiness
	// scheduled is every loop start, for window.loopsDiagnostics(); seq
	// numbers them.
	scheduled []scheduledStart
	seq       int
}

var _ player = (*engine)(nil)

// voice is what one member (or the preview) plays.
type voice struct {
	loop    string
	playing bool
	bar     int64
	preview bool
	// out carries the member's local volume, gain (volume and mute; set
	// on out once the context exists).
	out  goapp.Value
	gain float64
	// src and env are the sounding source and its envelope, if any.
	src, env goapp.Value
	// when is the audio time the source starts, rate its own playback rate
	// (a buffer of another tempo is stretched), follow how it keeps to the
	// grid, and seq its record in the engine's scheduled starts.
	when, rate float64
	follow     follow
	seq        int
}

// renderRate is the sample rate loops are rendered at and the AudioContext
// runs at: it is chosen before the context exists (see engine.ctor), and
// the browser resamples for a device of another rate.
const renderRate = 48000

func newEngine(t *jamTime) *engine {
	e := &engine{
		time:    t,
		buffers: make(map[string]goapp.Value),
		voices:  make(map[string]*voice),
	}
	e.ctor = goapp.Window().Get("AudioContext")
	if !e.ctor.Truthy() {
		e.ctor = goapp.Window().Get("webkitAudioContext")
	}
	if e.ctor.Truthy() {
		e.out.contextOnly = geckoAudio()
	}
	if e.ctor.Truthy() && !goapp.Window().Get("AudioBuffer").Truthy() {
		e.open() // without AudioBuffer's constructor, buffers need a context
	}
	return e
}

// open makes the AudioContext and its graph, once, and starts what waited
// for it: each voice at its volume, the playing voices, the preview's mute
// of the jam. Call it from a user gesture (Resume does).
func (e *engine) open() {
	if e.ok() || !e.ctor.Truthy() {
		return
	}
	// "interactive" asks for the lowest latency the device offers.
	e.ctx = e.ctor.New(map[string]any{"latencyHint": "interactive", "sampleRate": renderRate})
	e.master = e.ctx.Call("createGain")
	limiter := e.ctx.Call("createWaveShaper")
	limiter.Set("curve", float32Array(sound.LimiterCurve(sound.LimiterPoints)))
	e.master.Call("connect", limiter)
	limiter.Call("connect", e.ctx.Get("destination"))
	e.jamBus = e.ctx.Call("createGain")
	e.jamBus.Call("connect", e.master)
	e.preBus = e.ctx.Call("createGain")
	e.preBus.Call("connect", e.master)
	for id, v := range e.voices {
		e.connect(v)
		if v.preview && v.playing {
			e.jamBus.Get("gain").Set("value", 0)
		}
		if v.playing {
			e.startVoice(id, v, startFirst)
		}
	}
}

// connect gives a voice its gain node, at its volume, on its bus.
func (e *engine) connect(v *voice) {
	v.out = e.ctx.Call("createGain")
	v.out.Get("gain").Set("value", v.gain)
	bus := e.jamBus
	if v.preview {
		bus = e.preBus
	}
	v.out.Call("connect", bus)
}

// ok reports whether the engine has its AudioContext (see open).
func (e *engine) ok() bool { return e.ctx != nil && e.ctx.Truthy() }

// SampleRate returns the rate loops must be rendered at, 0 without audio.
func (e *engine) SampleRate() int {
	if !e.ctor.Truthy() {
		return 0
	}
	return renderRate
}

// State returns the AudioContext's state: "running", "suspended",
// "interrupted" or "closed"; "suspended" too before the context is made
// (it waits for a gesture), and "none" without audio.
func (e *engine) State() string {
	if !e.ok() {
		if e.ctor.Truthy() {
			return "suspended"
		}
		return "none"
	}
	return e.ctx.Get("state").String()
}

// Resume makes the AudioContext if it was not yet, and starts its clock if
// it is not running. Browsers allow it during a user gesture: call it from
// one.
func (e *engine) Resume() {
	e.open()
	if e.ok() && e.State() != "running" && e.State() != "closed" {
		e.ctx.Call("resume")
	}
}

func (e *engine) currentTime() float64 { return e.ctx.Get("currentTime").Float() }

// copyFrames is how many frames of a loop's channel one task copies into
// its AudioBuffer. The buffer's memory is new, and its first touch is most
// of a copy's cost: 6 to 13 ms a channel of 8 s in headless chromium on
// this project's box, where a page fault is slow (a copy into a buffer
// already touched takes 0.1 ms), so a channel at once made a long task on
// a phone's CPU. Each task more is a wait for the player's own loop,
// behind whatever else the page is doing: a third of a channel a task.
const copyFrames = 1 << 17

// AddBuffer stores a rendered loop and starts, in phase, every voice that
// was waiting for it.
func (e *engine) AddBuffer(loop string, l *renderedLoop) {
	n := l.frames()
	if !e.ctor.Truthy() || n == 0 {
		return
	}
	var buf goapp.Value
	if e.ok() {
		buf = e.ctx.Call("createBuffer", 2, n, renderRate)
	} else {
		buf = goapp.Window().Get("AudioBuffer").New(map[string]any{"numberOfChannels": 2, "length": n, "sampleRate": renderRate})
	}
	kit := e.kit
	for ch := range 2 {
		for at := 0; at < n; at += copyFrames {
			yieldThread()
			l.copyTo(buf, ch, at, min(n, at+copyFrames))
		}
	}
	if e.kit != kit {
		return // the kit changed meanwhile: its loops share this one's id
	}
	e.buffers[loop] = buf
	if !e.ok() {
		return // open starts the voices
	}
	for id, v := range e.voices {
		if v.playing && v.loop == loop && v.src == nil {
			e.startVoice(id, v, startFirst)
		}
	}
}

// SetKit makes the engine play the kit's loops: when it changes, every
// voice stops (the preview's too) and every buffer goes, for another kit's
// loops share ids with this one's.
func (e *engine) SetKit(kit string) {
	if kit == e.kit {
		return
	}
	e.kit = kit
	for id := range e.voices {
		e.Remove(id)
	}
	clear(e.buffers)
}

// Play sets what a member plays from bar on: loop, playing or not.
func (e *engine) Play(member, loop string, playing bool, bar int64) {
	e.apply(member, loop, playing, bar, false)
}

// Preview plays loop alone on this device, on the jam's grid from the next
// bar, or stops the preview with loop "". The jam is muted meanwhile.
func (e *engine) Preview(loop string) {
	e.apply("preview", loop, loop != "", e.time.NextBar(), true)
	if !e.ok() {
		return // open mutes the jam if a preview plays
	}
	gain := 0.0
	if loop == "" {
		gain = 1
	}
	ramp(e.jamBus.Get("gain"), gain, e.currentTime())
}

func (e *engine) apply(member, loop string, playing bool, bar int64, preview bool) {
	v := e.voices[member]
	if v == nil {
		v = &voice{preview: preview, gain: 1}
		if e.ok() {
			e.connect(v)
		}
		e.voices[member] = v
	}
	same := v.loop == loop && v.playing == playing
	// Still playing the same loop (a resumed connection repeats what we
	// know): it is sounding in phase already.
	if same && (v.bar == bar || playing) {
		v.bar = bar
		return
	}
	v.loop, v.playing, v.bar = loop, playing, bar
	if !e.ok() {
		return
	}
	e.stopSource(v, e.audioTime(e.time.Timeline().BarStart(bar)))
	if playing {
		e.startVoice(member, v, startFirst)
	}
}

// The kinds of a scheduled start: a voice's first start of its bar, a start
// still to come moved on the grid (nothing sounded), a sounding loop
// re-anchored with a crossfade.
const (
	startFirst   = "start"
	startMoved   = "move"
	startRestart = "restart"
)

// startVoice starts v's loop at its bar, or at once and in phase when the
// bar is past; kind says why, for the diagnostics.
func (e *engine) startVoice(member string, v *voice, kind string) {
	buf, ok := e.buffers[v.loop]
	if !ok {
		return // AddBuffer starts it
	}
	st := scheduleStart(e.time.Timeline(), v.bar, e.shiftMs(), e.currentTime(), buf.Get("duration").Float())
	src := e.ctx.Call("createBufferSource")
	src.Set("buffer", buf)
	src.Set("loop", true)
	// A voice started again keeps what its steering learned of the audio
	// clock's rate (see follow).
	trim := v.follow.trim
	if f := st.Rate * (1 + trim); f != 1 {
		src.Get("playbackRate").Set("value", f)
	}
	env := e.ctx.Call("createGain")
	g := env.Get("gain")
	g.Call("setValueAtTime", 0, st.When)
	g.Call("linearRampToValueAtTime", 1, st.When+fadeInSec)
	src.Call("connect", env)
	env.Call("connect", v.out)
	src.Call("start", st.When, st.Offset)
	v.src, v.env, v.when, v.rate, v.follow = src, env, st.When, st.Rate, newFollow(st.Anchor, st.When)
	v.follow.trim, v.follow.factor = trim, 1+trim
	v.seq = 0
	if !v.preview {
		e.seq++
		v.seq = e.seq
		e.scheduled = append(e.scheduled, scheduledStart{
			Member: member, Loop: v.loop, Bar: v.bar,
			ServerMs: st.ServerMs, AudioTime: st.Anchor, PlannedWallMs: e.wallMs(st.Anchor),
			AtMs: localMs(), Kind: kind, seq: e.seq,
		})
		if len(e.scheduled) > maxScheduled {
			e.scheduled = e.scheduled[len(e.scheduled)-maxScheduled:]
		}
	}
}

// stopSource fades v's source out from audio time at (or now, if past).
func (e *engine) stopSource(v *voice, at float64) {
	if v.src == nil {
		return
	}
	if now := e.currentTime(); at < now {
		at = now
	}
	g := v.env.Get("gain")
	g.Call("cancelScheduledValues", at)
	g.Call("setValueAtTime", g.Get("value").Float(), at)
	g.Call("linearRampToValueAtTime", 0, at+fadeOutSec)
	v.src.Call("stop", at+fadeOutSec+0.005)
	v.src, v.env = nil, nil
}

// Realign keeps every loop on its place on the jam's grid when the clock
// offset was corrected after it started (a busy page takes bad samples at
// first), or the audio clock drifts from the system clock or glitched: a
// start still to come is simply moved; a sounding loop is steered back by
// its playback rate (see follow), and only a drift too large to make up so,
// once it persists (see restartHold), is re-anchored, a new source
// crossfading in, in phase, at once.
func (e *engine) Realign() {
	if !e.ok() {
		return
	}
	// A stall of the audio thread that ended is owed its restart once the
	// clock settled.
	clock, lost := e.out.stall.clock(localMs())
	now := e.currentTime()
	bound := driftBound(e.out.wobble())
	for id, v := range e.voices {
		if v.src == nil {
			continue
		}
		at := e.audioTime(e.time.Timeline().BarStart(v.bar))
		if v.when > now+lateLeadSec+fadeOutSec {
			if math.Abs(at-v.follow.anchor) > moveSec {
				e.stopSource(v, now+lateLeadSec)
				e.startVoice(id, v, startMoved)
			}
			continue
		}
		from := now + lateLeadSec
		off := at - v.follow.anchorAt(math.Max(from, v.follow.since))
		restart, factor, changed := v.follow.steer(at, from, bound, clock)
		switch {
		case restart:
			e.stopSource(v, from)
			e.startVoice(id, v, startRestart)
			if n := len(e.scheduled); n > 0 && e.scheduled[n-1].seq == v.seq {
				e.scheduled[n-1].DriftMs, e.scheduled[n-1].StallMs = off*1000, lost
			}
		case changed:
			v.src.Get("playbackRate").Call("setValueAtTime", v.rate*factor, math.Max(from, v.when))
		}
	}
}

// Remove stops a member that left, with a fade.
func (e *engine) Remove(member string) {
	v := e.voices[member]
	if v == nil {
		return
	}
	delete(e.voices, member)
	if !e.ok() {
		return
	}
	// The member's gain node stays connected, silent: disconnecting it now
	// would cut the fade short, and an idle node costs nothing.
	e.stopSource(v, 0)
}

// Retain stops every jam voice whose member is not in keep: they left while
// the connection was down, or (keep nil) the jam's grid changed.
func (e *engine) Retain(keep map[string]bool) {
	for id, v := range e.voices {
		if !v.preview && !keep[id] {
			e.Remove(id)
		}
	}
}

// SetVolume sets a member's local volume, 0 to 1, and mute.
func (e *engine) SetVolume(member string, volume float64, muted bool) {
	v := e.voices[member]
	if v == nil {
		return
	}
	v.gain = volume * volume // a perceptual taper for the slider
	if muted {
		v.gain = 0
	}
	if e.ok() {
		v.out.Get("gain").Call("setTargetAtTime", v.gain, e.currentTime(), volumeTau)
	}
}

// ramp glides a gain to target from audio time at.
func ramp(g goapp.Value, target, at float64) {
	g.Call("cancelScheduledValues", at)
	g.Call("setTargetAtTime", target, at, volumeTau)
}

// shiftMs maps server time to audio time at the speakers: audio s =
// (server ms - shiftMs) / 1000.
func (e *engine) shiftMs() float64 { return e.time.Offset() + e.outputOffset() }

// audioTime returns the AudioContext time at which a sample must be
// scheduled to reach the speakers at server time serverMs.
func (e *engine) audioTime(serverMs float64) float64 {
	return (serverMs - e.shiftMs()) / 1000
}

// wallMs returns the local wall-clock ms (performance.timeOrigin +
// performance.now()) at which audio time t reaches the speakers.
func (e *engine) wallMs(t float64) float64 {
	return t*1000 + e.outputOffset()
}

// Sample takes a reading of the output clock, and one of the context's
// clock for its stalls; the page calls it often, so that the mapping from
// audio time to wall time rests on many readings.
func (e *engine) Sample() {
	if !e.ok() {
		return
	}
	// A context that is not running has no stalls: its clock is not read
	// for them.
	running, ctxSec := e.State() == "running", 0.0
	if running {
		ctxSec = e.currentTime()
	}
	e.out.watch(ctxSec, localMs(), running)
	e.outputOffset()
}

// outputOffset reads the output clock and returns its best d: audio time t
// reaches the speakers at local wall ms t*1000 + d.
func (e *engine) outputOffset() float64 {
	running := e.State() == "running"
	output := e.out.ready(running, localMs())
	e.out.source(output)
	ctxTime, wall := e.outputStamp(output)
	return e.out.read(ctxTime, wall, running)
}

// outputStamp returns a pair of an audio time and the local wall ms at
// which its sample reaches the speakers: from the output clock when it is
// to be read (getOutputTimestamp where the browser has it, else the
// context's clock plus its latencies), else from the context's clock and
// the latency it was made with (always in Firefox: see geckoAudio).
func (e *engine) outputStamp(output bool) (ctxTime, wallMs float64) {
	if !output {
		return e.currentTime(), localMs() + finite(e.ctx.Get("baseLatency").Float())*1000
	}
	if ts := e.ctx.Call("getOutputTimestamp"); ts.Truthy() {
		c, p := ts.Get("contextTime").Float(), ts.Get("performanceTime").Float()
		if p > 0 {
			return c, performanceOrigin() + p
		}
	}
	latency := finite(e.ctx.Get("baseLatency").Float()) + finite(e.ctx.Get("outputLatency").Float())
	return e.currentTime(), localMs() + latency*1000
}

// geckoAudio reports whether the page's Web Audio is Gecko's (Firefox's),
// by a property of the window that only Gecko has. There the app never
// reads the output clock, for two reasons found in Gecko's source and
// measured on firefox-esr 153 (BENCHMARKS.md, "In time everywhere"):
//   - getOutputTimestamp() is currentTime and performance.now() each less
//     the same outputLatency, so its pair maps audio time to the wall
//     clock exactly as currentTime and performance.now() do (the same to
//     the µs in the measurement): the output latency is not in it;
//   - the first read of outputLatency of a graph (getOutputTimestamp()
//     reads it too) is a synchronous call to the parent process's audio
//     server made with the graph's lock held; with an audio callback in
//     flight it deadlocks the tab, at any moment the stream runs.
//
// So in Gecko the stamps are the context's clock with performance.now(),
// the same mapping without the call.
func geckoAudio() bool {
	return goapp.Window().Get("mozInnerScreenX").Type() == goapp.TypeNumber
}
