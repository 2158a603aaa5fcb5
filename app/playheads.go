package app

import (
	"fmt"
	"math"
	"strings"

	"github.com/loopswithfriends/loops/shared"
	goapp "github.com/maxence-charriere/go-app/v10/pkg/app"
)

// playheads keeps every playhead's sweep in phase with the jam's timeline.
// A sweep is a CSS animation (web/static/loops.css) of a transform, which
// the browser's compositor runs by itself: nothing restyles per frame.
// align sets the animations' length, steps and start time, on the
// document's timeline, for each playhead not yet aligned to the current
// timeline and clock offset, and does nothing otherwise.
//
// A sweep moves once per sixteenth note of the loop (150 ms at 100 BPM),
// as a step sequencer's light does, not at every frame of the screen: a
// compositor without a GPU (Firefox's software WebRender) draws the window
// again at each move, and three playheads moving at 60 frames a second
// cost it 70 % of a core (BENCHMARKS.md, issue 10), which starves the
// page's audio thread on a busy machine. Each step is centred on the time
// it shows, so a playhead is at most half a step off the timeline. Only a
// sounding loop's card has a playhead (waveform.go): a stopped loop's card
// draws nothing that moves.
type playheads struct {
	time *jamTime
	// all is the document's live list of playheads.
	all goapp.Value
	// tl and offset are what the sweeps are aligned to; gen counts their
	// changes, and each playhead aligned to them is marked with it (a
	// property of the element, headMark), so that one added since (a
	// loop that started) is aligned without asking the others'
	// animations, which makes the browser compute the page's styles.
	tl     shared.Timeline
	offset float64
	gen    int
}

// headMark is the playhead element's property that holds the generation it
// was last aligned to.
const headMark = "loopsHeadGen"

// headSlackMs is how far the clock's offset may move before the sweeps are
// aligned again: a playhead 2 ms off is not to be seen, and each alignment
// makes the browser compute the page's styles at once (getAnimations),
// which the first burst of pongs, each moving the offset a little, did
// for every pong while the page starts.
const headSlackMs = 2

func newPlayheads(t *jamTime) *playheads { return &playheads{time: t} }

// align puts the sweeps in phase, if anything changed since the last time.
// It is cheap enough to call on every tick of the page: a property read
// per sounding loop's playhead.
func (p *playheads) align() {
	if p == nil {
		return
	}
	if p.all == nil {
		p.all = goapp.Window().Get("document").Call("getElementsByClassName", "playhead")
	}
	tl, offset := p.time.Timeline(), p.time.Offset()
	if tl != p.tl || math.Abs(offset-p.offset) >= headSlackMs || p.gen == 0 {
		p.tl, p.offset = tl, offset
		p.gen++
	}
	n := p.all.Length()
	var start, loopMs float64
	var steps int
	var easing string
	for i := 0; i < n; i++ {
		el := p.all.Index(i)
		if m := el.Get(headMark); m.Type() == goapp.TypeNumber && m.Int() == p.gen {
			continue
		}
		if easing == "" {
			// The start of the current loop on the document's timeline,
			// which counts ms from performance.timeOrigin.
			server := p.time.Now()
			start = server - tl.Phase(server) - offset - performanceOrigin()
			loopMs = tl.LoopMs()
			steps = max(1, tl.StepsPerLoop())
			easing = fmt.Sprintf("steps(%d)", steps)
			// Each step shows the position at its middle.
			start -= loopMs / float64(steps) / 2
		}
		if alignSweep(el, start, loopMs, easing) {
			el.Set(headMark, p.gen)
		}
	}
}

// alignSweep sets a playhead's sweep to loopMs in easing's steps from start,
// and reports whether it had a sweep to set (a playhead not yet styled has
// none, and is aligned at a later tick).
func alignSweep(el goapp.Value, start, loopMs float64, easing string) bool {
	anims := el.Call("getAnimations")
	found := false
	for j := 0; j < anims.Length(); j++ {
		a := anims.Index(j)
		if a.Get("animationName").String() != "sweep" {
			continue
		}
		found = true
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
	return found
}
