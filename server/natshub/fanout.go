//go:build !wasm

package natshub

import (
	"encoding/json"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/loopswithfriends/loops/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// local is one socket of this node that joined, or is joining, a jam.
type local struct {
	c server.Client

	mu      sync.Mutex // guards what follows
	user    string
	jam     *localJam // nil until placed
	fromRev uint64    // the revision of the welcome: later events are news
	gone    bool      // the socket left while its join was on its way
	// usedToken is the id of the resume token the join used up.
	usedToken string

	// Guarded by the jam's mu, once placed (fast.go): the user's playing
	// state and the number of their last play or stop, as this node, the
	// only one that changes them, decided them; and the number of the last
	// play or stop of each member this socket got.
	playing  bool
	seq      uint64
	seenSeqs []seenSeq
}

// placed returns the local jam and user, or nil before the welcome.
func (l *local) placed() (*localJam, string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.jam, l.user
}

// localJam is a jam as one node sees it: the members whose sockets are
// here, and the last record seen.
type localJam struct {
	id    string
	ready chan struct{} // closed once the first acquire asked for the history
	refs  int           // members here and joins on their way; guarded by Hub.mu

	// qmu guards the changes this node has waiting for the jam: one
	// writer at a time writes all that wait in one compare-and-set, since
	// separate writes would only race each other.
	qmu     sync.Mutex
	queue   []*pending
	writing bool

	mu      sync.Mutex // guards what follows
	rec     *jamRecord // nil: not known, or the jam is gone
	rev     uint64
	members map[string]*local // by user id
	// recent are the last events while a welcome is on its way, for it
	// to replay those it crossed.
	recent  []delivered
	hist    *history // nil until the first record
	histRev uint64   // the last revision hist took in
	// gotRev is the last revision the jam's subject brought
	// (deliverRecord).
	gotRev uint64
	// histSeq is the number of each member's last play or stop hist took
	// in (fast.go).
	histSeq map[string]uint64
	// seed is the history another node sent when this one started
	// holding the jam, until hist starts from it.
	seed *historyWire
	// histSub answers other nodes asking for hist (historyOf).
	histSub *nats.Subscription
}

// delivered is an event as a node received it.
type delivered struct {
	rev uint64
	rec *jamRecord
}

// recentEvents is how many events a jam keeps for members whose welcome
// was on its way when they arrived: a handful of changes race one join.
const recentEvents = 64

// acquire returns the local jam of id and holds it until release. Its
// events reach it from the moment it is in h.local: the node hears every
// jam's subject (world.start), so none of a change after the caller's own
// is missed.
func (h *Hub) acquire(id string) *localJam {
	h.mu.Lock()
	lj := h.local[id]
	if lj != nil {
		lj.refs++
		h.mu.Unlock()
		<-lj.ready // the first one may still be asking for the history
		return lj
	}
	lj = &localJam{id: id, refs: 1, members: make(map[string]*local), ready: make(chan struct{})}
	h.local[id] = lj
	h.mu.Unlock()
	h.historyOf(lj)
	close(lj.ready)
	return lj
}

// release gives back what acquire took; the last one stops answering for
// the jam's history.
func (h *Hub) release(lj *localJam) {
	h.mu.Lock()
	lj.refs--
	if lj.refs > 0 {
		h.mu.Unlock()
		return
	}
	if h.local[lj.id] == lj {
		delete(h.local, lj.id)
	}
	h.mu.Unlock()
	<-lj.ready
	if sub := lj.histSub; sub != nil {
		_ = sub.Unsubscribe()
	}
}

// historyWait bounds how long a node that starts hearing a jam waits for
// another node's history of it: a first member's join waits that long when
// a node holding the jam does not answer.
const historyWait = 500 * time.Millisecond

// historyOf asks the nodes that hear the jam already for its history, as
// the seed of this node's, and then answers the same question from the
// nodes that come later. A jam nobody else hears has no responders: the
// question costs one round trip. Called by the first acquire.
func (h *Hub) historyOf(lj *localJam) {
	subject := h.cfg.Prefix + ".hist." + lj.id
	if msg, err := h.nc.Request(subject, nil, historyWait); err == nil {
		var w historyWire
		if json.Unmarshal(msg.Data, &w) == nil {
			lj.mu.Lock()
			lj.seed = &w
			lj.mu.Unlock()
		}
	}
	// Subscribed after asking: the question must not reach this node.
	sub, err := h.nc.Subscribe(subject, func(msg *nats.Msg) {
		lj.mu.Lock()
		var w *historyWire
		if lj.hist != nil {
			w = lj.hist.wire()
		}
		lj.mu.Unlock()
		if w == nil || h.halted.Load() {
			return
		}
		b, _ := json.Marshal(w) // a history always encodes
		_ = msg.Respond(b)
	})
	if err == nil {
		lj.histSub = sub
	}
}

// receive takes in one message of a jam's subject: a change of the jam,
// as the bucket republishes it, for this node's picture of the cluster and
// the jam's members here, or a play or stop on its plain publish, for the
// members here only.
func (h *Hub) receive(msg *nats.Msg) {
	if h.halted.Load() {
		return
	}
	id := strings.TrimPrefix(msg.Subject, h.cfg.Prefix+".jam.")
	h.mu.Lock()
	lj := h.local[id]
	h.mu.Unlock()
	seq := recordSeq(msg)
	if seq == "" {
		ev, ok := decodeFast(msg.Data)
		if !ok {
			return
		}
		h.world.heard.hear(id, &ev)
		if lj != nil {
			h.receiveFast(lj, &ev)
		}
		return
	}
	rev, err := strconv.ParseUint(seq, 10, 64)
	if err != nil {
		return
	}
	var rec *jamRecord
	if op := msg.Header.Get("KV-Operation"); op == "" {
		if rec = h.world.record(id, rev); rec == nil {
			if rec, err = decodeRecord(msg.Data); err != nil {
				h.log.Error("bad jam record", "jam", id, "err", err)
				return
			}
		}
	}
	h.world.came(rev)
	h.world.saw(id, rec, rev)
	if lj != nil {
		h.deliverRecord(lj, rev, rec)
	}
}

// recordSeq returns the revision of a jam's record the bucket's stream
// republished on the jam's subject, "" for a plain publish: a play or stop.
func recordSeq(msg *nats.Msg) string { return msg.Header.Get(jetstream.SequenceHeader) }

// deliverRecord gives the jam's record at rev (nil: the jam is gone) to the
// members here. The jam's subject brings its records in the stream's
// order, so one at or below the last it brought is a second copy (a stream
// whose leader changed under load may republish one again): its events
// would reach the members twice.
func (h *Hub) deliverRecord(lj *localJam, rev uint64, rec *jamRecord) {
	at := time.Now()
	lj.mu.Lock()
	defer lj.mu.Unlock()
	if rev > lj.rev {
		lj.rec, lj.rev = rec, rev
	}
	if rev <= lj.gotRev {
		return
	}
	lj.gotRev = rev
	if rec == nil {
		return // the jam emptied: nobody here to tell
	}
	lj.heard(rev, rec, at)
	if h.joining(lj) {
		lj.recent = append(lj.recent, delivered{rev, rec})
		if len(lj.recent) > recentEvents {
			lj.recent = lj.recent[1:]
		}
	} else {
		// No welcome is on its way: one that starts later is of a later
		// revision than every event so far. Keeping them would hold a
		// few dozen records a jam, most of a node's memory in a load.
		lj.recent = nil
	}
	for _, l := range lj.members {
		h.deliver(lj, l, rev, rec, at)
	}
}

// joining reports whether a join or takeover holds the jam here without
// being a member yet: its welcome may cross the jam's events. lj.mu is held.
func (h *Hub) joining(lj *localJam) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return lj.refs > len(lj.members)
}

