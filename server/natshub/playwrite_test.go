//go:build !wasm

package natshub

import (
	"fmt"
	"testing"
	"time"

	"github.com/loopswithfriends/loops/server/wstest"
	"github.com/loopswithfriends/loops/shared"
)

// TestClusterPlayWrites checks how plays and stops reach a jam's record
// (fast.go): after the members heard them, a while of them in one write,
// in any node's write of the jam, and never lost with the node that made
// them. node0 writes its plays after a second, the others never within
// the test.
func TestClusterPlayWrites(t *testing.T) {
	nodes := testCluster(t, 3, func(c *Config) {
		c.PlayWrite = time.Hour
		if c.Node == "node0" {
			c.PlayWrite = time.Second
		}
	})
	parent := t // the clients outlive the subtests

	// stored returns the jam's record, and its revision, once it has
	// members (a replica may lag the write that added them).
	stored := func(t *testing.T, jam string, members int) (*jamRecord, uint64) {
		t.Helper()
		var rec *jamRecord
		var rev uint64
		wstest.WaitFor(t, "the jam's members in its record", func() bool {
			var err error
			rec, rev, err = nodes[0].hub.get(jam)
			return err == nil && rec != nil && len(rec.Members) == members
		})
		return rec, rev
	}
	// state returns the member's state in rec.
	state := func(rec *jamRecord, id string) shared.Member {
		if i := rec.member(id); i >= 0 {
			return rec.Members[i].view()
		}
		return shared.Member{}
	}
	// heard waits until every node of ns heard member's last play or
	// stop.
	heard := func(t *testing.T, ns []*testNode, jam, member string) {
		t.Helper()
		for _, n := range ns {
			wstest.WaitFor(t, n.name+" hearing the play", func() bool {
				n.hub.world.mu.Lock()
				defer n.hub.world.mu.Unlock()
				return n.hub.world.heard[jam][member].Seq > 0
			})
		}
	}

	t.Run("a while of plays and stops of a node's members takes one write", func(t *testing.T) {
		a := joinAt(t, nodes[0], "batched", "")
		b := joinAt(t, nodes[0], "batched", "")
		c := joinAt(t, nodes[1], "batched", "")
		wstest.Expect[*shared.Joined](a)
		wstest.Expect[*shared.Joined](a)
		wstest.Expect[*shared.Joined](b)
		_, before := stored(t, "batched", 3)

		a.Send(&shared.Play{})
		b.Send(&shared.Play{})
		a.Send(&shared.Stop{})
		for got := 0; got < 3; {
			switch c.Next().(type) {
			case *shared.Played, *shared.Stopped:
				got++
			}
		}
		want := c.View.ByID()
		if !want[b.Welcome.You].Playing || want[a.Welcome.You].Playing {
			t.Fatalf("the view after the plays and stops: %v", want)
		}
		var after uint64
		wstest.WaitFor(t, "the plays and stops in the record", func() bool {
			var rec *jamRecord
			rec, after = stored(t, "batched", 3)
			return state(rec, a.Welcome.You) == want[a.Welcome.You] && state(rec, b.Welcome.You) == want[b.Welcome.You]
		})
		if after != before+1 {
			t.Fatalf("revision %d after three plays and stops, want %d: one write", after, before+1)
		}
	})

	t.Run("a join on another node writes the plays it heard into the record and its welcome", func(t *testing.T) {
		a := joinAt(t, nodes[1], "folded", "")
		b := joinAt(t, nodes[0], "folded", "")
		wstest.Expect[*shared.Joined](a)
		a.Send(&shared.Play{})
		played := wstest.Expect[*shared.Played](b)
		wstest.Expect[*shared.Played](a)
		heard(t, nodes[2:], "folded", a.Welcome.You)

		d := joinAt(t, nodes[2], "folded", "")
		if me, _ := member(d.Welcome, a.Welcome.You); !me.Playing || me.Bar != played.Bar {
			t.Fatalf("the welcome has %+v, want playing from bar %d", me, played.Bar)
		}
		if m := state(recordOf(stored(t, "folded", 3)), a.Welcome.You); !m.Playing || m.Bar != played.Bar {
			t.Fatalf("the record has %+v, want playing from bar %d", m, played.Bar)
		}
		wstest.Expect[*shared.Joined](a)
		wstest.Expect[*shared.Joined](b)
		wstest.SameViews(t, a, b, d)
	})

	t.Run("a node that dies before writing its plays loses none, in a jam no other node holds", func(t *testing.T) {
		a := joinAt(parent, nodes[1], "alone", "")
		b := joinAt(parent, nodes[1], "alone", "")
		wstest.Expect[*shared.Joined](a)
		a.Send(&shared.Play{})
		played := wstest.Expect[*shared.Played](b)
		if m := state(recordOf(stored(t, "alone", 2)), a.Welcome.You); m.Playing {
			t.Fatal("the play is in the record already: nothing to lose")
		}
		heard(t, []*testNode{nodes[0], nodes[2]}, "alone", a.Welcome.You)

		nodes[1].kill()
		live := []*testNode{nodes[0], nodes[2]}
		backA := rejoin(parent, live, a.Welcome.Resume, 10*time.Second)
		backB := rejoin(parent, live, b.Welcome.Resume, 10*time.Second)
		for _, w := range []*shared.Welcome{backA.Welcome, backB.Welcome} {
			if me, _ := member(w, a.Welcome.You); !me.Playing || me.Bar != played.Bar {
				t.Fatalf("back with %+v, want playing from bar %d", me, played.Bar)
			}
		}
		backA.Until(func() bool { return len(backA.View.Members) == 2 })
		wstest.SameViews(t, backA, backB)
	})
}

