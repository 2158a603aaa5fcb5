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

// jam is the player's view of their jam, built from the server's messages:
// who is there, with which loop, playing from which bar.
type jam struct {
	you        string
	info       shared.JamInfo
	members    []shared.Member
	redirected bool
}

// apply updates the jam with a message of the server. It reports whether
// the message changed anything.
func (j *jam) apply(m shared.Message) bool {
	switch m := m.(type) {
	case *shared.Welcome:
		j.you, j.info, j.redirected = m.You, m.Jam, m.Redirected
		j.members = append([]shared.Member(nil), m.Members...)
	case *shared.Joined:
		if i := j.index(m.Member.ID); i >= 0 {
			j.members[i] = m.Member
		} else {
			j.members = append(j.members, m.Member)
		}
	case *shared.Left:
		i := j.index(m.ID)
		if i < 0 {
			return false
		}
		j.members = append(j.members[:i], j.members[i+1:]...)
	case *shared.Played:
		return j.set(m.ID, func(mb *shared.Member) { mb.Playing, mb.Bar = true, m.Bar })
	case *shared.Stopped:
		return j.set(m.ID, func(mb *shared.Member) { mb.Playing, mb.Bar = false, m.Bar })
	case *shared.Swapped:
		return j.set(m.ID, func(mb *shared.Member) { mb.Loop = m.Loop })
	default:
		return false
	}
	return true
}

func (j *jam) set(id string, f func(*shared.Member)) bool {
	i := j.index(id)
	if i < 0 {
		return false
	}
	f(&j.members[i])
	return true
}

func (j *jam) index(id string) int {
	for i, m := range j.members {
		if m.ID == id {
			return i
		}
	}
	return -1
}

// member returns the member with the id.
func (j *jam) member(id string) (shared.Member, bool) {
	if i := j.index(id); i >= 0 {
		return j.members[i], true
	}
	return shared.Member{}, false
}

// others returns every member but the player, in the order they came.
func (j *jam) others() []shared.Member {
	var out []shared.Member
	for _, m := range j.members {
		if m.ID != j.you {
			out = append(out, m)
		}
	}
	return out
}

// taken reports whether a member of the jam has the loop.
func (j *jam) taken(loop string) bool {
	for _, m := range j.members {
		if m.Loop == loop {
			return true
		}
	}
	return false
}

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