// deliver gives the events of one record to one member here, unless its
// welcome already held them. lj.mu is held.
func (h *Hub) deliver(lj *localJam, l *local, rev uint64, rec *jamRecord, at time.Time) {
	if rev <= l.fromRev {
		return
	}
	for _, ev := range rec.Events {
		if ev.Gone == l.user && ev.Node != h.cfg.Node {
			// Another node removed the member or took it over: this
			// socket no longer holds it.
			delete(lj.members, l.user)
			h.dropLater(lj, l, ev.Status, ev.Reason)
			return
		}
		switch {
		case ev.Of != "" && ev.Gone != "":
			// A takeover: a socket that got a play or stop the jam
			// never stored, or did not get one the takeover stored
			// (the old node died between publish and write), is told
			// the member's state as stored, and the member's numbers
			// go on from the jam's.
			if l.user != ev.Of && l.seen(ev.Of) != ev.Seq {
				if f := correction(rec, ev.Of); f != nil {
					l.c.Send(f, at)
				}
			}
			l.see(ev.Of, seqIn(rec, ev.Of))
			continue
		case ev.Of != "" && !l.fresh(ev.Of, ev.Seq):
			continue // its plain publish came first
		}
		if len(ev.Frame) > 0 && ev.Skip != l.user {
			l.c.Send(ev.Frame, at)
		}
	}
	l.forget(rec)
}

