package app

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/loopswithfriends/loops/shared"
)

// fakePlayer records the session's calls on the engine, one line each,
// and the kit it was last set to.
type fakePlayer struct {
	calls []string
	kit   string
}

func (f *fakePlayer) Play(member, loop string, playing bool, bar int64) {
	f.log("play %s %s %v %d", member, loop, playing, bar)
}
func (f *fakePlayer) Remove(member string) { f.log("remove %s", member) }
func (f *fakePlayer) Retain(keep map[string]bool) {
	var ids []string
	for id := range keep {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	f.log("retain %s", strings.Join(ids, ","))
}
func (f *fakePlayer) SetVolume(member string, v float64, muted bool) {
	f.log("volume %s %.2f %v", member, v, muted)
}
func (f *fakePlayer) Preview(loop string)     { f.log("preview %s", loop) }
func (f *fakePlayer) Realign()                { f.log("realign") }
func (f *fakePlayer) NoteWelcome(loop string) { f.log("welcome %s", loop) }
func (f *fakePlayer) SetKit(kit string)       { f.kit = kit }
func (f *fakePlayer) log(format string, args ...any) {
	f.calls = append(f.calls, fmt.Sprintf(format, args...))
}

// take returns the calls so far and forgets them.
func (f *fakePlayer) take() []string {
	c := f.calls
	f.calls = nil
	return c
}

var _ player = (*fakePlayer)(nil)

type sessionRig struct {
	s      *session
	p      *fakePlayer
	sent   []string
	wanted [][]string
	kits   []string // the kit of each want
	local  float64
}

func newRig() *sessionRig {
	r := &sessionRig{p: &fakePlayer{}, local: 1_000_000}
	t := newJamTime(func() float64 { return r.local })
	r.s = newSession(t, r.p, func(m shared.Message) bool {
		r.sent = append(r.sent, m.MessageType())
		return true
	}, func(kit string, ids ...string) {
		r.wanted = append(r.wanted, ids)
		r.kits = append(r.kits, kit)
	})
	return r
}

var tl = shared.NewTimeline(5000)

func welcomeOf(you string, members ...shared.Member) *shared.Welcome {
	loop := ""
	for _, m := range members {
		if m.ID == you {
			loop = m.Loop
		}
	}
	return &shared.Welcome{You: you, Resume: "tok-" + you, Loop: loop, Now: 1_000_100,
		Jam: shared.JamInfo{ID: "j", Timeline: tl, Capacity: shared.Capacity}, Members: members}
}

func wantCalls(t *testing.T, got []string, want ...string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("calls\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

func TestSession(t *testing.T) {
	ann := shared.Member{ID: "ann", Loop: "bass", Playing: true, Bar: 3}
	me := shared.Member{ID: "me", Loop: "drums"}
	t.Run("the jam's kit is the welcome's: the engine plays it and the renderer renders it", func(t *testing.T) {
		r := newRig()
		if r.s.Kit() != shared.DefaultKit() {
			t.Errorf("before a welcome the kit is %s, want the default", r.s.Kit().ID)
		}
		last := shared.Kits[len(shared.Kits)-1]
		w := welcomeOf("me", me)
		w.Jam.Kit = last.ID
		r.s.TogglePreview("bass")
		r.s.Message(w)
		if r.s.Kit() != last || r.p.kit != last.ID || r.kits[len(r.kits)-1] != last.ID {
			t.Errorf("kit %s, the engine's %s, rendering %v; want %s", r.s.Kit().ID, r.p.kit, r.kits, last.ID)
		}
		if len(shared.Kits) > 1 && r.s.Previewing() != "" {
			t.Errorf("previewing %q of the old kit", r.s.Previewing())
		}
		w.Jam.Kit = "polka"
		r.s.Message(w)
		if r.s.Kit() != shared.DefaultKit() || r.p.kit != shared.DefaultKit().ID {
			t.Errorf("an unknown kit: %s, the engine's %s; want the default", r.s.Kit().ID, r.p.kit)
		}
	})
	t.Run("a welcome starts every member on the jam's grid and asks for the player's loop first", func(t *testing.T) {
		r := newRig()
		r.s.Message(welcomeOf("me", ann, me))
		wantCalls(t, r.p.take(), "retain ", "play ann bass true 3", "play me drums false 0", "retain ann,me", "welcome drums")
		if r.s.time.Timeline() != tl {
			t.Errorf("timeline %+v, want the jam's", r.s.time.Timeline())
		}
		if len(r.wanted) != 1 || !slices.Equal(r.wanted[0], []string{"drums", "bass"}) {
			t.Errorf("wanted %v, want the player's loop first", r.wanted)
		}
	})
	t.Run("the welcome's clock is a guess until the first pong, which realigns", func(t *testing.T) {
		r := newRig()
		r.s.Message(welcomeOf("me", me))
		if got := r.s.time.Offset(); got != 100 || r.s.time.Synced() {
			t.Errorf("offset %v synced %v, want the welcome's 100 unsynced", got, r.s.time.Synced())
		}
		r.p.take()
		r.s.Pong(1_000_000, 1_000_010, 1_000_045) // offset 40
		if got := r.s.time.Offset(); got != 40 || !r.s.time.Synced() {
			t.Errorf("offset %v synced %v, want 40 synced", got, r.s.time.Synced())
		}
		wantCalls(t, r.p.take(), "realign")
		r.s.Message(welcomeOf("me", me))
		if got := r.s.time.Offset(); got != 40 {
			t.Errorf("a later welcome moved a synced offset to %v", got)
		}
		if now := r.s.time.Now(); now != r.local+40 {
			t.Errorf("server now %v, want %v", now, r.local+40)
		}
	})
	t.Run("a welcome on another grid stops the old voices; a resumed one on the same grid keeps them", func(t *testing.T) {
		r := newRig()
		r.s.Message(welcomeOf("me", me, ann))
		r.p.take()
		r.s.Message(welcomeOf("me", me))
		wantCalls(t, r.p.take(), "play me drums false 0", "retain me", "welcome drums")
		w := welcomeOf("me", me)
		w.Jam.Timeline = shared.NewTimeline(9000)
		r.s.Message(w)
		wantCalls(t, r.p.take(), "retain ", "play me drums false 0", "retain me", "welcome drums")
	})
	t.Run("members who come, play, swap, stop and go are played as the server says", func(t *testing.T) {
		r := newRig()
		r.s.Message(welcomeOf("me", me))
		r.p.take()
		r.wanted = nil
		r.s.Message(&shared.Joined{Member: shared.Member{ID: "bob", Loop: "pad"}})
		r.s.Message(&shared.Played{ID: "bob", Bar: 7})
		r.s.Message(&shared.Swapped{ID: "bob", Loop: "keys", Bar: 9})
		r.s.Message(&shared.Stopped{ID: "bob", Bar: 11})
		r.s.Message(&shared.Left{ID: "bob"})
		wantCalls(t, r.p.take(), "play bob pad false 0", "play bob pad true 7", "play bob keys true 9", "play bob keys false 11", "remove bob")
		if want := [][]string{{"drums", "pad"}, {"drums", "keys"}}; !slices.EqualFunc(r.wanted, want, slices.Equal) {
			t.Errorf("wanted %v, want %v", r.wanted, want)
		}
		if r.s.Message(&shared.Played{ID: "ghost", Bar: 1}) {
			t.Error("a message about nobody changed the view")
		}
		wantCalls(t, r.p.take())
	})
	t.Run("a friend's volume and mute follow them through what they play", func(t *testing.T) {
		r := newRig()
		r.s.Message(welcomeOf("me", me, ann))
		r.p.take()
		r.s.SetVolume("ann", 0.5)
		r.s.ToggleMute("ann")
		r.s.Message(&shared.Stopped{ID: "ann", Bar: 5})
		wantCalls(t, r.p.take(), "volume ann 0.50 false", "volume ann 0.50 true", "play ann bass false 5", "volume ann 0.50 true")
		if r.s.Volume("ann") != 0.5 || !r.s.Muted("ann") || r.s.Volume("me") != 1 || r.s.Muted("me") {
			t.Error("settings wrong")
		}
	})
	t.Run("after a friend leaves, mute acts on the friend it names", func(t *testing.T) {
		r := newRig()
		bob := shared.Member{ID: "bob", Loop: "pad"}
		r.s.Message(welcomeOf("me", me, ann, bob))
		r.s.Message(&shared.Left{ID: "ann"})
		r.p.take()
		r.s.ToggleMute("bob")
		wantCalls(t, r.p.take(), "volume bob 1.00 true")
	})
	t.Run("the toggle asks the server for what the player's loop is not doing", func(t *testing.T) {
		r := newRig()
		r.s.Toggle()
		if len(r.sent) != 0 {
			t.Errorf("sent %v before a welcome", r.sent)
		}
		r.s.Message(welcomeOf("me", me))
		r.s.Toggle()
		r.s.Message(&shared.Played{ID: "me", Bar: 2})
		r.s.Toggle()
		if !slices.Equal(r.sent, []string{"play", "stop"}) {
			t.Errorf("sent %v, want play then stop", r.sent)
		}
	})
	t.Run("a second click on a preview stops it; a click on another switches", func(t *testing.T) {
		r := newRig()
		r.s.TogglePreview("pad")
		r.s.TogglePreview("pad")
		r.s.TogglePreview("bass")
		r.s.TogglePreview("keys")
		wantCalls(t, r.p.take(), "preview pad", "preview ", "preview bass", "preview keys")
		if r.s.Previewing() != "keys" {
			t.Errorf("previewing %q", r.s.Previewing())
		}
		if want := [][]string{{"pad"}, {"bass"}, {"keys"}}; !slices.EqualFunc(r.wanted, want, slices.Equal) {
			t.Errorf("wanted %v, want %v", r.wanted, want)
		}
	})
	t.Run("a swap renders the new loop while the server is asked", func(t *testing.T) {
		r := newRig()
		r.s.Swap("keys")
		if !slices.Equal(r.sent, []string{"swap"}) || len(r.wanted) != 1 || r.wanted[0][0] != "keys" {
			t.Errorf("sent %v wanted %v", r.sent, r.wanted)
		}
	})
	t.Run("a player the server forgot asks back for their loop, playing", func(t *testing.T) {
		r := newRig()
		r.s.Message(welcomeOf("me", shared.Member{ID: "me", Loop: "keys", Playing: true, Bar: 4}))
		r.s.Message(welcomeOf("me2", shared.Member{ID: "me2", Loop: "drums"}))
		if !slices.Equal(r.sent, []string{"swap", "play"}) {
			t.Errorf("sent %v, want swap then play", r.sent)
		}
		r = newRig()
		r.s.Message(welcomeOf("me", shared.Member{ID: "me", Loop: "keys"}))
		r.s.Message(welcomeOf("me2", shared.Member{ID: "me2", Loop: "drums"}, shared.Member{ID: "x", Loop: "keys"}))
		if len(r.sent) != 0 {
			t.Errorf("sent %v, want nothing: the loop is taken and it was stopped", r.sent)
		}
	})
}
