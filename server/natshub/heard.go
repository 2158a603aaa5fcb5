//go:build !wasm

package natshub

// The plays and stops a node heard (fast.go): every node hears every jam's
// subject, and the other nodes' plays and stops that their keys in the
// plays bucket hold (nodeplays.go), and keeps each member's last play or
// stop until the jam's record holds it, whether or not the node holds the
// jam. A member's state thus survives its node's death, and any write of
// the jam brings the record up to date.

// hear keeps ev, a play or stop of a member of jam id, unless a later one
// of the member was heard. It does not look whether the jam's record holds
// it already (a play's publish seldom comes after its write), which cost
// a third of the time of a node's every play: whatever reads what was
// heard takes only what is later than the record (fold, storeHeard), and
// the jam's next record drops it (forgetHeard).
func (w *world) hear(id string, ev *fastEvent) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.hearLocked(id, ev)
}

// hearLocked is hear with w.mu held.
func (w *world) hearLocked(id string, ev *fastEvent) {
	plays := w.heard[id]
	if plays == nil {
		plays = make(map[string]fastEvent)
		w.heard[id] = plays
	}
	if plays[ev.Of].Seq < ev.Seq {
		plays[ev.Of] = *ev
	}
}

// forgetHeard drops what the jam's record at rec holds (nil: the jam is
// gone) from the plays and stops heard in it, and those of members no
// longer in it. w.mu is held.
func (w *world) forgetHeard(id string, rec *jamRecord) {
	plays := w.heard[id]
	if plays == nil {
		return
	}
	if rec == nil {
		delete(w.heard, id)
		return
	}
	for of, ev := range plays {
		if i := rec.member(of); i < 0 || rec.Members[i].Seq >= ev.Seq {
			delete(plays, of)
		}
	}
	if len(plays) == 0 {
		delete(w.heard, id)
	}
}

// fold puts into n, a record of jam id about to be written, every play or
// stop heard here that it lacks, and returns events with one for each.
func (w *world) fold(id string, n *jamRecord, events []jamEvent) []jamEvent {
	w.mu.Lock()
	defer w.mu.Unlock()
	plays := w.heard[id]
	if len(plays) == 0 {
		return events
	}
	for i := range n.Members {
		m := &n.Members[i]
		ev, ok := plays[m.ID]
		if !ok || ev.Seq <= m.Seq {
			continue
		}
		m.take(&ev)
		events = append(events, jamEvent{Frame: ev.Frame, Of: m.ID, Seq: ev.Seq, Node: w.h.cfg.Node})
	}
	return events
}

// storeHeard puts in m, a member of jam id taken over, the last play or
// stop this node heard of it when the jam has an older one: its node died
// before writing it. It reports whether it did.
func (w *world) storeHeard(id string, m *memberRecord) bool {
	w.mu.Lock()
	ev := w.heard[id][m.ID]
	w.mu.Unlock()
	if ev.Seq <= m.Seq {
		return false
	}
	m.take(&ev)
	return true
}

// take sets m's state to ev, a play or stop of m.
func (m *memberRecord) take(ev *fastEvent) {
	m.Playing, m.Bar, m.Seq = ev.Play, ev.Bar, ev.Seq
}

// unheard returns the frames of the plays and stops heard in jam id that
// rec, a welcome's record, lacks, and takes them as seen by l: a play
// delivered here while the welcome was on its way, before its socket was
// a member. lj.mu is held.
func (w *world) unheard(id string, rec *jamRecord, l *local) [][]byte {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out [][]byte
	for of, ev := range w.heard[id] {
		if i := rec.member(of); i >= 0 && ev.Seq > rec.Members[i].Seq && l.fresh(of, ev.Seq) {
			out = append(out, ev.Frame)
		}
	}
	return out
}
