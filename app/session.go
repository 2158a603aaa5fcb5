package app

import "github.com/loopswithfriends/loops/shared"

// player is what the session drives: the audio engine, which sounds what the
// jam's members play on the jam's grid. Its calls say what should sound; it
// reads the grid and the clock from the session's jamTime.
type player interface {
	// Play sets what a member plays from bar on.
	Play(member, loop string, playing bool, bar int64)
	// Remove stops a member who left.
	Remove(member string)
	// Retain stops every member not in keep (nil: every member).
	Retain(keep map[string]bool)
	// SetVolume sets a member's local volume, 0 to 1, and mute.
	SetVolume(member string, volume float64, muted bool)
	// Preview plays a loop alone on this device, or stops with "".
	Preview(loop string)
	// Realign re-anchors sounding loops after the clock offset moved.
	Realign()
	// NoteWelcome records a welcome and the player's loop in it.
	NoteWelcome(loop string)
	// SetKit sets the kit whose loops the member's loop ids name.
	SetKit(kit string)
}

// session is the player's side of a jam, and the one owner of its state:
// the jam's view, built from the server's messages; the jam's time; and the
// player's own settings (each friend's volume and mute, the preview). It
// turns server messages and the player's intents into calls on the player
// (the engine), frames for the server and loops to render. It knows neither
// go-app nor JS, so it is tested natively; the page wires it and renders
// what it holds.
type session struct {
	view shared.View
	time *jamTime

	volumes map[string]float64
	muted   map[string]bool
	preview string
	// saved is the last recording of the jam a member saved.
	saved savedRecording

	player player
	// send queues a message for the server; it reports false offline.
	send func(shared.Message) bool
	// want asks for loops of a kit to be rendered, most wanted first.
	want func(kit string, loops ...string)
}

func newSession(t *jamTime, p player, send func(shared.Message) bool, want func(kit string, loops ...string)) *session {
	return &session{
		time: t, player: p, send: send, want: want,
		volumes: make(map[string]float64),
		muted:   make(map[string]bool),
	}
}

// Message applies a message of the server. It reports whether the jam's
// view changed.
func (s *session) Message(m shared.Message) bool {
	switch m := m.(type) {
	case *shared.Welcome:
		s.welcome(m)
		return true
	case *shared.Recorded:
		s.saved = savedRecording{ID: m.ID, ByYou: m.By == s.view.You, Bars: m.Bars}
		return true
	}
	if !s.view.Apply(m) {
		return false
	}
	switch m := m.(type) {
	case *shared.Joined:
		s.play(m.Member, m.Member.Loop, m.Member.Bar)
		s.want(s.Kit().ID, s.wanted()...)
	case *shared.Left:
		s.player.Remove(m.ID)
	case *shared.Played:
		s.replay(m.ID)
	case *shared.Stopped:
		s.replay(m.ID)
	case *shared.Swapped:
		if mb, ok := s.view.Member(m.ID); ok {
			s.play(mb, m.Loop, m.Bar)
		}
		s.want(s.Kit().ID, s.wanted()...)
	}
	return true
}

func (s *session) welcome(m *shared.Welcome) {
	s.time.guess(m.Now)
	prev, _ := s.view.Me()
	// The server forgot the player (it restarted, or the connection was
	// down longer than the resume window) but kept the jam.
	fresh := s.view.You != "" && m.You != s.view.You && m.Jam.ID == s.view.Jam.ID
	oldKit := s.Kit().ID
	s.view.Apply(m)
	if s.Kit().ID != oldKit {
		s.preview = "" // a loop of the old kit
	}
	if fresh {
		s.restore(prev)
	}
	// Before anything plays: the engine drops another kit's loops.
	s.player.SetKit(s.Kit().ID)
	if m.Jam.Timeline != s.time.timeline {
		// Voices of an earlier jam mean nothing on the new grid.
		s.player.Retain(nil)
		s.time.timeline = m.Jam.Timeline
	}
	keep := make(map[string]bool, len(m.Members))
	for _, mb := range m.Members {
		keep[mb.ID] = true
		s.play(mb, mb.Loop, mb.Bar)
	}
	// Members who left while the connection was down.
	s.player.Retain(keep)
	s.player.NoteWelcome(m.Loop)
	s.want(s.Kit().ID, s.wanted()...)
}

