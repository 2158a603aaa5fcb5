package app

import (
	"fmt"
	"math"

	goapp "github.com/maxence-charriere/go-app/v10/pkg/app"
)

// playheads keeps every playhead's sweep in phase with the jam's timeline.
// A sweep is a CSS animation (web/static/loops.css) of a transform, which
// the browser's compositor runs by itself: nothing restyles per frame.
// align sets the animations' length and start time, on the document's
// timeline, when the timeline, the clock offset or the set of playheads
// changed, and does nothing otherwise.
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
	for i := 0; i < n; i++ {
		anims := p.all.Index(i).Call("getAnimations")
		for j := 0; j < anims.Length(); j++ {
			a := anims.Index(j)
			if a.Get("animationName").String() != "sweep" {
				continue
			}
			if d := a.Get("effect").Call("getTiming").Get("duration"); d.Type() != goapp.TypeNumber || d.Float() != loopMs {
				a.Get("effect").Call("updateTiming", map[string]any{"duration": loopMs})
			}
			// Starts a whole number of loops apart are the same phase.
			if st := a.Get("startTime"); st.Type() == goapp.TypeNumber && math.Abs(math.Remainder(st.Float()-start, loopMs)) < 1 {
				continue
			}
			a.Set("startTime", start)
		}
	}
}
