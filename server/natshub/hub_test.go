//go:build !wasm

package natshub

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/loopswithfriends/loops/server"
	"github.com/loopswithfriends/loops/server/wstest"
	"github.com/loopswithfriends/loops/shared"
	"github.com/nats-io/nats.go/jetstream"
)

// TestCluster runs the protocol's rules on three nodes that share one NATS
// cluster: whichever node a client reaches, the hub acts as one.
func TestCluster(t *testing.T) {
	nodes := testCluster(t, 3, nil)

	t.Run("the balancer fills one public jam across nodes", func(t *testing.T) {
		a := joinAt(t, nodes[0], "", "")
		b := joinAt(t, nodes[1], "", "")
		c := joinAt(t, nodes[2], "", "")
		id := a.Welcome.Jam.ID
		if b.Welcome.Jam.ID != id || c.Welcome.Jam.ID != id {
			t.Fatalf("jams %s, %s, %s: want one", id, b.Welcome.Jam.ID, c.Welcome.Jam.ID)
		}
		if len(c.Welcome.Members) != 3 {
			t.Fatalf("the third sees %d members, want 3", len(c.Welcome.Members))
		}
		if b.Welcome.Jam.Epoch != a.Welcome.Jam.Epoch {
			t.Fatal("members on two nodes see two timelines")
		}
		wstest.Expect[*shared.Joined](a)
		wstest.Expect[*shared.Joined](a)
		wstest.Expect[*shared.Joined](b)
		wstest.SameViews(t, a, b, c)
		loops := map[string]bool{}
		for _, m := range c.Welcome.Members {
			if loops[m.Loop] {
				t.Fatalf("loop %s twice", m.Loop)
			}
			loops[m.Loop] = true
		}
	})

	t.Run("play, stop and swap reach every node on the same bar", func(t *testing.T) {
		a := joinAt(t, nodes[0], "pss", "")
		b := joinAt(t, nodes[1], "pss", "")
		c := joinAt(t, nodes[2], "pss", "")
		wstest.Expect[*shared.Joined](a)
		wstest.Expect[*shared.Joined](a)
		wstest.Expect[*shared.Joined](b)

		a.Send(&shared.Play{})
		var bars []int64
		for _, x := range []*client{a, b, c} {
			p := wstest.Expect[*shared.Played](x)
			if p.ID != a.Welcome.You {
				t.Fatalf("played %s, want %s", p.ID, a.Welcome.You)
			}
			bars = append(bars, p.Bar)
		}
		if bars[0] != bars[1] || bars[1] != bars[2] {
			t.Fatalf("bars %v: want one", bars)
		}
		a.Send(&shared.Play{}) // already playing: nothing
		b.Send(&shared.Swap{Loop: a.Welcome.Loop})
		e := wstest.Expect[*shared.Error](b)
		if e.Code != shared.CodeLoopTaken {
			t.Fatalf("swap to a taken loop: %s, want loop_taken", e.Code)
		}
		kit := shared.KitByID(a.Welcome.Jam.Kit)
		free := kit.Loops[len(kit.Loops)-1].ID
		b.Send(&shared.Swap{Loop: free})
		for _, x := range []*client{a, b, c} {
			if s := wstest.Expect[*shared.Swapped](x); s.ID != b.Welcome.You || s.Loop != free {
				t.Fatalf("swapped %+v", s)
			}
		}
		a.Send(&shared.Stop{})
		for _, x := range []*client{a, b, c} {
			wstest.Expect[*shared.Stopped](x)
		}
		c.Send(&shared.Leave{})
		for _, x := range []*client{a, b} {
			if l := wstest.Expect[*shared.Left](x); l.ID != c.Welcome.You {
				t.Fatalf("left %s, want %s", l.ID, c.Welcome.You)
			}
		}
		a.ExpectQuiet()
		b.ExpectQuiet()
		wstest.SameViews(t, a, b)
	})

	t.Run("a recording saved on one node is told to all and read on any", func(t *testing.T) {
		a := joinAt(t, nodes[0], "rec", "")
		b := joinAt(t, nodes[1], "rec", "")
		wstest.Expect[*shared.Joined](a)
		a.Send(&shared.Play{})
		p := wstest.Expect[*shared.Played](a)
		wstest.Expect[*shared.Played](b)
		// Wait until the loop has sounded for a bar.
		untilBar(a, p.Bar+1)
		a.Send(&shared.Record{Bars: 4})
		r := wstest.Expect[*shared.Recorded](a)
		if rb := wstest.Expect[*shared.Recorded](b); rb.ID != r.ID || rb.By != a.Welcome.You {
			t.Fatalf("b heard of %+v, a of %+v", rb, r)
		}
		rec := nodes[2].recording(t, r.ID)
		if len(rec.Parts) != 1 || rec.Parts[0].Loop != a.Welcome.Loop || rec.Parts[0].To != rec.Bars {
			t.Fatalf("the recording has %+v over %d bars, want %s sounding to the end", rec.Parts, rec.Bars, a.Welcome.Loop)
		}
	})

	t.Run("a recording is read from the leader when a replica has not got it yet", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		rec := &shared.Recording{ID: "leader-read", Bars: 2, Parts: []shared.Part{{Loop: "x", From: 0, To: 2}}}
		if err := nodes[0].store.Put(ctx, rec); err != nil {
			t.Fatal(err)
		}
		for _, n := range nodes {
			b, err := n.store.leaderGet(ctx, rec.ID)
			var got shared.Recording
			if err != nil || json.Unmarshal(b, &got) != nil || got.Bars != rec.Bars || len(got.Parts) != 1 {
				t.Fatalf("%s: the leader gave %q, %v; want %+v", n.name, b, err, rec)
			}
			if _, err := n.store.leaderGet(ctx, "never-saved"); !errors.Is(err, shared.ErrRecordingNotFound) {
				t.Fatalf("%s: an unknown recording from the leader: %v, want ErrRecordingNotFound", n.name, err)
			}
		}
	})

	t.Run("a resume reads where its user is or was from the leader when a replica has not got it yet", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		a := joinAt(t, nodes[0], "leader-reads", "")
		you := a.Welcome.You
		left, _ := json.Marshal(leftRecord{Jam: "leader-reads", Loop: a.Welcome.Loop})
		rev, err := nodes[0].hub.left.Put(ctx, "gone-user", left)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range nodes {
			b, got, err := leaderGet(ctx, n.nc, n.hub.left.Bucket(), "gone-user")
			if err != nil || got != rev || string(b) != string(left) {
				t.Fatalf("%s: the leader gave %q at %d, %v; want %q at %d", n.name, b, got, err, left, rev)
			}
			if lr, ok, err := n.hub.leftOf("gone-user"); err != nil || !ok || lr.Jam != "leader-reads" {
				t.Fatalf("%s: where the user was: %+v, %v, %v", n.name, lr, ok, err)
			}
			if _, ok, err := n.hub.leftOf("never-left"); ok || err != nil {
				t.Fatalf("%s: a user who never left was found: %v, %v", n.name, ok, err)
			}
			b, _, err = leaderGet(ctx, n.nc, n.hub.jams.Bucket(), "leader-reads")
			if rec, derr := decodeRecord(b); err != nil || derr != nil || rec.member(you) < 0 {
				t.Fatalf("%s: the leader's jam %q, %v: the member is missing", n.name, b, err)
			}
			if rec, err := n.hub.getHolding("leader-reads", you); err != nil || rec == nil || rec.member(you) < 0 {
				t.Fatalf("%s: the jam %+v, %v: the member is missing", n.name, rec, err)
			}
			if rec, err := n.hub.getHolding("no-such-jam", you); rec != nil || err != nil {
				t.Fatalf("%s: a jam that never was: %+v, %v", n.name, rec, err)
			}
			if _, _, err := leaderGet(ctx, n.nc, n.hub.jams.Bucket(), "no-such-jam"); !errors.Is(err, jetstream.ErrKeyNotFound) {
				t.Fatalf("%s: a jam that never was, from the leader: %v, want ErrKeyNotFound", n.name, err)
			}
		}
	})

	t.Run("a private jam is never filled by the balancer", func(t *testing.T) {
		p := joinAt(t, nodes[0], "private-one", "")
		for _, n := range nodes {
			if c := joinAt(t, n, "", ""); c.Welcome.Jam.ID == "private-one" {
				t.Fatal("the balancer placed a user in a private jam")
			}
		}
		p.ExpectQuiet()
	})

	t.Run("forty joins racing over three nodes put exactly seven in", func(t *testing.T) {
		const joins = 40
		welcomes := make([]*shared.Welcome, joins)
		clients := make([]*client, joins)
		for i := range clients {
			clients[i] = dial(t, nodes[i%3])
		}
		var wg sync.WaitGroup
		for i, c := range clients {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c.Send(&shared.Join{Jam: "race"})
				for {
					m, err := c.Read(testTimeout)
					if err != nil {
						return
					}
					if w, ok := m.(*shared.Welcome); ok {
						welcomes[i] = w
						return
					}
				}
			}()
		}
		wg.Wait()
		in, loops := 0, map[string]bool{}
		for i, w := range welcomes {
			if w == nil {
				t.Fatalf("join %d got no welcome", i)
			}
			if w.Jam.ID == "race" {
				in++
				if w.Redirected {
					t.Fatal("a welcome to the jam asked for says redirected")
				}
				if loops[w.Loop] {
					t.Fatalf("loop %s given twice", w.Loop)
				}
				loops[w.Loop] = true
			} else if !w.Redirected {
				t.Fatalf("a join placed elsewhere is not redirected: %+v", w.Jam)
			}
		}
		if in != shared.Capacity {
			t.Fatalf("%d joined the jam, want %d", in, shared.Capacity)
		}
		wstest.WaitFor(t, "the admin's jam sizes to show the jam full", func() bool {
			return nodes[1].srv.JamSizes().JamSizes["race"] == shared.Capacity
		})
		wstest.WaitFor(t, "the stats to count a full jam", func() bool {
			return nodes[1].srv.Stats().Sizes[shared.SizeKey(shared.Capacity)] >= 1
		})
	})

	t.Run("a resume on another node brings back the same user", func(t *testing.T) {
		a := joinAt(t, nodes[0], "resume", "")
		b := joinAt(t, nodes[1], "resume", "")
		wstest.Expect[*shared.Joined](a)
		a.Send(&shared.Play{})
		wstest.Expect[*shared.Played](a)
		wstest.Expect[*shared.Played](b)
		_ = a.WS.CloseNow()
		if l := wstest.Expect[*shared.Left](b); l.ID != a.Welcome.You {
			t.Fatalf("left %s", l.ID)
		}
		back := joinAt(t, nodes[2], "", a.Welcome.Resume)
		w := back.Welcome
		if w.You != a.Welcome.You || w.Loop != a.Welcome.Loop || w.Jam.ID != "resume" {
			t.Fatalf("resumed as %s with %s in %s, want %s with %s in resume", w.You, w.Loop, w.Jam.ID, a.Welcome.You, a.Welcome.Loop)
		}
		if j := wstest.Expect[*shared.Joined](b); j.Member.ID != a.Welcome.You {
			t.Fatalf("joined %s", j.Member.ID)
		}

		again := joinAt(t, nodes[1], "", a.Welcome.Resume)
		if again.Welcome.You == a.Welcome.You {
			t.Fatal("a used token brought the user back twice")
		}
		forged := joinAt(t, nodes[1], "", a.Welcome.Resume[:len(a.Welcome.Resume)-2]+"xx")
		if forged.Welcome.You == a.Welcome.You {
			t.Fatal("a forged token brought the user back")
		}
	})

	t.Run("a resume while the old socket is open takes the user over on another node", func(t *testing.T) {
		a := joinAt(t, nodes[0], "takeover", "")
		b := joinAt(t, nodes[1], "takeover", "")
		wstest.Expect[*shared.Joined](a)
		a.Send(&shared.Play{})
		p := wstest.Expect[*shared.Played](a)
		wstest.Expect[*shared.Played](b)

		a2 := joinAt(t, nodes[2], "", a.Welcome.Resume)
		w := a2.Welcome
		if w.You != a.Welcome.You || w.Loop != a.Welcome.Loop {
			t.Fatalf("took over as %s with %s", w.You, w.Loop)
		}
		var me shared.Member
		for _, m := range w.Members {
			if m.ID == w.You {
				me = m
			}
		}
		if !me.Playing || me.Bar != p.Bar {
			t.Fatalf("the playing state did not carry over: %+v", me)
		}
		a.ExpectClose(server.StatusTakenOver)
		b.ExpectQuiet()
		a2.Send(&shared.Stop{})
		wstest.Expect[*shared.Stopped](a2)
		wstest.Expect[*shared.Stopped](b)
		wstest.SameViews(t, a2, b)
	})
}

