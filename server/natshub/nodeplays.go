//go:build !wasm

package natshub

import (
	"encoding/binary"
	"math/rand/v2"
	"slices"
	"strconv"
	"time"

	"github.com/loopswithfriends/loops/shared"
	"github.com/nats-io/nats.go/jetstream"
)

// A node's plays and stops that its members' jams' records lack are
// written by the node, every Config.PlayWrite, in the plays bucket under
// keys of its own, playsPerKey plays a key: a write per node and key, not
// per jam. Every node watches
// the bucket: what another node's key holds and this node did not hear
// (it started after the play, or a socket here was welcomed while the
// play's publish was on its way) is taken in as heard (world.heard) and
// delivered to the sockets here that lack it. So the jams' records are
// brought up to date only by their other changes (a join, leave, swap or
// takeover folds in what its node heard, world.fold), and a node that
// dies loses no play another node heard or its key holds: its members'
// takeovers store what the takeover's node heard (storeHeard). The leader
// deletes a dead node's keys once no jam lists a member of it (its
// members were taken over or removed).

// playsPerKey bounds the plays and stops under one key of a node: about
// 85 bytes each, 22 KB a key, a write a node's tick spreads with the others
// (writePlays).
const playsPerKey = 256

// playsPerLock bounds the plays and stops a node looks at, or takes in,
// while it holds its world's lock, so that no play or stop waits
// behind thousands.
const playsPerLock = 256

// playsVersion is the first byte of every value of the plays bucket.
const playsVersion = 1

// nodePlay is a play or stop of a node's member that the jam's record
// lacks.
type nodePlay struct {
	Jam string
	fastEvent
}

// encodePlays returns the value of one key of node's: a version byte, the
// node's name, and the plays as jam, member, number, play and bar (the
// frame is made again from these).
func encodePlays(node string, plays []nodePlay) []byte {
	b := make([]byte, 0, 16+len(node)+len(plays)*64)
	b = append(b, playsVersion)
	b = appendString(b, node)
	b = binary.AppendUvarint(b, uint64(len(plays)))
	for _, p := range plays {
		b = appendString(b, p.Jam)
		b = appendString(b, p.Of)
		b = binary.AppendUvarint(b, p.Seq)
		b = appendBool(b, p.Play)
		b = binary.AppendVarint(b, p.Bar)
	}
	return b
}

// decodePlays returns the node and the plays of a value of the plays
// bucket; false when b is not one.
func decodePlays(b []byte) (string, []nodePlay, bool) {
	d := recordDecoder{b: b}
	if d.byte() != playsVersion {
		return "", nil, false
	}
	node := d.string()
	plays := make([]nodePlay, d.count())
	for i := range plays {
		p := &plays[i]
		p.Jam, p.Of = d.string(), d.string()
		p.Seq, p.Play, p.Bar = d.uvarint(), d.bool(), d.varint()
	}
	if d.bad || len(d.b) > 0 || node == "" {
		return "", nil, false
	}
	return node, plays, true
}

// playsKey returns the key of part i of the node's plays.
func playsKey(node string, i int) string {
	if i == 0 {
		return node
	}
	return node + ".part" + strconv.Itoa(i)
}

// writePlays writes the node's plays and stops every Config.PlayWrite.
// A node that closes writes nothing more: its members left (the server
// drains its sockets first), or their plays are heard on the other nodes
// and in its keys as last written, which the leader deletes once no jam
// lists a member of the node.
//
// Each node starts its ticks at a moment of its own, random within the
// first PlayWrite, and spreads the writes of its keys over the PlayWrite
// that follows a tick, a key at a time: a node's plays at 3,000 members
// are about 250 KB, and written at once, then taken in by every node, they
// were a burst of work on all three that held up every delivery on a
// shared machine for tens of milliseconds, every few seconds. So a play
// is written within two PlayWrites.
func (h *Hub) writePlays() {
	defer h.wg.Done()
	t := time.NewTimer(rand.N(h.cfg.PlayWrite))
	defer t.Stop()
	next := time.NewTimer(0)
	defer next.Stop()
	var written []string
	for {
		select {
		case <-h.stop:
			return
		case <-t.C:
		}
		start := time.Now()
		t.Reset(h.cfg.PlayWrite)
		if !h.writing() {
			continue
		}
		written = h.writeOwnPlays(written, func(i, n int) bool {
			next.Reset(time.Until(start.Add(h.cfg.PlayWrite * time.Duration(i) / time.Duration(n))))
			select {
			case <-h.stop:
				return false // the loop's select returns
			case <-next.C:
			}
			return h.writing()
		})
	}
}

// writing reports whether the node writes its plays: it runs and reaches
// the cluster.
func (h *Hub) writing() bool { return !h.halted.Load() && h.online.Load() }

// unknownPlays stands for a key of the node's whose write failed: no value
// of the bucket is empty.
const unknownPlays = ""

// absentPlays stands for a key of the node's that holds nothing.
const absentPlays = "absent"

// writeOwnPlays writes the node's members' plays and stops that their
// jams' records lack to its keys, those that differ from what written says
// the keys hold ("absent" for none), and returns what they hold now. Before
// the write of key i of n it calls wait, unless nil, and stops when wait
// returns false.
func (h *Hub) writeOwnPlays(written []string, wait func(i, n int) bool) []string {
	parts := h.ownParts()
	n := max(len(parts), len(written))
	for i := range n {
		if wait != nil && !wait(i, n) {
			break
		}
		written = h.writePart(written, parts, i)
	}
	return trimAbsent(written)
}

