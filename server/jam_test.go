//go:build !wasm

package server

import (
	"testing"
	"time"

	"github.com/loopswithfriends/loops/shared"
)

// fullJam joins n users to one jam and drains their joined frames.
func fullJam(t *testing.T, s *testServer, n int) ([]*client, []*shared.Welcome) {
	t.Helper()
	var cs []*client
	var ws []*shared.Welcome
	for i := 0; i < n; i++ {
		c, w := s.join(t, "band")
		for _, o := range cs {
			expect[*shared.Joined](o)
		}
		cs = append(cs, c)
		ws = append(ws, w)
	}
	return cs, ws
}

func TestPlaying(t *testing.T) {
	t.Run("play, stop and swap reach every member, the sender too, with one bar at least 50 ms ahead", func(t *testing.T) {
		s := newTestServer(t, Config{})
		cs, ws := fullJam(t, s, 4)
		tl := ws[0].Jam.Timeline

		sent := float64(time.Now().UnixNano()) / 1e6
		cs[1].send(&shared.Play{})
		var bar int64 = -1
		for i, c := range cs {
			p := expect[*shared.Played](c)
			if p.ID != ws[1].You {
				t.Fatalf("member %d: played %s, want %s", i, p.ID, ws[1].You)
			}
			if bar >= 0 && p.Bar != bar {
				t.Fatalf("member %d: bar %d, others got %d", i, p.Bar, bar)
			}
			bar = p.Bar
		}
		if start := tl.BarStart(bar); start < sent+shared.LeadMs {
			t.Fatalf("bar %d starts at %.1f, less than 50 ms after %.1f", bar, start, sent)
		}
		if start := tl.BarStart(bar); start > sent+shared.LeadMs+tl.BarMs()+100 {
			t.Fatalf("bar %d starts at %.1f, more than a bar after %.1f", bar, start, sent)
		}

		cs[1].send(&shared.Stop{})
		for _, c := range cs {
			if st := expect[*shared.Stopped](c); st.ID != ws[1].You || st.Bar < bar {
				t.Fatalf("stopped %+v", st)
			}
		}

		cs[2].send(&shared.Swap{Loop: "bells"})
		var swapBar int64 = -1
		for _, c := range cs {
			sw := expect[*shared.Swapped](c)
			if sw.ID != ws[2].You || sw.Loop != "bells" || (swapBar >= 0 && sw.Bar != swapBar) {
				t.Fatalf("swapped %+v", sw)
			}
			swapBar = sw.Bar
		}
		// The freed loop goes to the next joiner, first in the catalog.
		_, w := s.join(t, "band")
		if w.Loop != ws[2].Loop {
			t.Fatalf("joiner got %s, want the freed %s", w.Loop, ws[2].Loop)
		}
	})

	t.Run("a play while playing and a stop while stopped send nothing", func(t *testing.T) {
		s := newTestServer(t, Config{})
		cs, _ := fullJam(t, s, 2)
		cs[0].send(&shared.Stop{})
		cs[0].send(&shared.Play{})
		cs[0].send(&shared.Play{})
		expect[*shared.Played](cs[0])
		expect[*shared.Played](cs[1])
		cs[0].expectQuiet()
		cs[1].expectQuiet()
		cs[0].send(&shared.Stop{})
		cs[0].send(&shared.Stop{})
		expect[*shared.Stopped](cs[0])
		cs[0].expectQuiet()
		expect[*shared.Stopped](cs[1])
		cs[1].expectQuiet()
	})

	t.Run("a late joiner's welcome shows who is playing and who is queued", func(t *testing.T) {
		clock := newFakeClock()
		s := newTestServer(t, Config{Now: clock.Now})
		cs, ws := fullJam(t, s, 3)
		tl := ws[0].Jam.Timeline

		// Member 0 plays from a bar that is then in the past; member 1 is
		// queued for a bar still to come; member 2 is stopped.
		cs[0].send(&shared.Play{})
		played := expect[*shared.Played](cs[0])
		clock.Set(time.UnixMilli(int64(tl.BarStart(played.Bar) + 10)))
		cs[1].send(&shared.Play{})
		queued := expect[*shared.Played](cs[0])
		for _, c := range cs[1:] {
			if p := expect[*shared.Played](c); *p != *played {
				t.Fatalf("got %+v, want %+v", p, played)
			}
			if p := expect[*shared.Played](c); *p != *queued {
				t.Fatalf("got %+v, want %+v", p, queued)
			}
		}

		_, w := s.join(t, "band")
		if len(w.Members) != 4 {
			t.Fatalf("%d members, want 4", len(w.Members))
		}
		byID := map[string]shared.Member{}
		for _, m := range w.Members {
			byID[m.ID] = m
		}
		if m := byID[ws[0].You]; !m.Playing || m.Bar != played.Bar || tl.BarStart(m.Bar) > w.Now {
			t.Errorf("player: %+v, now %.0f", m, w.Now)
		}
		if m := byID[ws[1].You]; !m.Playing || m.Bar != queued.Bar || tl.BarStart(m.Bar) <= w.Now {
			t.Errorf("queued: %+v, now %.0f", m, w.Now)
		}
		if m := byID[ws[2].You]; m.Playing {
			t.Errorf("stopped member shown playing: %+v", m)
		}
		if m := byID[w.You]; m.Loop != w.Loop || m.Playing {
			t.Errorf("joiner shown as %+v", m)
		}
	})

	t.Run("a user who leaves frees their loop for the next joiner", func(t *testing.T) {
		s := newTestServer(t, Config{})
		cs, ws := fullJam(t, s, 4)
		cs[1].ws.CloseNow()
		for _, i := range []int{0, 2, 3} {
			if l := expect[*shared.Left](cs[i]); l.ID != ws[1].You {
				t.Fatalf("left %s, want %s", l.ID, ws[1].You)
			}
		}
		_, w := s.join(t, "band")
		if w.Loop != ws[1].Loop || w.Loop != shared.Catalog[1].ID {
			t.Fatalf("joiner got %s, want %s", w.Loop, ws[1].Loop)
		}
	})

	t.Run("ping is answered at once with the server clock", func(t *testing.T) {
		s := newTestServer(t, Config{})
		c, _ := s.join(t, "")
		before := float64(time.Now().UnixNano()) / 1e6
		c.send(&shared.Ping{ID: 7, T0: 123.5})
		p := expect[*shared.Pong](c)
		after := float64(time.Now().UnixNano()) / 1e6
		if p.ID != 7 || p.T0 != 123.5 || p.Now < before || p.Now > after {
			t.Fatalf("pong %+v, want id 7, t0 123.5, now in [%.1f, %.1f]", p, before, after)
		}
	})
}

