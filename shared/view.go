package shared

// View is a client's picture of its jam, built from its welcome and the
// messages that follow: who is there, with which loop, playing from which
// bar. The app, the load generator and the server's tests all build it with
// Apply, so the rule for reading the protocol lives here once.
type View struct {
	// You is the player's member id, Resume their token, both from the
	// last welcome.
	You    string
	Resume string
	// Redirected says that the last welcome placed the player in another
	// jam than the one asked for, because it was full.
	Redirected bool
	// Jam is the jam's id, timeline and capacity.
	Jam JamInfo
	// Members are the jam's members, in the order they came.
	Members []Member
}

// Apply updates the view with a message of the server. It reports whether
// the message changed anything: a message about a member the view does not
// know changes nothing.
func (v *View) Apply(m Message) bool {
	switch m := m.(type) {
	case *Welcome:
		v.You, v.Resume, v.Redirected, v.Jam = m.You, m.Resume, m.Redirected, m.Jam
		v.Members = append([]Member(nil), m.Members...)
	case *Joined:
		if i := v.index(m.Member.ID); i >= 0 {
			v.Members[i] = m.Member
		} else {
			v.Members = append(v.Members, m.Member)
		}
	case *Left:
		i := v.index(m.ID)
		if i < 0 {
			return false
		}
		v.Members = append(v.Members[:i], v.Members[i+1:]...)
	case *Played:
		return v.set(m.ID, func(mb *Member) { mb.Playing, mb.Bar = true, m.Bar })
	case *Stopped:
		return v.set(m.ID, func(mb *Member) { mb.Playing, mb.Bar = false, m.Bar })
	case *Swapped:
		return v.set(m.ID, func(mb *Member) { mb.Loop = m.Loop })
	default:
		return false
	}
	return true
}

func (v *View) set(id string, f func(*Member)) bool {
	i := v.index(id)
	if i < 0 {
		return false
	}
	f(&v.Members[i])
	return true
}

func (v *View) index(id string) int {
	for i, m := range v.Members {
		if m.ID == id {
			return i
		}
	}
	return -1
}

// Member returns the member with the id.
func (v *View) Member(id string) (Member, bool) {
	if i := v.index(id); i >= 0 {
		return v.Members[i], true
	}
	return Member{}, false
}

// Me returns the player's own member, once welcomed.
func (v *View) Me() (Member, bool) {
	if v.You == "" {
		return Member{}, false
	}
	return v.Member(v.You)
}

// Others returns every member but the player, in the order they came.
func (v *View) Others() []Member {
	var out []Member
	for _, m := range v.Members {
		if m.ID != v.You {
			out = append(out, m)
		}
	}
	return out
}

// Taken reports whether a member of the jam has the loop.
func (v *View) Taken(loop string) bool {
	for _, m := range v.Members {
		if m.Loop == loop {
			return true
		}
	}
	return false
}

// ByID returns the members keyed by id: a copy, for comparing views.
func (v *View) ByID() map[string]Member {
	out := make(map[string]Member, len(v.Members))
	for _, m := range v.Members {
		out[m.ID] = m
	}
	return out
}
