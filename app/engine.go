package app

import (
	"encoding/json"
	"math"
	"time"
	"unsafe"

	"github.com/loopswithfriends/loops/shared"
	goapp "github.com/maxence-charriere/go-app/v10/pkg/app"
)

// engine owns the AudioContext and the loop buffers: components tell it
// what each member plays from which bar, and it schedules Web Audio so that
// every loop sounds phase-locked to the jam's timeline. Nothing else in the
// app touches Web Audio. On the server (no window) every call does nothing.
type engine struct {
	ctx     goapp.Value
	master  goapp.Value
	jamBus  goapp.Value
	preBus  goapp.Value
	buffers map[string]goapp.Value
	voices  map[string]*voice

	timeline shared.Timeline
	// offsetMs maps local ms to server ms (server = local + offset).
	offsetMs float64
	// ready times the player's wait for their own loop.
	ready readiness
	// scheduled is every loop start, for window.loopsDiagnostics().
	scheduled []scheduledStart
	// stamps are the recent readings of the output clock.
	stamps []stamp
}

// Ramps that keep starts, stops and volume changes free of clicks.
const (
	fadeInSec  = 0.004
	fadeOutSec = 0.012
	// volumeTau is the time constant of a volume change.
	volumeTau = 0.02
	// lateLeadSec is how far ahead a late start is scheduled: far enough
	// that the audio thread sees it before its time, close enough to sound
	// at once.
	lateLeadSec = 0.03
)

// voice is what one member (or the preview) plays.
type voice struct {
	loop    string
	playing bool
	bar     int64
	preview bool
	// out carries the member's local volume.
	out goapp.Value
	// src and env are the sounding source and its envelope, if any.
	src, env goapp.Value
	srcLoop  string
	// anchor is the audio time the source took for the start of its bar:
	// when the clock mapping moves away from it, the source is re-anchored.
	anchor float64
	volume float64
	muted  bool
}

// scheduledStart is one loop start the engine scheduled.
type scheduledStart struct {
	Member    string  `json:"member"`
	Loop      string  `json:"loop"`
	Bar       int64   `json:"bar"`
	ServerMs  float64 `json:"serverMs"`
	AudioTime float64 `json:"audioTime"`
	WallMs    float64 `json:"wallMs"`
}

func newEngine() *engine {
	e := &engine{
		buffers:  make(map[string]goapp.Value),
		voices:   make(map[string]*voice),
		timeline: shared.NewTimeline(0),
	}
	ctor := goapp.Window().Get("AudioContext")
	if !ctor.Truthy() {
		ctor = goapp.Window().Get("webkitAudioContext")
	}
	if !ctor.Truthy() {
		return e
	}
	// "interactive" asks for the lowest latency the device offers.
	e.ctx = ctor.New(map[string]any{"latencyHint": "interactive"})
	e.master = e.ctx.Call("createGain")
	limiter := e.ctx.Call("createWaveShaper")
	limiter.Set("curve", float32Array(limiterCurve(limiterPoints)))
	e.master.Call("connect", limiter)
	limiter.Call("connect", e.ctx.Get("destination"))
	e.jamBus = e.ctx.Call("createGain")
	e.jamBus.Call("connect", e.master)
	e.preBus = e.ctx.Call("createGain")
	e.preBus.Call("connect", e.master)
	return e
}

// ok reports whether the browser gave the engine an AudioContext.
func (e *engine) ok() bool { return e.ctx != nil && e.ctx.Truthy() }

// SampleRate returns the rate loops must be rendered at, 0 without audio.
func (e *engine) SampleRate() int {
	if !e.ok() {
		return 0
	}
	return e.ctx.Get("sampleRate").Int()
}

// State returns the AudioContext's state: "running", "suspended",
// "interrupted", "closed", or "none" without audio.
func (e *engine) State() string {
	if !e.ok() {
		return "none"
	}
	return e.ctx.Get("state").String()
}

// Resume starts the audio clock if it is not running. Browsers allow it
// during a user gesture: call it from one.
func (e *engine) Resume() {
	if e.ok() && e.State() != "running" && e.State() != "closed" {
		e.ctx.Call("resume")
	}
}

// SetTimeline sets the grid loops lock to. Voices of an earlier jam are
// stopped: their bars mean nothing on the new grid.
func (e *engine) SetTimeline(t shared.Timeline) {
	if t == e.timeline {
		return
	}
	e.timeline = t
	for id, v := range e.voices {
		if !v.preview {
			e.Remove(id)
		}
	}
}

