//go:build !wasm

package server

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/coder/websocket"

	"github.com/loopswithfriends/loops/shared"
)

func TestBalancer(t *testing.T) {
	t.Run("eight users without a jam make one full jam of seven loops and one jam of one", func(t *testing.T) {
		s := newTestServer(t, Config{})
		var clients []*client
		var welcomes []*shared.Welcome
		for i := 0; i < 8; i++ {
			c, w := s.join(t, "")
			clients = append(clients, c)
			welcomes = append(welcomes, w)
		}
		first := welcomes[0].Jam.ID
		loops := map[string]bool{}
		for i, w := range welcomes[:7] {
			if w.Jam.ID != first {
				t.Fatalf("user %d joined %s, want %s", i, w.Jam.ID, first)
			}
			kit := shared.KitByID(w.Jam.Kit)
			if kit == nil {
				t.Fatalf("user %d: jam of kit %q", i, w.Jam.Kit)
			}
			if w.Loop != kit.Loops[i].ID {
				t.Errorf("user %d got loop %s, want %s", i, w.Loop, kit.Loops[i].ID)
			}
			loops[w.Loop] = true
			if len(w.Members) != i+1 || w.Jam.Capacity != shared.Capacity {
				t.Errorf("user %d: %d members, capacity %d", i, len(w.Members), w.Jam.Capacity)
			}
		}
		if len(loops) != 7 {
			t.Errorf("%d different loops among seven, want 7", len(loops))
		}
		eighth := welcomes[7]
		if eighth.Jam.ID == first || len(eighth.Members) != 1 || eighth.Redirected {
			t.Fatalf("eighth user: jam %s with %d members, redirected %v", eighth.Jam.ID, len(eighth.Members), eighth.Redirected)
		}
		// Members see each other come in, in order.
		for i := 1; i < 7; i++ {
			j := expect[*shared.Joined](clients[0])
			if j.Member.ID != welcomes[i].You {
				t.Fatalf("joined %s, want %s", j.Member.ID, welcomes[i].You)
			}
		}

		// Two leave the full jam: 5 and 1. The next joiner goes to the
		// fuller jam.
		clients[5].send(&shared.Leave{})
		clients[6].send(&shared.Leave{})
		expect[*shared.Left](clients[0])
		expect[*shared.Left](clients[0])
		_, w := s.join(t, "")
		if w.Jam.ID != first {
			t.Fatalf("joiner went to %s, want the fuller jam %s", w.Jam.ID, first)
		}
		st := s.stats(t)
		if st.Jams != 2 || st.Users != 7 || st.JamSizes[first] != 6 || st.JamSizes[eighth.Jam.ID] != 1 {
			t.Fatalf("stats %+v", st)
		}
	})

	t.Run("ties go to the oldest public jam", func(t *testing.T) {
		s := newTestServer(t, Config{})
		// Two full public jams, then one member leaves each: two jams
		// of six, the newer one's member leaving first.
		var byJam [2][]*client
		var ids [2]string
		for i := 0; i < 2*shared.Capacity; i++ {
			c, w := s.join(t, "")
			ids[i/shared.Capacity] = w.Jam.ID
			byJam[i/shared.Capacity] = append(byJam[i/shared.Capacity], c)
		}
		if ids[0] == ids[1] {
			t.Fatalf("fourteen users in one jam %s", ids[0])
		}
		for _, k := range []int{1, 0} {
			byJam[k][shared.Capacity-1].send(&shared.Leave{})
			for {
				if _, ok := byJam[k][0].next().(*shared.Left); ok {
					break
				}
			}
		}
		_, w := s.join(t, "")
		if w.Jam.ID != ids[0] {
			t.Fatalf("joined %s, want the older %s (not %s)", w.Jam.ID, ids[0], ids[1])
		}
	})

	t.Run("a jam created by naming its id is never filled by the balancer", func(t *testing.T) {
		s := newTestServer(t, Config{})
		var named []*client
		for i := 0; i < shared.Capacity-1; i++ {
			c, w := s.join(t, "hideout")
			if w.Jam.ID != "hideout" {
				t.Fatalf("joined %s, want hideout", w.Jam.ID)
			}
			named = append(named, c)
		}
		_, w := s.join(t, "")
		if w.Jam.ID == "hideout" || len(w.Members) != 1 {
			t.Fatalf("a user without a jam went to %s with %d members, want a new public jam", w.Jam.ID, len(w.Members))
		}
		// The invite link still leads there, and the members saw
		// nobody but the one who used it.
		_, w = s.join(t, "hideout")
		if w.Jam.ID != "hideout" || len(w.Members) != shared.Capacity {
			t.Fatalf("the invite link led to %s with %d members", w.Jam.ID, len(w.Members))
		}
		var seen []shared.Message
		for range shared.Capacity - 2 {
			seen = append(seen, named[0].next())
		}
		if j, ok := named[0].next().(*shared.Joined); !ok || j.Member.ID != w.You {
			t.Fatalf("the first member saw %s, then not the invited one", describe(seen))
		}
	})

	t.Run("a public jam that emptied comes back public for the user who resumes it", func(t *testing.T) {
		s := newTestServer(t, Config{})
		c, w := s.join(t, "")
		_ = c.ws.Close(websocket.StatusNormalClosure, "")
		waitFor(t, "the jam to go", func() bool { return s.Stats().Jams == 0 })
		back := s.dial(t).join("", w.Resume)
		if back.Jam.ID != w.Jam.ID || back.You != w.You {
			t.Fatalf("resumed into %s as %s, want %s as %s", back.Jam.ID, back.You, w.Jam.ID, w.You)
		}
		if _, other := s.join(t, ""); other.Jam.ID != w.Jam.ID {
			t.Fatalf("the next user without a jam went to %s, want the resumed public jam %s", other.Jam.ID, w.Jam.ID)
		}
	})

	t.Run("fifty users racing for one invite id: seven get it and the rest are redirected", func(t *testing.T) {
		s := newTestServer(t, Config{})
		const n = 50
		welcomes := make([]*shared.Welcome, n)
		var wg sync.WaitGroup
		for i := 0; i < n; i++ {
			c := s.dial(t)
			wg.Add(1)
			go func() {
				defer wg.Done()
				c.send(&shared.Join{Jam: "party"})
				m, err := c.read(testTimeout)
				if err != nil {
					t.Errorf("client %d: %v", i, err)
					return
				}
				w, ok := m.(*shared.Welcome)
				if !ok {
					t.Errorf("client %d: got %T", i, m)
					return
				}
				welcomes[i] = w
			}()
		}
		wg.Wait()
		if t.Failed() {
			return
		}
		in := 0
		told := map[string]int{}
		loops := map[string]bool{}
		for _, w := range welcomes {
			told[w.Jam.ID]++
			if w.Jam.ID == "party" {
				in++
				if w.Redirected {
					t.Errorf("a member of party was told it was redirected")
				}
				loops[w.Loop] = true
			} else if !w.Redirected {
				t.Errorf("a user placed in %s was not told it was redirected", w.Jam.ID)
			}
		}
		if in != shared.Capacity || len(loops) != shared.Capacity {
			t.Fatalf("%d users with %d loops in party, want %d", in, len(loops), shared.Capacity)
		}
		st := s.stats(t)
		if st.Users != n || st.Jams != len(told) || st.Sizes["7"] < 1 {
			t.Fatalf("stats %+v, clients were told %v", st, told)
		}
		for id, size := range told {
			if st.JamSizes[id] != size {
				t.Errorf("jam %s: stats say %d, clients say %d", id, st.JamSizes[id], size)
			}
			if size > shared.Capacity {
				t.Errorf("jam %s holds %d", id, size)
			}
		}
	})

	t.Run("an invite id of an empty jam creates the jam, and one of a full jam redirects", func(t *testing.T) {
		s := newTestServer(t, Config{})
		for i := 0; i < shared.Capacity; i++ {
			_, w := s.join(t, "Invite_01")
			if w.Jam.ID != "Invite_01" || w.Redirected {
				t.Fatalf("user %d: jam %s redirected %v", i, w.Jam.ID, w.Redirected)
			}
		}
		_, w := s.join(t, "Invite_01")
		if w.Jam.ID == "Invite_01" || !w.Redirected {
			t.Fatalf("eighth: jam %s redirected %v", w.Jam.ID, w.Redirected)
		}
	})
}

