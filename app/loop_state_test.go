package app

import (
	"testing"

	"github.com/loopswithfriends/loops/shared"
)

func TestLoopState(t *testing.T) {
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
}
