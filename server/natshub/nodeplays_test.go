//go:build !wasm

package natshub

import (
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/loopswithfriends/loops/shared"
	"github.com/nats-io/nats.go/jetstream"
)

// TestPlaysAcrossLocks checks that a node's plays are gathered, and
// another node's taken in, whole when there are many more than one hold
// of the world's lock looks at (playsPerLock): every jam and play on
// either side of each boundary, and none that the records hold already.
func TestPlaysAcrossLocks(t *testing.T) {
	const jams = playsPerLock + 5
	w := newWorld(&Hub{cfg: Config{Node: "here"}})
	other := newWorld(&Hub{cfg: Config{Node: "there"}})
	var want []nodePlay
	for j := range jams {
		id := fmt.Sprintf("jam%03d", j)
		rec := &jamRecord{}
		for m := range shared.Capacity {
			node := "here"
			if m%2 == 1 {
				node = "there"
			}
			user := fmt.Sprintf("%s-user%d", id, m)
			// The record holds the plays of every third member.
			held := uint64(0)
			if m%3 == 0 {
				held = 2
			}
			rec.Members = append(rec.Members, memberRecord{ID: user, Node: node, Seq: held})
			ev := newFastEvent(user, 2, m%4 == 0, int64(j))
			w.heard.hear(id, &ev)
			if node == "here" && held < ev.Seq {
				ev.Frame = nil
				want = append(want, nodePlay{Jam: id, fastEvent: ev})
			}
		}
		w.setJam(id, seenJam{rec: rec})
		other.setJam(id, seenJam{rec: rec})
	}
	if len(want) <= 2*playsPerLock {
		t.Fatalf("the test's %d plays fit in two holds of the lock", len(want))
	}

	got := w.ownPlays("here")
	if len(got) != len(want) {
		t.Fatalf("ownPlays gave %d plays, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i].Jam != want[i].Jam || got[i].Of != want[i].Of || got[i].Seq != want[i].Seq ||
			got[i].Play != want[i].Play || got[i].Bar != want[i].Bar {
			t.Fatalf("play %d is %+v, want %+v", i, got[i], want[i])
		}
	}

	// The other node hears them from this one's key.
	other.sawPlays(playsEntry{key: "here", value: encodePlays("here", got)})
	for _, p := range want {
		if h := other.heard.last(p.Jam, p.Of); h.Seq != p.Seq || h.Play != p.Play || h.Bar != p.Bar || len(h.Frame) == 0 {
			t.Fatalf("the other node heard %+v of %s in %s, want %+v with its frame", h, p.Of, p.Jam, p.fastEvent)
		}
	}
	heard := 0
	other.heard.each(func(_ string, plays map[string]fastEvent) { heard += len(plays) })
	if heard != len(want) {
		t.Fatalf("the other node heard %d plays, want %d", heard, len(want))
	}
	other.mu.Lock()
	defer other.mu.Unlock()
	if other.playKeys["here"] != "here" {
		t.Fatalf("the other node has the key as %q's", other.playKeys["here"])
	}
}

// playsEntry is a put of the plays bucket, as a watch gives it.
type playsEntry struct {
	jetstream.KeyValueEntry
	key   string
	value []byte
}

func (e playsEntry) Key() string                     { return e.key }
func (e playsEntry) Value() []byte                   { return e.value }
func (e playsEntry) Operation() jetstream.KeyValueOp { return jetstream.KeyValuePut }
func (e playsEntry) Created() time.Time              { return time.Now() }

// TestWorldCountsMembersByNode checks the count of members by node that
// the leader's checks read every beat (world.placed): kept as records
// come, change, go and arrive late, and what lostPlays and members make of
// it.
func TestWorldCountsMembersByNode(t *testing.T) {
	w := newWorld(&Hub{cfg: Config{Node: "n1"}})
	rec := func(nodes ...string) *jamRecord {
		r := &jamRecord{}
		for i, n := range nodes {
			r.Members = append(r.Members, memberRecord{ID: fmt.Sprintf("u%d-%s", i, n), Node: n})
		}
		return r
	}
	same := func(want map[string]int) {
		t.Helper()
		w.mu.Lock()
		defer w.mu.Unlock()
		if !maps.Equal(w.placed, want) {
			t.Fatalf("placed is %v, want %v", w.placed, want)
		}
	}
	w.saw("a", rec("n1", "n2", "n2"), 1)
	w.saw("b", rec("n2", "n3"), 2)
	same(map[string]int{"n1": 1, "n2": 3, "n3": 1})
	w.saw("a", rec("n2"), 3)
	same(map[string]int{"n2": 2, "n3": 1})
	w.saw("a", rec("n1", "n1"), 2) // older than what is known: ignored
	same(map[string]int{"n2": 2, "n3": 1})
	w.saw("b", nil, 4)
	same(map[string]int{"n2": 1})

	w.playKeys["n1"], w.playKeys["n3"], w.playKeys["n3.part1"], w.playKeys["n2"] = "n1", "n3", "n3", "n2"
	all := func(string) bool { return true }
	got := w.lostPlays(all)
	slices.Sort(got)
	if want := []string{"n1", "n3", "n3.part1"}; !slices.Equal(got, want) {
		t.Fatalf("lostPlays gave %v, want %v (n2 still has a member)", got, want)
	}
	if got := w.lostPlays(func(n string) bool { return n == "n1" }); !slices.Equal(got, []string{"n1"}) {
		t.Fatalf("lostPlays gave %v with only n1 lost", got)
	}
	if m := w.members(func(n string) bool { return n == "n2" }); len(m) != 1 || m[0].node != "n2" || m[0].jam != "a" {
		t.Fatalf("members of n2: %+v", m)
	}
	if m := w.members(func(n string) bool { return n == "n3" }); len(m) != 0 {
		t.Fatalf("members of n3, which has none: %+v", m)
	}
}
