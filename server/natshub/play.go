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
// it, however long the change waited for its write: a node writes the
// changes waiting for a jam together, and each keeps its own bar.
func (h *Hub) toggle(c server.Client, play bool, at time.Time) error {
	received := toMs(at)
	return h.changeMember(c, func(n *jamRecord, m *memberRecord) error {
		if m.Playing == play {
			return errNoChange
		}
		m.Playing, m.Bar = play, n.Timeline.NextBar(received)
		if play {
			n.Event.Frame = shared.MustEncode(&shared.Played{ID: m.ID, Bar: m.Bar})
		} else {
			n.Event.Frame = shared.MustEncode(&shared.Stopped{ID: m.ID, Bar: m.Bar})
		}
		return nil
	})
}

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
	l := h.localOf(c)
	if l == nil {
		return shared.Errorf(shared.CodeNotJoined, "not in a jam")
	}
	lj, user := l.placed()
	if lj == nil {
		return shared.Errorf(shared.CodeNotJoined, "not in a jam")
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
	}, func(_ *jamRecord, _ uint64, err error) {
		var e *shared.Error
		switch {
		case err == nil, errors.Is(err, errNoChange):
		case errors.As(err, &e):
			c.Send(shared.MustEncode(e), time.Now())
		default:
			c.CloseWith(server.StatusTryAgainLater, "the cluster is unavailable, try again")
		}
	})
	return nil
}

// Snapshot returns the last bars bars of c's user's jam as this node heard
// them: see server.Cluster.
func (h *Hub) Snapshot(c server.Client, bars int) (*shared.Recording, error) {
	l := h.localOf(c)
	if l == nil {
		return nil, shared.Errorf(shared.CodeNotJoined, "not in a jam")
	}
	lj, _ := l.placed()
	if lj == nil {
		return nil, shared.Errorf(shared.CodeNotJoined, "not in a jam")
	}
	lj.mu.Lock()
	defer lj.mu.Unlock()
	if lj.rec == nil || lj.hist == nil {
		return nil, shared.Errorf(shared.CodeNotJoined, "not in a jam")
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