// recordOf returns a record, leaving out its revision.
func recordOf(rec *jamRecord, _ uint64) *jamRecord { return rec }

// TestClusterPlayWritesTakeTurns checks that the nodes holding a jam's
// members take turns at writing its plays and stops (changeSoon): a play
// that another node's write took in is not written again, and a node's
// later play waits its own Config.PlayWrite from there, where each node
// wrote the jam every PlayWrite before.
func TestClusterPlayWritesTakeTurns(t *testing.T) {
	const playWrite = 3 * time.Second
	// Each wait the whole PlayWrite, for the two deadlines to be told
	// apart.
	nodes := testCluster(t, 2, func(c *Config) { c.PlayWrite, c.PlayWriteSpread = playWrite, -1 })
	a := joinAt(t, nodes[0], "turns", "")
	b := joinAt(t, nodes[1], "turns", "")
	wstest.Expect[*shared.Joined](a)
	// stored returns the jam's record and revision as a node's write left
	// them, once cond holds.
	stored := func(what string, cond func(*jamRecord) bool) (*jamRecord, uint64) {
		t.Helper()
		var rec *jamRecord
		var rev uint64
		wstest.WaitFor(t, what, func() bool {
			var err error
			rec, rev, err = nodes[0].hub.get("turns")
			return err == nil && rec != nil && cond(rec)
		})
		return rec, rev
	}
	playing := func(rec *jamRecord, id string) bool {
		i := rec.member(id)
		return i >= 0 && rec.Members[i].Playing
	}
	_, before := stored("both members in the record", func(r *jamRecord) bool { return len(r.Members) == 2 })

	// Each toggle reaches both, its sender too.
	both := func(want func(c *client)) {
		want(a)
		want(b)
	}
	b.Send(&shared.Play{})
	both(func(c *client) { wstest.Expect[*shared.Played](c) })
	time.Sleep(time.Second)
	a.Send(&shared.Play{})
	aPlayed := time.Now()
	both(func(c *client) { wstest.Expect[*shared.Played](c) })

	// node1 writes b's play within PlayWrite, and a's with it: node1
	// heard it.
	_, rev := stored("both plays in the record", func(r *jamRecord) bool {
		return playing(r, a.Welcome.You) && playing(r, b.Welcome.You)
	})
	if rev != before+1 {
		t.Fatalf("revision %d with both plays, want %d: one write", rev, before+1)
	}
	wstest.WaitFor(t, "node0 seeing the write", func() bool {
		lj := nodes[0].hub.local["turns"]
		lj.mu.Lock()
		defer lj.mu.Unlock()
		return lj.rec != nil && playing(lj.rec, a.Welcome.You)
	})
	a.Send(&shared.Stop{})
	stopped := time.Now()
	both(func(c *client) { wstest.Expect[*shared.Stopped](c) })

	// a's play waited on node0 since aPlayed: node1's write took it in,
	// so node0 does not write at aPlayed+PlayWrite, but the stop waits
	// its own PlayWrite.
	time.Sleep(time.Until(aPlayed.Add(playWrite + 700*time.Millisecond)))
	if time.Since(stopped) > playWrite-300*time.Millisecond {
		t.Skipf("the stop was sent %v after the play: too late to tell the two deadlines apart", stopped.Sub(aPlayed))
	}
	if _, rev, err := nodes[0].hub.get("turns"); err != nil || rev != before+1 {
		t.Fatalf("revision %d (%v) before the stop's own PlayWrite, want %d: node0 wrote what node1 had", rev, err, before+1)
	}
	_, rev = stored("the stop in the record", func(r *jamRecord) bool { return !playing(r, a.Welcome.You) })
	if rev != before+2 {
		t.Fatalf("revision %d with the stop, want %d", rev, before+2)
	}
	if waited := time.Since(stopped); waited < playWrite-200*time.Millisecond {
		t.Fatalf("the stop was written %v after it was sent, before its PlayWrite of %v", waited, playWrite)
	}
}

