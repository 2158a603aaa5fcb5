//go:build !wasm

package natshub

import (
	"hash/maphash"
	"sync"
)

// The plays and stops a node heard (fast.go): every node hears every jam's
// subject, and the other nodes' plays and stops that their keys in the
// plays bucket hold (nodeplays.go), and keeps each member's last play or
// stop until the jam's record holds it, whether or not the node holds the
// jam. A member's state thus survives its node's death, and any write of
// the jam brings the record up to date.
//
// Every play and stop of the cluster is heard on every node, 1,800 a
// second at 9,000 players, each from its own goroutine (the sender's
// socket here, the jams' subject for the others'). They are kept apart
// from the world's lock, in heardShards parts by jam, each with a lock of
// its own: under the world's lock they queued behind each other and
// behind every pass over the plays (ownPlays), and a lock a play waits
// for more than a millisecond hands itself on from waiter to waiter, each
// waking the next, while the others wait.

// heardShards is how many parts the plays heard are kept in: enough that
// two plays seldom wait for each other's part on a node's cores.
const heardShards = 64

// heardPlays is a node's plays and stops heard and not yet in their jams'
// records, by jam and member. Where the world's lock is held too, it is
// taken first.
type heardPlays struct {
	seed   maphash.Seed
	shards [heardShards]heardShard
}

type heardShard struct {
	mu   sync.Mutex
	jams map[string]map[string]fastEvent // jam -> member -> last heard
}

func newHeardPlays() *heardPlays {
	p := &heardPlays{seed: maphash.MakeSeed()}
	for i := range p.shards {
		p.shards[i].jams = make(map[string]map[string]fastEvent)
	}
	return p
}

// shard returns the part that holds jam id's plays, locked.
func (p *heardPlays) shard(id string) *heardShard {
	s := &p.shards[maphash.String(p.seed, id)%heardShards]
	s.mu.Lock()
	return s
}

// hear keeps ev, a play or stop of a member of jam id, unless a later one
// of the member was heard, and reports whether it kept it. It does not
// look whether the jam's record holds it already (a play's publish seldom
// comes after its write), which cost a third of the time of a node's every
// play: whatever reads what was heard takes only what is later than the
// record (fold, storeHeard), and the jam's next record drops it (forget).
func (p *heardPlays) hear(id string, ev *fastEvent) bool {
	s := p.shard(id)
	defer s.mu.Unlock()
	plays := s.jams[id]
	if plays == nil {
		plays = make(map[string]fastEvent)
		s.jams[id] = plays
	}
	if plays[ev.Of].Seq >= ev.Seq {
		return false
	}
	plays[ev.Of] = *ev
	return true
}

// last returns the last play or stop heard of the member of jam id; its
// Seq is 0 when none was.
func (p *heardPlays) last(id, member string) fastEvent {
	s := p.shard(id)
	defer s.mu.Unlock()
	return s.jams[id][member]
}

// forget drops what the jam's record at rec holds (nil: the jam is gone)
// from the plays and stops heard in it, and those of members no longer in
// it.
func (p *heardPlays) forget(id string, rec *jamRecord) {
	s := p.shard(id)
	defer s.mu.Unlock()
	plays := s.jams[id]
	if plays == nil {
		return
	}
	if rec == nil {
		delete(s.jams, id)
		return
	}
	for of, ev := range plays {
		if i := rec.member(of); i < 0 || rec.Members[i].Seq >= ev.Seq {
			delete(plays, of)
		}
	}
	if len(plays) == 0 {
		delete(s.jams, id)
	}
}

// each calls fn with every jam's plays heard, one part at a time under its
// lock; fn must not keep plays.
func (p *heardPlays) each(fn func(id string, plays map[string]fastEvent)) {
	for i := range p.shards {
		s := &p.shards[i]
		s.mu.Lock()
		for id, plays := range s.jams {
			fn(id, plays)
		}
		s.mu.Unlock()
	}
}

// fold puts into n, a record of jam id about to be written, every play or
// stop heard here that it lacks, and returns events with one for each.
func (w *world) fold(id string, n *jamRecord, events []jamEvent) []jamEvent {
	s := w.heard.shard(id)
	defer s.mu.Unlock()
	plays := s.jams[id]
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
	ev := w.heard.last(id, m.ID)
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
	s := w.heard.shard(id)
	defer s.mu.Unlock()
	var out [][]byte
	for of, ev := range s.jams[id] {
		if i := rec.member(of); i >= 0 && ev.Seq > rec.Members[i].Seq && l.fresh(of, ev.Seq) {
			out = append(out, ev.Frame)
		}
	}
	return out
}
