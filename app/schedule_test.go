package app

import (
	"math"
	"testing"

	"github.com/loopswithfriends/loops/shared"
)

func TestScheduleStart(t *testing.T) {
	tl := shared.NewTimeline(1000) // 100 BPM: bars of 2400 ms, loops of 4800 ms
	near := func(a, b float64) bool { return math.Abs(a-b) < 1e-9 }
	loopSec := tl.LoopSeconds()
	t.Run("a bar still to come starts on its audio time, at the top of the loop", func(t *testing.T) {
		shift := 500.0 // server ms - 500 = audio ms
		st := scheduleStart(tl, 10, shift, 1, loopSec)
		want := (tl.BarStart(10) - shift) / 1000
		if !near(st.When, want) || !near(st.Anchor, want) || !near(st.Offset, 0) || st.Rate != 1 {
			t.Errorf("start %+v, want at %v from 0", st, want)
		}
		if st.ServerMs != tl.BarStart(10) {
			t.Errorf("server ms %v, want %v", st.ServerMs, tl.BarStart(10))
		}
	})
	t.Run("an odd bar starts half way into a two-bar loop", func(t *testing.T) {
		st := scheduleStart(tl, 11, 0, 0, loopSec)
		if !near(st.Offset, 2.4) {
			t.Errorf("offset %v, want 2.4 s", st.Offset)
		}
	})
	t.Run("a late start sounds soon, in phase", func(t *testing.T) {
		at := tl.BarStart(10) / 1000
		now := at + 1 // a second late
		st := scheduleStart(tl, 10, 0, now, loopSec)
		if !near(st.When, now+lateLeadSec) {
			t.Errorf("when %v, want %v", st.When, now+lateLeadSec)
		}
		if !near(st.Offset, 1+lateLeadSec) || !near(st.Anchor, at) {
			t.Errorf("offset %v anchor %v, want %v and %v", st.Offset, st.Anchor, 1+lateLeadSec, at)
		}
	})
	t.Run("a start wrapping past the loop's end comes back to its top", func(t *testing.T) {
		at := tl.BarStart(10) / 1000
		st := scheduleStart(tl, 10, 0, at+loopSec+0.5-lateLeadSec, loopSec)
		if !near(st.Offset, 0.5) {
			t.Errorf("offset %v, want 0.5", st.Offset)
		}
	})
	t.Run("a buffer of another length is stretched to the grid", func(t *testing.T) {
		at := tl.BarStart(10) / 1000
		st := scheduleStart(tl, 10, 0, at+1-lateLeadSec, 2*loopSec)
		if !near(st.Rate, 2) || !near(st.Offset, 2) {
			t.Errorf("rate %v offset %v, want 2 and 2", st.Rate, st.Offset)
		}
		if st := scheduleStart(tl, 10, 0, 0, loopSec+0.0005); st.Rate != 1 {
			t.Errorf("a buffer half a ms long is stretched: rate %v", st.Rate)
		}
	})
	t.Run("a source within the drift bound stays", func(t *testing.T) {
		var d drift
		for ms := 0.0; ms < 10_000; ms += 500 {
			if d.due(10, 10+driftSec/2, driftSec, ms) {
				t.Fatalf("re-anchored %v ms in, within the bound", ms)
			}
		}
	})
	t.Run("a source re-anchors once its drift lasted", func(t *testing.T) {
		var d drift
		for ms := 0.0; ms < driftPersistMs; ms += 500 {
			if d.due(10, 10-2*driftSec, driftSec, ms) {
				t.Fatalf("re-anchored %v ms in, before the drift lasted", ms)
			}
		}
		if !d.due(10, 10-2*driftSec, driftSec, driftPersistMs) {
			t.Error("not re-anchored after the drift lasted")
		}
	})
	t.Run("a drift that comes and goes never re-anchors", func(t *testing.T) {
		var d drift
		for ms := 0.0; ms < 60_000; ms += 500 {
			off := 2 * driftSec
			if int(ms/500)%3 == 0 {
				off = 0 // the wobbling mapping comes back
			}
			if d.due(10, 10+off, driftSec, ms) {
				t.Fatalf("re-anchored %v ms in", ms)
			}
		}
	})
	t.Run("a large drift re-anchors at once", func(t *testing.T) {
		var d drift
		if !d.due(10, 10+1.2*driftJumpSec, driftSec, 0) {
			t.Error("a jump of the grid waited")
		}
	})
	t.Run("the bound grows with the output clock's wobble", func(t *testing.T) {
		if b := driftBound(0.2); b != driftSec {
			t.Errorf("bound %v for a steady clock, want %v", b, driftSec)
		}
		if b := driftBound(3); math.Abs(b-0.0035) > 1e-9 {
			t.Errorf("bound %v for a clock wobbling 3 ms, want 0.0035", b)
		}
		if b := driftBound(50); b != driftJumpSec {
			t.Errorf("bound %v for a slipping clock, want %v", b, driftJumpSec)
		}
	})
}
