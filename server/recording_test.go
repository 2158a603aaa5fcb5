//go:build !wasm

package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"testing"
	"time"

	"github.com/loopswithfriends/loops/server/boltstore"
	"github.com/loopswithfriends/loops/server/wstest"
	"github.com/loopswithfriends/loops/shared"
)

// barClock sets a fake server clock on a jam's bars.
type barClock struct {
	*fakeClock
	tl shared.Timeline
}

// at sets the clock a third of the way into bar n: a change made now takes
// effect at bar n+1.
func (c barClock) at(n int64) {
	ms := c.tl.BarStart(n) + c.tl.BarMs()/3
	c.Set(time.UnixMicro(int64(ms * 1000)))
}

// recordingJam starts a server on a fake clock and joins n players to one
// jam; the clock stands in bar 0.
func recordingJam(t *testing.T, cfg Config, n int) (*testServer, barClock, []*client, []*shared.Welcome) {
	t.Helper()
	clock := newFakeClock()
	cfg.Now = clock.Now
	s := newTestServer(t, cfg)
	cs, ws := fullJam(t, s, n)
	bc := barClock{clock, ws[0].Jam.Timeline}
	bc.at(0)
	return s, bc, cs, ws
}

// everyone reads the next message of every client, failing unless it is a T.
func everyone[T shared.Message](cs []*client) T {
	var last T
	for _, c := range cs {
		last = wstest.Expect[T](c)
	}
	return last
}

// recordNow has c ask for bars bars and returns the recording every member
// was told of, read back from the server.
func recordNow(t *testing.T, s *testServer, c *client, cs []*client, bars int) (*shared.Recorded, *shared.Recording) {
	t.Helper()
	c.Send(&shared.Record{Bars: bars})
	r := everyone[*shared.Recorded](cs)
	var rec shared.Recording
	if code := s.getJSON(t, "/api/recordings/"+r.ID, &rec); code != http.StatusOK {
		t.Fatalf("GET the recording: %d", code)
	}
	return r, &rec
}

func wantParts(t *testing.T, rec *shared.Recording, want ...shared.Part) {
	t.Helper()
	if want == nil {
		want = []shared.Part{}
	}
	if !reflect.DeepEqual(rec.Parts, want) {
		t.Fatalf("parts %+v, want %+v", rec.Parts, want)
	}
	if err := rec.Validate(); err != nil {
		t.Fatal(err)
	}
}

// failingStore is a recording store whose disk is gone.
type failingStore struct{}

func (failingStore) Put(context.Context, *shared.Recording) error {
	return errors.New("disk on fire")
}

func (failingStore) Get(context.Context, string) (*shared.Recording, error) {
	return nil, errors.New("disk on fire")
}