// ownParts returns the values of the node's keys: its members' plays and
// stops that their jams' records lack, playsPerKey a key.
func (h *Hub) ownParts() []string {
	plays := h.world.ownPlays(h.cfg.Node)
	var parts []string
	for chunk := range slices.Chunk(plays, playsPerKey) {
		parts = append(parts, string(encodePlays(h.cfg.Node, chunk)))
	}
	return parts
}

// writePart writes parts[i] (nothing, past them) to the node's key i,
// unless written says the key holds it, and returns written with what the
// key holds now.
func (h *Hub) writePart(written, parts []string, i int) []string {
	want, had := absentPlays, absentPlays
	if i < len(parts) {
		want = parts[i]
	}
	if i < len(written) {
		had = written[i]
	}
	for len(written) <= i {
		written = append(written, absentPlays)
	}
	if want == had {
		return written
	}
	ctx, cancel := h.opCtx()
	var err error
	if want == absentPlays {
		err = h.plays.Delete(ctx, playsKey(h.cfg.Node, i))
	} else {
		_, err = h.plays.Put(ctx, playsKey(h.cfg.Node, i), []byte(want))
	}
	cancel()
	if err != nil {
		// Tried again at the next tick; the other nodes heard the plays
		// meanwhile.
		h.log.Warn("writing the node's plays failed", "key", playsKey(h.cfg.Node, i), "err", err)
		want = unknownPlays
	}
	written[i] = want
	return written
}

// trimAbsent drops the keys past the last that holds plays.
func trimAbsent(written []string) []string {
	for len(written) > 0 && written[len(written)-1] == absentPlays {
		written = written[:len(written)-1]
	}
	return written
}

// ownPlays returns the plays and stops heard of node's members that their
// jams' records lack, by jam and member. It looks at the records of
// playsPerLock plays at a time: the joins and the records coming in wait
// for w.mu, and a node holds thousands of members.
func (w *world) ownPlays(node string) []nodePlay {
	var heard []nodePlay
	w.heard.each(func(id string, plays map[string]fastEvent) {
		for _, ev := range plays {
			ev.Frame = nil
			heard = append(heard, nodePlay{Jam: id, fastEvent: ev})
		}
	})
	out := heard[:0]
	for chunk := range slices.Chunk(heard, playsPerLock) {
		w.mu.Lock()
		for _, p := range chunk {
			rec := w.jams[p.Jam].rec
			if rec == nil {
				continue
			}
			if i := rec.member(p.Of); i >= 0 && rec.Members[i].Node == node && rec.Members[i].Seq < p.Seq {
				out = append(out, p)
			}
		}
		w.mu.Unlock()
	}
	slices.SortFunc(out, func(a, b nodePlay) int {
		if c := compare(a.Jam, b.Jam); c != 0 {
			return c
		}
		return compare(a.Of, b.Of)
	})
	return out
}

// sawPlays takes in a change of the plays bucket: another node's plays
// and stops that this node did not hear (it started after them) are heard
// now, and delivered to the sockets here.
func (w *world) sawPlays(e jetstream.KeyValueEntry) {
	if e.Operation() != jetstream.KeyValuePut {
		w.mu.Lock()
		delete(w.playKeys, e.Key())
		w.mu.Unlock()
		return
	}
	node, plays, ok := decodePlays(e.Value())
	if !ok {
		return
	}
	w.mu.Lock()
	w.playKeys[e.Key()] = node
	w.mu.Unlock()
	if node == w.h.cfg.Node {
		return
	}
	// playsPerLock at a time, as in ownPlays.
	lacked := plays[:0]
	for chunk := range slices.Chunk(plays, playsPerLock) {
		w.mu.Lock()
		for _, p := range chunk {
			if rec := w.jams[p.Jam].rec; rec != nil && seqIn(rec, p.Of) < p.Seq {
				lacked = append(lacked, p)
			}
		}
		w.mu.Unlock()
	}
	for i := range lacked {
		p := &lacked[i]
		if w.heard.last(p.Jam, p.Of).Seq >= p.Seq {
			continue
		}
		p.Frame = shared.MustEncode(p.message())
		if !w.heard.hear(p.Jam, &p.fastEvent) {
			continue
		}
		w.h.mu.Lock()
		lj := w.h.local[p.Jam]
		w.h.mu.Unlock()
		if lj != nil {
			w.h.receiveFast(lj, &p.fastEvent)
		}
	}
}

// lostPlays returns the keys of the plays of nodes that lost reports true
// for and that no jam lists a member of: their plays matter no more.
func (w *world) lostPlays(lost func(node string) bool) []string {
	w.mu.Lock()
	keys := make(map[string]string)
	for key, node := range w.playKeys {
		if w.placed[node] == 0 {
			keys[key] = node
		}
	}
	w.mu.Unlock()
	var out []string
	for key, node := range keys {
		if lost(node) {
			out = append(out, key)
		}
	}
	return out
}

// dropLostPlays deletes the keys of dead nodes' plays once no jam lists a
// member of theirs (lostPlays). The leader calls it every beat.
func (h *Hub) dropLostPlays() {
	for _, key := range h.world.lostPlays(func(node string) bool {
		return node != h.cfg.Node && !h.world.alive(node, h.cfg.NodeTimeout)
	}) {
		ctx, cancel := h.opCtx()
		err := h.plays.Delete(ctx, key)
		cancel()
		if err != nil {
			h.log.Warn("deleting a lost node's plays failed", "key", key, "err", err)
			continue
		}
		h.log.Info("deleted a lost node's plays", "key", key)
	}
}
