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
	t.Run("a source within the drift bound is left alone", func(t *testing.T) {
		f := newFollow(10, 10)
		for now := 10.0; now < 70; now += 0.5 {
			if restart, _, changed := f.steer(10+driftSec/2, now, driftSec, clockRunning); restart || changed {
				t.Fatalf("steered at %v s, %v ms off", now, driftSec/2*1000)
			}
		}
	})
	t.Run("an audio clock that slips 0.34 % is followed without a restart", func(t *testing.T) {
		// Firefox's output clock on a quiet box: 203 ms a minute.
		f := newFollow(10, 10)
		worst := 0.0
		for now := 10.0; now < 130; now += 0.5 {
			at := 10 + 0.0034*(now-10)
			restart, _, _ := f.steer(at, now+lateLeadSec, driftSec, clockRunning)
			if restart {
				t.Fatalf("restarted at %v s", now)
			}
			worst = math.Max(worst, math.Abs(at-f.anchorAt(now)))
		}
		t.Logf("up to %.2f ms off, %d rate changes in two minutes, playing at %.5f", worst*1000, f.nudges, f.factor)
		if worst > 0.004 {
			t.Errorf("up to %.2f ms off the grid, want within 4", worst*1000)
		}
		if f.nudges > 60 {
			t.Errorf("%d rate changes in two minutes, want a few", f.nudges)
		}
		if math.Abs(f.factor-(1-0.0034)) > 0.0005 {
			t.Errorf("playing at %v of its rate, want about %v", f.factor, 1-0.0034)
		}
	})
	t.Run("a 10 ms glitch is made up by the rate within seconds", func(t *testing.T) {
		f := newFollow(10, 10)
		at := 10.010 // the audio clock stalled one 10 ms buffer
		var settled float64
		for now := 11.0; now < 30; now += 0.5 {
			if restart, factor, _ := f.steer(at, now+lateLeadSec, driftSec, clockRunning); restart || math.Abs(factor-1) > nudgeMax+1e-12 {
				t.Fatalf("restart %v, factor %v at %v s", restart, factor, now)
			}
			if settled == 0 && math.Abs(at-f.anchorAt(now)) < 0.0005 {
				settled = now - 11
			}
		}
		if settled == 0 || settled > 8 {
			t.Errorf("within 0.5 ms after %v s, want within 8 s", settled)
		}
		if math.Abs(f.factor-1) > 0.0002 || math.Abs(at-f.anchorAt(30)) > 0.0005 {
			t.Errorf("factor %v, %v ms off at the end; want about its own rate, on the grid", f.factor, (at-f.anchorAt(30))*1000)
		}
	})
	t.Run("a wobble inside the bound makes no rate changes", func(t *testing.T) {
		f := newFollow(10, 10)
		tol := driftBound(3)
		for i := 0; i < 240; i++ {
			off := 0.003 * math.Sin(float64(i)) // ±3 ms, back and forth
			if restart, _, changed := f.steer(10+off, 10+float64(i)/2, tol, clockRunning); restart || changed {
				t.Fatalf("steered by a wobble of %.2f ms", off*1000)
			}
		}
	})
	t.Run("a jump too large to make up restarts once it lasted persistSec", func(t *testing.T) {
		f := newFollow(10, 10)
		if restart, _, _ := f.steer(10+restartSec*1.2, 11, driftSec, clockRunning); restart {
			t.Error("restarted at the first reading")
		}
		if restart, _, _ := f.steer(10+restartSec*1.2, 11+persistSec, driftSec, clockRunning); !restart {
			t.Errorf("not restarted after %v s", persistSec)
		}
	})
	t.Run("while a stall is on nothing restarts; once it ended, a drift past restartSec restarts at once", func(t *testing.T) {
		f := newFollow(10, 10)
		for now := 11.0; now < 15; now += 0.5 {
			if restart, _, _ := f.steer(10+restartSec*3, now, driftSec, clockStalling); restart {
				t.Fatalf("restarted at %v s while the stall was on", now)
			}
		}
		if restart, _, _ := f.steer(10+restartSec*0.9, 15.5, driftSec, clockStalled); restart {
			t.Error("restarted after a stall within restartSec: the rate steers that back")
		}
		if restart, _, _ := f.steer(10+restartSec*3, 16, driftSec, clockStalled); !restart {
			t.Error("not restarted at once after a stall left it 150 ms off")
		}
	})
	t.Run("the anchor moves with the rate from when it changed", func(t *testing.T) {
		f := newFollow(10, 10)
		_, factor, changed := f.steer(10.004, 12, driftSec, clockRunning)
		if !changed || factor >= 1 {
			t.Fatalf("factor %v (changed %v), want below 1: the source runs ahead", factor, changed)
		}
		// At a factor below 1, the source falls behind by 1-factor a second.
		if a := f.anchorAt(13); math.Abs(a-(10+1-factor)) > 1e-9 {
			t.Errorf("anchor %v a second later, want %v", a, 10+1-factor)
		}
	})
	t.Run("the bound grows with the output clock's wobble", func(t *testing.T) {
		if b := driftBound(0.2); b != driftSec {
			t.Errorf("bound %v for a steady clock, want %v", b, driftSec)
		}
		if b := driftBound(3); math.Abs(b-0.0035) > 1e-9 {
			t.Errorf("bound %v for a clock wobbling 3 ms, want 0.0035", b)
		}
		if b := driftBound(50); b != restartSec/5 {
			t.Errorf("bound %v for a slipping clock, want %v", b, restartSec/5)
		}
	})
}