// SetOffset sets the clock offset used for the starts to come. Sounding
// loops keep their schedule: the clock moves too slowly to matter.
func (e *engine) SetOffset(ms float64) { e.offsetMs = ms }

// AddBuffer stores a rendered loop and starts, in phase, every voice that
// was waiting for it.
func (e *engine) AddBuffer(loop string, left, right []float32) {
	if !e.ok() || len(left) == 0 {
		return
	}
	buf := e.ctx.Call("createBuffer", 2, len(left), e.SampleRate())
	copyChannel(buf, 0, left)
	copyChannel(buf, 1, right)
	e.buffers[loop] = buf
	for id, v := range e.voices {
		if v.playing && v.loop == loop && v.src == nil {
			e.startVoice(id, v)
		}
	}
}

// HasBuffer reports whether the loop is rendered.
func (e *engine) HasBuffer(loop string) bool { _, ok := e.buffers[loop]; return ok }

// Apply sets what a member plays from bar on: loop, playing or not.
func (e *engine) Apply(member, loop string, playing bool, bar int64) {
	e.apply(member, loop, playing, bar, false)
}

// Preview plays loop alone on this device, on the jam's grid from the next
// bar, or stops the preview with loop "". The jam is muted meanwhile.
func (e *engine) Preview(loop string) {
	if !e.ok() {
		return
	}
	now := e.ctx.Get("currentTime").Float()
	if loop == "" {
		e.apply("preview", "", false, e.nextBar(), true)
		ramp(e.jamBus.Get("gain"), 1, now)
		return
	}
	e.apply("preview", loop, true, e.nextBar(), true)
	ramp(e.jamBus.Get("gain"), 0, now)
}

func (e *engine) nextBar() int64 {
	return e.timeline.NextBar(localMs() + e.offsetMs)
}

