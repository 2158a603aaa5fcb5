//go:build !wasm

package server

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/loopswithfriends/loops/server/wstest"
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
			wstest.Expect[*shared.Joined](o)
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
		cs[1].Send(&shared.Play{})
		var bar int64 = -1
		for i, c := range cs {
			p := wstest.Expect[*shared.Played](c)
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

		cs[1].Send(&shared.Stop{})
		for _, c := range cs {
			if st := wstest.Expect[*shared.Stopped](c); st.ID != ws[1].You || st.Bar < bar {
				t.Fatalf("stopped %+v", st)
			}
		}

		cs[2].Send(&shared.Swap{Loop: "bells"})
		var swapBar int64 = -1
		for _, c := range cs {
			sw := wstest.Expect[*shared.Swapped](c)
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
		cs[0].Send(&shared.Stop{})
		cs[0].Send(&shared.Play{})
		cs[0].Send(&shared.Play{})
		wstest.Expect[*shared.Played](cs[0])
		wstest.Expect[*shared.Played](cs[1])
		cs[0].ExpectQuiet()
		cs[1].ExpectQuiet()
		cs[0].Send(&shared.Stop{})
		cs[0].Send(&shared.Stop{})
		wstest.Expect[*shared.Stopped](cs[0])
		cs[0].ExpectQuiet()
		wstest.Expect[*shared.Stopped](cs[1])
		cs[1].ExpectQuiet()
	})

	t.Run("a late joiner's welcome shows who is playing and who is queued", func(t *testing.T) {
		clock := newFakeClock()
		s := newTestServer(t, Config{Now: clock.Now})
		cs, ws := fullJam(t, s, 3)
		tl := ws[0].Jam.Timeline

		// Member 0 plays from a bar that is then in the past; member 1 is
		// queued for a bar still to come; member 2 is stopped.
		cs[0].Send(&shared.Play{})
		played := wstest.Expect[*shared.Played](cs[0])
		clock.Set(time.UnixMilli(int64(tl.BarStart(played.Bar) + 10)))
		cs[1].Send(&shared.Play{})
		queued := wstest.Expect[*shared.Played](cs[0])
		for _, c := range cs[1:] {
			if p := wstest.Expect[*shared.Played](c); *p != *played {
				t.Fatalf("got %+v, want %+v", p, played)
			}
			if p := wstest.Expect[*shared.Played](c); *p != *queued {
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
		cs[1].WS.CloseNow()
		for _, i := range []int{0, 2, 3} {
			if l := wstest.Expect[*shared.Left](cs[i]); l.ID != ws[1].You {
				t.Fatalf("left %s, want %s", l.ID, ws[1].You)
			}
		}
		_, w := s.join(t, "band")
		if w.Loop != ws[1].Loop || w.Loop != shared.DefaultKit().Loops[1].ID {
			t.Fatalf("joiner got %s, want %s", w.Loop, ws[1].Loop)
		}
	})

	t.Run("ping is answered at once with the server clock", func(t *testing.T) {
		s := newTestServer(t, Config{})
		c, _ := s.join(t, "")
		before := float64(time.Now().UnixNano()) / 1e6
		c.Send(&shared.Ping{ID: 7, T0: 123.5})
		p := wstest.Expect[*shared.Pong](c)
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
		cs[1].WS.CloseNow()
		wstest.Expect[*shared.Left](cs[0])
		c := s.dial(t)
		w := c.Join("", ws[1].Resume)
		if w.You != ws[1].You || w.Jam.ID != "band" || w.Loop != ws[1].Loop {
			t.Fatalf("resumed as %s in %s with %s, want %s in band with %s", w.You, w.Jam.ID, w.Loop, ws[1].You, ws[1].Loop)
		}
		if w.Resume == ws[1].Resume {
			t.Fatalf("the resume token was not renewed")
		}
		if j := wstest.Expect[*shared.Joined](cs[0]); j.Member.ID != ws[1].You {
			t.Fatalf("joined %+v", j.Member)
		}
		// A token is good once.
		c.WS.CloseNow()
		wstest.Expect[*shared.Left](cs[0])
		again := s.dial(t).Join("", ws[1].Resume)
		if again.You == ws[1].You {
			t.Fatalf("a used token resumed again")
		}
	})

	t.Run("a user back in a jam that emptied gets the jam again with their loop", func(t *testing.T) {
		s := newTestServer(t, Config{})
		c, w := s.join(t, "solo")
		c.Send(&shared.Swap{Loop: "bells"})
		wstest.Expect[*shared.Swapped](c)
		c.WS.CloseNow()
		wstest.WaitFor(t, "the jam to go", func() bool { return s.Stats().Jams == 0 })
		back := s.dial(t).Join("", w.Resume)
		if back.You != w.You || back.Jam.ID != "solo" || back.Loop != "bells" || back.Redirected {
			t.Fatalf("back as %+v", back)
		}
	})

	t.Run("a forged or stale token is ignored", func(t *testing.T) {
		clock := newFakeClock()
		s := newTestServer(t, Config{Now: clock.Now, ResumeWindow: time.Minute})
		a, wa := s.join(t, "")

		w := s.dial(t).Join("", "forged-token")
		if w.You == wa.You || w.Redirected {
			t.Fatalf("forged token: %+v", w)
		}
		wstest.Expect[*shared.Joined](a)

		a.WS.CloseNow()
		wstest.WaitFor(t, "the leave", func() bool { return s.stats(t).Users == 1 })
		clock.Set(clock.Now().Add(time.Minute + time.Millisecond))
		w = s.dial(t).Join("", wa.Resume)
		if w.You == wa.You {
			t.Fatalf("a stale token resumed")
		}
	})

	t.Run("a user whose old connection is still open takes it over: same id, loop and playing state, and the others see nothing", func(t *testing.T) {
		s := newTestServer(t, Config{})
		cs, ws := fullJam(t, s, 3)
		cs[1].Send(&shared.Play{})
		played := wstest.Expect[*shared.Played](cs[0])
		wstest.Expect[*shared.Played](cs[2])

		c := s.dial(t)
		w := c.Join("band", ws[1].Resume)
		if w.You != ws[1].You || w.Jam.ID != "band" || w.Loop != ws[1].Loop || w.Redirected {
			t.Fatalf("took over as %s in %s with %s (redirected %v), want %s in band with %s", w.You, w.Jam.ID, w.Loop, w.Redirected, ws[1].You, ws[1].Loop)
		}
		if w.Resume == "" || w.Resume == ws[1].Resume {
			t.Fatalf("the resume token was not renewed")
		}
		if len(w.Members) != 3 {
			t.Fatalf("%d members in the welcome, want 3: %+v", len(w.Members), w.Members)
		}
		for _, m := range w.Members {
			if m.ID == w.You && (m.Loop != w.Loop || !m.Playing || m.Bar != played.Bar) {
				t.Fatalf("the user shown as %+v, want playing %s from bar %d", m, w.Loop, played.Bar)
			}
		}
		if st := s.stats(t); st.Users != 3 || st.JamSizes["band"] != 3 {
			t.Fatalf("stats %+v, want 3 users, all in band", st)
		}

		// The others hear of no leave and no join: the next thing they get
		// is the user's stop, then play, from the new connection.
		for _, o := range []*client{cs[0], cs[2]} {
			o.ExpectQuiet()
		}
		c.Send(&shared.Stop{})
		c.Send(&shared.Play{})
		for _, o := range []*client{c, cs[0], cs[2]} {
			if st := wstest.Expect[*shared.Stopped](o); st.ID != ws[1].You {
				t.Fatalf("stopped %+v, want %s", st, ws[1].You)
			}
			if p := wstest.Expect[*shared.Played](o); p.ID != ws[1].You {
				t.Fatalf("played %+v, want %s", p, ws[1].You)
			}
		}
		// The old token was good once.
		again := s.dial(t).Join("band", ws[1].Resume)
		if again.You == ws[1].You {
			t.Fatalf("a used token took the user over again")
		}
	})

	t.Run("the taken-over connection is closed with 4000, taken over", func(t *testing.T) {
		s := newTestServer(t, Config{})
		old, w := s.join(t, "")
		s.dial(t).Join("", w.Resume)
		for {
			_, err := old.Read(testTimeout)
			if err == nil {
				continue
			}
			var ce websocket.CloseError
			if !errors.As(err, &ce) || ce.Code != shared.StatusTakenOver || ce.Reason != "taken over" {
				t.Fatalf("the old connection ended with %v, want 4000 taken over", err)
			}
			break
		}
	})

	t.Run("the old connection's close does not remove the user", func(t *testing.T) {
		s := newTestServer(t, Config{})
		cs, ws := fullJam(t, s, 2)
		c := s.dial(t)
		w := c.Join("band", ws[1].Resume)
		cs[1].WS.CloseNow() // the old socket goes, right after the takeover
		wstest.WaitFor(t, "the old connection to end", func() bool { return s.connCount() == 2 })

		if st := s.stats(t); st.Users != 2 || st.JamSizes["band"] != 2 {
			t.Fatalf("stats %+v, want 2 users, both in band", st)
		}
		later, lw := s.join(t, "band")
		if len(lw.Members) != 3 {
			t.Fatalf("a later member sees %+v, want 3 members", lw.Members)
		}
		found := false
		for _, m := range lw.Members {
			found = found || (m.ID == w.You && m.Loop == w.Loop)
		}
		if !found {
			t.Fatalf("a later member sees %+v, without %s on %s", lw.Members, w.You, w.Loop)
		}
		// The first member heard of the later one only.
		if j := wstest.Expect[*shared.Joined](cs[0]); j.Member.ID != lw.You {
			t.Fatalf("joined %+v, want %s", j.Member, lw.You)
		}
		cs[0].ExpectQuiet()
		if j := wstest.Expect[*shared.Joined](c); j.Member.ID != lw.You {
			t.Fatalf("joined %+v, want %s", j.Member, lw.You)
		}
		later.ExpectQuiet()
	})

	t.Run("a user whose old connection is still open and who asks for another jam moves there as themselves", func(t *testing.T) {
		s := newTestServer(t, Config{})
		cs, ws := fullJam(t, s, 2)
		w := s.dial(t).Join("elsewhere", ws[1].Resume)
		if w.You != ws[1].You || w.Jam.ID != "elsewhere" || len(w.Members) != 1 {
			t.Fatalf("moved as %+v", w)
		}
		if l := wstest.Expect[*shared.Left](cs[0]); l.ID != ws[1].You {
			t.Fatalf("left %s, want %s", l.ID, ws[1].You)
		}
		cs[1].ExpectClose(shared.StatusTakenOver)
		if st := s.stats(t); st.Users != 2 || st.JamSizes["band"] != 1 || st.JamSizes["elsewhere"] != 1 {
			t.Fatalf("stats %+v", st)
		}
	})

	t.Run("a takeover racing the old connection's close leaves the user in the jam once", func(t *testing.T) {
		s := newTestServer(t, Config{})
		for i := range 50 {
			jam := fmt.Sprintf("race-%d", i)
			other, _ := s.join(t, jam)
			old, wo := s.join(t, jam)
			wstest.Expect[*shared.Joined](other)
			c := s.dial(t)

			// Odd rounds send the join first, so that more of the closes
			// land in the middle of a takeover.
			if i%2 == 1 {
				c.Send(&shared.Join{Jam: jam, Resume: wo.Resume})
			}
			var wg sync.WaitGroup
			wg.Add(1)
			go func() {
				defer wg.Done()
				_ = old.WS.CloseNow()
			}()
			var w *shared.Welcome
			if i%2 == 1 {
				w = wstest.Expect[*shared.Welcome](c)
			} else {
				w = c.Join(jam, wo.Resume)
			}
			wg.Wait()

			if w.You != wo.You || w.Jam.ID != jam || w.Loop != wo.Loop {
				t.Fatalf("round %d: back as %s in %s with %s, want %s in %s with %s", i, w.You, w.Jam.ID, w.Loop, wo.You, jam, wo.Loop)
			}
			if len(w.Members) != 2 || w.Members[0].ID == w.Members[1].ID {
				t.Fatalf("round %d: welcome members %+v", i, w.Members)
			}
			// The other member saw nothing (a takeover) or a left and a
			// joined (the close came first: an ordinary resume). A left is
			// queued before the welcome, so before the pong of a ping sent
			// after it; the joined may come after the pong.
			var seen []shared.Message
			other.Send(&shared.Ping{ID: 4242, T0: 1})
			for {
				m := other.Next()
				if _, ok := m.(*shared.Pong); ok {
					break
				}
				seen = append(seen, m)
			}
			if len(seen) == 1 {
				seen = append(seen, other.Next())
			}
			if len(seen) != 0 {
				l, ok1 := seen[0].(*shared.Left)
				var j *shared.Joined
				ok2 := len(seen) == 2
				if ok2 {
					j, ok2 = seen[1].(*shared.Joined)
				}
				if !ok1 || !ok2 || l.ID != wo.You || j.Member.ID != wo.You || j.Member.Loop != wo.Loop {
					t.Fatalf("round %d: the other member saw %d frames: %s", i, len(seen), describe(seen))
				}
			}
			wstest.WaitFor(t, "the old connection to end", func() bool { return s.connCount() == 2*(i+1) })
			if st, js := s.Stats(), s.JamSizes(); st.Users != 2*(i+1) || js.JamSizes[jam] != 2 {
				t.Fatalf("round %d: stats %+v, want %d users, 2 in %s", i, st, 2*(i+1), jam)
			}
		}
	})

	t.Run("a takeover racing Drain ends with every connection closed and the drain done", func(t *testing.T) {
		for i := range 20 {
			s := newTestServer(t, Config{})
			old, wo := s.join(t, "")
			c := s.dial(t)
			c.Send(&shared.Join{Resume: wo.Resume})
			drained := make(chan struct{})
			go func() {
				defer close(drained)
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				s.Drain(ctx)
			}()
			// The new connection is welcomed as the user and then closed
			// with 1001, or closed with 1001 at once.
			m, err := c.Read(testTimeout)
			if err == nil {
				if w, ok := m.(*shared.Welcome); !ok || w.You != wo.You {
					t.Fatalf("round %d: got %T %+v, want the user's welcome", i, m, m)
				}
				c.ExpectClose(shared.StatusGoingAway)
			} else if st := websocket.CloseStatus(err); st != shared.StatusGoingAway {
				t.Fatalf("round %d: the new connection ended with %v", i, err)
			}
			// The old one was taken over (4000) or drained (1001).
			for {
				_, err := old.Read(testTimeout)
				if err == nil {
					continue
				}
				if st := websocket.CloseStatus(err); st != shared.StatusTakenOver && st != shared.StatusGoingAway {
					t.Fatalf("round %d: the old connection ended with %v", i, err)
				}
				break
			}
			select {
			case <-drained:
			case <-time.After(testTimeout):
				t.Fatalf("round %d: the drain did not end", i)
			}
			if st := s.Stats(); st.Users != 0 || st.Jams != 0 || s.connCount() != 0 {
				t.Fatalf("round %d: after the drain, stats %+v and %d connections", i, st, s.connCount())
			}
		}
	})

	t.Run("a takeover racing the slow-consumer close of the old connection leaves the user in the jam once", func(t *testing.T) {
		s := newTestServer(t, Config{})
		for i := range 50 {
			jam := fmt.Sprintf("slow-%d", i)
			other, _ := s.join(t, jam)
			old, wo := s.join(t, jam)
			wstest.Expect[*shared.Joined](other)
			srvOld := s.connOf(t, wo.You)
			c := s.dial(t)

			// The old connection is closed as the outbox closes one whose
			// queue is full, at the moment the new one takes it over.
			var wg sync.WaitGroup
			wg.Add(1)
			go func() {
				defer wg.Done()
				srvOld.closeAsync(statusPolicyViolation, "too slow: outgoing queue full", reasonSlow)
			}()
			w := c.Join(jam, wo.Resume)
			wg.Wait()
			if w.You != wo.You || w.Loop != wo.Loop || w.Jam.ID != jam || len(w.Members) != 2 {
				t.Fatalf("round %d: back as %+v, want %s with %s", i, w, wo.You, wo.Loop)
			}
			for {
				_, err := old.Read(testTimeout)
				if err == nil {
					continue
				}
				if st := websocket.CloseStatus(err); st != shared.StatusTakenOver && st != shared.StatusPolicyViolation {
					t.Fatalf("round %d: the old connection ended with %v", i, err)
				}
				break
			}
			wstest.WaitFor(t, "the old connection to end", func() bool { return s.connCount() == 2*(i+1) })
			if st, js := s.Stats(), s.JamSizes(); st.Users != 2*(i+1) || js.JamSizes[jam] != 2 {
				t.Fatalf("round %d: stats %+v, want %d users, 2 in %s", i, st, 2*(i+1), jam)
			}
			c.Send(&shared.Play{})
			for _, o := range []*client{c, other} {
				for {
					m := o.Next()
					if p, ok := m.(*shared.Played); ok {
						if p.ID != wo.You {
							t.Fatalf("round %d: played %+v, want %s", i, p, wo.You)
						}
						break
					}
				}
			}
		}
	})
}

// describe renders messages for a failure.
func describe(ms []shared.Message) string {
	var b []byte
	for _, m := range ms {
		b = fmt.Appendf(b, "%T %+v; ", m, m)
	}
	return string(b)
}
