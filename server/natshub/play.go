//go:build !wasm

package natshub

import (
	"errors"
	"time"

	"github.com/loopswithfriends/loops/server"
	"github.com/loopswithfriends/loops/shared"
)

// Play queues c's user's loop from the next bar: see server.Cluster.
func (h *Hub) Play(c server.Client, at time.Time) error { return h.toggle(c, true, at) }

// Stop stops c's user's loop at the next bar: see server.Cluster.
func (h *Hub) Stop(c server.Client, at time.Time) error { return h.toggle(c, false, at) }

// toggle plays or stops c's user's loop. The bar is the first at least
// shared.LeadMs after the server received the message, as PROTOCOL.md has
// it. The event goes to the sockets here and out on a plain publish at
// once, and the node writes it to its key of the plays bucket within
// Config.PlayWrite, with its other members' plays and stops (nodeplays.go):
// the members hear it in one hop, and no jam's record is written for it.
func (h *Hub) toggle(c server.Client, play bool, at time.Time) error {
	l, lj, user, err := h.placedOf(c)
	if err != nil {
		return err
	}
	lj.mu.Lock()
	if lj.rec == nil || lj.members[user] != l {
		lj.mu.Unlock()
		return notJoined()
	}
	if l.playing == play {
		lj.mu.Unlock()
		return nil
	}
	l.playing = play
	l.seq++
	ev := newFastEvent(user, l.seq, play, lj.rec.Timeline.NextBar(toMs(at)))
	h.deliverFast(lj, &ev, time.Now())
	// Heard before a welcome here can cross it (world.unheard).
	h.world.heard.hear(lj.id, &ev)
	lj.mu.Unlock()
	if err := h.publishFast(lj, &ev); err != nil {
		// The node cannot reach the cluster: the others do not hear
		// this socket.
		h.log.Warn("closing a socket with 1012: its play or stop was not published", "jam", lj.id, "err", err)
		c.CloseWith(server.StatusTryAgainLater, "the cluster is unavailable, try again")
	}
	return nil
}

// placedOf returns c's socket here, the jam it is placed in and its user,
// or the error for a message that needs a jam from a socket in none.
func (h *Hub) placedOf(c server.Client) (*local, *localJam, string, error) {
	l := h.localOf(c)
	if l == nil {
		return nil, nil, "", notJoined()
	}
	lj, user := l.placed()
	if lj == nil {
		return nil, nil, "", notJoined()
	}
	return l, lj, user, nil
}

// notJoined is the error for a message that needs a jam, sent before one.
func notJoined() error { return shared.Errorf(shared.CodeNotJoined, "not in a jam") }

// Swap gives c's user the loop from the next bar on: see server.Cluster.
func (h *Hub) Swap(c server.Client, loop string, at time.Time) error {
	received := toMs(at)
	return h.changeMember(c, func(n *jamRecord, m *memberRecord) error {
		if n.kit().LoopIndex(loop) < 0 {
			return shared.Errorf(shared.CodeUnknownLoop, "no loop %q in the jam's kit", loop)
		}
		if n.taken(loop) {
			return shared.Errorf(shared.CodeLoopTaken, "loop %q is taken in this jam", loop)
		}
		bar := n.Timeline.NextBar(received)
		m.Loop = loop
		n.Event.Frame = shared.MustEncode(&shared.Swapped{ID: m.ID, Loop: loop, Bar: bar})
		return nil
	})
}

// changeMember applies fn to c's user in a copy of their jam's record and
// writes it, later: an error fn returns is sent to c then, and c is closed
// with 1012 when the cluster cannot be reached. Nothing happens when c holds
// no user, or no longer holds it.
func (h *Hub) changeMember(c server.Client, fn func(n *jamRecord, m *memberRecord) error) error {
	_, lj, user, err := h.placedOf(c)
	if err != nil {
		return err
	}
	h.changeLater(lj, func(r *jamRecord) (*jamRecord, error) {
		i := -1
		if r != nil {
			i = r.member(user)
		}
		if i < 0 || r.Members[i].Node != h.cfg.Node {
			return nil, errNoChange
		}
		n := r.clone()
		if err := fn(n, &n.Members[i]); err != nil {
			return nil, err
		}
		return n, nil
	}, h.closeUnwritten(c))
	return nil
}

// closeUnwritten returns the outcome of a change of c's user: an error for
// c is sent to it, and c is closed with 1012 when the cluster cannot be
// reached.
func (h *Hub) closeUnwritten(c server.Client) func(*jamRecord, uint64, error) {
	return func(_ *jamRecord, _ uint64, err error) {
		var e *shared.Error
		switch {
		case err == nil, errors.Is(err, errNoChange):
		case errors.As(err, &e):
			c.Send(shared.MustEncode(e), time.Now())
		default:
			h.log.Warn("closing a socket with 1012: its change was not written", "err", err)
			c.CloseWith(server.StatusTryAgainLater, "the cluster is unavailable, try again")
		}
	}
}

// Snapshot returns the last bars bars of c's user's jam as this node heard
// them: see server.Cluster.
func (h *Hub) Snapshot(c server.Client, bars int) (*shared.Recording, error) {
	_, lj, _, err := h.placedOf(c)
	if err != nil {
		return nil, err
	}
	lj.mu.Lock()
	defer lj.mu.Unlock()
	if lj.rec == nil || lj.hist == nil {
		return nil, notJoined()
	}
	tl := lj.rec.Timeline
	cur := tl.BarAt(h.nowMs())
	from, parts := lj.hist.recording(bars, cur)
	return &shared.Recording{
		Kit:         lj.rec.kit().ID,
		BPM:         tl.BPM,
		BeatsPerBar: tl.BeatsPerBar,
		BarsPerLoop: tl.BarsPerLoop,
		FirstBar:    from,
		Bars:        int(cur - from + 1),
		Parts:       parts,
	}, nil
}

// Recorded tells every member of c's user's jam about the recording: see
// server.Cluster.
func (h *Hub) Recorded(c server.Client, rec *shared.Recording) {
	l := h.localOf(c)
	if l == nil {
		return
	}
	lj, user := l.placed()
	if lj == nil {
		return
	}
	frame := shared.MustEncode(&shared.Recorded{ID: rec.ID, By: user, Bars: rec.Bars})
	h.changeLater(lj, func(r *jamRecord) (*jamRecord, error) {
		if r == nil || r.member(user) < 0 {
			return nil, errNoChange
		}
		n := r.clone()
		n.Event = jamEvent{Frame: frame}
		return n, nil
	}, func(*jamRecord, uint64, error) {})
}

func toMs(t time.Time) float64 { return float64(t.UnixNano()) / 1e6 }