// TestClusterBucketStorage checks where the buckets are kept: the jams and
// the nodes' beats, replicated, in memory; the left users and the resume
// tokens on disk, to outlive a restart of every node; and a bucket that
// exists keeps its storage when a node starts.
func TestClusterBucketStorage(t *testing.T) {
	nodes := testCluster(t, 3, nil)
	js, err := jetstream.New(nodes[0].nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	storage := func(bucket string) jetstream.StorageType {
		t.Helper()
		kv, err := js.KeyValue(ctx, bucket)
		if err != nil {
			t.Fatal(err)
		}
		st, err := kv.Status(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return st.(*jetstream.KeyValueBucketStatus).StreamInfo().Config.Storage
	}
	want := map[string]jetstream.StorageType{
		"loops-jams": jetstream.MemoryStorage, "loops-nodes": jetstream.MemoryStorage, "loops-plays": jetstream.MemoryStorage,
		"loops-left": jetstream.FileStorage, "loops-tokens": jetstream.FileStorage,
	}
	for bucket, w := range want {
		if got := storage(bucket); got != w {
			t.Errorf("%s kept in %v, want %v", bucket, got, w)
		}
	}

	// A cluster whose jams bucket was made on disk (by an earlier
	// version) starts on it as it is.
	other := Config{Conn: nodes[1].nc, Key: testKey, Node: "late", Prefix: "old", Replicas: 3, Log: testLog}
	if _, err := js.CreateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: "old-jams", History: 1, Replicas: 3, Storage: jetstream.FileStorage}); err != nil {
		t.Fatal(err)
	}
	h, err := New(ctx, other)
	if err != nil {
		t.Fatalf("a node on an existing bucket on disk: %v", err)
	}
	defer h.Close()
	if got := storage("old-jams"); got != jetstream.FileStorage {
		t.Errorf("the existing jams bucket kept in %v, want on disk", got)
	}
	if got := storage("old-nodes"); got != jetstream.MemoryStorage {
		t.Errorf("the new nodes bucket kept in %v, want in memory", got)
	}
}

