package app

import (
	"math"
	"sort"
	"testing"
)

func TestOutputClock(t *testing.T) {
	t.Run("the smallest reading of the last second wins", func(t *testing.T) {
		var o outputClock
		o.read(10.0, 10_000+5, true)
		if got := o.read(10.2, 10_200+3, true); got != 3 {
			t.Errorf("d %v, want 3", got)
		}
		if got := o.read(10.4, 10_400+8, true); got != 3 {
			t.Errorf("d %v, want 3 (a later, later reading does not count)", got)
		}
	})
	t.Run("readings older than the window are forgotten", func(t *testing.T) {
		var o outputClock
		o.read(10.0, 10_000+1, true)
		if got := o.read(11.5, 11_500+4, true); got != 4 {
			t.Errorf("d %v, want 4", got)
		}
	})
	t.Run("each move of the best reading by a ms or more is kept, at its wall ms", func(t *testing.T) {
		var o outputClock
		o.read(10.0, 10_000+5, true)
		o.read(10.9, 10_900+5.5, true) // the best stays 5
		o.read(11.2, 11_200+40, true)  // 5 aged out: 5.5, under a ms from 5
		o.read(12.0, 12_000+40, true)  // 5.5 aged out: 40
		o.read(12.1, 12_100+39.5, true)
		if len(o.moves) != 1 || o.moves[0] != (stamp{at: 12_040, d: 35}) {
			t.Errorf("moves %v, want one of 35 ms (from 5) at 12040", o.moves)
		}
	})
	t.Run("a context that stopped forgets its readings", func(t *testing.T) {
		var o outputClock
		o.read(10.0, 10_000+1, true)
		if got := o.read(10.1, 10_100+6, false); got != 6 {
			t.Errorf("d %v, want 6", got)
		}
	})
	t.Run("the output clock is read only once the context has run for a second", func(t *testing.T) {
		var o outputClock
		if o.ready(false, 1000) {
			t.Error("ready while not running")
		}
		if o.ready(true, 2000) || o.ready(true, 2999) {
			t.Error("ready within a second of running")
		}
		if !o.ready(true, 3000) {
			t.Error("not ready after a second of running")
		}
		if o.ready(false, 3100) || o.ready(true, 3200) {
			t.Error("ready again at once after a suspension")
		}
		if !o.ready(true, 4200) {
			t.Error("not ready a second after running again")
		}
	})
	t.Run("a context-only clock (Firefox) is never read from the output clock, and keeps its readings past the second", func(t *testing.T) {
		// What the engine does each tick (outputOffset): ask ready, set
		// the source, read. The context starts running at 1000 ms; its
		// best reading comes at 1800 ms, d 2, the others d 5.
		for _, only := range []bool{true, false} {
			o := outputClock{contextOnly: only}
			var best float64
			read := false
			for at := 1000.0; at <= 6000; at += 50 {
				out := o.ready(true, at)
				read = read || out
				o.source(out)
				d := 5.0
				if at == 1800 {
					d = 2
				}
				ctx := (at - 1000) / 1000
				best = o.read(ctx, ctx*1000+d, true)
				if at == 2500 && only && best != 2 {
					t.Errorf("at 2500 ms d %v, want 2: the reading of 1800 ms was forgotten", best)
				}
			}
			if read != !only {
				t.Errorf("contextOnly %v: output clock read %v", only, read)
			}
			if best != 5 {
				t.Errorf("contextOnly %v: d %v at the end, want 5", only, best)
			}
		}
	})
	t.Run("readings of the context's clock and of the output clock never mix", func(t *testing.T) {
		var o outputClock
		o.source(false)
		o.read(10.0, 10_000+1, true) // the context's clock, no output latency
		o.source(true)
		if got := o.read(10.1, 10_100+12, true); got != 12 {
			t.Errorf("d %v, want 12: the context clock's reading lingered", got)
		}
	})
	t.Run("when a stall that lost audio ends, the readings from before it are forgotten at once", func(t *testing.T) {
		// The clock stands still for 200 ms from 10 s; its samples reach
		// the speakers 5 ms after it reads them, 205 ms after the stall.
		var watched, unwatched outputClock
		audio := func(w float64) float64 { return (math.Min(w, 10_000) + math.Max(0, w-10_200)) / 1000 }
		for w := 0.0; w < 12_000; w += 50 {
			a := audio(w)
			watched.watch(a, w, true)
			best, before := watched.read(a, w+5, true), unwatched.read(a, w+5, true)
			if watched.stall.owedMs > 0 {
				if best != 205 || before != 5 {
					t.Errorf("%v ms after the stall: d %v, want 205 (without the watch %v, from before it)", w-10_200, best, before)
				}
				return
			}
		}
		t.Error("the stall never ended")
	})
	t.Run("a steady clock has no wobble, nor one that moved once; a wobbling one has", func(t *testing.T) {
		var steady, moved, wobbly outputClock
		for i := 0; i < 400; i++ {
			at := 10 + float64(i)*0.05
			steady.read(at, at*1000+5, true)
			// A glitch moved the mapping by 30 ms, once.
			step := 0.0
			if i > 200 {
				step = 30
			}
			moved.read(at, at*1000+5+step, true)
			// Firefox's mapping: the best reading moves by a few ms
			// every two seconds, back and forth.
			wobbly.read(at, at*1000+5+3*float64((i/40)%2), true)
		}
		if w := steady.wobble(); w != 0 {
			t.Errorf("steady wobble %v, want 0", w)
		}
		if w := moved.wobble(); w != 0 {
			t.Errorf("wobble %v after one move, want 0", w)
		}
		if w := wobbly.wobble(); w != 3 {
			t.Errorf("wobble %v, want 3", w)
		}
	})
	t.Run("stalls of the audio thread, each climbed to by a ragged path, are no wobble, nor a slipping clock", func(t *testing.T) {
		// The best readings of Firefox's output clock every 0.25 s
		// around two stalls at load 5: up by 200 and 90 ms, each over a
		// second, coming back a little on the way; between them noise
		// of a ms.
		path := []float64{0, 0.5, 0, 12, 24, 35, 123, 130, 186, 196, 196.5, 196, 197, 196.2, 236, 230, 272, 286, 286.5, 286}
		var stalled, slipping outputClock
		for i, d := range path {
			stalled.bests = append(stalled.bests, stamp{at: float64(i) * bestEvery, d: d})
			// 0.3 % slow: 0.75 ms each 0.25 s, with readings late by
			// up to 0.2 ms.
			slipping.bests = append(slipping.bests, stamp{at: float64(i) * bestEvery, d: 0.75*float64(i) + 0.2*float64(i%2)})
		}
		if w := stalled.wobble(); w > 1 {
			t.Errorf("wobble %v ms after two stalls, want at most the ms of noise between them", w)
		}
		if w := slipping.wobble(); w != 0 {
			t.Errorf("wobble %v ms of a slipping clock, want 0", w)
		}
		// The rule before: the third largest step.
		var steps []float64
		for i := 1; i < len(path); i++ {
			steps = append(steps, math.Abs(path[i]-path[i-1]))
		}
		sort.Float64s(steps)
		t.Logf("the third largest step, the wobble before: %v ms", steps[len(steps)-3])
	})
}
