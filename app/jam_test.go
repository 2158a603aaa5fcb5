package app

import (
	"testing"

	"github.com/loopswithfriends/loops/shared"
)

func TestJam(t *testing.T) {
	tl := shared.NewTimeline(1000) // bars of 2400 ms
	t.Run("a state takes effect on its bar", func(t *testing.T) {
		bar := int64(5)
		start := tl.BarStart(bar)
		for _, c := range []struct {
			playing bool
			now     float64
			want    string
		}{
			{true, start - 1, loopQueued},
			{true, start, loopPlaying},
			{false, start - 1, loopStopping},
			{false, start, loopStopped},
		} {
			if got := loopState(tl, shared.Member{Playing: c.playing, Bar: bar}, c.now); got != c.want {
				t.Errorf("playing %v at bar start %+.0f ms: %s, want %s", c.playing, c.now-start, got, c.want)
			}
		}
	})
	t.Run("the countdown counts beats up to the bar", func(t *testing.T) {
		start := tl.BarStart(5)
		for _, c := range []struct {
			before float64
			want   int
		}{{2400, 4}, {1801, 4}, {1800, 3}, {1, 1}, {0, 0}, {-50, 0}} {
			if got := beatsUntil(tl, 5, start-c.before); got != c.want {
				t.Errorf("%v ms before the bar: %d beats, want %d", c.before, got, c.want)
			}
		}
	})
	t.Run("messages move the members", func(t *testing.T) {
		var j jam
		j.apply(&shared.Welcome{You: "me", Jam: shared.JamInfo{ID: "j", Timeline: tl}, Members: []shared.Member{{ID: "me", Loop: "drums"}}})
		j.apply(&shared.Joined{Member: shared.Member{ID: "ann", Loop: "bass"}})
		j.apply(&shared.Played{ID: "ann", Bar: 9})
		j.apply(&shared.Swapped{ID: "me", Loop: "keys", Bar: 9})
		if m, _ := j.member("ann"); !m.Playing || m.Bar != 9 {
			t.Errorf("ann %+v, want playing from bar 9", m)
		}
		if m, _ := j.member("me"); m.Loop != "keys" {
			t.Errorf("me %+v, want keys", m)
		}
		if !j.taken("bass") || j.taken("pad") {
			t.Error("taken loops wrong")
		}
		if others := j.others(); len(others) != 1 || others[0].ID != "ann" {
			t.Errorf("others %+v", others)
		}
		j.apply(&shared.Stopped{ID: "ann", Bar: 11})
		if m, _ := j.member("ann"); m.Playing || m.Bar != 11 {
			t.Errorf("ann %+v, want stopped at bar 11", m)
		}
		j.apply(&shared.Left{ID: "ann"})
		if _, ok := j.member("ann"); ok {
			t.Error("ann is still there after leaving")
		}
		if j.apply(&shared.Played{ID: "ghost", Bar: 1}) {
			t.Error("a message about nobody changed the jam")
		}
	})
}
