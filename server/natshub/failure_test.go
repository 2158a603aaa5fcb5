//go:build !wasm

package natshub

import (
	"context"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/loopswithfriends/loops/server"
	"github.com/loopswithfriends/loops/server/wstest"
	"github.com/loopswithfriends/loops/shared"
)

// rejoin joins with the token on the live nodes in turn, as an app behind
// a load balancer does after its node died: a node may answer 1012 while
// the cluster elects new leaders for what the dead node led, and the app
// tries again.
func rejoin(t *testing.T, live []*testNode, token string, within time.Duration) *client {
	t.Helper()
	urls := make([]string, len(live))
	for i, n := range live {
		urls[i] = n.url()
	}
	return rejoinURLs(t, urls, token, within)
}

// rejoinURLs is rejoin for nodes given by their socket URLs.
func rejoinURLs(t *testing.T, live []string, token string, within time.Duration) *client {
	t.Helper()
	deadline := time.Now().Add(within)
	for i := 0; ; i++ {
		c := wstest.Dial(t, live[i%len(live)])
		c.Send(&shared.Join{Resume: token})
		m, err := c.Read(within)
		if w, ok := m.(*shared.Welcome); ok && err == nil {
			_ = w
			return c
		}
		if time.Now().After(deadline) {
			t.Fatalf("no welcome within %v: %v %v", within, m, err)
		}
		_ = c.WS.CloseNow()
		time.Sleep(100 * time.Millisecond)
	}
}

// member returns the member with the id in the welcome's list.
func member(w *shared.Welcome, id string) (shared.Member, bool) {
	for _, m := range w.Members {
		if m.ID == id {
			return m, true
		}
	}
	return shared.Member{}, false
}

func TestClusterNodeDies(t *testing.T) {
	nodes := testCluster(t, 3, nil)
	parent := t // the clients outlive the subtests

	// Six players in one jam, two on each node; one on the doomed node
	// plays.
	cs := make([]*client, 6)
	for i := range cs {
		cs[i] = joinAt(t, nodes[i%3], "survivors", "")
	}
	for i, c := range cs {
		for range len(cs) - 1 - i {
			wstest.Expect[*shared.Joined](c)
		}
	}
	cs[2].Send(&shared.Play{})
	var played *shared.Played
	for _, c := range cs {
		played = wstest.Expect[*shared.Played](c)
	}

	nodes[2].kill()
	start := time.Now()

	t.Run("its players are back on the other nodes within 10 s as the same users", func(t *testing.T) {
		back := rejoin(parent, nodes[:2], cs[2].Welcome.Resume, 10*time.Second)
		if took := time.Since(start); took > 10*time.Second {
			t.Fatalf("back after %v, want within 10s", took)
		}
		w := back.Welcome
		if w.You != cs[2].Welcome.You || w.Loop != cs[2].Welcome.Loop || w.Jam.ID != "survivors" {
			t.Fatalf("back as %s with %s in %s, want %s with %s", w.You, w.Loop, w.Jam.ID, cs[2].Welcome.You, cs[2].Welcome.Loop)
		}
		me, _ := member(w, w.You)
		if !me.Playing || me.Bar != played.Bar {
			t.Fatalf("the playing state was lost: %+v, want playing from bar %d", me, played.Bar)
		}
		if len(w.Members) != len(cs) {
			t.Fatalf("the jam has %d members, want %d", len(w.Members), len(cs))
		}
		cs[2] = back
	})

	t.Run("a player whose node died and who never comes back is removed within 30 s", func(t *testing.T) {
		gone := cs[5].Welcome.You
		for _, c := range []*client{cs[0], cs[1], cs[2], cs[3], cs[4]} {
			for {
				m, err := c.Read(30*time.Second - time.Since(start))
				if err != nil {
					t.Fatalf("no left for the lost player within 30 s: %v", err)
				}
				if l, ok := m.(*shared.Left); ok && l.ID == gone {
					break
				}
			}
		}
		t.Logf("removed %v after the node died", time.Since(start).Round(time.Second))
	})

	t.Run("every view is equal again and the jam goes on", func(t *testing.T) {
		rest := cs[:5]
		rest[0].Send(&shared.Play{})
		for _, c := range rest {
			wstest.Expect[*shared.Played](c)
		}
		wstest.SameViews(t, rest...)
		if len(rest[0].View.Members) != 5 {
			t.Fatalf("%d members, want 5", len(rest[0].View.Members))
		}
	})
}

func TestClusterLosesNATS(t *testing.T) {
	nodes := testCluster(t, 3, nil)
	parent := t
	a := joinAt(t, nodes[0], "cut", "")
	b := joinAt(t, nodes[1], "cut", "")
	wstest.Expect[*shared.Joined](a)

	// The node's own NATS server stops: the node can hear nothing more.
	nodes[1].emb.Shutdown()

	t.Run("the node's clients are closed with 1012", func(t *testing.T) {
		b.ExpectClose(server.StatusTryAgainLater)
	})
	t.Run("they come back on another node as the same user", func(t *testing.T) {
		back := rejoin(parent, []*testNode{nodes[0], nodes[2]}, b.Welcome.Resume, 10*time.Second)
		if back.Welcome.You != b.Welcome.You || back.Welcome.Loop != b.Welcome.Loop {
			t.Fatalf("back as %s with %s, want %s with %s", back.Welcome.You, back.Welcome.Loop, b.Welcome.You, b.Welcome.Loop)
		}
		a.ExpectQuiet()
		wstest.SameViews(t, a, back)
	})
	t.Run("the node refuses joins while it has no cluster", func(t *testing.T) {
		c := dial(t, nodes[1])
		c.Send(&shared.Join{})
		ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
		defer cancel()
		_, _, err := c.WS.Read(ctx)
		if got := websocket.CloseStatus(err); got != server.StatusTryAgainLater {
			t.Fatalf("join on a cut node: %v, want close %d", err, server.StatusTryAgainLater)
		}
	})
}

func TestClusterHistorySurvives(t *testing.T) {
	t.Run("a recording after a takeover on a node new to the jam covers the bars before it", func(t *testing.T) {
		nodes := testCluster(t, 3, nil)
		a := joinAt(t, nodes[0], "heard", "")
		b := joinAt(t, nodes[1], "heard", "")
		wstest.Expect[*shared.Joined](a)
		a.Send(&shared.Play{})
		p := wstest.Expect[*shared.Played](a)
		wstest.Expect[*shared.Played](b)
		// Two bars sound before a's node dies.
		untilBar(a, p.Bar+2)
		nodes[0].kill()

		// Node 2 holds nobody of the jam: it asks node 1 for its history.
		back := rejoin(t, nodes[2:], a.Welcome.Resume, 10*time.Second)
		if back.Welcome.You != a.Welcome.You {
			t.Fatalf("back as %s, want %s", back.Welcome.You, a.Welcome.You)
		}
		back.Send(&shared.Record{Bars: 16})
		r := wstest.Expect[*shared.Recorded](back)
		rec := nodes[1].recording(t, r.ID)
		if len(rec.Parts) != 1 || rec.Parts[0].Loop != a.Welcome.Loop {
			t.Fatalf("the recording has %+v, want %s alone", rec.Parts, a.Welcome.Loop)
		}
		if from := rec.FirstBar + int64(rec.Parts[0].From); from != p.Bar {
			t.Fatalf("the loop sounds from bar %d in the recording, want %d, where it started on the dead node", from, p.Bar)
		}
		if rec.Parts[0].To != rec.Bars {
			t.Fatalf("the loop ends at bar %d of %d, want it sounding to the end", rec.Parts[0].To, rec.Bars)
		}
	})
}
