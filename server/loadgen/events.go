//go:build !wasm

package loadgen

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/coder/websocket"

	"github.com/loopswithfriends/loops/shared"
)

// event is one play or stop a client sent, with the members that must
// receive its played or stopped: the well-behaved members of the sender's
// view when it was sent, the sender included. Its fields are guarded by the
// sender's mu.
type event struct {
	stop     bool
	jam      string  // the sender's jam
	epoch    float64 // its timeline's: bars count from it
	sentAt   time.Time
	session  int // the sender's session
	bar      int64
	barKnown bool
	failed   bool // the write failed: the server may never have seen it
	to       []recipient
	receipts int
}

// recipient is a member that must receive an event, in the session it had
// when the event was sent.
type recipient struct {
	c       *client
	session int
	got     bool
}

// toggle sends the client's next play or stop and records it as an event.
func (c *client) toggle(ctx context.Context) {
	g := c.g
	c.mu.Lock()
	if !c.open || c.conn == nil {
		c.mu.Unlock()
		return
	}
	session := c.session
	ids := make([]string, 0, len(c.view.Members))
	for _, m := range c.view.Members {
		ids = append(ids, m.ID)
	}
	c.mu.Unlock()

	// The recipients are read without holding c.mu: two clients toggling
	// at once must not lock each other in opposite orders.
	to := make([]recipient, 0, len(ids))
	for _, id := range ids {
		v, ok := g.byID.Load(id)
		if !ok {
			continue // a misbehaving or unknown member: not checked
		}
		m := v.(*client)
		if !m.role.wellBehaved() {
			continue
		}
		if m == c {
			to = append(to, recipient{c: m, session: session})
			continue
		}
		m.mu.Lock()
		ms, ok := m.session, m.open && m.you == id
		m.mu.Unlock()
		if ok {
			to = append(to, recipient{c: m, session: ms})
		}
	}

	c.mu.Lock()
	if !c.open || c.session != session {
		c.mu.Unlock()
		return
	}
	now := time.Now()
	if !g.myTurn(now) {
		// Its turn ended while it waited for a sender (a busy box): sent
		// now, it would land in another run's stretch.
		c.mu.Unlock()
		g.lateTurn.Add(1)
		return
	}
	e := &event{stop: c.want, session: session, to: to, jam: c.jam, epoch: c.timeline.Epoch}
	c.want = !c.want
	conn := c.conn
	var frame []byte
	if e.stop {
		frame = stopFrame
	} else {
		frame = playFrame
	}
	e.sentAt = now
	c.events = append(c.events, e)
	c.mu.Unlock()

	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := conn.Write(ctx, websocket.MessageText, frame); err != nil {
		c.mu.Lock()
		e.failed = true
		c.mu.Unlock()
	} else {
		g.writeLat.add(c.idx, time.Since(e.sentAt))
	}
	g.sent.Add(1)
}

var (
	playFrame = shared.MustEncode(&shared.Play{})
	stopFrame = shared.MustEncode(&shared.Stop{})
)

// deliver records that r, in session, received sender's played (stop false)
// or stopped at bar.
func (g *gen) deliver(r *client, session int, senderID string, bar int64, stop bool, at time.Time, jam string, tl shared.Timeline) {
	v, ok := g.byID.Load(senderID)
	if !ok {
		return
	}
	s := v.(*client)
	s.mu.Lock()
	// Only events sent in the receiver's jam, on its timeline: a jam that
	// emptied and came back has a new one, with bars counted afresh.
	// Events of the sender's current session first: a sender that played
	// just before it dropped and plays again after resuming can get the
	// same bar twice. In each, the event of that kind with that bar that
	// this receiver has not had yet; else the oldest of that kind whose bar
	// is not known yet and that was sent before the bar could be chosen
	// (the server handles a sender's messages in order, so the first news
	// of an event is of the oldest one it has not answered, however late).
	latest := tl.BarStart(bar) - shared.LeadMs + 1
	find := func(current bool) *event {
		for _, x := range s.events {
			if x.stop == stop && x.jam == jam && x.epoch == tl.Epoch && (x.session == s.session) == current &&
				x.barKnown && x.bar == bar && !x.gotBy(r) {
				return x
			}
		}
		for _, x := range s.events {
			if x.stop == stop && x.jam == jam && x.epoch == tl.Epoch && (x.session == s.session) == current &&
				!x.barKnown && !x.failed {
				if tl.BPM > 0 && float64(x.sentAt.UnixNano())/1e6 > latest {
					return nil
				}
				return x
			}
		}
		return nil
	}
	e := find(true)
	if e == nil {
		e = find(false)
	}
	if e == nil {
		s.mu.Unlock()
		g.untracked.Add(1)
		return
	}
	e.bar, e.barKnown = bar, true
	e.receipts++
	for i := range e.to {
		if e.to[i].c == r && e.to[i].session == session {
			e.to[i].got = true
		}
	}
	lat, sentAt := at.Sub(e.sentAt), e.sentAt
	s.mu.Unlock()
	g.lat.add(r.idx, lat)
	if t := g.cfg.Turns; t != nil {
		if i := t.stretch(g.turnStart, sentAt); i < len(g.stretchLat) {
			g.stretchLat[i].add(r.idx, lat)
		}
	}
	if g.cfg.OutlierTrace != "" && lat >= g.cfg.OutlierAt && g.outlier.CompareAndSwap(false, true) {
		go g.traceOutlier(lat, at)
	}
	if g.windowLat != nil {
		// A toggle due before the run's end can leave after it, its
		// sender late on a busy box: it counts in the last window.
		if i := min(int(sentAt.Sub(g.windowStart)/g.cfg.Window), len(g.windowLat)-1); i >= 0 {
			g.windowLat[i].add(r.idx, lat)
		}
	}
	if r == s {
		g.echoLat.add(r.idx, lat)
	}
}

