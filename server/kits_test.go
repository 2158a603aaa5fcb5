//go:build !wasm

package server

import (
	"testing"

	"github.com/loopswithfriends/loops/server/wstest"
	"github.com/loopswithfriends/loops/shared"
)

func TestKits(t *testing.T) {
	t.Run("a join that creates a private jam names its kit, and the jam's timeline is the kit's", func(t *testing.T) {
		s := newTestServer(t, Config{})
		for _, k := range shared.Kits {
			c := s.dial(t)
			c.Send(&shared.Join{Jam: "private-" + k.ID, Kit: k.ID})
			w := wstest.Expect[*shared.Welcome](c)
			if w.Jam.Kit != k.ID || w.Jam.BPM != k.BPM || w.Jam.BeatsPerBar != k.BeatsPerBar || w.Jam.BarsPerLoop != k.BarsPerLoop {
				t.Errorf("%s: jam %+v", k.ID, w.Jam)
			}
			if w.Loop != k.Loops[0].ID {
				t.Errorf("%s: first loop %s, want %s", k.ID, w.Loop, k.Loops[0].ID)
			}
			// The kit's own loops are the ones to swap to.
			c.Send(&shared.Swap{Loop: k.Loops[1].ID})
			if sw := wstest.Expect[*shared.Swapped](c); sw.Loop != k.Loops[1].ID {
				t.Errorf("%s: swapped to %s", k.ID, sw.Loop)
			}
		}
	})

	t.Run("an unknown kit gets unknown_kit and the socket stays open for a good join", func(t *testing.T) {
		s := newTestServer(t, Config{})
		c := s.dial(t)
		c.Send(&shared.Join{Jam: "polka-party", Kit: "polka"})
		if e := wstest.Expect[*shared.Error](c); e.Code != shared.CodeUnknownKit {
			t.Fatalf("error %+v, want %s", e, shared.CodeUnknownKit)
		}
		if w := c.Join("polka-party", ""); w.Jam.Kit != shared.DefaultKit().ID {
			t.Errorf("a join without a kit made a jam of %q, want the default kit", w.Jam.Kit)
		}
	})

	t.Run("a join into an existing jam keeps that jam's kit whatever it names", func(t *testing.T) {
		s := newTestServer(t, Config{})
		last := shared.Kits[len(shared.Kits)-1]
		a := s.dial(t)
		a.Send(&shared.Join{Jam: "band", Kit: last.ID})
		wstest.Expect[*shared.Welcome](a)
		b := s.dial(t)
		b.Send(&shared.Join{Jam: "band", Kit: shared.Kits[0].ID})
		if w := wstest.Expect[*shared.Welcome](b); w.Jam.Kit != last.ID {
			t.Errorf("joined a jam of %q, want %q", w.Jam.Kit, last.ID)
		}
	})

	t.Run("a private jam that emptied comes back with its kit when its last player resumes", func(t *testing.T) {
		s := newTestServer(t, Config{})
		last := shared.Kits[len(shared.Kits)-1]
		a := s.dial(t)
		a.Send(&shared.Join{Jam: "kept", Kit: last.ID})
		w := wstest.Expect[*shared.Welcome](a)
		a.Send(&shared.Leave{})
		b := s.dial(t)
		b.Send(&shared.Join{Jam: "kept", Resume: w.Resume})
		if w2 := wstest.Expect[*shared.Welcome](b); w2.You != w.You || w2.Jam.Kit != last.ID || w2.Jam.BPM != last.BPM {
			t.Errorf("resumed as %s in a jam of %q at %d BPM, want %s in %q", w2.You, w2.Jam.Kit, w2.Jam.BPM, w.You, last.ID)
		}
	})

	t.Run("new public jams take the kits in turn", func(t *testing.T) {
		s := newTestServer(t, Config{})
		seen := map[string]int{}
		// Fill a public jam at a time, so that the next join needs a new one.
		for range 2 * len(shared.Kits) {
			var kit string
			for i := range shared.Capacity {
				_, w := s.join(t, "")
				if i == 0 {
					kit = w.Jam.Kit
				} else if w.Jam.Kit != kit {
					t.Fatalf("one jam, two kits: %s and %s", kit, w.Jam.Kit)
				}
			}
			seen[kit]++
		}
		for _, k := range shared.Kits {
			if seen[k.ID] != 2 {
				t.Errorf("%s: %d of %d public jams", k.ID, seen[k.ID], 2*len(shared.Kits))
			}
		}
	})
}