// TestClusterPlayWritesSpread checks that jams whose plays came together
// are not written together (Config.PlayWriteSpread): each within
// PlayWrite of its play, no sooner than PlayWrite less the spread, and
// not all at one moment.
func TestClusterPlayWritesSpread(t *testing.T) {
	const playWrite, spread = 2 * time.Second, time.Second
	nodes := testCluster(t, 2, func(c *Config) { c.PlayWrite, c.PlayWriteSpread = playWrite, spread })
	const jams = 8
	clients := make([]*client, jams)
	for i := range clients {
		clients[i] = joinAt(t, nodes[0], fmt.Sprintf("spread%d", i), "")
	}
	for _, c := range clients {
		wstest.WaitFor(t, "the member in the record", func() bool {
			rec, _, err := nodes[0].hub.get(c.Welcome.Jam.ID)
			return err == nil && rec != nil && rec.member(c.Welcome.You) >= 0
		})
	}
	played := time.Now()
	for _, c := range clients {
		c.Send(&shared.Play{})
	}
	for _, c := range clients {
		wstest.Expect[*shared.Played](c)
	}
	sent := time.Since(played)
	written := make([]time.Duration, jams)
	deadline := played.Add(playWrite + 5*time.Second)
	for left := jams; left > 0; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d jams' plays not written within %v", left, playWrite+5*time.Second)
		}
		for i, c := range clients {
			if written[i] > 0 {
				continue
			}
			rec, _, err := nodes[0].hub.get(c.Welcome.Jam.ID)
			if err == nil && rec != nil {
				if j := rec.member(c.Welcome.You); j >= 0 && rec.Members[j].Playing {
					written[i] = time.Since(played)
					left--
				}
			}
		}
	}
	lo, hi := written[0], written[0]
	for _, w := range written {
		lo, hi = min(lo, w), max(hi, w)
	}
	t.Logf("written %v to %v after the plays (sent within %v)", lo, hi, sent)
	if lo < playWrite-spread {
		t.Errorf("a jam written %v after its play, sooner than PlayWrite less the spread, %v", lo, playWrite-spread)
	}
	// The eight ids pick moments spread over the second (FNV-1a of the
	// id, playDue): written within 100 ms of each other, the spread was
	// not applied.
	if hi-lo < 100*time.Millisecond {
		t.Errorf("the jams written from %v to %v after their plays: all at once", lo, hi)
	}
}

// TestPlayDue checks when a jam's plays and stops are written
// (Hub.playDue): within PlayWrite of the first waiting, no sooner than
// PlayWrite less the spread, at the jam's moments whenever the plays came,
// evenly over the spread for jams whose plays came together, and on each
// node at moments of its own, so that the nodes holding a jam do not
// write it at once.
func TestPlayDue(t *testing.T) {
	const playWrite, spread = 10 * time.Second, 9500 * time.Millisecond
	const period = spread - spread/16 // the jam's moments
	hub := func(node string) *Hub {
		return &Hub{cfg: Config{Node: node, PlayWrite: playWrite, PlayWriteSpread: spread}}
	}
	h := hub("n1")
	since := time.Unix(1_764_590_000, 123_456_789)
	const jams, bins = 2000, 10
	var counts [bins]int
	for i := range jams {
		id := fmt.Sprintf("jam-%d", i)
		due := h.playDue(id, since)
		if wait := due.Sub(since); wait < playWrite-spread || wait >= playWrite {
			t.Fatalf("%s written %v after its play, want %v to %v", id, wait, playWrite-spread, playWrite)
		}
		counts[int(due.Sub(since.Add(playWrite-spread))*bins/spread)]++
		// A play at any other time is written at one of the same
		// moments, a whole number of periods apart.
		later := since.Add(time.Duration(i)*7919*time.Microsecond + 3*time.Second)
		if apart := h.playDue(id, later).Sub(due); apart%period != 0 {
			t.Fatalf("%s: a later play written %v after the first's moment, not a whole number of %v", id, apart, period)
		}
	}
	for b, n := range counts {
		if n < jams/bins/2 || n > jams/bins*3/2 {
			t.Errorf("%d of %d jams written in tenth %d of the spread, want about %d: %v", n, jams, b, jams/bins, counts)
		}
	}
	// Three nodes' moments for the same jams: apart on most of them (about
	// 7% of pairs come within 20 ms, the nodes' turns being spread over a
	// sixteenth of the spread).
	others := []*Hub{hub("n2"), hub("n3")}
	near := 0
	for i := range jams {
		id := fmt.Sprintf("jam-%d", i)
		d1 := h.playDue(id, since)
		for _, o := range others {
			if d := o.playDue(id, since).Sub(d1); d > -20*time.Millisecond && d < 20*time.Millisecond {
				near++
			}
		}
	}
	if near > 2*jams/10 {
		t.Errorf("%d of %d pairs of nodes' moments within 20 ms of each other", near, 2*jams)
	}
	// With no spread, PlayWrite after the play.
	none := &Hub{cfg: Config{Node: "n1", PlayWrite: playWrite, PlayWriteSpread: -1}}
	if got := none.playDue("jam-1", since); !got.Equal(since.Add(playWrite)) {
		t.Errorf("with no spread written at %v, want %v", got, since.Add(playWrite))
	}
}