func TestRecording(t *testing.T) {
	t.Run("every member is told of a recording of which loop sounded from which bar to which bar, swaps mid-stretch too", func(t *testing.T) {
		s, clock, cs, ws := recordingJam(t, Config{}, 3)
		a, b := cs[0], cs[1]
		clock.at(0)
		a.Send(&shared.Play{}) // drums from bar 1
		everyone[*shared.Played](cs)
		clock.at(1)
		b.Send(&shared.Play{}) // bass from bar 2
		everyone[*shared.Played](cs)
		clock.at(3)
		a.Send(&shared.Swap{Loop: "bells"}) // drums to bar 4, bells from 4
		everyone[*shared.Swapped](cs)
		clock.at(4)
		b.Send(&shared.Stop{}) // bass to bar 5
		everyone[*shared.Stopped](cs)
		clock.at(5)
		a.Send(&shared.Stop{}) // bells to bar 6
		everyone[*shared.Stopped](cs)

		clock.at(7)
		r, rec := recordNow(t, s, cs[2], cs, 100)
		if r.By != ws[2].You || r.Bars != 8 || rec.Bars != 8 || rec.FirstBar != 0 {
			t.Fatalf("recorded %+v, recording of %d bars from bar %d: want 8 bars (the jam's age) by %s", r, rec.Bars, rec.FirstBar, ws[2].You)
		}
		if !shared.ValidRecordingID(r.ID) || rec.ID != r.ID {
			t.Fatalf("recording id %q, served as %q", r.ID, rec.ID)
		}
		tl := ws[0].Jam.Timeline
		if rec.Kit != shared.DefaultKit().ID || rec.BPM != tl.BPM || rec.BeatsPerBar != tl.BeatsPerBar || rec.BarsPerLoop != tl.BarsPerLoop {
			t.Fatalf("recording's kit and timeline %+v, the jam's %+v", rec, tl)
		}
		wantParts(t, rec,
			shared.Part{Loop: "drums", From: 1, To: 4},
			shared.Part{Loop: "bass", From: 2, To: 5},
			shared.Part{Loop: "bells", From: 4, To: 6})

		// The last 3 bars, 5 to 7: the bells' last bar only.
		_, rec = recordNow(t, s, cs[2], cs, 3)
		if rec.FirstBar != 5 || rec.Bars != 3 {
			t.Fatalf("3 bars: %d from bar %d", rec.Bars, rec.FirstBar)
		}
		wantParts(t, rec, shared.Part{Loop: "bells", From: 0, To: 1})
	})

	t.Run("a loop stopped and played on the same bar is one stretch, and a queued loop is in no recording before its bar", func(t *testing.T) {
		s, clock, cs, _ := recordingJam(t, Config{}, 1)
		a := cs[0]
		a.Send(&shared.Play{}) // from bar 1
		everyone[*shared.Played](cs)
		clock.at(2)
		a.Send(&shared.Stop{}) // to bar 3
		everyone[*shared.Stopped](cs)
		a.Send(&shared.Play{}) // from bar 3 again
		everyone[*shared.Played](cs)
		clock.at(4)
		a.Send(&shared.Stop{}) // to bar 5
		everyone[*shared.Stopped](cs)
		a.Send(&shared.Play{}) // queued for bar 5
		everyone[*shared.Played](cs)
		_, rec := recordNow(t, s, a, cs, 10)
		wantParts(t, rec, shared.Part{Loop: "drums", From: 1, To: 5})
	})

	t.Run("the history keeps the last 250 bars: older stretches are cut at the ring's edge or gone", func(t *testing.T) {
		s, clock, cs, _ := recordingJam(t, Config{}, 2)
		a, b := cs[0], cs[1]
		a.Send(&shared.Play{}) // drums from bar 1
		everyone[*shared.Played](cs)
		b.Send(&shared.Play{}) // bass from bar 1
		everyone[*shared.Played](cs)
		clock.at(9)
		b.Send(&shared.Stop{}) // bass to bar 10: gone from the ring by bar 300
		everyone[*shared.Stopped](cs)
		clock.at(299)
		a.Send(&shared.Swap{Loop: "pad"}) // drums to 300, pad from 300
		everyone[*shared.Swapped](cs)

		clock.at(310)
		r, rec := recordNow(t, s, a, cs, shared.HistoryBars)
		if r.Bars != shared.HistoryBars || rec.FirstBar != 310-shared.HistoryBars+1 {
			t.Fatalf("recorded %d bars from bar %d, want %d from %d", r.Bars, rec.FirstBar, shared.HistoryBars, 310-shared.HistoryBars+1)
		}
		wantParts(t, rec,
			shared.Part{Loop: "drums", From: 0, To: 300 - 61},
			shared.Part{Loop: "pad", From: 300 - 61, To: 250})

		// Long after every change, one loop has sounded the whole ring.
		clock.at(1000)
		_, rec = recordNow(t, s, a, cs, shared.HistoryBars)
		wantParts(t, rec, shared.Part{Loop: "pad", From: 0, To: 250})
	})

	t.Run("a member who leaves while playing ends its stretch at the bar it left in; a queued one never sounded", func(t *testing.T) {
		s, clock, cs, _ := recordingJam(t, Config{}, 3)
		a, b, c := cs[0], cs[1], cs[2]
		a.Send(&shared.Play{}) // drums from 1
		everyone[*shared.Played](cs)
		b.Send(&shared.Play{}) // bass from 1
		everyone[*shared.Played](cs)
		clock.at(4)
		b.Send(&shared.Leave{}) // bass to 4
		everyone[*shared.Left]([]*client{a, c})
		c.Send(&shared.Play{}) // keys queued for 5
		everyone[*shared.Played]([]*client{a, c})
		c.Send(&shared.Leave{}) // and gone before it
		everyone[*shared.Left]([]*client{a})

		clock.at(6)
		_, rec := recordNow(t, s, a, []*client{a}, 10)
		wantParts(t, rec,
			shared.Part{Loop: "drums", From: 1, To: 7},
			shared.Part{Loop: "bass", From: 1, To: 4})
	})

	t.Run("a member who swaps and leaves before the swap's bar ends the old loop where it left, and the new one never sounds", func(t *testing.T) {
		s, clock, cs, _ := recordingJam(t, Config{}, 2)
		a, b := cs[0], cs[1]
		a.Send(&shared.Play{}) // drums from 1
		everyone[*shared.Played](cs)
		clock.at(4)
		a.Send(&shared.Swap{Loop: "bells"}) // drums to 5, bells from 5
		everyone[*shared.Swapped](cs)
		a.Send(&shared.Swap{Loop: "pad"}) // a second thought, still for 5
		everyone[*shared.Swapped](cs)
		a.Send(&shared.Leave{}) // but gone in bar 4: drums to 4
		everyone[*shared.Left]([]*client{b})
		b.Send(&shared.Swap{Loop: "drums"}) // the free drums, for b, from 5
		everyone[*shared.Swapped]([]*client{b})
		b.Send(&shared.Play{})
		everyone[*shared.Played]([]*client{b})

		clock.at(7)
		_, rec := recordNow(t, s, b, []*client{b}, 10)
		wantParts(t, rec,
			shared.Part{Loop: "drums", From: 1, To: 4},
			shared.Part{Loop: "drums", From: 5, To: 8})
	})

	t.Run("a store that fails gets rate_limited (try again later), tells nobody, and the connection stays open", func(t *testing.T) {
		_, _, cs, _ := recordingJam(t, Config{Recordings: failingStore{}}, 2)
		cs[0].Send(&shared.Record{Bars: 4})
		cs[0].ExpectError(shared.CodeRateLimited)
		cs[1].ExpectQuiet()
		cs[0].Send(&shared.Play{})
		everyone[*shared.Played](cs)
	})

	t.Run("bars out of range get bad_record and the connection stays open", func(t *testing.T) {
		_, _, cs, _ := recordingJam(t, Config{}, 1)
		for _, bars := range []int{0, -1, shared.HistoryBars + 1, 1 << 40} {
			cs[0].Send(&shared.Record{Bars: bars})
			cs[0].ExpectError(shared.CodeBadRecord)
		}
		cs[0].ExpectQuiet()
	})

	t.Run("a record before joining gets not_joined", func(t *testing.T) {
		s := newTestServer(t, Config{})
		c := s.dial(t)
		c.Send(&shared.Record{Bars: 10})
		c.ExpectError(shared.CodeNotJoined)
	})

	t.Run("a seventh record within a minute gets rate_limited and saves nothing", func(t *testing.T) {
		s, _, cs, _ := recordingJam(t, Config{}, 2)
		for range shared.RecordsPerMinute {
			recordNow(t, s, cs[0], cs, 1)
		}
		cs[0].Send(&shared.Record{Bars: 1})
		cs[0].ExpectError(shared.CodeRateLimited)
		cs[1].ExpectQuiet()
		// The limit is the socket's: the other member may still record.
		recordNow(t, s, cs[1], cs, 1)
		if n := counterValue(t, s.metrics.recordings); n != shared.RecordsPerMinute+1 {
			t.Fatalf("%v recordings saved, want %d", n, shared.RecordsPerMinute+1)
		}
	})

	t.Run("an unknown or malformed recording id is a 404", func(t *testing.T) {
		s := newTestServer(t, Config{})
		for _, id := range []string{newRecordingID(), "short", "../../etc/passwd", newRecordingID() + "x"} {
			if code := s.getJSON(t, "/api/recordings/"+id, nil); code != http.StatusNotFound {
				t.Errorf("GET /api/recordings/%s: %d, want 404", id, code)
			}
		}
	})

	t.Run("recordings in the bbolt store outlive the server", func(t *testing.T) {
		dir := t.TempDir()
		store, err := boltstore.Open(dir, boltstore.Options{})
		if err != nil {
			t.Fatal(err)
		}
		s, clock, cs, _ := recordingJam(t, Config{Recordings: store}, 1)
		cs[0].Send(&shared.Play{})
		everyone[*shared.Played](cs)
		clock.at(5)
		_, saved := recordNow(t, s, cs[0], cs, 20)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		s.Drain(ctx)
		s.ts.Close()
		if err := store.Close(); err != nil {
			t.Fatal(err)
		}

		again, err := boltstore.Open(dir, boltstore.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer again.Close()
		s2 := newTestServer(t, Config{Recordings: again})
		var rec shared.Recording
		if code := s2.getJSON(t, "/api/recordings/"+saved.ID, &rec); code != http.StatusOK {
			t.Fatalf("after the restart: %d", code)
		}
		if !reflect.DeepEqual(&rec, saved) {
			t.Fatalf("after the restart %+v, before %+v", rec, *saved)
		}
		wantParts(t, &rec, shared.Part{Loop: "drums", From: 1, To: 6})
	})
}

func TestHistory(t *testing.T) {
	id := func(i int) string { return fmt.Sprint(i) }
	t.Run("a change that reaches the jam after its bar was written rewrites the bars it covers", func(t *testing.T) {
		h := newHistory(0)
		h.set(0, true, 2)
		h.fill(5) // a record written bars 0 to 5
		h.set(1, true, 4)
		h.set(0, false, 5)
		got := h.parts(0, 6, id)
		want := []shared.Part{{Loop: "0", From: 2, To: 5}, {Loop: "1", From: 4, To: 7}}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("parts %+v, want %+v", got, want)
		}
	})

	t.Run("bars that fell off the ring are not rewritten over newer ones", func(t *testing.T) {
		h := newHistory(0)
		h.set(3, true, 0)
		h.fill(1000)
		h.set(3, false, 10) // long gone: only the ring's bars change
		got := h.parts(1000-shared.HistoryBars+1, 1000, id)
		if len(got) != 0 {
			t.Fatalf("parts %+v, want none", got)
		}
	})
}
