package app

import (
	"fmt"
	"math"
	"strings"

	goapp "github.com/maxence-charriere/go-app/v10/pkg/app"
)

// playheads keeps every playhead's sweep in phase with the jam's timeline.
// A sweep is a CSS animation (web/static/loops.css) of a transform, which
// the browser's compositor runs by itself: nothing restyles per frame.
// align sets the animations' length, steps and start time, on the
// document's timeline, when the timeline, the clock offset or the set of
// playheads changed, and does nothing otherwise.
//
// A sweep moves in steps of headStepMs, not at every frame of the screen:
// a compositor without a GPU (Firefox's software WebRender) draws the
// window again at each move, and three playheads moving at 60 frames a
// second cost it 70 % of a core (BENCHMARKS.md, issue 10), which starves
// the page's audio thread on a busy machine. Each step is centred on the
// time it shows, so a playhead is at most half a step off the timeline.
type playheads struct {
	time *jamTime
	// all is the document's live list of playheads.
	all goapp.Value
	// key and offset are what the sweeps were last aligned to.
	key    string
	offset float64
}

// headSlackMs is how far the clock's offset may move before the sweeps are
// aligned again: a playhead 2 ms off is not to be seen, and each alignment
// makes the browser compute the page's styles at once (getAnimations),
// which the first burst of pongs, each moving the offset a little, did
// for every pong while the page starts.
const headSlackMs = 2

// headStepMs is how long a sweep stands still between its moves: 25 moves a
// second, a few pixels each across a waveform.
const headStepMs = 40

func newPlayheads(t *jamTime) *playheads { return &playheads{time: t} }

// align puts the sweeps in phase, if anything changed since the last time.
// It is cheap enough to call on every tick of the page.
func (p *playheads) align() {
	if p == nil {
		return
	}
	if p.all == nil {
		p.all = goapp.Window().Get("document").Call("getElementsByClassName", "playhead")
	}
	n := p.all.Length()
	tl := p.time.Timeline()
	key, offset := fmt.Sprintf("%v|%d", tl, n), p.time.Offset()
	if key == p.key && math.Abs(offset-p.offset) < headSlackMs {
		return
	}
	p.key, p.offset = key, offset
	// The start of the current loop on the document's timeline, which
	// counts ms from performance.timeOrigin.
	server := p.time.Now()
	start := server - tl.Phase(server) - offset - performanceOrigin()
	loopMs := tl.LoopMs()
	steps := max(1, int(math.Round(loopMs/headStepMs)))
	easing := fmt.Sprintf("steps(%d)", steps)
	// Each step shows the position at its middle.
	start -= loopMs / float64(steps) / 2
	for i := 0; i < n; i++ {
		anims := p.all.Index(i).Call("getAnimations")
		for j := 0; j < anims.Length(); j++ {
			a := anims.Index(j)
			if a.Get("animationName").String() != "sweep" {
				continue
			}
			// The browsers write "steps(n)" back, or "steps(n, end)".
			timing := a.Get("effect").Call("getTiming")
			if d, e := timing.Get("duration"), timing.Get("easing").String(); d.Type() != goapp.TypeNumber || d.Float() != loopMs ||
				(e != easing && e != strings.TrimSuffix(easing, ")")+", end)") {
				a.Get("effect").Call("updateTiming", map[string]any{"duration": loopMs, "easing": easing})
			}
			// Starts a whole number of loops apart are the same phase.
			if st := a.Get("startTime"); st.Type() == goapp.TypeNumber && math.Abs(math.Remainder(st.Float()-start, loopMs)) < 1 {
				continue
			}
			a.Set("startTime", start)
		}
	}
}
