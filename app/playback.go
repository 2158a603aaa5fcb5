package app

import (
	"math"

	"github.com/loopswithfriends/loops/shared"
	"github.com/loopswithfriends/loops/shared/sound"
)

// startLeadMs is how far ahead of now a play or a seek starts: enough for
// the audio thread to see the starts before their time.
const startLeadMs = 120

// playback plays a recording through the jam's engine, exactly as a jam
// plays: each of its loops is a member of a jam that never was, whose
// starts and stops reach the engine a bar ahead on the recording's own
// timeline, so every loop sounds phase-locked as it did in the jam, and a
// loop whose stretches touch goes on without a gap. It owns the page's
// jamTime: the timeline is the recording's, and the offset maps the local
// clock onto it from the moment play was pressed. Like the session, it knows
// neither go-app nor JS.
type playback struct {
	rec    *shared.Recording
	time   *jamTime
	player player
	loops  []string

	playing bool
	// pos is where playback stands while paused, in bars from bar 0.
	pos float64
	// from is the bar play started in; applied the last bar whose starts
	// and stops the player has.
	from, applied int
}

func newPlayback(rec *shared.Recording, t *jamTime, p player) *playback {
	t.timeline = rec.Timeline()
	t.synced = true
	return &playback{rec: rec, time: t, player: p, loops: sound.LoopIDs(rec)}
}

// Playing reports whether the recording plays.
func (p *playback) Playing() bool { return p.playing }

// Position returns where playback stands at local ms now, in bars from the
// recording's start (fractions within a bar).
func (p *playback) Position(now float64) float64 {
	if !p.playing {
		return p.pos
	}
	tl := p.time.timeline
	return (now + p.time.offsetMs - tl.BarStart(p.rec.FirstBar)) / tl.BarMs()
}

// Play plays from where playback stands (the start, once it reached the
// end), startLeadMs after local ms now.
func (p *playback) Play(now float64) {
	if p.pos >= float64(p.rec.Bars) || p.pos < 0 {
		p.pos = 0
	}
	tl := p.time.timeline
	// The recording's position pos sounds at local now + lead.
	p.time.offsetMs = tl.BarStart(p.rec.FirstBar) + p.pos*tl.BarMs() - (now + startLeadMs)
	p.player.Retain(nil)
	p.playing = true
	p.from = int(math.Floor(p.pos))
	p.applied = p.from - 1
	p.Tick(now)
}

// Pause stops the sound where playback stands at local ms now.
func (p *playback) Pause(now float64) {
	if !p.playing {
		return
	}
	p.pos = p.Position(now)
	p.playing = false
	p.player.Retain(nil)
}

// Toggle plays or pauses.
func (p *playback) Toggle(now float64) {
	if p.playing {
		p.Pause(now)
	} else {
		p.Play(now)
	}
}

// Seek moves playback to the start of bar b (clamped to the recording),
// playing on from there if it was playing.
func (p *playback) Seek(b int, now float64) {
	b = max(0, min(b, p.rec.Bars-1))
	playing := p.playing
	p.Pause(now)
	p.pos = float64(b)
	if playing {
		p.Play(now)
	}
}

// Tick hands the player the starts and stops of every bar up to the next
// one, as a jam's messages would, and stops at the recording's end. It
// reports whether playback ended.
func (p *playback) Tick(now float64) (ended bool) {
	if !p.playing {
		return false
	}
	at := p.Position(now)
	if at >= float64(p.rec.Bars) {
		p.pos, p.playing = 0, false
		p.player.Retain(nil)
		return true
	}
	upTo := min(int(math.Floor(at))+1, p.rec.Bars)
	for b := p.applied + 1; b <= upTo; b++ {
		for _, loop := range p.loops {
			on := b < p.rec.Bars && p.rec.Sounds(loop, b)
			was := b > p.from && p.rec.Sounds(loop, b-1)
			if on != was {
				p.player.Play(loop, loop, on, p.rec.FirstBar+int64(b))
			}
		}
	}
	p.applied = max(p.applied, upTo)
	return false
}