func TestOpenJams(t *testing.T) {
	t.Run("through thousands of random joins and leaves the pick is always the oldest of the fullest jams with room", func(t *testing.T) {
		var open openJams
		rng := rand.New(rand.NewPCG(8, 8))
		jams := make([]*jam, 2000)
		for i := range jams {
			jams[i] = &jam{seq: uint64(i), slot: -1}
		}
		// pickByScan is what the buckets stand for: a scan of every jam.
		pickByScan := func() *jam {
			var best *jam
			for _, j := range jams {
				if j.size > 0 && j.size < shared.Capacity && (best == nil || j.size > best.size) {
					best = j
				}
			}
			return best
		}
		for step := range 50_000 {
			j := jams[rng.IntN(len(jams))]
			old := j.size
			switch {
			case old == 0:
				j.size = 1
			case old == shared.Capacity || rng.IntN(2) == 0:
				j.size--
			default:
				j.size++
			}
			open.move(j, old, j.size)
			if got, want := open.pick(), pickByScan(); got != want {
				t.Fatalf("step %d: picked %v, a scan finds %v", step, describeJam(got), describeJam(want))
			}
		}
	})
}

// describeJam names a jam by its age and size, or nil.
func describeJam(j *jam) string {
	if j == nil {
		return "no jam"
	}
	return fmt.Sprintf("jam #%d of %d", j.seq, j.size)
}
