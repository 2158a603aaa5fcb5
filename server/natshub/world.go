//go:build !wasm

package natshub

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/loopswithfriends/loops/server"
	"github.com/loopswithfriends/loops/shared"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// world is one node's picture of the whole cluster, kept by watching the
// jams and nodes buckets: every jam's last record (for the balancer, the
// stats and the reaper) and every node's last beat. It may lag the buckets
// by a moment; it only guides decisions, which the compare-and-set checks.
type world struct {
	h *Hub

	mu   sync.Mutex
	jams map[string]seenJam
	// placed counts the members of the jams by node, as in jams: the
	// leader asks every beat which nodes hold members (members,
	// lostPlays), and a scan of every jam would keep the world's lock
	// from the plays and stops heard meanwhile.
	placed map[string]int
	// open files the public jams with room by size, for the balancer,
	// and sizes counts the jams by members, for the stats: a join or a
	// stats request reads them in a few steps, not a pass over every jam
	// under the lock the plays and stops take.
	open  openJams
	sizes server.SizeCounts
	// heard is each jam's plays and stops heard and not yet in its
	// record, by member, under locks of its own (heard.go).
	heard *heardPlays
	beats map[string]time.Time // node -> when its last beat arrived here
	// playKeys is the node whose plays each key of the plays bucket
	// holds (nodeplays.go).
	playKeys map[string]string
	since    time.Time // when this node started watching
	// watched is the last revision of the jams bucket that came in.
	watched uint64
	// lastOwn is when this node's own last beat arrived, and steady since
	// when they have arrived without a gap.
	lastOwn, steady time.Time

	sub    *nats.Subscription // every jam's subject
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

type seenJam struct {
	rec *jamRecord
	rev uint64
}

func newWorld(h *Hub) *world {
	return &world{h: h, jams: make(map[string]seenJam), placed: make(map[string]int), open: newOpenJams(),
		heard: newHeardPlays(), beats: make(map[string]time.Time),
		playKeys: make(map[string]string), since: time.Now()}
}

// start subscribes to every jam's subject, loads every jam's record, and
// watches the nodes bucket; it returns once the current values are in.
// The subject brings every change of every jam after that, as the bucket
// republishes it, besides the plays and stops of fast.go (receive): one
// copy of each write a node, not a watch's copy and the subject's.
func (w *world) start(ctx context.Context) error {
	sub, err := w.h.nc.Subscribe(w.h.cfg.Prefix+".jam.*", w.h.receive)
	if err == nil {
		// In place before the jams are read: no change falls between.
		err = w.h.nc.Flush()
	}
	if err != nil {
		return fmt.Errorf("natshub: subscribe to the jams: %w", err)
	}
	w.sub = sub
	if err := w.load(ctx); err != nil {
		_ = sub.Unsubscribe()
		return err
	}
	wctx, cancel := context.WithCancel(context.Background())
	w.cancel = cancel
	nodes, err := w.h.nodes.WatchAll(wctx)
	if err != nil {
		cancel()
		_ = sub.Unsubscribe()
		return fmt.Errorf("natshub: watch nodes: %w", err)
	}
	// The plays after the jams: what they hold is news only to a jam's
	// record.
	plays, err := w.h.plays.WatchAll(wctx)
	if err != nil {
		cancel()
		_ = sub.Unsubscribe()
		return fmt.Errorf("natshub: watch plays: %w", err)
	}
	ready := make(chan struct{}, 2)
	w.wg.Add(2)
	go w.watch(nodes, ready, w.sawBeat)
	go w.watch(plays, ready, w.sawPlays)
	for range 2 {
		select {
		case <-ready:
		case <-ctx.Done():
			cancel()
			_ = sub.Unsubscribe()
			return errors.New("natshub: the nodes' beats and plays did not arrive")
		}
	}
	return nil
}

// load reads every jam's current record. The jams' subject keeps them up
// to date from then on, while the node's connection lasts: a node whose
// connection came back loads them again.
func (w *world) load(ctx context.Context) error {
	kw, err := w.h.jams.WatchAll(ctx)
	if err != nil {
		return fmt.Errorf("natshub: read the jams: %w", err)
	}
	defer func() { _ = kw.Stop() }()
	for {
		select {
		case e, ok := <-kw.Updates():
			switch {
			case !ok:
				return errors.New("natshub: the jams' records did not arrive")
			case e == nil:
				return nil // the end of the current values
			}
			w.sawEntry(e)
		case <-ctx.Done():
			return errors.New("natshub: the jams' records did not arrive")
		}
	}
}

func (w *world) stopWatch() {
	if w.sub != nil {
		_ = w.sub.Unsubscribe()
	}
	w.cancel()
	w.wg.Wait()
}

// watch feeds a watcher's entries to fn; the nil entry marks the end of the
// current values.
func (w *world) watch(kw jetstream.KeyWatcher, ready chan<- struct{}, fn func(jetstream.KeyValueEntry)) {
	defer w.wg.Done()
	defer func() { _ = kw.Stop() }()
	for e := range kw.Updates() {
		if e == nil {
			ready <- struct{}{}
			continue
		}
		fn(e)
	}
}

func (w *world) sawEntry(e jetstream.KeyValueEntry) {
	w.came(e.Revision())
	w.mu.Lock()
	s, ok := w.jams[e.Key()]
	w.mu.Unlock()
	if ok && s.rev >= e.Revision() {
		return // this node's own write brought it first
	}
	var rec *jamRecord
	if e.Operation() == jetstream.KeyValuePut {
		var err error
		if rec, err = decodeRecord(e.Value()); err != nil {
			return
		}
	}
	w.saw(e.Key(), rec, e.Revision())
}

// came notes that the change of the jams bucket at rev came in (catchUp).
func (w *world) came(rev uint64) {
	w.mu.Lock()
	w.watched = max(w.watched, rev)
	w.mu.Unlock()
}

// record returns the jam's record at rev when this node has it already
// (its own write), nil otherwise. Records are never changed once made
// (clone).
func (w *world) record(id string, rev uint64) *jamRecord {
	w.mu.Lock()
	defer w.mu.Unlock()
	if s, ok := w.jams[id]; ok && s.rev == rev {
		return s.rec
	}
	return nil
}

// saw records the jam's record at rev (nil: removed), unless a later one
// is known.
func (w *world) saw(id string, rec *jamRecord, rev uint64) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if old, ok := w.jams[id]; ok && old.rev > rev {
		return
	}
	w.heard.forget(id, rec)
	// A removed jam keeps its revision, so that an older record arriving
	// late does not bring it back.
	w.setJam(id, seenJam{rec: rec, rev: rev})
}

