//go:build !wasm

package natshub

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/loopswithfriends/loops/shared"
)

// scanBest is the balancer's pick by a pass over every jam: the public jam
// with the most members that has room, the oldest (then the smallest id)
// on a tie, leaving out those tried.
func scanBest(w *world, tried map[string]bool) string {
	var id string
	var best *jamRecord
	for jid, s := range w.jams {
		r := s.rec
		if r == nil || r.Private || r.full() || len(r.Members) == 0 || tried[jid] {
			continue
		}
		if best == nil || len(r.Members) > len(best.Members) ||
			(len(r.Members) == len(best.Members) && (r.Created < best.Created || r.Created == best.Created && jid < id)) {
			id, best = jid, r
		}
	}
	return id
}

// scanStats counts the jams and users by a pass over every jam.
func scanStats(w *world) shared.Stats {
	st := shared.Stats{Sizes: make(map[string]int)}
	for _, s := range w.jams {
		if s.rec == nil || len(s.rec.Members) == 0 {
			continue
		}
		st.Jams++
		st.Users += len(s.rec.Members)
		st.Sizes[shared.SizeKey(len(s.rec.Members))]++
	}
	return st
}

// TestWorldBalancerIndex: through thousands of random changes (joins,
// leaves, jams emptied and removed, private jams, records arriving late,
// ties on Created), the world's pick and stats, kept as records come in,
// equal a pass over every jam.
func TestWorldBalancerIndex(t *testing.T) {
	w := newWorld(&Hub{cfg: Config{Node: "n1"}})
	rng := rand.New(rand.NewPCG(1, 2))
	revs := make(map[string]uint64)
	var rev uint64
	for step := range 20000 {
		id := "j" + strconv.Itoa(rng.IntN(300))
		rev++
		var rec *jamRecord
		if size := rng.IntN(shared.Capacity + 2); size > 0 {
			rec = &jamRecord{Created: float64(rng.IntN(50)), Private: rng.IntN(10) == 0}
			for i := range size - 1 {
				rec.Members = append(rec.Members, memberRecord{ID: fmt.Sprintf("u%d", i), Node: "n1"})
			}
		}
		at := rev
		if rng.IntN(20) == 0 {
			at = revs[id] / 2 // late: older than what is known, ignored
		}
		w.saw(id, rec, at)
		revs[id] = max(revs[id], at)

		tried := make(map[string]bool)
		for range rng.IntN(4) {
			if b := scanBest(w, tried); b != "" {
				tried[b] = true
			}
		}
		got, st := w.best(tried), w.stats()
		w.mu.Lock()
		want, wantStats := scanBest(w, tried), scanStats(w)
		w.mu.Unlock()
		if got != want {
			t.Fatalf("step %d: best is %q, want %q (tried %v)", step, got, want, tried)
		}
		if st.Jams != wantStats.Jams || st.Users != wantStats.Users || !maps.Equal(st.Sizes, wantStats.Sizes) {
			t.Fatalf("step %d: stats %+v, want %+v", step, st, wantStats)
		}
	}
}

// BenchmarkWorldBest is a join's pick with 1,000 and 100,000 public jams
// of random sizes: the index, and the pass over every jam it replaced, both
// under the world's lock as a join holds it; and the index's cost where
// records come in (saw).
func BenchmarkWorldBest(b *testing.B) {
	for _, jams := range []int{1000, 100000} {
		w := newWorld(&Hub{cfg: Config{Node: "n1"}})
		rng := rand.New(rand.NewPCG(3, 4))
		for i := range jams {
			rec := &jamRecord{Created: float64(i)}
			for m := range 1 + rng.IntN(shared.Capacity) {
				rec.Members = append(rec.Members, memberRecord{ID: strconv.Itoa(m), Node: "n1"})
			}
			w.saw("j"+strconv.Itoa(i), rec, uint64(i+1))
		}
		tried := map[string]bool{}
		b.Run(fmt.Sprintf("index/%d", jams), func(b *testing.B) {
			for b.Loop() {
				if w.best(tried) == "" {
					b.Fatal("no pick")
				}
			}
		})
		b.Run(fmt.Sprintf("saw/%d", jams), func(b *testing.B) {
			// A record coming in that moves a random jam to
			// another size, as a join or leave does: what the index
			// costs where the world takes records in.
			recs := make([]*jamRecord, shared.Capacity)
			for n := range recs {
				recs[n] = &jamRecord{Members: make([]memberRecord, n+1)}
			}
			rev := uint64(jams + 1)
			for b.Loop() {
				i := rng.IntN(jams)
				rec := *recs[rng.IntN(len(recs))]
				rec.Created = float64(i)
				rev++
				w.saw("j"+strconv.Itoa(i), &rec, rev)
			}
		})
		b.Run(fmt.Sprintf("scan/%d", jams), func(b *testing.B) {
			for b.Loop() {
				w.mu.Lock()
				id := scanBest(w, tried)
				w.mu.Unlock()
				if id == "" {
					b.Fatal("no pick")
				}
			}
		})
	}
}
