//go:build !wasm

package server

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"

	"github.com/coder/websocket"

	"github.com/loopswithfriends/loops/server/wstest"
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
			j := wstest.Expect[*shared.Joined](clients[0])
			if j.Member.ID != welcomes[i].You {
				t.Fatalf("joined %s, want %s", j.Member.ID, welcomes[i].You)
			}
		}

		// Two leave the full jam: 5 and 1. The next joiner goes to the
		// fuller jam.
		clients[5].Send(&shared.Leave{})
		clients[6].Send(&shared.Leave{})
		wstest.Expect[*shared.Left](clients[0])
		wstest.Expect[*shared.Left](clients[0])
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
			byJam[k][shared.Capacity-1].Send(&shared.Leave{})
			for {
				if _, ok := byJam[k][0].Next().(*shared.Left); ok {
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
			seen = append(seen, named[0].Next())
		}
		if j, ok := named[0].Next().(*shared.Joined); !ok || j.Member.ID != w.You {
			t.Fatalf("the first member saw %s, then not the invited one", describe(seen))
		}
	})

	t.Run("a public jam that emptied comes back public for the user who resumes it", func(t *testing.T) {
		s := newTestServer(t, Config{})
		c, w := s.join(t, "")
		_ = c.WS.Close(websocket.StatusNormalClosure, "")
		wstest.WaitFor(t, "the jam to go", func() bool { return s.Stats().Jams == 0 })
		back := s.dial(t).Join("", w.Resume)
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
				c.Send(&shared.Join{Jam: "party"})
				m, err := c.Read(testTimeout)
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
	t.Run("through thousands of random creations, joins, leaves and emptied jams the pick is always the oldest of the fullest jams with room", func(t *testing.T) {
		var open openJams
		rng := rand.New(rand.NewPCG(8, 8))
		var made []*jam // every jam, in creation order; gone ones have size 0
		live := func() (js []*jam) {
			for _, j := range made {
				if j.size > 0 {
					js = append(js, j)
				}
			}
			return js
		}
		// pickByScan is what the trees stand for: a scan of every jam.
		pickByScan := func() *jam {
			var best *jam
			for _, j := range made {
				if j.size > 0 && j.size < shared.Capacity && (best == nil || j.size > best.size) {
					best = j
				}
			}
			return best
		}
		resize := func(j *jam, n int) {
			old := j.size
			j.size = n
			open.move(j, old, n)
		}
		renumbered, most := 0, 0
		var js []*jam // the live jams, in creation order
		for step := range 30_000 {
			// Phases of 2,000 steps: the jams grow in number, then most
			// of them empty, so that ranks are freed by the hundred and
			// the jams renumbered again and again.
			growing := step/2000%2 == 0
			before := len(open.byRank)
			create, join := 6, 12 // of 20 steps: a new jam, a join, else a leave
			if !growing {
				create, join = 1, 5
			}
			switch r := rng.IntN(20); {
			case len(js) == 0 || r < create:
				j := &jam{id: fmt.Sprint(len(made)), rank: -1}
				made = append(made, j)
				resize(j, 1)
			case r < join:
				// A user without a jam goes where the balancer says,
				// or somewhere with room by invite.
				j := open.pick()
				if r%2 == 0 || j == nil {
					j = js[rng.IntN(len(js))]
				}
				if j.size < shared.Capacity {
					resize(j, j.size+1)
				}
			default:
				j := js[rng.IntN(len(js))]
				if growing && j.size == 1 {
					break // jams empty in the other phases
				}
				resize(j, j.size-1)
			}
			if got, want := open.pick(), pickByScan(); got != want {
				t.Fatalf("step %d: picked %v, a scan finds %v", step, describeJam(got), describeJam(want))
			}
			js = live()
			if open.live != len(js) || len(open.byRank) > 2*len(js) {
				t.Fatalf("step %d: %d live jams, %d counted, %d ranks", step, len(js), open.live, len(open.byRank))
			}
			for k, j := range js {
				if open.byRank[j.rank] != j || k > 0 && j.rank <= js[k-1].rank {
					t.Fatalf("step %d: %v has rank %d, out of creation order", step, describeJam(j), j.rank)
				}
			}
			if len(open.byRank) < before {
				renumbered++
			}
			most = max(most, len(js))
			if len(made) > 4*len(js)+100 {
				made = js
			}
		}
		t.Logf("the jams were renumbered %d times, at most %d of them live", renumbered, most)
		if renumbered < 10 || most < 500 {
			t.Fatalf("the jams were renumbered %d times, at most %d of them live: want a test that renumbers hundreds often", renumbered, most)
		}
	})
}

func TestBitTree(t *testing.T) {
	t.Run("the first of a set of ints up to 300,000 is always its smallest, across the fourth level", func(t *testing.T) {
		var tree bitTree
		rng := rand.New(rand.NewPCG(8, 64))
		var in []int // the set, sorted
		for step := range 20_000 {
			var i int
			switch r := rng.IntN(4); {
			case r == 0 && len(in) > 0:
				// Remove the smallest, so that the next one is found
				// in another word, or another branch.
				i = in[0]
			case r == 1 && len(in) > 0:
				i = in[rng.IntN(len(in))]
			case r == 2:
				i = rng.IntN(300_000)
			default:
				i = rng.IntN(200)
			}
			k, found := slices.BinarySearch(in, i)
			if found {
				tree.remove(i)
				in = slices.Delete(in, k, k+1)
			} else {
				tree.add(i)
				in = slices.Insert(in, k, i)
			}
			want := -1
			if len(in) > 0 {
				want = in[0]
			}
			if got := tree.first(); got != want {
				t.Fatalf("step %d: first %d, want %d of %d ints", step, got, want, len(in))
			}
		}
		if len(tree.levels) != 4 {
			t.Fatalf("%d levels, want 4 for ints beyond 64^3", len(tree.levels))
		}
	})
}

// describeJam names a jam by its place in creation order and its size, or
// nil.
func describeJam(j *jam) string {
	if j == nil {
		return "no jam"
	}
	return fmt.Sprintf("jam #%s of %d", j.id, j.size)
}

// BenchmarkBalancerJoin measures what a join costs the balancer, the pick
// and the move of the picked jam to its new size, with 1,000 and 100,000
// public jams open, and the ratio: flat means about 1.
//
// Half the jams are full and half hold six: the fullest jams with room are
// many, which is where an order kept by comparisons pays for it (a heap's
// pick of the oldest sifts through a logarithm of them). After every n/10
// joins the timer stops for as many leaves from full jams drawn at random,
// so that the jams of six keep their number and come back at any place in
// the creation order. The same steps warm the state up first.
//
// A join reads and writes the jam it picks, the oldest of its size: 1,000
// jams of 2 KB stay in the caches, and of 100,000 (215 MB) the picked one
// comes from memory, whatever the balancer does. BenchmarkBitTree measures
// the trees alone.
func BenchmarkBalancerJoin(b *testing.B) {
	per := map[int]float64{}
	for _, n := range []int{1_000, 100_000} {
		b.Run(fmt.Sprintf("%d open jams", n), func(b *testing.B) {
			per[n] = benchJoins(b, n, new(openJams))
		})
	}
	b.Run("100000 against 1000", func(b *testing.B) {
		if per[1_000] > 0 {
			b.ReportMetric(0, "ns/op")
			b.ReportMetric(per[100_000]/per[1_000], "x")
		}
	})
}

// BenchmarkBitTree measures the balancer's own part of a join, without the
// jam: the lowest of n/2 ranks out of n found and taken out of one tree,
// and a rank taken out before put back at random, as a leave from a full
// jam would, with 1,000 and 100,000 ranks, and the ratio.
func BenchmarkBitTree(b *testing.B) {
	per := map[int]float64{}
	for _, n := range []int{1_000, 100_000} {
		b.Run(fmt.Sprintf("%d ranks", n), func(b *testing.B) {
			rng := rand.New(rand.NewPCG(8, uint64(n)))
			var tree bitTree
			var out []int // the ranks not in the tree
			for _, r := range rng.Perm(n) {
				if len(out) < n/2 {
					out = append(out, r)
				} else {
					tree.add(r)
				}
			}
			draws := make([]int32, 1<<16) // drawn beforehand: no rng in the timing
			for i := range draws {
				draws[i] = int32(rng.IntN(len(out)))
			}
			b.ResetTimer()
			for i := range b.N {
				r := tree.first()
				tree.remove(r)
				k := draws[i&(len(draws)-1)]
				tree.add(out[k])
				out[k] = r
			}
			per[n] = float64(b.Elapsed().Nanoseconds()) / float64(b.N)
		})
	}
	b.Run("100000 against 1000", func(b *testing.B) {
		if per[1_000] > 0 {
			b.ReportMetric(0, "ns/op")
			b.ReportMetric(per[100_000]/per[1_000], "x")
		}
	})
}

// benchJoins times joins among n open jams, as BenchmarkBalancerJoin says,
// and returns the time a join took.
func benchJoins(b *testing.B, n int, open *openJams) float64 {
	resize := func(j *jam, n int) {
		old := j.size
		j.size = n
		open.move(j, old, n)
	}
	rng := rand.New(rand.NewPCG(8, uint64(n)))
	var full []*jam
	for i := range n {
		j := &jam{rank: -1}
		if i%2 == 1 {
			full = append(full, j)
			resize(j, shared.Capacity)
		} else {
			resize(j, shared.Capacity-1)
		}
	}
	batch := n / 10
	joins := func() {
		for range batch {
			j := open.pick()
			resize(j, j.size+1)
			full = append(full, j)
		}
	}
	leaves := func() {
		for range batch {
			k := rng.IntN(len(full))
			j := full[k]
			full[k] = full[len(full)-1]
			full = full[:len(full)-1]
			resize(j, j.size-1)
		}
	}
	for range 100 {
		joins()
		leaves()
	}
	b.ResetTimer()
	for range (b.N + batch - 1) / batch {
		joins()
		b.StopTimer()
		leaves()
		b.StartTimer()
	}
	per := float64(b.Elapsed().Nanoseconds()) / float64((b.N+batch-1)/batch*batch)
	b.ReportMetric(per, "ns/op")
	return per
}
