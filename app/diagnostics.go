package app

import (
	"encoding/binary"
	"encoding/json"
	"math"
	"time"

	goapp "github.com/maxence-charriere/go-app/v10/pkg/app"
)

// scheduledStart is one loop start the engine scheduled.
type scheduledStart struct {
	Member    string  `json:"member"`
	Loop      string  `json:"loop"`
	Bar       int64   `json:"bar"`
	ServerMs  float64 `json:"serverMs"`
	AudioTime float64 `json:"audioTime"`
	// WallMs is where the start reaches the speakers on the local wall
	// clock by the output clock now; PlannedWallMs where it was to reach
	// them by the output clock when it was scheduled. They part when the
	// audio clock glitched or slipped since; while the start's source
	// sounds, WallMs follows how its rate steered it back (Nudges rate
	// changes, playing at Factor times its own rate now), and ClockWallMs
	// is where it would be without them: ClockWallMs - PlannedWallMs is how
	// far the output clock moved.
	WallMs        float64 `json:"wallMs"`
	PlannedWallMs float64 `json:"plannedWallMs"`
	ClockWallMs   float64 `json:"clockWallMs"`
	Nudges        int     `json:"nudges"`
	Factor        float64 `json:"factor"`
	// AtMs is the local wall ms it was scheduled at.
	AtMs float64 `json:"atMs"`
	// Kind is why it was scheduled: startFirst, startMoved, startRestart;
	// DriftMs, for a restart, how far off the grid the loop was, and
	// StallMs how much audio the stalls it answered lost (0: it answered
	// none, its drift persisted).
	Kind    string  `json:"kind"`
	DriftMs float64 `json:"driftMs"`
	StallMs float64 `json:"stallMs"`
	seq     int
}

// maxScheduled bounds the record of starts on a page left open for hours.
const maxScheduled = 256

// readiness times how long the player waits for their own loop: from the
// first welcome to that loop's buffer being ready to play.
type readiness struct {
	loop      string  // the player's loop at the first welcome
	welcomeMs float64 // localMs() of the first welcome, 0 before it
	readyMs   float64 // ms from it to the loop rendered, 0 until then
	renderMs  float64 // of readyMs, the render itself, start to end
	gcs       uint64  // Go's garbage collections finished when it was ready
	rendered  int     // loops rendered so far
	inWorker  int     // of them, those the render worker made
}

// welcome records the first welcome, at local ms now, and the player's loop
// in it.
func (r *readiness) welcome(loop string, now float64) {
	if r.welcomeMs == 0 {
		r.loop, r.welcomeMs = loop, now
	}
}

// rendered records that a loop's buffer is ready at local ms now, how long
// its render took, and whether the render worker made it.
func (r *readiness) done(loop string, took time.Duration, inWorker bool, now float64) {
	r.rendered++
	if inWorker {
		r.inWorker++
	}
	if r.readyMs == 0 && r.welcomeMs != 0 && loop == r.loop {
		r.readyMs = now - r.welcomeMs
		r.renderMs = float64(took) / float64(time.Millisecond)
		r.gcs = gcCycles()
	}
}

// NoteWelcome records the first welcome and the player's loop in it.
func (e *engine) NoteWelcome(loop string) { e.ready.welcome(loop, localMs()) }

// NoteRendered records that a loop's buffer is ready, how long its render
// took, and whether the render worker made it.
func (e *engine) NoteRendered(loop string, took time.Duration, inWorker bool) {
	e.ready.done(loop, took, inWorker, localMs())
}

