//go:build !wasm

package natshub

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/loopswithfriends/loops/server"
	"github.com/loopswithfriends/loops/shared"
	"github.com/nats-io/nats.go/jetstream"
)

// leftRecord is what the left bucket keeps of a user who left, for the
// resume window (the bucket's TTL): where they were.
type leftRecord struct {
	Jam  string `json:"jam"`
	Loop string `json:"loop"`
}

// How a join treats the jam it tries.
type joinMode int

const (
	joinNamed    joinMode = iota // the client named it: created private when missing
	joinBalanced                 // the balancer picked it: it must still be there, public
	joinNew                      // the balancer creates it, public
)

var (
	errFull = errors.New("jam is full")
	errGone = errors.New("jam is gone")
)

// Join places c's user in a jam: see server.Cluster.
func (h *Hub) Join(c server.Client, want, resume string, kit *shared.Kit, at time.Time) error {
	if !h.online.Load() || h.halted.Load() {
		return fmt.Errorf("%w: the node is not connected", server.ErrUnavailable)
	}
	h.mu.Lock()
	if h.clients[c] != nil {
		h.mu.Unlock()
		return shared.Errorf(shared.CodeAlreadyJoined, "already in a jam")
	}
	l := &local{c: c}
	h.clients[c] = l
	h.mu.Unlock()
	err := h.join(l, want, resume, kit, at)
	if err != nil {
		l.mu.Lock()
		used := l.usedToken
		l.mu.Unlock()
		if used != "" {
			// The join failed (the cluster is electing a leader, say):
			// the token is good again, for the client's next try.
			ctx, cancel := h.opCtx()
			_ = h.tokens.Purge(ctx, used)
			cancel()
		}
		h.mu.Lock()
		if h.clients[c] == l {
			delete(h.clients, c)
		}
		h.mu.Unlock()
	}
	return err
}

func (h *Hub) join(l *local, want, resume string, kit *shared.Kit, at time.Time) error {
	user, prefer := "", ""
	cl, ok := h.sign.check(resume, h.cfg.Now())
	if ok {
		used, err := h.use(cl.ID)
		if used || err != nil {
			// Join gives the token back if the join fails, even when
			// using it failed: the write may have got through.
			l.mu.Lock()
			l.usedToken = cl.ID
			l.mu.Unlock()
		}
		if err != nil {
			return err
		}
		ok = used
	}
	if ok {
		rec, err := h.getHolding(cl.Jam, cl.User)
		if err != nil {
			return err
		}
		if rec != nil && rec.member(cl.User) >= 0 {
			if want == "" || want == cl.Jam {
				done, err := h.takeover(l, cl.User, cl.Jam, at)
				if err != nil || done {
					return err
				}
			} else {
				// The user asks for another jam: they leave this one,
				// as with a close, and come back resumed in that one.
				ev := jamEvent{Gone: cl.User, Status: server.StatusTakenOver, Reason: "taken over by a new connection"}
				if err := h.leaveJam(nil, cl.Jam, cl.User, "", ev); err != nil {
					return err
				}
			}
		}
		lr, ok, err := h.leftOf(cl.User)
		if err != nil {
			return err
		}
		if ok {
			user = cl.User
			if want == "" {
				want = lr.Jam
			}
			if want == lr.Jam {
				prefer = lr.Loop
			}
		}
	}
	if user == "" {
		user = uuid.NewString()
	}
	return h.place(l, user, want, prefer, kit, at)
}

// use uses up a token's id; it reports false when it was used before, and
// an error when the tokens bucket does not answer (a new leader on its way
// after a node died, say): the client tries again rather than coming back
// as someone else.
func (h *Hub) use(id string) (bool, error) {
	ctx, cancel := h.opCtx()
	defer cancel()
	_, err := h.tokens.Create(ctx, id, []byte{1})
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, jetstream.ErrKeyExists):
		return false, nil
	}
	return false, fmt.Errorf("%w: use token: %w", server.ErrUnavailable, err)
}

// leftOf returns where the user was when they left, within the window.
func (h *Hub) leftOf(user string) (leftRecord, bool, error) {
	ctx, cancel := h.opCtx()
	defer cancel()
	var lr leftRecord
	var data []byte
	e, err := h.left.Get(ctx, user)
	if err == nil {
		data = e.Value()
	} else if errors.Is(err, jetstream.ErrKeyNotFound) {
		// The user may have left on another node a moment ago, and
		// this replica not have it yet (leader.go).
		data, _, err = leaderGet(ctx, h.nc, h.left.Bucket(), user)
	}
	switch {
	case errors.Is(err, jetstream.ErrKeyNotFound):
		return lr, false, nil
	case err != nil:
		return lr, false, fmt.Errorf("%w: where %s was: %w", server.ErrUnavailable, user, err)
	}
	if json.Unmarshal(data, &lr) != nil {
		return lr, false, nil
	}
	return lr, true, nil
}