// TestClusterFullJamReadIsFiled: in a burst of joins a node's world lags
// the bucket, and its balancer offers jams that filled meanwhile. A join
// that reads such a jam afresh and finds it full files what it read, so
// that the node's next join does not pick it again.
func TestClusterFullJamReadIsFiled(t *testing.T) {
	nodes := testCluster(t, 2, nil)
	var id string
	for i := range shared.Capacity {
		c := joinAt(t, nodes[0], "", "")
		if i == 0 {
			id = c.Welcome.Jam.ID
		} else if c.Welcome.Jam.ID != id {
			t.Fatalf("join %d placed in %s, want the first's %s", i, c.Welcome.Jam.ID, id)
		}
	}

	w := nodes[1].hub.world
	var full seenJam
	wstest.WaitFor(t, "node1 to see the jam full", func() bool {
		w.mu.Lock()
		defer w.mu.Unlock()
		full = w.jams[id]
		return full.rec != nil && full.rec.full()
	})
	time.Sleep(200 * time.Millisecond) // the record's other copy on its way
	// node1's world lags a change behind: the jam with a place left.
	stale := full.rec.clone()
	stale.Members = stale.Members[:shared.Capacity-1]
	w.mu.Lock()
	w.setJam(id, seenJam{rec: stale, rev: full.rev - 1})
	w.mu.Unlock()
	if got := w.best(nil); got != id {
		t.Fatalf("the lagging world offers %q, want %s", got, id)
	}

	_, _, err := nodes[1].hub.change(nil, id, func(r *jamRecord) (*jamRecord, error) {
		if r == nil || !r.full() {
			return nil, errors.New("the jam read afresh is not full")
		}
		return nil, errFull
	})
	if !errors.Is(err, errFull) {
		t.Fatalf("change: %v, want errFull", err)
	}
	if got := w.best(nil); got == id {
		t.Fatal("the balancer still offers the jam the read found full")
	}
}