func TestRestartHold(t *testing.T) {
	big := restartSec * 2
	t.Run("a drift within restartSec never restarts", func(t *testing.T) {
		var h restartHold
		for i := 0; i < 100; i++ {
			if h.persists(float64(i)/10, restartSec*0.99) {
				t.Fatalf("restarted at reading %d", i)
			}
		}
	})
	t.Run("a steady large drift restarts after persistSec of audio time, not before", func(t *testing.T) {
		var h restartHold
		for _, at := range []float64{10, 10.1, 10.2, 10.3, 10.39} {
			if h.persists(at, -big) {
				t.Fatalf("restarted at %v s, %v s after the first reading", at, at-10)
			}
		}
		if !h.persists(10+persistSec, -big) {
			t.Errorf("not restarted %v s after the first reading", persistSec)
		}
	})
	t.Run("a large drift that comes back within restartSec is forgotten", func(t *testing.T) {
		var h restartHold
		h.persists(10, big)
		h.persists(10.3, restartSec/2)
		if h.persists(10.5, big) || h.persists(10.8, big) {
			t.Error("restarted: the drift's first run still counted")
		}
		if !h.persists(10.9, big) {
			t.Error("the second run not restarted after persistSec")
		}
	})
	t.Run("while the audio clock stands still, no reading makes a drift last", func(t *testing.T) {
		// A stall of the audio thread: the wall clock goes on, the audio
		// time does not, and the page reads the same drift again and again.
		var h restartHold
		for i := 0; i < 200; i++ {
			if h.persists(10, -big) {
				t.Fatalf("restarted at reading %d of a stalled clock", i)
			}
		}
	})
	t.Run("a drift still moving waits until it holds still", func(t *testing.T) {
		// The output clock's mapping settles in steps over a second after
		// a stall of 200 ms.
		var h restartHold
		steps := []struct{ at, off float64 }{{10, -0.060}, {10.3, -0.128}, {10.6, -0.196}, {10.9, -0.200}}
		for _, s := range steps {
			if h.persists(s.at, s.off) {
				t.Fatalf("restarted at %v s, %v ms off: the drift was still moving", s.at, s.off*1000)
			}
		}
		if !h.persists(11.0, -0.201) {
			t.Error("not restarted once the drift held still for persistSec")
		}
	})
	t.Run("a drift that never holds still restarts after holdMaxSec", func(t *testing.T) {
		var h restartHold
		restarted := -1.0
		for i := 0; i <= 100; i++ {
			at := 10 + float64(i)*0.1
			if h.persists(at, -0.060-0.140*float64(i%2)) { // -60, -200, -60 ms...
				restarted = at - 10
				break
			}
		}
		if restarted < holdMaxSec-1e-9 || restarted > holdMaxSec+0.1 {
			t.Errorf("restarted %v s after the first reading, want %v", restarted, holdMaxSec)
		}
	})
}