// Kit returns the jam's kit: the default one until a welcome names it, or
// when it names a kit this app does not know.
func (s *session) Kit() *shared.Kit { return kitOrDefault(shared.KitByID(s.view.Jam.Kit)) }

// kitOrDefault returns k, or the default kit for nil.
func kitOrDefault(k *shared.Kit) *shared.Kit {
	if k == nil {
		return shared.DefaultKit()
	}
	return k
}

// restore asks for the loop the player had, playing as it was, after the
// server forgot them: the jam comes back as it was, not in silence.
func (s *session) restore(prev shared.Member) {
	me, _ := s.view.Me()
	if prev.Loop != me.Loop && !s.view.Taken(prev.Loop) {
		s.send(&shared.Swap{Loop: prev.Loop})
	}
	if prev.Playing && !me.Playing {
		s.send(&shared.Play{})
	}
}

func (s *session) replay(id string) {
	if mb, ok := s.view.Member(id); ok {
		s.play(mb, mb.Loop, mb.Bar)
	}
}

// play tells the player what a member plays from bar on, with the local
// volume the player chose for them.
func (s *session) play(m shared.Member, loop string, bar int64) {
	s.player.Play(m.ID, loop, m.Playing, bar)
	if _, set := s.volumes[m.ID]; set || s.muted[m.ID] {
		s.player.SetVolume(m.ID, s.Volume(m.ID), s.muted[m.ID])
	}
}

// wanted returns the loops to render, most wanted first: the player's own,
// which they wait for, then the others' in the order they came.
func (s *session) wanted() []string {
	var ids []string
	if me, ok := s.view.Me(); ok {
		ids = append(ids, me.Loop)
	}
	for _, m := range s.view.Others() {
		ids = append(ids, m.Loop)
	}
	return ids
}

// Pong adds a ping's round trip to the clock, and realigns what sounds.
func (s *session) Pong(t0, t1, server float64) {
	s.time.pong(t0, t1, server)
	s.player.Realign()
}

// Toggle starts or stops the player's loop, through the server.
func (s *session) Toggle() {
	me, ok := s.view.Me()
	if !ok {
		return
	}
	if me.Playing {
		s.send(&shared.Stop{})
	} else {
		s.send(&shared.Play{})
	}
}

// Swap asks for another loop, and starts rendering it meanwhile.
func (s *session) Swap(loop string) {
	s.want(s.Kit().ID, loop)
	s.send(&shared.Swap{Loop: loop})
}

// TogglePreview auditions a loop alone, or stops it if it is the one being
// auditioned: what a preview chip means, decided when it is clicked.
func (s *session) TogglePreview(loop string) {
	if loop == s.preview {
		loop = ""
	}
	s.preview = loop
	if loop != "" {
		s.want(s.Kit().ID, loop)
	}
	s.player.Preview(loop)
}

// Record asks the server to save the jam's last bars as a recording.
func (s *session) Record(bars int) { s.send(&shared.Record{Bars: bars}) }

// Saved returns the last recording of the jam a member saved, if any.
func (s *session) Saved() savedRecording { return s.saved }

// JamBars returns how many bars the jam has played by server time now, as
// many as a recording can hold at most.
func (s *session) JamBars(now float64) int {
	if s.view.Jam.ID == "" {
		return 0
	}
	tl := s.view.Jam.Timeline
	return int(min(max(tl.BarAt(now)-tl.BarAt(tl.Epoch)+1, 0), shared.HistoryBars))
}

// Previewing returns the loop being auditioned, or "".
func (s *session) Previewing() string { return s.preview }

// SetVolume sets a member's local volume, 0 to 1.
func (s *session) SetVolume(member string, v float64) {
	s.volumes[member] = v
	s.player.SetVolume(member, v, s.muted[member])
}

// ToggleMute mutes or unmutes a member, only here.
func (s *session) ToggleMute(member string) {
	s.muted[member] = !s.muted[member]
	s.player.SetVolume(member, s.Volume(member), s.muted[member])
}

// Volume returns a member's local volume, 1 unless the player set it.
func (s *session) Volume(member string) float64 {
	if v, ok := s.volumes[member]; ok {
		return v
	}
	return 1
}

// Muted reports whether the player muted a member.
func (s *session) Muted(member string) bool { return s.muted[member] }