// setJam makes s the jam's record as seen, counts its members by node and
// the jams by size, and files it for the balancer. w.mu is held.
func (w *world) setJam(id string, s seenJam) {
	old := w.jams[id].rec
	if old != nil {
		for _, m := range old.Members {
			if w.placed[m.Node]--; w.placed[m.Node] <= 0 {
				delete(w.placed, m.Node)
			}
		}
	}
	if s.rec != nil {
		for _, m := range s.rec.Members {
			w.placed[m.Node]++
		}
	}
	w.sizes.Move(old.size(), s.rec.size())
	w.open.set(id, s.rec)
	w.jams[id] = s
}

func (w *world) sawBeat(e jetstream.KeyValueEntry) {
	if e.Operation() != jetstream.KeyValuePut {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	now := time.Now()
	w.beats[e.Key()] = now
	if e.Key() == w.h.cfg.Node {
		if now.Sub(w.lastOwn) > 2*w.h.cfg.Beat {
			w.steady = now
		}
		w.lastOwn = now
	}
}

// catchUp waits, for at most a second, until every change of the jams
// bucket up to now came in: a join about to create a jam first
// sees the ones other nodes just created.
func (w *world) catchUp() {
	ctx, cancel := w.h.opCtx()
	defer cancel()
	st, err := w.h.jams.Status(ctx)
	if err != nil {
		return
	}
	bs, ok := st.(*jetstream.KeyValueBucketStatus)
	if !ok || bs.StreamInfo() == nil {
		return
	}
	last := bs.StreamInfo().State.LastSeq
	deadline := time.Now().Add(time.Second)
	for time.Now().Before(deadline) {
		w.mu.Lock()
		done := w.watched >= last
		w.mu.Unlock()
		if done {
			return
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// best returns the public jam with the most members that still has room,
// the oldest on a tie, leaving out those tried; "" when there is none.
func (w *world) best(tried map[string]bool) string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.open.best(tried)
}

// stats returns the cluster's numbers as last seen: jams by size, no id.
func (w *world) stats() shared.Stats { return w.sizes.Stats() }

// jamSizes returns every jam's member count as last seen, for the admin
// listener.
func (w *world) jamSizes() shared.JamSizes {
	w.mu.Lock()
	defer w.mu.Unlock()
	js := shared.JamSizes{JamSizes: make(map[string]int)}
	for id, s := range w.jams {
		if s.rec != nil && len(s.rec.Members) > 0 {
			js.JamSizes[id] = len(s.rec.Members)
		}
	}
	return js
}

// alive reports whether the node beat within the timeout. Beats that do
// not arrive may be the bucket's fault, not the node's (its stream electing
// a new leader after another node died, say), so a node is called dead only
// while this node's own beats have arrived steadily for three beats: the
// others had their chance to beat too. A node not heard of counts from
// when this one started watching.
func (w *world) alive(node string, timeout time.Duration) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if time.Since(w.steady) < 3*w.h.cfg.Beat || time.Since(w.lastOwn) > 2*w.h.cfg.Beat {
		return true
	}
	last, ok := w.beats[node]
	if !ok {
		last = w.since
	}
	return time.Since(last) < timeout
}

// leader reports whether this node is the live node with the smallest name:
// the one that removes the members of dead nodes.
func (w *world) leader(self string, timeout time.Duration) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	for node, last := range w.beats {
		if node < self && time.Since(last) < timeout {
			return false
		}
	}
	return true
}

// members returns the members of the nodes lost reports true for, with
// their jams, in order. It first asks lost of each node holding members,
// without the world's lock (lost may ask the world): the leader calls it
// every beat, and nodes are seldom lost.
func (w *world) members(lost func(node string) bool) (out []placedMember) {
	w.mu.Lock()
	nodes := make(map[string]bool, len(w.placed))
	for node := range w.placed {
		nodes[node] = false
	}
	w.mu.Unlock()
	some := false
	for node := range nodes {
		if lost(node) {
			nodes[node], some = true, true
		}
	}
	if !some {
		return nil
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	for id, s := range w.jams {
		if s.rec == nil {
			continue
		}
		for _, m := range s.rec.Members {
			if nodes[m.Node] {
				out = append(out, placedMember{jam: id, user: m.ID, node: m.Node})
			}
		}
	}
	slices.SortFunc(out, func(a, b placedMember) int {
		if a.jam != b.jam {
			return compare(a.jam, b.jam)
		}
		return compare(a.user, b.user)
	})
	return out
}

type placedMember struct{ jam, user, node string }

func compare(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// beat tells the other nodes this one is alive, every Beat, and removes the
// members of dead nodes when this node leads.
func (h *Hub) beat() {
	defer h.wg.Done()
	t := time.NewTicker(h.cfg.Beat)
	defer t.Stop()
	for {
		if !h.halted.Load() && h.online.Load() {
			ctx, cancel := h.opCtx()
			_, err := h.nodes.Put(ctx, h.cfg.Node, []byte(strconv.FormatInt(time.Now().UnixMilli(), 10)))
			cancel()
			if err != nil {
				h.log.Warn("beat failed", "err", err)
			}
			if h.world.leader(h.cfg.Node, h.cfg.NodeTimeout) {
				h.reap(func(node string) bool {
					return node != h.cfg.Node && !h.world.alive(node, h.cfg.NodeTimeout)
				}, nil)
				h.dropLostPlays()
			}
		}
		select {
		case <-h.stop:
			return
		case <-t.C:
		}
	}
}

// reap removes every member of the nodes lost reports true for, but those
// keep reports true for (keep may be nil), telling their jams, and closing
// their sockets with 1012 if their node is there after all.
func (h *Hub) reap(lost func(node string) bool, keep func(user string) bool) {
	for _, m := range h.world.members(lost) {
		if h.halted.Load() || (keep != nil && keep(m.user)) {
			continue
		}
		h.log.Info("removing a member of a lost node", "jam", m.jam, "user", m.user, "node", m.node)
		ev := jamEvent{Gone: m.user, Status: server.StatusTryAgainLater, Reason: "the server lost the cluster, try again"}
		if err := h.leaveJam(nil, m.jam, m.user, m.node, ev); err != nil {
			h.log.Warn("removing a member failed", "jam", m.jam, "user", m.user, "err", err)
		}
	}
}
