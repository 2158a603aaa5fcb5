//go:build !wasm

package server

import (
	"sync"
	"testing"

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
			if w.Loop != shared.Catalog[i].ID {
				t.Errorf("user %d got loop %s, want %s", i, w.Loop, shared.Catalog[i].ID)
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

	t.Run("ties go to the oldest jam", func(t *testing.T) {
		s := newTestServer(t, Config{})
		_, a := s.join(t, "older")
		_, b := s.join(t, "newer")
		_, w := s.join(t, "")
		if w.Jam.ID != a.Jam.ID {
			t.Fatalf("joined %s, want the oldest %s (not %s)", w.Jam.ID, a.Jam.ID, b.Jam.ID)
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
		if st.Users != n || st.Jams != len(told) {
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