// dropLater forgets l, a socket that no longer holds its user here, and
// then, off lj.mu's hold, gives up its share of the jam and closes it with
// status and reason. lj.mu is held; the caller takes l out of lj.members.
func (h *Hub) dropLater(lj *localJam, l *local, status int, reason string) {
	h.mu.Lock()
	if h.clients[l.c] == l {
		delete(h.clients, l.c)
	}
	h.mu.Unlock()
	h.wg.Add(1)
	go func() {
		defer h.wg.Done()
		h.release(lj)
		l.c.CloseWith(status, reason)
	}()
}

// register makes l a member here from the welcome at rev on, replaying any
// event that arrived while its welcome was on its way. A socket of this node
// that held the same user (a takeover here) is dropped and closed. lj.mu is
// held; welcome is sent first.
func (h *Hub) register(lj *localJam, l *local, rev uint64, rec *jamRecord, welcome []byte, at time.Time) {
	if old := lj.members[l.user]; old != nil && old != l {
		h.dropLater(lj, old, server.StatusTakenOver, "taken over by a new connection")
	}
	if rev > lj.rev {
		lj.rec, lj.rev = rec, rev
	}
	if lj.hist == nil {
		lj.heard(rev, rec, at)
	}
	if i := rec.member(l.user); i >= 0 {
		l.playing, l.seq = rec.Members[i].Playing, rec.Members[i].Seq
	}
	l.seeAll(rec)
	l.c.Send(welcome, at)
	for _, f := range h.world.unheard(lj.id, rec, l) {
		l.c.Send(f, at)
	}
	lj.members[l.user] = l
	for _, d := range lj.recent {
		h.deliver(lj, l, d.rev, d.rec, at)
	}
}

// dropLocal takes l out of its jam here, without changing the jam.
func (h *Hub) dropLocal(l *local) {
	l.mu.Lock()
	lj, user := l.jam, l.user
	l.gone = true
	l.jam = nil
	l.mu.Unlock()
	if lj == nil {
		return
	}
	lj.mu.Lock()
	mine := lj.members[user] == l
	if mine {
		delete(lj.members, user)
	}
	lj.mu.Unlock()
	if mine {
		h.release(lj)
	}
}

// holds reports whether a socket here holds the user.
func (h *Hub) holds(user string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, l := range h.clients {
		if _, u := l.placed(); u == user {
			return true
		}
	}
	return false
}

// heard takes the record at rev into the jam's history. lj.mu is held.
func (lj *localJam) heard(rev uint64, rec *jamRecord, at time.Time) {
	now := rec.Timeline.BarAt(float64(at.UnixNano()) / 1e6)
	switch {
	case lj.hist == nil:
		lj.hist, lj.seed = newHistory(rec, now, lj.seed), nil
		lj.histSeq = make(map[string]uint64, len(rec.Members))
		for _, m := range rec.Members {
			lj.histSeq[m.ID] = m.Seq
		}
	case rev > lj.histRev:
		for _, ev := range rec.Events {
			switch {
			case ev.Of != "" && ev.Gone != "": // a takeover (fast.go)
				if lj.histSeq[ev.Of] != ev.Seq {
					lj.hist.apply(correction(rec, ev.Of), now)
				}
				lj.histSeq[ev.Of] = seqIn(rec, ev.Of)
				continue
			case ev.Of != "" && lj.histSeq[ev.Of] >= ev.Seq:
				continue // its plain publish came first
			case ev.Of != "":
				lj.histSeq[ev.Of] = ev.Seq
			}
			if len(ev.Frame) > 0 {
				lj.hist.apply(ev.Frame, now)
			}
		}
	default:
		return // late: the history moved on
	}
	lj.histRev = rev
}