func (e *engine) apply(member, loop string, playing bool, bar int64, preview bool) {
	v := e.voices[member]
	if v == nil {
		v = &voice{volume: 1, preview: preview}
		if e.ok() {
			v.out = e.ctx.Call("createGain")
			bus := e.jamBus
			if preview {
				bus = e.preBus
			}
			v.out.Call("connect", bus)
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
	at := e.audioTime(e.timeline.BarStart(bar))
	e.stopSource(v, at)
	if playing {
		e.startVoice(member, v)
	}
}

// startVoice starts v's loop at its bar, or at once and in phase when the
// bar is past (a late message, a buffer that just finished rendering).
func (e *engine) startVoice(member string, v *voice) {
	buf, ok := e.buffers[v.loop]
	if !ok {
		return // AddBuffer starts it
	}
	barMs := e.timeline.BarStart(v.bar)
	at := e.audioTime(barMs)
	when := at
	if min := e.ctx.Get("currentTime").Float() + lateLeadSec; when < min {
		when = min
	}
	serverAt := barMs + (when-at)*1000
	loopSec := e.timeline.LoopSeconds()
	offset := e.timeline.Phase(serverAt) / 1000
	src := e.ctx.Call("createBufferSource")
	src.Set("buffer", buf)
	src.Set("loop", true)
	// A loop rendered for another tempo is stretched to the jam's grid.
	if d := buf.Get("duration").Float(); d > 0 && math.Abs(d-loopSec) > 1e-3 {
		src.Get("playbackRate").Set("value", d/loopSec)
		offset *= d / loopSec
	}
	env := e.ctx.Call("createGain")
	g := env.Get("gain")
	g.Call("setValueAtTime", 0, when)
	g.Call("linearRampToValueAtTime", 1, when+fadeInSec)
	src.Call("connect", env)
	env.Call("connect", v.out)
	src.Call("start", when, offset)
	v.src, v.env, v.srcLoop, v.anchor = src, env, v.loop, at
	if !v.preview {
		e.scheduled = append(e.scheduled, scheduledStart{
			Member: member, Loop: v.loop, Bar: v.bar,
			ServerMs: barMs, AudioTime: at,
		})
		// Keep the record bounded on a page left open for hours.
		if len(e.scheduled) > 256 {
			e.scheduled = e.scheduled[len(e.scheduled)-256:]
		}
	}
}

// stopSource fades v's source out from audio time at (or now, if past).
func (e *engine) stopSource(v *voice, at float64) {
	if v.src == nil {
		return
	}
	if now := e.ctx.Get("currentTime").Float(); at < now {
		at = now
	}
	g := v.env.Get("gain")
	g.Call("cancelScheduledValues", at)
	g.Call("setValueAtTime", g.Get("value").Float(), at)
	g.Call("linearRampToValueAtTime", 0, at+fadeOutSec)
	v.src.Call("stop", at+fadeOutSec+0.005)
	v.src, v.env, v.srcLoop = nil, nil, ""
}

// driftSec is how far a sounding loop may drift from where the clock says
// it should be before it is re-anchored with a short crossfade. The output
// clock's readings agree to about 0.2 ms, so this only fires when the clock
// offset was corrected (mostly in a page's first seconds) or the audio
// clock glitched, and it keeps browsers within a couple of ms.
const driftSec = 0.0015

// Realign re-anchors every sounding loop that drifted from its place on the
// jam's grid: the clock offset was corrected after it started (a busy page
// takes bad samples at first), or the audio clock drifts from the system
// clock. The new source crossfades in, in phase, at once; a start still to
// come is simply moved.
func (e *engine) Realign() {
	if !e.ok() {
		return
	}
	now := e.ctx.Get("currentTime").Float()
	for id, v := range e.voices {
		if v.src == nil {
			continue
		}
		at := e.audioTime(e.timeline.BarStart(v.bar))
		if math.Abs(at-v.anchor) < driftSec {
			continue
		}
		e.stopSource(v, now+lateLeadSec)
		e.startVoice(id, v)
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

// SetVolume sets a member's local volume, 0 to 1, and mute.
func (e *engine) SetVolume(member string, volume float64, muted bool) {
	v := e.voices[member]
	if v == nil {
		return
	}
	v.volume, v.muted = volume, muted
	if !e.ok() {
		return
	}
	target := volume * volume // a perceptual taper for the slider
	if muted {
		target = 0
	}
	v.out.Get("gain").Call("setTargetAtTime", target, e.ctx.Get("currentTime").Float(), volumeTau)
}

// ramp glides a gain to target from audio time at.
func ramp(g goapp.Value, target, at float64) {
	g.Call("cancelScheduledValues", at)
	g.Call("setTargetAtTime", target, at, volumeTau)
}

// audioTime returns the AudioContext time at which a sample must be
// scheduled to reach the speakers at server time serverMs.
func (e *engine) audioTime(serverMs float64) float64 {
	return (serverMs - e.offsetMs - e.outputOffset()) / 1000
}

// wallMs returns the local wall-clock ms (performance.timeOrigin +
// performance.now()) at which audio time t reaches the speakers.
func (e *engine) wallMs(t float64) float64 {
	return t*1000 + e.outputOffset()
}

// stampWindow is how long the readings of the output clock are kept.
const stampWindow = 1.0

// Sample takes a reading of the output clock; the page calls it often, so
// that the mapping from audio time to wall time rests on many readings.
func (e *engine) Sample() {
	if e.ok() {
		e.outputOffset()
	}
}

// outputOffset returns d such that audio time t reaches the speakers at
// local wall ms t*1000 + d. Each reading (getOutputTimestamp where the
// browser has it, else the context's clock plus its latencies) is late by
// however long the audio thread waited to be scheduled, by some
// milliseconds, so the smallest reading of the last seconds is the truest.
func (e *engine) outputOffset() float64 {
	if e.State() != "running" {
		e.stamps = e.stamps[:0]
	}
	ctxTime, wall := e.outputStamp()
	d := wall - ctxTime*1000
	keep := e.stamps[:0]
	for _, s := range e.stamps {
		if ctxTime-s.at < stampWindow && s.at <= ctxTime {
			keep = append(keep, s)
		}
	}
	e.stamps = append(keep, stamp{at: ctxTime, d: d})
	best := d
	for _, s := range e.stamps {
		best = math.Min(best, s.d)
	}
	return best
}

// stamp is one reading of the output clock.
type stamp struct{ at, d float64 }

// outputStamp returns a pair of an audio time and the local wall ms at
// which its sample reaches the speakers.
func (e *engine) outputStamp() (ctxTime, wallMs float64) {
	origin := performanceOrigin()
	if ts := e.ctx.Call("getOutputTimestamp"); ts.Truthy() {
		c, p := ts.Get("contextTime").Float(), ts.Get("performanceTime").Float()
		if p > 0 && e.State() == "running" {
			return c, origin + p
		}
	}
	latency := finite(e.ctx.Get("baseLatency").Float()) + finite(e.ctx.Get("outputLatency").Float())
	return e.ctx.Get("currentTime").Float(), localMs() + latency*1000
}

// readiness times how long the player waits for their own loop: from the
// first welcome to that loop's buffer being ready to play.
type readiness struct {
	loop      string  // the player's loop at the first welcome
	welcomeMs float64 // localMs() of the first welcome, 0 before it
	readyMs   float64 // ms from it to the loop rendered, 0 until then
	renderMs  float64 // of readyMs, the render itself, start to end
	rendered  int     // loops rendered so far
}

// NoteWelcome records the first welcome and the player's loop in it.
func (e *engine) NoteWelcome(loop string) {
	if e.ready.welcomeMs == 0 {
		e.ready.loop, e.ready.welcomeMs = loop, localMs()
	}
}

// NoteRendered records that a loop's buffer is ready, and how long its
// render took.
func (e *engine) NoteRendered(loop string, took time.Duration) {
	e.ready.rendered++
	if r := &e.ready; r.readyMs == 0 && r.welcomeMs != 0 && loop == r.loop {
		r.readyMs = localMs() - r.welcomeMs
		r.renderMs = float64(took) / float64(time.Millisecond)
	}
}

// Diagnostics returns the JSON of window.loopsDiagnostics().
func (e *engine) Diagnostics(c *clock) string {
	type audio struct {
		State         string  `json:"state"`
		SampleRate    int     `json:"sampleRate"`
		CurrentTime   float64 `json:"currentTime"`
		BaseLatency   float64 `json:"baseLatency"`
		OutputLatency float64 `json:"outputLatency"`
	}
	type clockJSON struct {
		OffsetMs float64 `json:"offsetMs"`
		RTTMs    float64 `json:"rttMs"`
		Samples  int     `json:"samples"`
	}
	type loopsJSON struct {
		OwnReadyMs  float64 `json:"ownReadyMs"`
		OwnRenderMs float64 `json:"ownRenderMs"`
		Rendered    int     `json:"rendered"`
	}
	var d struct {
		Audio     audio            `json:"audio"`
		Clock     clockJSON        `json:"clock"`
		Scheduled []scheduledStart `json:"scheduled"`
		// Loops adds to the test contract: how long the player's own loop
		// took from the first welcome to ready (0 until it is).
		Loops loopsJSON `json:"loops"`
	}
	d.Loops = loopsJSON{OwnReadyMs: e.ready.readyMs, OwnRenderMs: e.ready.renderMs, Rendered: e.ready.rendered}
	d.Audio.State = e.State()
	d.Scheduled = []scheduledStart{}
	if e.ok() {
		d.Audio.SampleRate = e.SampleRate()
		d.Audio.CurrentTime = e.ctx.Get("currentTime").Float()
		d.Audio.BaseLatency = finite(e.ctx.Get("baseLatency").Float())
		d.Audio.OutputLatency = finite(e.ctx.Get("outputLatency").Float())
		for _, s := range e.scheduled {
			s.WallMs = e.wallMs(s.AudioTime)
			d.Scheduled = append(d.Scheduled, s)
		}
	}
	if c != nil {
		off, _ := c.Offset()
		d.Clock = clockJSON{OffsetMs: off, RTTMs: c.RTT(), Samples: c.Samples()}
	}
	b, _ := json.Marshal(d)
	return string(b)
}

func finite(f float64) float64 {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0
	}
	return f
}

// copyChannel copies samples into channel ch of an AudioBuffer.
func copyChannel(buf goapp.Value, ch int, samples []float32) {
	buf.Call("copyToChannel", float32Array(samples), ch)
}

// float32Array returns a JS Float32Array holding samples, made with one copy
// of bytes, not one JS call per sample.
func float32Array(samples []float32) goapp.Value {
	arr := goapp.Window().Get("Float32Array").New(len(samples))
	bytes := goapp.Window().Get("Uint8Array").New(arr.Get("buffer"))
	goapp.CopyBytesToJS(bytes, unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(samples))), 4*len(samples)))
	return arr
}

// localMs returns this browser's clock in ms since the Unix epoch, the one
// pings are stamped with: performance.timeOrigin + performance.now().
func localMs() float64 {
	perf := goapp.Window().Get("performance")
	if !perf.Truthy() {
		return float64(time.Now().UnixNano()) / 1e6
	}
	return perf.Get("timeOrigin").Float() + perf.Call("now").Float()
}

func performanceOrigin() float64 {
	perf := goapp.Window().Get("performance")
	if !perf.Truthy() {
		return 0
	}
	return perf.Get("timeOrigin").Float()
}

// Retain stops every jam voice whose member is not in keep: they left while
// the connection was down.
func (e *engine) Retain(keep map[string]bool) {
	for id, v := range e.voices {
		if !v.preview && !keep[id] {
			e.Remove(id)
		}
	}
}
