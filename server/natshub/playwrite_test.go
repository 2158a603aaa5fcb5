//go:build !wasm

package natshub

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/loopswithfriends/loops/server"
	"github.com/loopswithfriends/loops/server/wstest"
	"github.com/loopswithfriends/loops/shared"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// TestClusterPlayWrites checks how plays and stops are kept (fast.go,
// nodeplays.go): no jam's record is written for them, the next change of
// the jam takes them in, each node writes its members' plays of a while in
// one value of its own, a node that did not hear a play hears it from
// there, and none is lost with the node that made it. No node writes its
// plays but when the test says so.
func TestClusterPlayWrites(t *testing.T) {
	nodes := testCluster(t, 3, func(c *Config) { c.PlayWrite = time.Hour })
	parent := t // the clients outlive the subtests

	t.Run("a node's plays and stops in several jams write no record, and its key once", func(t *testing.T) {
		a := joinAt(t, nodes[0], "keyed1", "")
		b := joinAt(t, nodes[0], "keyed2", "")
		c := joinAt(t, nodes[1], "keyed1", "")
		d := joinAt(t, nodes[1], "keyed2", "")
		wstest.Expect[*shared.Joined](a)
		wstest.Expect[*shared.Joined](b)
		_, rev1 := stored(t, nodes, "keyed1", 2)
		_, rev2 := stored(t, nodes, "keyed2", 2)

		a.Send(&shared.Play{})
		b.Send(&shared.Play{})
		a.Send(&shared.Stop{})
		wstest.Expect[*shared.Played](c)
		stopped := wstest.Expect[*shared.Stopped](c)
		played := wstest.Expect[*shared.Played](d)
		heardAs(t, nodes, "keyed1", a.Welcome.You, false)
		heardAs(t, nodes, "keyed2", b.Welcome.You, true)
		if _, rev := stored(t, nodes, "keyed1", 2); rev != rev1 {
			t.Fatalf("keyed1 written for its plays: revision %d, was %d", rev, rev1)
		}
		if _, rev := stored(t, nodes, "keyed2", 2); rev != rev2 {
			t.Fatalf("keyed2 written for its plays: revision %d, was %d", rev, rev2)
		}

		written := writePlays(t, nodes[0], nil)
		plays, rev := keyPlays(t, nodes[1], "node0", 0)
		want := map[string]fastEvent{
			"keyed1/" + a.Welcome.You: {Of: a.Welcome.You, Play: false, Bar: stopped.Bar},
			"keyed2/" + b.Welcome.You: {Of: b.Welcome.You, Play: true, Bar: played.Bar},
		}
		samePlays(t, plays, want)
		if again := nodes[0].hub.writeOwnPlays(written, nil); len(again) != 1 || again[0] != written[0] {
			t.Fatalf("written again as %d parts", len(again))
		}
		if rev2 := keyRevision(t, nodes[1], "node0"); rev2 != rev {
			t.Fatalf("node0's plays written again with nothing new: revision %d, was %d", rev2, rev)
		}

		// A join on another node takes a's stop into keyed1's record;
		// the node's next write leaves it out.
		e := joinAt(t, nodes[2], "keyed1", "")
		if me, _ := member(e.Welcome, a.Welcome.You); me.Playing || me.Bar != stopped.Bar {
			t.Fatalf("the welcome has %+v, want stopped at bar %d", me, stopped.Bar)
		}
		if m := state(recordOf(stored(t, nodes, "keyed1", 3)), a.Welcome.You); m.Playing || m.Bar != stopped.Bar {
			t.Fatalf("the record has %+v, want stopped at bar %d", m, stopped.Bar)
		}
		wstest.WaitFor(t, "node0 to hear keyed1's record with a's stop", func() bool {
			return !ownsPlay(nodes[0], "keyed1", a.Welcome.You)
		})
		writePlays(t, nodes[0], written)
		plays, _ = keyPlays(t, nodes[1], "node0", rev)
		delete(want, "keyed1/"+a.Welcome.You)
		samePlays(t, plays, want)
	})

	t.Run("a join on another node writes the plays it heard into the record and its welcome", func(t *testing.T) {
		a := joinAt(t, nodes[1], "folded", "")
		b := joinAt(t, nodes[0], "folded", "")
		wstest.Expect[*shared.Joined](a)
		a.Send(&shared.Play{})
		played := wstest.Expect[*shared.Played](b)
		wstest.Expect[*shared.Played](a)
		heardAs(t, nodes[2:], "folded", a.Welcome.You, true)

		d := joinAt(t, nodes[2], "folded", "")
		if me, _ := member(d.Welcome, a.Welcome.You); !me.Playing || me.Bar != played.Bar {
			t.Fatalf("the welcome has %+v, want playing from bar %d", me, played.Bar)
		}
		if m := state(recordOf(stored(t, nodes, "folded", 3)), a.Welcome.You); !m.Playing || m.Bar != played.Bar {
			t.Fatalf("the record has %+v, want playing from bar %d", m, played.Bar)
		}
		wstest.Expect[*shared.Joined](a)
		wstest.Expect[*shared.Joined](b)
		wstest.SameViews(t, a, b, d)
	})

	t.Run("a node that did not hear a play hears it from the play's node's key", func(t *testing.T) {
		x := joinAt(t, nodes[0], "unheard", "")
		x.Send(&shared.Play{})
		played := wstest.Expect[*shared.Played](x)
		late := lateNode(t, nodes[2], "late0") // after the play's publish
		z := joinAt(t, late, "unheard", "")
		if me, _ := member(z.Welcome, x.Welcome.You); me.Playing {
			t.Fatal("the late node heard the play: nothing to tell it")
		}
		wstest.Expect[*shared.Joined](x)

		writePlays(t, nodes[0], nil)
		if p := wstest.Expect[*shared.Played](z); p.ID != x.Welcome.You || p.Bar != played.Bar {
			t.Fatalf("told %+v, want %s playing from bar %d", p, x.Welcome.You, played.Bar)
		}
		z2 := joinAt(t, late, "unheard", "")
		if me, _ := member(z2.Welcome, x.Welcome.You); !me.Playing || me.Bar != played.Bar {
			t.Fatalf("the next welcome has %+v, want playing from bar %d", me, played.Bar)
		}
		wstest.Expect[*shared.Joined](x)
		wstest.Expect[*shared.Joined](z)
		wstest.SameViews(t, x, z, z2)
	})

	t.Run("a node that dies before writing its plays loses none, in a jam no other node holds", func(t *testing.T) {
		a := joinAt(parent, nodes[1], "alone", "")
		b := joinAt(parent, nodes[1], "alone", "")
		wstest.Expect[*shared.Joined](a)
		a.Send(&shared.Play{})
		played := wstest.Expect[*shared.Played](b)
		if m := state(recordOf(stored(t, nodes, "alone", 2)), a.Welcome.You); m.Playing {
			t.Fatal("the play is in the record already: nothing to lose")
		}
		heardAs(t, []*testNode{nodes[0], nodes[2]}, "alone", a.Welcome.You, true)

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

// TestClusterPlayWritesDeadNode checks that a node's key keeps its plays
// for a node that never heard them: its members taken over there after it
// died are as they were, and the key goes once no jam lists a member of
// the dead node.
func TestClusterPlayWritesDeadNode(t *testing.T) {
	nodes := testCluster(t, 3, func(c *Config) { c.PlayWrite = time.Hour })
	x := joinAt(t, nodes[1], "dead", "")
	y := joinAt(t, nodes[1], "dead", "")
	wstest.Expect[*shared.Joined](x)
	x.Send(&shared.Play{})
	played := wstest.Expect[*shared.Played](y)
	wstest.Expect[*shared.Played](x)
	writePlays(t, nodes[1], nil)
	plays, _ := keyPlays(t, nodes[0], "node1", 0)
	samePlays(t, plays, map[string]fastEvent{"dead/" + x.Welcome.You: {Of: x.Welcome.You, Play: true, Bar: played.Bar}})
	killed := time.Now()
	nodes[1].kill()

	late := lateNode(t, nodes[2], "late1") // it never heard the play
	backX := rejoin(t, []*testNode{late}, x.Welcome.Resume, 10*time.Second)
	backY := rejoin(t, []*testNode{late}, y.Welcome.Resume, 10*time.Second)
	for _, w := range []*shared.Welcome{backX.Welcome, backY.Welcome} {
		if me, _ := member(w, x.Welcome.You); !me.Playing || me.Bar != played.Bar {
			t.Fatalf("back with %+v, want playing from bar %d", me, played.Bar)
		}
	}
	backX.Until(func() bool { return len(backX.View.Members) == 2 })
	wstest.SameViews(t, backX, backY)

	// Its members taken over, the dead node's key goes (NodeTimeout
	// after its last beat, and a beat of the leader's).
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_, err := nodes[0].hub.plays.Get(ctx, "node1")
		cancel()
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			t.Logf("node1's plays deleted %v after it died", time.Since(killed).Round(time.Millisecond))
			break
		}
		if time.Since(killed) > 30*time.Second {
			t.Fatalf("node1's plays still there %v after it died (%v)", time.Since(killed), err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestClusterPlayWritesRate checks that a node writes its plays and stops
// at most once per Config.PlayWrite, whatever the toggles and the jams,
// writes no jam's record for them, and writes nothing when nothing
// changed.
func TestClusterPlayWritesRate(t *testing.T) {
	const playWrite = time.Second
	nodes := testCluster(t, 2, func(c *Config) { c.PlayWrite = playWrite })
	var cs []*client
	revs := make(map[string]uint64)
	for _, jam := range []string{"rate1", "rate2", "rate3"} {
		c := joinAt(t, nodes[0], jam, "")
		joinAt(t, nodes[1], jam, "")
		wstest.Expect[*shared.Joined](c)
		_, revs[jam] = stored(t, nodes, jam, 2)
		cs = append(cs, c)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	kw, err := nodes[1].hub.plays.Watch(ctx, "node0", jetstream.UpdatesOnly())
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = kw.Stop() }()

	const toggles = 30 // over 3 s
	var last time.Time
	for i := range toggles {
		c := cs[i%len(cs)]
		if i/len(cs)%2 == 0 {
			c.Send(&shared.Play{})
		} else {
			c.Send(&shared.Stop{})
		}
		last = time.Now()
		time.Sleep(3 * time.Second / toggles)
	}
	var puts []time.Time
	var value []byte
	for done := false; !done; {
		select {
		case e := <-kw.Updates():
			if e != nil && e.Operation() == jetstream.KeyValuePut {
				puts = append(puts, e.Created())
				value = e.Value()
			}
		case <-time.After(time.Until(last.Add(2*playWrite + 500*time.Millisecond))):
			done = true
		}
	}
	t.Logf("%d toggles in 3 jams, %d writes of node0's plays", toggles, len(puts))
	if len(puts) == 0 || len(puts) > 5 {
		t.Fatalf("%d writes of node0's plays for %d toggles over 3 s, want 1 to 5 (PlayWrite %v)", len(puts), toggles, playWrite)
	}
	for i := 1; i < len(puts); i++ {
		if gap := puts[i].Sub(puts[i-1]); gap < playWrite/2 {
			t.Errorf("writes %v apart, want about %v", gap, playWrite)
		}
	}
	if final := puts[len(puts)-1]; final.Before(last) {
		t.Errorf("no write after the last toggle")
	} else if final.After(last.Add(playWrite + 500*time.Millisecond)) {
		t.Errorf("written %v after the last toggle: again with nothing new", final.Sub(last))
	}
	for _, c := range cs {
		c.Sync()
	}
	_, plays, ok := decodePlays(value)
	if !ok {
		t.Fatal("node0's plays do not decode")
	}
	got := make(map[string]nodePlay)
	for _, p := range plays {
		got[p.Jam] = p
	}
	for _, c := range cs {
		me := c.View.ByID()[c.Welcome.You]
		p := got[c.Welcome.Jam.ID]
		if p.Of != c.Welcome.You || p.Play != me.Playing || p.Bar != me.Bar {
			t.Errorf("node0's plays have %+v in %s, want %+v", p, c.Welcome.Jam.ID, me)
		}
	}
	for jam, rev := range revs {
		if _, now := stored(t, nodes, jam, 2); now != rev {
			t.Errorf("%s written for its plays: revision %d, was %d", jam, now, rev)
		}
	}
}

// TestClusterPlayWritesSpread checks that a node whose plays fill
// several keys writes them one at a time across the PlayWrite after its
// tick (nodeplays.go), not all at once, and that together they hold every
// play.
func TestClusterPlayWritesSpread(t *testing.T) {
	const playWrite = 2 * time.Second
	const parts = 4
	nodes := testCluster(t, 2, func(c *Config) { c.PlayWrite = playWrite })
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	kw, err := nodes[1].hub.plays.WatchAll(ctx, jetstream.UpdatesOnly())
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = kw.Stop() }()

	// Jams only node0's world knows of, full of its members, each with a
	// play their records lack: the plays first, then the records, so
	// that a tick meanwhile takes all or none.
	w := nodes[0].hub.world
	want := make(map[string]bool)
	var recs []*jamRecord
	for j := range parts * playsPerKey / shared.Capacity {
		id := fmt.Sprintf("spread%03d", j)
		rec := &jamRecord{}
		for m := range shared.Capacity {
			user := fmt.Sprintf("%s-user%d", id, m)
			rec.Members = append(rec.Members, memberRecord{ID: user, Node: "node0"})
			ev := newFastEvent(user, 2, true, int64(j))
			w.heard.hear(id, &ev)
			want[id+"/"+user] = true
		}
		recs = append(recs, rec)
	}
	w.mu.Lock()
	for j, rec := range recs {
		w.setJam(fmt.Sprintf("spread%03d", j), seenJam{rec: rec})
	}
	w.mu.Unlock()

	got := make(map[string]map[string]bool) // key -> its plays
	written := make(map[string]time.Time)   // key -> its last write
	all := make(map[string]bool)            // every key's plays
	deadline := time.After(3*playWrite + 5*time.Second)
	for complete := false; !complete; {
		select {
		case e := <-kw.Updates():
			if e == nil || e.Operation() != jetstream.KeyValuePut {
				continue
			}
			node, plays, ok := decodePlays(e.Value())
			if !ok || node != "node0" {
				continue
			}
			if len(plays) > playsPerKey {
				t.Fatalf("%s holds %d plays, over %d", e.Key(), len(plays), playsPerKey)
			}
			got[e.Key()] = make(map[string]bool)
			for _, p := range plays {
				got[e.Key()][p.Jam+"/"+p.Of] = true
			}
			written[e.Key()] = e.Created()
			clear(all)
			for _, ps := range got {
				maps.Copy(all, ps)
			}
			complete = maps.Equal(all, want)
		case <-deadline:
			t.Fatalf("node0's %d keys hold %d of its %d plays after %v", len(got), len(all), len(want), 3*playWrite+5*time.Second)
		}
	}
	if len(written) != parts {
		t.Fatalf("node0 wrote %d keys, want %d", len(written), parts)
	}
	var first, last time.Time
	for _, at := range written {
		if first.IsZero() || at.Before(first) {
			first = at
		}
		if at.After(last) {
			last = at
		}
	}
	t.Logf("%d plays in %d keys, written over %v", len(want), parts, last.Sub(first))
	if spread := last.Sub(first); spread < playWrite/2 {
		t.Fatalf("node0's %d keys written within %v, want them spread over about %v", parts, spread, playWrite*(parts-1)/parts)
	}
}

// stored returns the jam's record, and its revision, once it has members
// (a replica may lag the write that added them).
func stored(t *testing.T, nodes []*testNode, jam string, members int) (*jamRecord, uint64) {
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

// recordOf returns a record, leaving out its revision.
func recordOf(rec *jamRecord, _ uint64) *jamRecord { return rec }

// state returns the member's state in rec.
func state(rec *jamRecord, id string) shared.Member {
	if i := rec.member(id); i >= 0 {
		return rec.Members[i].view()
	}
	return shared.Member{}
}

// heardAs waits until every node of ns heard that member plays (or
// stopped).
func heardAs(t *testing.T, ns []*testNode, jam, member string, playing bool) {
	t.Helper()
	for _, n := range ns {
		wstest.WaitFor(t, n.name+" hearing the play", func() bool {
			ev := n.hub.world.heard.last(jam, member)
			return ev.Seq > 0 && ev.Play == playing
		})
	}
}

// jetStreamWait bounds the tests' waits for a write or read of the plays
// bucket. On a crowded machine (CI's two cores, -race, the browser tests
// beside) its stream has stalled for longer than wstest.Timeout: a node's
// plays, written, were still not read from the stream's leader 10 s later.
const jetStreamWait = 30 * time.Second

// writePlays has n write its plays until every part of its keys is
// written, and returns what they hold: a write can time out on a busy
// machine while JetStream settles, and is then tried again at the next
// tick, which the tests' PlayWrite of an hour never brings.
func writePlays(t *testing.T, n *testNode, written []string) []string {
	t.Helper()
	wstest.WaitForWithin(t, jetStreamWait, n.name+"'s plays written", func() bool {
		written = n.hub.writeOwnPlays(written, nil)
		return !slices.Contains(written, unknownPlays)
	})
	return written
}

// ownsPlay reports whether n would write the member's play or stop in the
// jam: its jam's record, as n knows it, lacks it.
func ownsPlay(n *testNode, jam, of string) bool {
	for _, p := range n.hub.world.ownPlays(n.hub.cfg.Node) {
		if p.Jam == jam && p.Of == of {
			return true
		}
	}
	return false
}

// keyPlays returns the plays under the node's first key, read from the
// bucket stream's leader through n, by jam/member, once its revision is
// past after, and the revision.
func keyPlays(t *testing.T, n *testNode, node string, after uint64) (map[string]nodePlay, uint64) {
	t.Helper()
	var data []byte
	var rev uint64
	wstest.WaitForWithin(t, jetStreamWait, node+"'s plays", func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		var err error
		data, rev, err = leaderGet(ctx, n.nc, n.hub.plays.Bucket(), playsKey(node, 0))
		return err == nil && rev > after
	})
	got, plays, ok := decodePlays(data)
	if !ok || got != node {
		t.Fatalf("%s's plays do not decode (%q, %v)", node, got, ok)
	}
	out := make(map[string]nodePlay)
	for _, p := range plays {
		out[p.Jam+"/"+p.Of] = p
	}
	return out, rev
}

// keyRevision returns the revision of the node's first key, read from the
// bucket stream's leader through n.
func keyRevision(t *testing.T, n *testNode, node string) uint64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, rev, err := leaderGet(ctx, n.nc, n.hub.plays.Bucket(), playsKey(node, 0))
	if err != nil {
		t.Fatal(err)
	}
	return rev
}

// samePlays fails unless plays are want, leaving the numbers out.
func samePlays(t *testing.T, plays map[string]nodePlay, want map[string]fastEvent) {
	t.Helper()
	if len(plays) != len(want) {
		t.Fatalf("the node's plays are %+v, want %+v", plays, want)
	}
	for k, w := range want {
		p := plays[k]
		if p.Of != w.Of || p.Play != w.Play || p.Bar != w.Bar || p.Seq == 0 {
			t.Fatalf("the node's plays have %+v for %s, want %+v", p, k, w)
		}
	}
}

// lateNode starts a node named name on the nats-server of on, after the
// others: it heard nothing that came before.
func lateNode(t *testing.T, on *testNode, name string) *testNode {
	t.Helper()
	nc, err := on.emb.Connect(append(ConnOptions(name), nats.MaxReconnects(-1), nats.ReconnectWait(100*time.Millisecond))...)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	hub, err := New(ctx, Config{Conn: nc, Key: testKey, Node: name, Replicas: 3, PlayWrite: time.Hour, Log: testLog})
	if err != nil {
		nc.Close()
		t.Fatal(err)
	}
	n := &testNode{name: name, nc: nc, hub: hub, srv: server.New(server.Config{Cluster: hub})}
	n.ts = httptest.NewServer(n.srv)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		n.srv.Drain(ctx)
		cancel()
		n.ts.Close()
		hub.Close()
		nc.Close()
	})
	return n
}
