package app

import (
	"math"

	"github.com/loopswithfriends/loops/shared"
)

// Loop states, the values of data-state on #loop-toggle and member cards.
const (
	loopStopped  = "stopped"
	loopQueued   = "queued"
	loopPlaying  = "playing"
	loopStopping = "stopping"
)

// loopState returns a member's state at server time now: a state whose bar
// has not started yet is queued or stopping.
func loopState(t shared.Timeline, m shared.Member, now float64) string {
	pending := now < t.BarStart(m.Bar)
	switch {
	case m.Playing && pending:
		return loopQueued
	case m.Playing:
		return loopPlaying
	case pending:
		return loopStopping
	default:
		return loopStopped
	}
}

// beatsUntil returns how many beats remain until bar starts, rounded up:
// the countdown a queued loop shows.
func beatsUntil(t shared.Timeline, bar int64, now float64) int {
	left := t.BarStart(bar) - now
	if left <= 0 {
		return 0
	}
	return int(math.Ceil(left / t.BeatMs()))
}