// place puts the user in want when it has room (creating it, private, when
// missing), and otherwise in the fullest public jam with room.
func (h *Hub) place(l *local, user, want, prefer string, kit *shared.Kit, at time.Time) error {
	redirected := false
	if want != "" {
		if ok, err := h.tryJoin(l, want, user, prefer, kit, joinNamed, false, at); ok || err != nil {
			return err
		}
		redirected = true
	}
	tried := make(map[string]bool)
	for range maxAttempts {
		id := h.world.best(tried)
		if id == "" {
			ok, err := h.create(l, user, prefer, redirected, tried, at)
			if ok || err != nil {
				return err
			}
			continue
		}
		if ok, err := h.tryJoin(l, id, user, prefer, nil, joinBalanced, redirected, at); ok || err != nil {
			return err
		}
		tried[id] = true
	}
	return fmt.Errorf("%w: no jam had room in %d tries", server.ErrUnavailable, maxAttempts)
}

// create makes a new public jam for the user, unless one with room
// appeared meanwhile: the joins of a node that find no room wait for each
// other here, so that a burst of them fills one new jam instead of making
// one each. Every one of them waits for the world to catch up with the
// bucket, even when the join before it just made a jam here: that wait is
// what keeps a burst of joins from outrunning the node's picture of the
// jams. Without it, in a burst of 9,000, joins tried hundreds of jams the
// world still called open, all full, and gave up with 1012.
func (h *Hub) create(l *local, user, prefer string, redirected bool, tried map[string]bool, at time.Time) (bool, error) {
	h.creating.Lock()
	defer h.creating.Unlock()
	h.world.catchUp()
	if h.world.best(tried) != "" {
		return false, nil
	}
	return h.tryJoin(l, newJamID(), user, prefer, h.nextKit(), joinNew, redirected, at)
}

// tryJoin adds the user to the jam and welcomes them; it reports false when
// the jam has no room for them (or, for the balancer, is gone or private).
// kit is the kit of the jam if the join creates it (nil for the balancer's
// joins, which never do).
func (h *Hub) tryJoin(l *local, id, user, prefer string, kit *shared.Kit, mode joinMode, redirected bool, at time.Time) (bool, error) {
	lj := h.acquire(id)
	rec, rev, err := h.change(lj, id, func(r *jamRecord) (*jamRecord, error) {
		var n *jamRecord
		now := h.nowMs()
		switch {
		case r == nil && mode == joinBalanced:
			return nil, errGone
		case r == nil:
			n = &jamRecord{Kit: kit.ID, Timeline: kit.Timeline(float64(int64(now))), Created: now, Private: mode == joinNamed}
		case mode == joinNew, r.full(), r.Private && mode != joinNamed, r.member(user) >= 0:
			return nil, errFull
		default:
			n = r.clone()
		}
		m := memberRecord{ID: user, Loop: n.freeLoop(prefer), Bar: n.Timeline.BarAt(now), Node: h.cfg.Node, Seq: firstSeq(h.cfg.Now())}
		n.Members = append(n.Members, m)
		// The join carries the member's first number: a socket
		// that hears of the member from it takes it as seen.
		n.Event = jamEvent{Frame: shared.MustEncode(&shared.Joined{Member: m.view()}), Skip: user, Of: user, Seq: m.Seq}
		return n, nil
	})
	if errors.Is(err, errFull) || errors.Is(err, errGone) {
		h.release(lj)
		return false, nil
	}
	if err == nil && (rec == nil || rec.member(user) < 0) {
		err = fmt.Errorf("%w: jam %s: the join was undone", server.ErrUnavailable, id)
	}
	if err != nil {
		h.release(lj)
		return false, err
	}
	h.welcome(lj, l, user, rec, rev, redirected, at)
	return true, nil
}

// takeover makes l hold the user, a member of the jam held by another
// socket (here or on another node, alive or dead), as they are: the others
// see nothing, and the old socket is closed. It reports false when the user
// is no longer in the jam.
func (h *Hub) takeover(l *local, user, id string, at time.Time) (bool, error) {
	lj := h.acquire(id)
	rec, rev, err := h.change(lj, id, func(r *jamRecord) (*jamRecord, error) {
		i := -1
		if r != nil {
			i = r.member(user)
		}
		if i < 0 {
			return nil, errNoChange
		}
		n := r.clone()
		m := &n.Members[i]
		m.Node = h.cfg.Node
		h.world.storeHeard(id, m)
		n.Event = jamEvent{Gone: user, Status: server.StatusTakenOver, Reason: "taken over by a new connection",
			Of: user, Seq: m.Seq}
		m.Seq += takeoverGap
		return n, nil
	})
	if err == nil && (rec == nil || rec.member(user) < 0) {
		err = errNoChange
	}
	if err != nil {
		h.release(lj)
		if errors.Is(err, errNoChange) {
			return false, nil
		}
		return false, err
	}
	h.welcome(lj, l, user, rec, rev, false, at)
	return true, nil
}