// gotBy reports whether r already received e. The sender's mu is held.
func (e *event) gotBy(r *client) bool {
	for _, t := range e.to {
		if t.c == r && t.got {
			return true
		}
	}
	return false
}

// latencies holds every delivery's latency, sharded to keep the readers off
// one lock.
type latencies struct {
	shards [64]struct {
		mu sync.Mutex
		ns []int64
	}
}

func (l *latencies) add(key int, d time.Duration) {
	s := &l.shards[key%len(l.shards)]
	s.mu.Lock()
	s.ns = append(s.ns, int64(d))
	s.mu.Unlock()
}

// count returns how many latencies were added.
func (l *latencies) count() int {
	n := 0
	for i := range l.shards {
		s := &l.shards[i]
		s.mu.Lock()
		n += len(s.ns)
		s.mu.Unlock()
	}
	return n
}

// summary returns the count and the p50, p90, p99 and max in milliseconds.
func (l *latencies) summary() LatencySummary {
	var all []int64
	for i := range l.shards {
		s := &l.shards[i]
		s.mu.Lock()
		all = append(all, s.ns...)
		s.mu.Unlock()
	}
	if len(all) == 0 {
		return LatencySummary{}
	}
	slices.Sort(all)
	q := func(p float64) float64 {
		i := int(p * float64(len(all)-1))
		return float64(all[i]) / 1e6
	}
	return LatencySummary{Count: len(all), P50: q(0.50), P90: q(0.90), P99: q(0.99), P999: q(0.999), Max: float64(all[len(all)-1]) / 1e6}
}

// pending counts the deliveries still awaited: those accountEvents would
// count as lost now.
func (g *gen) pending() int {
	a := g.accountEvents()
	return a.lost
}

// accountEvents counts the events and the deliveries that never came: a
// member that kept its session open from the send until now and did not get
// an event the server processed. An event the sender's session may not
// have delivered to the server (the write failed, or the sender dropped
// before anyone got it) is void.
func (g *gen) accountEvents() (a accounting) {
	events, void, lost, resumed := 0, 0, 0, 0
	var samples []string
	defer func() { a = accounting{events, void, lost, resumed, samples} }()
	for _, s := range g.clients {
		s.mu.Lock()
		evs := slices.Clone(s.events)
		senderSession, senderOpen := s.session, s.open
		s.mu.Unlock()
		for _, e := range evs {
			s.mu.Lock()
			receipts, failed, session := e.receipts, e.failed, e.session
			to := slices.Clone(e.to)
			s.mu.Unlock()
			events++
			if receipts == 0 && (failed || session != senderSession || !senderOpen) {
				void++
				continue
			}
			for _, r := range to {
				if r.got {
					continue
				}
				r.c.mu.Lock()
				stable := r.c.session == r.session && r.c.open
				r.c.mu.Unlock()
				if !stable {
					continue
				}
				lost++
				if e.session > 1 {
					resumed++
				}
				if len(samples) < 10 {
					kind := "played"
					if e.stop {
						kind = "stopped"
					}
					samples = append(samples, kindLine(s, r.c, kind, e))
				}
			}
		}
	}
	return
}

// accounting is what accountEvents counted; resumed is the part of lost
// whose sender had dropped and resumed before sending.
type accounting struct {
	events, void, lost, resumed int
	samples                     []string
}

func kindLine(s, r *client, kind string, e *event) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var hist []string
	for _, x := range s.events {
		k := "play"
		if x.stop {
			k = "stop"
		}
		hist = append(hist, fmt.Sprintf("%s@%s s%d bar=%d/%v n=%d failed=%v", k, x.sentAt.Format("05.000"), x.session, x.bar, x.barKnown, x.receipts, x.failed))
	}
	return fmt.Sprintf("client %d never got the %s of client %d (%s, session %d of %d, welcome at %s; events %v) sent at %s",
		r.idx, kind, s.idx, s.role, e.session, s.session, s.welcomeAt.Format("05.000"), hist, e.sentAt.Format("15:04:05.000"))
}