func TestResume(t *testing.T) {
	t.Run("a user who reconnects within the window gets back their id, jam and loop", func(t *testing.T) {
		s := newTestServer(t, Config{})
		cs, ws := fullJam(t, s, 3)
		cs[1].ws.CloseNow()
		expect[*shared.Left](cs[0])
		c := s.dial(t)
		w := c.join("", ws[1].Resume)
		if w.You != ws[1].You || w.Jam.ID != "band" || w.Loop != ws[1].Loop {
			t.Fatalf("resumed as %s in %s with %s, want %s in band with %s", w.You, w.Jam.ID, w.Loop, ws[1].You, ws[1].Loop)
		}
		if w.Resume == ws[1].Resume {
			t.Fatalf("the resume token was not renewed")
		}
		if j := expect[*shared.Joined](cs[0]); j.Member.ID != ws[1].You {
			t.Fatalf("joined %+v", j.Member)
		}
		// A token is good once.
		c.ws.CloseNow()
		expect[*shared.Left](cs[0])
		again := s.dial(t).join("", ws[1].Resume)
		if again.You == ws[1].You {
			t.Fatalf("a used token resumed again")
		}
	})

	t.Run("a user back in a jam that emptied gets the jam again with their loop", func(t *testing.T) {
		s := newTestServer(t, Config{})
		c, w := s.join(t, "solo")
		c.send(&shared.Swap{Loop: "bells"})
		expect[*shared.Swapped](c)
		c.ws.CloseNow()
		waitFor(t, "the jam to go", func() bool { return s.Stats().Jams == 0 })
		back := s.dial(t).join("", w.Resume)
		if back.You != w.You || back.Jam.ID != "solo" || back.Loop != "bells" || back.Redirected {
			t.Fatalf("back as %+v", back)
		}
	})

	t.Run("a forged, live or stale token is ignored", func(t *testing.T) {
		clock := newFakeClock()
		s := newTestServer(t, Config{Now: clock.Now, ResumeWindow: time.Minute})
		a, wa := s.join(t, "")

		w := s.dial(t).join("", "forged-token")
		if w.You == wa.You || w.Redirected {
			t.Fatalf("forged token: %+v", w)
		}
		expect[*shared.Joined](a)
		// A token of a user still connected does not clone them.
		w = s.dial(t).join("", wa.Resume)
		if w.You == wa.You {
			t.Fatalf("a live token resumed")
		}
		expect[*shared.Joined](a)

		a.ws.CloseNow()
		waitFor(t, "the leave", func() bool { return s.stats(t).Users == 2 })
		clock.Set(clock.Now().Add(time.Minute + time.Millisecond))
		w = s.dial(t).join("", wa.Resume)
		if w.You == wa.You {
			t.Fatalf("a stale token resumed")
		}
	})
}
