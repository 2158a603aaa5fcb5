package app

import (
	"math"
	"testing"
)

// cadence is a stream's audio callbacks as the latency gate's worklet
// counts them: a burst of quanta every periodMs (each quantum spacingMs
// after the last; 0 for the whole burst at once), from phaseMs on.
type cadence struct {
	periodMs, phaseMs, spacingMs float64
	quanta                       int
}

// count returns the quanta rendered by ms t.
func (c cadence) count(t float64) int32 {
	if t < c.phaseMs {
		return 0
	}
	n := math.Floor((t - c.phaseMs) / c.periodMs)
	into := t - c.phaseMs - n*c.periodMs
	done := c.quanta
	if c.spacingMs > 0 {
		done = min(c.quanta, int(into/c.spacingMs)+1)
	}
	return int32(n)*int32(c.quanta) + int32(done)
}

// spin runs one spin of the gate on c from ms start, polling every
// everyMs, with the page's thread away for pauseMs after the first poll;
// it returns the step it ended on and when.
func spin(c cadence, rate, start, everyMs, pauseMs float64) (gateStep, float64) {
	s := latencySpin{rate: rate}
	t := start
	for i := 0; ; i++ {
		step := s.poll(t, c.count(t))
		if step != gateWait {
			return step, t
		}
		if i > 1e6 {
			panic("the spin never ends")
		}
		t += everyMs
		if i == 0 {
			t += pauseMs
		}
	}
}

// TestLatencyGate checks the moment the gate picks to read Firefox's
// output latency, on the cadences of callbacks a page sees: the read comes
// gateQuietMs or more after a burst's last quantum and gateLeadMs or more
// before the next burst begins, or not at all; a spin is short.
func TestLatencyGate(t *testing.T) {
	const rate = 48000
	// The null sink of the tests: 7 quanta every 18.67 ms, seen at once;
	// a heavier graph's, its quanta seen one by one; a desktop's 10 ms.
	for _, c := range []cadence{
		{periodMs: 7 * 128 / 48.0, quanta: 7},
		{periodMs: 7 * 128 / 48.0, quanta: 7, spacingMs: 0.3},
		{periodMs: 4 * 128 / 48.0, quanta: 4, spacingMs: 0.1},
	} {
		reads := 0
		for i := 0; i < 400; i++ {
			c.phaseMs = float64(i%37) * 0.51
			start := 1000 + float64(i)*0.173
			step, at := spin(c, rate, start, 0.004, 0)
			if at-start > gateSpinMs+0.01 {
				t.Fatalf("%+v: a spin from %.3f ms ran to %.3f ms", c, start, at)
			}
			if step != gateRead {
				continue
			}
			reads++
			// Where the read falls in the cadence.
			k := math.Floor((at - c.phaseMs) / c.periodMs)
			began := c.phaseMs + k*c.periodMs
			last := began + c.spacingMs*float64(c.quanta-1)
			if at-last < gateQuietMs || began+c.periodMs-at < gateLeadMs {
				t.Errorf("%+v: read at %.3f ms, %.3f ms after the burst's last quantum and %.3f ms before the next", c, at, at-last, began+c.periodMs-at)
			}
		}
		// A spin that starts within gateSearchMs before a burst that
		// has room after it finds its moment.
		if reads < 400*int(gateSearchMs)/int(c.periodMs+1) {
			t.Errorf("%+v: %d of 400 spins read, want about %.0f", c, reads, 400*gateSearchMs/c.periodMs)
		}
	}
	t.Run("bursts too close together for a read between them", func(t *testing.T) {
		c := cadence{periodMs: 2 * 128 / 48.0, quanta: 2}
		for i := 0; i < 100; i++ {
			if step, at := spin(c, rate, 1000+float64(i)*0.37, 0.004, 0); step != gateYield {
				t.Fatalf("a spin from %.2f ms read at %.3f ms", 1000+float64(i)*0.37, at)
			}
		}
	})
	t.Run("callbacks without a pause", func(t *testing.T) {
		c := cadence{periodMs: 1, quanta: 1}
		if step, at := spin(c, rate, 1000, 0.004, 0); step != gateYield || at-1000 > gateSpinMs+0.01 {
			t.Errorf("a spin ended %v at %.3f ms, want a yield by %.0f ms", step, at-1000, gateSpinMs)
		}
	})
	t.Run("no callbacks", func(t *testing.T) {
		step, at := spin(cadence{periodMs: 1e9, phaseMs: 1e9, quanta: 7}, rate, 1000, 0.004, 0)
		if step != gateYield || at-1000 > gateSearchMs+0.01 {
			t.Errorf("a spin without callbacks ended %v at %.3f ms, want a yield after %.0f ms", step, at-1000, gateSearchMs)
		}
	})
	t.Run("the page's thread away while a burst came", func(t *testing.T) {
		// The burst came at some moment of the pause: the gate counts
		// the next from the pause's start, and misses its moment rather
		// than read near the next.
		c := cadence{periodMs: 7 * 128 / 48.0, quanta: 7, phaseMs: 1010}
		if step, at := spin(c, rate, 1000, 0.004, 14); step != gateYield {
			t.Errorf("after a pause of 14 ms the spin ended %v at %.3f ms, want a yield", step, at)
		}
		c.phaseMs = 1003
		if step, _ := spin(c, rate, 1000, 0.004, 5); step != gateRead {
			t.Errorf("after a pause of 5 ms (the next burst 13.7 ms ahead at worst) the spin ended %v, want a read", step)
		}
	})
}