// Diagnostics returns the JSON of window.loopsDiagnostics(): the test
// contract of the browser tests and benchmarks.
// BufferSums returns, as JSON, a checksum of each channel (left, right)
// of each loop buffer the engine holds (bufferSum), for the tests to
// compare with the loop the renderer made: what the sound card gets.
// Megabytes a loop are copied out; it is the tests' only, not
// Diagnostics' (which they poll).
func (e *engine) BufferSums() string {
	sums := map[string][2]float64{}
	for id, buf := range e.buffers {
		var s [2]float64
		for ch := range s {
			data := buf.Call("getChannelData", ch)
			b := make([]byte, data.Get("byteLength").Int())
			goapp.CopyBytesToGo(b, goapp.Window().Get("Uint8Array").New(data.Get("buffer"), data.Get("byteOffset"), len(b)))
			samples := make([]float32, len(b)/4)
			for i := range samples {
				samples[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
			}
			s[ch] = bufferSum(samples)
		}
		sums[id] = s
	}
	out, _ := json.Marshal(sums)
	return string(out)
}

// bufferSum sums the samples' magnitudes, each weighed by its place (1 to
// 8191, over and over): samples moved, lost or garbled change it.
func bufferSum(samples []float32) float64 {
	var s float64
	for i, x := range samples {
		s += math.Abs(float64(x)) * float64(1+i%8191)
	}
	return s
}

func (e *engine) Diagnostics() string {
	type audio struct {
		State         string  `json:"state"`
		SampleRate    int     `json:"sampleRate"`
		CurrentTime   float64 `json:"currentTime"`
		BaseLatency   float64 `json:"baseLatency"`
		OutputLatency float64 `json:"outputLatency"`
		// JamGain is the jam bus's gain now: 0 while a preview mutes it.
		JamGain float64 `json:"jamGain"`
	}
	type clockJSON struct {
		OffsetMs float64 `json:"offsetMs"`
		RTTMs    float64 `json:"rttMs"`
		Samples  int     `json:"samples"`
	}
	type loopsJSON struct {
		OwnReadyMs  float64 `json:"ownReadyMs"`
		OwnRenderMs float64 `json:"ownRenderMs"`
		// OwnReadyGCs is how many garbage collections ran from the
		// page's start to the own loop ready (startGCPercent).
		OwnReadyGCs uint64 `json:"ownReadyGCs"`
		Rendered    int    `json:"rendered"`
		// InWorker is how many of the loops rendered the render worker
		// made (app/render_worker.go); the page made the others.
		InWorker int `json:"inWorker"`
	}
	var d struct {
		Audio     audio            `json:"audio"`
		Clock     clockJSON        `json:"clock"`
		Scheduled []scheduledStart `json:"scheduled"`
		// Loops adds to the test contract: how long the player's own loop
		// took from the first welcome to ready (0 until it is).
		Loops loopsJSON `json:"loops"`
		// Gains is each member's local gain now (volume and mute), and
		// Preview the loop auditioned, "" if none: what the controls did.
		Gains   map[string]float64 `json:"gains"`
		Preview string             `json:"preview"`
		// Kit is the kit the engine plays, and BufferSeconds the length
		// of each loop buffer it holds: which kit's loops sound.
		Kit           string             `json:"kit"`
		BufferSeconds map[string]float64 `json:"bufferSeconds"`
		// ClockMoves are the last moves of the output clock's mapping
		// by a ms or more: each the local wall ms of the reading and by
		// how many ms audio time reaches the speakers later than before
		// (a stall of the audio thread is a run of them).
		ClockMoves [][2]float64 `json:"clockMoves"`
		// Stalls are the last stalls of the audio thread that lost audio,
		// by the context's clock: each the local wall ms the clock ran
		// again and how many ms of audio it lost.
		Stalls [][2]float64 `json:"stalls"`
	}
	d.Loops = loopsJSON{OwnReadyMs: e.ready.readyMs, OwnRenderMs: e.ready.renderMs, OwnReadyGCs: e.ready.gcs, Rendered: e.ready.rendered, InWorker: e.ready.inWorker}
	d.Audio.State = e.State()
	d.Scheduled = []scheduledStart{}
	d.Gains = map[string]float64{}
	d.Kit, d.BufferSeconds = e.kit, map[string]float64{}
	d.ClockMoves = [][2]float64{}
	for _, m := range e.out.moves {
		d.ClockMoves = append(d.ClockMoves, [2]float64{m.at, m.d})
	}
	d.Stalls = [][2]float64{}
	for _, s := range e.out.stall.stalls {
		d.Stalls = append(d.Stalls, [2]float64{s.at, s.d})
	}
	for id, buf := range e.buffers {
		d.BufferSeconds[id] = buf.Get("duration").Float()
	}
	if e.ok() {
		d.Audio.JamGain = e.jamBus.Get("gain").Get("value").Float()
		for id, v := range e.voices {
			switch {
			case !v.preview:
				d.Gains[id] = v.out.Get("gain").Get("value").Float()
			case v.playing:
				d.Preview = v.loop
			}
		}
		d.Audio.SampleRate = e.SampleRate()
		d.Audio.CurrentTime = e.ctx.Get("currentTime").Float()
		d.Audio.BaseLatency = finite(e.ctx.Get("baseLatency").Float())
		if e.out.ready(e.State() == "running", localMs()) {
			d.Audio.OutputLatency = finite(e.ctx.Get("outputLatency").Float())
		}
		now := e.currentTime()
		for _, s := range e.scheduled {
			s.ClockWallMs, s.WallMs, s.Factor = e.wallMs(s.AudioTime), e.wallMs(s.AudioTime), 1
			for _, v := range e.voices {
				if v.seq == s.seq && v.src != nil {
					s.WallMs = e.wallMs(v.follow.anchorAt(math.Max(now, v.follow.since)))
					s.Nudges, s.Factor = v.follow.nudges, v.follow.factor
				}
			}
			d.Scheduled = append(d.Scheduled, s)
		}
	}
	off, _ := e.time.est.Offset()
	d.Clock = clockJSON{OffsetMs: off, RTTMs: e.time.est.RTT(), Samples: e.time.est.Samples()}
	b, _ := json.Marshal(d)
	return string(b)
}
