package app

import (
	"fmt"
	"reflect"
	"testing"

	"github.com/loopswithfriends/loops/shared"
)

// callPlayer records what a player was told.
type callPlayer struct{ calls []string }

func (c *callPlayer) Play(member, loop string, playing bool, bar int64) {
	c.calls = append(c.calls, fmt.Sprintf("%s %v@%d", loop, playing, bar))
}
func (c *callPlayer) Remove(member string)            { c.calls = append(c.calls, "remove "+member) }
func (c *callPlayer) Retain(keep map[string]bool)     { c.calls = append(c.calls, "retain") }
func (c *callPlayer) SetKit(kit string)               {}
func (c *callPlayer) SetVolume(string, float64, bool) {}
func (c *callPlayer) Preview(string)                  {}
func (c *callPlayer) Realign()                        {}
func (c *callPlayer) NoteWelcome(string)              {}
func (c *callPlayer) take() []string                  { out := c.calls; c.calls = nil; return out }
func (c *callPlayer) want(t *testing.T, what string, want ...string) {
	t.Helper()
	if got := c.take(); !reflect.DeepEqual(got, want) && !(len(got) == 0 && len(want) == 0) {
		t.Fatalf("%s: the player was told %q, want %q", what, got, want)
	}
}

func TestPlayback(t *testing.T) {
	// Jam bars 11 to 18: drums throughout in two stretches that touch,
	// bass from 2 to 4, bells from 4 to the end.
	rec := &shared.Recording{BPM: 100, BeatsPerBar: 4, BarsPerLoop: 2, FirstBar: 11, Bars: 8,
		Parts: []shared.Part{{Loop: "drums", From: 0, To: 3}, {Loop: "drums", From: 3, To: 8},
			{Loop: "bass", From: 2, To: 4}, {Loop: "bells", From: 4, To: 8}}}
	barMs := 2400.0
	setup := func() (*playback, *callPlayer) {
		cp := &callPlayer{}
		return newPlayback(rec, newJamTime(func() float64 { return 0 }), cp), cp
	}

	t.Run("play starts what sounds in the first bar on the jam's own bar, and each change reaches the player a bar ahead", func(t *testing.T) {
		p, cp := setup()
		p.Play(1000)
		cp.want(t, "play", "retain", "drums true@11")
		start := 1000.0 + startLeadMs
		if pos := p.Position(start); pos != 0 {
			t.Fatalf("position %v at the start, want 0", pos)
		}
		if bar := p.time.timeline.BarAt(start + p.time.offsetMs); bar != 11 {
			t.Fatalf("the engine's grid puts the start in bar %d, want the jam's bar 11", bar)
		}
		p.Tick(start + 0.5*barMs)
		cp.want(t, "in bar 0") // bar 1 changes nothing
		p.Tick(start + 1.5*barMs)
		cp.want(t, "in bar 1", "bass true@13")
		p.Tick(start + 2.5*barMs) // bar 3: the drums go on through the seam
		cp.want(t, "in bar 2")
		p.Tick(start + 3.5*barMs)
		cp.want(t, "in bar 3", "bass false@15", "bells true@15")
		p.Tick(start + 7.5*barMs)
		cp.want(t, "in bar 7", "drums false@19", "bells false@19")
		if ended := p.Tick(start + 8*barMs); !ended || p.Playing() || p.Position(0) != 0 {
			t.Fatalf("at the end: ended %v, playing %v, position %v", ended, p.Playing(), p.Position(0))
		}
		cp.want(t, "at the end", "retain")
	})

	t.Run("a seek into a stretch starts every loop that sounds there, in its bar; pause silences and keeps the place", func(t *testing.T) {
		p, cp := setup()
		p.Seek(5, 0)
		cp.want(t, "a seek while paused")
		p.Play(0)
		cp.want(t, "play at bar 5", "retain", "drums true@16", "bells true@16")
		p.Tick(startLeadMs + 1.2*barMs)
		p.Pause(startLeadMs + 1.2*barMs)
		cp.want(t, "pause", "retain")
		if pos := p.Position(99999); pos < 6.19 || pos > 6.21 {
			t.Fatalf("paused at %v, want 6.2", pos)
		}
		p.Play(50000) // from bar 6, mid-bar: the engine starts it at once, in phase
		cp.want(t, "play after a pause", "retain", "drums true@17", "bells true@17")
		p.Seek(2, 50000)
		cp.want(t, "a seek while playing", "retain", "retain", "drums true@13", "bass true@13")
		p.Seek(99, 50000)
		if p.Position(50000+startLeadMs) != 7 {
			t.Fatalf("a seek past the end went to %v, want the last bar", p.Position(50000+startLeadMs))
		}
	})
}
