//go:build !wasm

package natshub

import (
	"encoding/json"
	"time"

	"github.com/loopswithfriends/loops/shared"
)

// A play or stop goes out twice. The node holding the member decides it
// (the bar, from when the message arrived), delivers it to its own
// sockets, and publishes it at once on the jam's subject, a plain NATS
// message that reaches every node in one hop: that is the fan-out. Every
// node keeps each member's last play or stop it heard (heardPlays.hear),
// whether or not it holds the jam, until the jam's record holds it. The record is
// not written for it: every change of the jam, by any node (a join, leave,
// swap or takeover), takes in the plays and stops its node heard and the
// record lacks (world.fold), with an event each for the nodes that missed
// the plain publish. And every Config.PlayWrite each node writes all its
// members' plays and stops that their records lack under its own key of
// the plays bucket, which every node watches (nodeplays.go): a node that
// did not hear one (it started after it) hears it from there. Each of a
// member's plays and stops has a number (memberRecord.Seq), and every
// socket keeps the last number it got of each member, so it gets each
// event once, whichever copy comes first, and never an older one after a
// newer; a welcome is followed by the plays heard here that its record
// lacks (world.unheard).
//
// A node may die: the others heard its plays, or read them from its key.
// The member's takeover on another node stores the last play or stop that
// node heard of the member, when the jam has an older one, and carries
// the member's number as stored then; a socket that got another number
// (the new node did not hear the last one, or this socket did not) is sent
// the member's state as stored (a correction). The new node numbers on
// from takeoverGap higher: a late play of the old socket, published before
// it heard of the takeover, is then old news everywhere. What is lost is
// only what no other node heard: a node started after the play, while its
// node died before writing its key.

// takeoverGap is how far a takeover moves a member's numbers on.
const takeoverGap = 1 << 16

// fastEvent is a play or stop on its plain publish: the frame to deliver,
// and what it says, for the jam's history and a takeover to take in
// without decoding it.
type fastEvent struct {
	Of    string
	Seq   uint64
	Play  bool
	Bar   int64
	Frame json.RawMessage
}

// newFastEvent returns member of's play (or stop) at bar, numbered seq,
// with its frame.
func newFastEvent(of string, seq uint64, play bool, bar int64) fastEvent {
	ev := fastEvent{Of: of, Seq: seq, Play: play, Bar: bar}
	ev.Frame = shared.MustEncode(ev.message())
	return ev
}

// message returns the play or stop as the protocol has it.
func (ev *fastEvent) message() shared.Message {
	if ev.Play {
		return &shared.Played{ID: ev.Of, Bar: ev.Bar}
	}
	return &shared.Stopped{ID: ev.Of, Bar: ev.Bar}
}

// firstSeq is the number before a member's first play or stop: larger than
// any number of an earlier stay of the same user in the same jam (a
// million a millisecond), so that no socket takes the new stay's events
// for old ones.
func firstSeq(now time.Time) uint64 { return uint64(now.UnixMilli()) << 20 }

// seenSeq is the number of the last play or stop of a member a socket got.
type seenSeq struct {
	of  string
	seq uint64
}

// seen returns the number of the last play or stop of the member l got.
// lj.mu is held.
func (l *local) seen(of string) uint64 {
	for _, s := range l.seenSeqs {
		if s.of == of {
			return s.seq
		}
	}
	return 0
}

// see sets the number of the last play or stop of the member l got. lj.mu
// is held.
func (l *local) see(of string, seq uint64) {
	for i := range l.seenSeqs {
		if l.seenSeqs[i].of == of {
			l.seenSeqs[i].seq = seq
			return
		}
	}
	l.seenSeqs = append(l.seenSeqs, seenSeq{of, seq})
}

// fresh reports whether the member's event numbered seq is news to l, and
// if so takes it as seen. lj.mu is held.
func (l *local) fresh(of string, seq uint64) bool {
	if l.seen(of) >= seq {
		return false
	}
	l.see(of, seq)
	return true
}

// forget drops what l saw of members no longer in rec. lj.mu is held.
func (l *local) forget(rec *jamRecord) {
	if len(l.seenSeqs) <= len(rec.Members) {
		return
	}
	kept := l.seenSeqs[:0]
	for _, s := range l.seenSeqs {
		if rec.member(s.of) >= 0 {
			kept = append(kept, s)
		}
	}
	l.seenSeqs = kept
}

// seeAll takes the members' numbers in rec, a welcome's, as seen. lj.mu is
// held.
func (l *local) seeAll(rec *jamRecord) {
	l.seenSeqs = l.seenSeqs[:0]
	for _, m := range rec.Members {
		l.seenSeqs = append(l.seenSeqs, seenSeq{m.ID, m.Seq})
	}
}

// publishFast sends a play or stop of a member here on the jam's subject.
func (h *Hub) publishFast(lj *localJam, ev *fastEvent) error {
	return h.nc.Publish(h.cfg.Prefix+".jam."+lj.id, ev.encode())
}

// receiveFast delivers a play or stop another node published (or this one:
// its echo is no news to any socket here).
func (h *Hub) receiveFast(lj *localJam, ev *fastEvent) {
	at := time.Now()
	lj.mu.Lock()
	defer lj.mu.Unlock()
	if lj.rec == nil || lj.rec.member(ev.Of) < 0 {
		// This node does not know the member yet: the write that
		// follows brings the event, after the member's join.
		return
	}
	h.deliverFast(lj, ev, at)
}

// deliverFast gives a member's play or stop to every socket here that did
// not get it yet, and to the jam's history. lj.mu is held.
func (h *Hub) deliverFast(lj *localJam, ev *fastEvent, at time.Time) {
	of, seq := ev.Of, ev.Seq
	if lj.hist != nil && lj.histSeq[of] < seq {
		lj.hist.applyMessage(ev.message(), lj.rec.Timeline.BarAt(toMs(at)))
		lj.histSeq[of] = seq
	}
	for _, l := range lj.members {
		if l.fresh(of, seq) {
			l.c.Send(ev.Frame, at)
		}
	}
}

// seqIn returns the member's number in rec, 0 when it is not a member.
func seqIn(rec *jamRecord, of string) uint64 {
	if i := rec.member(of); i >= 0 {
		return rec.Members[i].Seq
	}
	return 0
}

// correction returns the frame that tells a socket the member's state as
// rec has it: a play or stop at the member's bar.
func correction(rec *jamRecord, of string) []byte {
	i := rec.member(of)
	if i < 0 {
		return nil
	}
	m := rec.Members[i]
	if m.Playing {
		return shared.MustEncode(&shared.Played{ID: m.ID, Bar: m.Bar})
	}
	return shared.MustEncode(&shared.Stopped{ID: m.ID, Bar: m.Bar})
}