// welcome makes l the user's socket here and sends it the welcome of rec,
// the record at rev, with a new resume token. A socket that left while its
// join was on its way takes the user out again.
func (h *Hub) welcome(lj *localJam, l *local, user string, rec *jamRecord, rev uint64, redirected bool, at time.Time) {
	m := rec.Members[rec.member(user)]
	token := h.sign.sign(claims{User: user, Jam: lj.id, Loop: m.Loop,
		Expires: h.cfg.Now().Add(h.cfg.TokenLifetime).Unix(), ID: newTokenID()})
	frame := shared.MustEncode(&shared.Welcome{
		You:        user,
		Resume:     token,
		Loop:       m.Loop,
		Redirected: redirected,
		Now:        h.nowMs(),
		Jam:        shared.JamInfo{ID: lj.id, Timeline: rec.Timeline, Capacity: shared.Capacity, Kit: rec.kit().ID},
		Members:    rec.views(),
	})
	lj.mu.Lock()
	l.mu.Lock()
	gone := l.gone
	if !gone {
		l.user, l.jam, l.fromRev = user, lj, rev
	}
	l.mu.Unlock()
	if !gone {
		h.register(lj, l, rev, rec, frame, at)
	}
	lj.mu.Unlock()
	if gone {
		_ = h.leaveJam(lj, lj.id, user, h.cfg.Node, jamEvent{})
		h.release(lj)
	}
}

// Leave takes c's user out of their jam: see server.Cluster.
func (h *Hub) Leave(c server.Client) {
	h.mu.Lock()
	l := h.clients[c]
	delete(h.clients, c)
	h.mu.Unlock()
	if l == nil {
		return
	}
	l.mu.Lock()
	l.gone = true
	lj, user := l.jam, l.user
	l.mu.Unlock()
	if lj == nil {
		return // a join on its way sees gone and undoes itself
	}
	if h.online.Load() {
		_ = h.leaveJam(lj, lj.id, user, h.cfg.Node, jamEvent{})
	}
	h.dropLocal(l)
}

// leaveJam removes the user from the jam when the node holds them (any node
// for node ""), tells the others with ev and a left, and keeps where they
// were for the resume window. lj is the jam here, or nil.
func (h *Hub) leaveJam(lj *localJam, id, user, node string, ev jamEvent) error {
	// Where the user was is kept before they leave: a resume that follows
	// the left at once must find it.
	kept, err := h.loopOf(lj, id, user)
	if err != nil || kept == "" {
		return err
	}
	h.keepLeft(user, id, kept)
	var loop string
	// The commit files the record it writes in the world (commit).
	_, _, err = h.change(lj, id, func(r *jamRecord) (*jamRecord, error) {
		i := -1
		if r != nil {
			i = r.member(user)
		}
		if i < 0 || (node != "" && r.Members[i].Node != node) {
			return nil, errNoChange
		}
		loop = r.Members[i].Loop
		if len(r.Members) == 1 {
			return nil, nil
		}
		n := r.clone()
		n.Members = slices.Delete(n.Members, i, i+1)
		n.Event = ev
		n.Event.Frame = shared.MustEncode(&shared.Left{ID: user})
		return n, nil
	})
	if errors.Is(err, errNoChange) {
		return nil
	}
	if err != nil {
		return err
	}
	if loop != kept {
		h.keepLeft(user, id, loop) // a swap came between
	}
	return nil
}

// loopOf returns the user's loop in the jam, "" when they are not in it,
// from the jam here when it is known.
func (h *Hub) loopOf(lj *localJam, id, user string) (string, error) {
	var rec *jamRecord
	if lj != nil {
		lj.mu.Lock()
		rec = lj.rec
		lj.mu.Unlock()
	}
	if rec == nil || rec.member(user) < 0 {
		var err error
		if rec, err = h.getHolding(id, user); err != nil || rec == nil {
			return "", err
		}
	}
	if i := rec.member(user); i >= 0 {
		return rec.Members[i].Loop, nil
	}
	return "", nil
}

// keepLeft keeps where the user was for the resume window.
func (h *Hub) keepLeft(user, jam, loop string) {
	ctx, cancel := h.opCtx()
	defer cancel()
	b, _ := json.Marshal(leftRecord{Jam: jam, Loop: loop})
	if _, err := h.left.Put(ctx, user, b); err != nil {
		h.log.Warn("keeping a resume failed", "user", user, "err", err)
	}
}

// Joined reports whether c holds a user in a jam.
func (h *Hub) Joined(c server.Client) bool {
	l := h.localOf(c)
	if l == nil {
		return false
	}
	lj, _ := l.placed()
	return lj != nil
}

func (h *Hub) localOf(c server.Client) *local {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.clients[c]
}

// nextKit returns the kit of the next jam the balancer creates here: the
// kits take turns, so that public jams are spread over them.
func (h *Hub) nextKit() *shared.Kit {
	return shared.Kits[int(h.kitTurn.Add(1)-1)%len(shared.Kits)]
}

const jamIDAlphabet = "abcdefghijkmnpqrstuvwxyz23456789"

// newJamID returns a fresh random jam id. Jam ids name invite links, not
// secrets; a collision with a live jam only makes the balancer try again.
func newJamID() string {
	b := make([]byte, 10)
	for i := range b {
		b[i] = jamIDAlphabet[rand.IntN(len(jamIDAlphabet))]
	}
	return string(b)
}
