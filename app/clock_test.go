package app

import (
	"math"
	"testing"
)

func TestClock(t *testing.T) {
	t.Run("the offset comes from the shortest round trips", func(t *testing.T) {
		c := newClock()
		// True offset 1000 ms. Slow round trips carry skew (the reply was
		// queued), fast ones almost none.
		c.Add(0, 80, 1000+70)   // rtt 80, skewed by +30
		c.Add(100, 102, 1101)   // rtt 2, exact
		c.Add(200, 260, 1201)   // rtt 60, skewed by -29 (1 ms up, 59 down)
		c.Add(300, 303, 1301.5) // rtt 3, exact
		c.Add(400, 402, 1401)   // rtt 2, exact
		off, ok := c.Offset()
		if !ok || math.Abs(off-1000) > 0.01 {
			t.Errorf("offset %v (ok %v), want 1000", off, ok)
		}
		if rtt := c.RTT(); rtt != 2 {
			t.Errorf("rtt %v, want 2", rtt)
		}
		if c.Samples() != 5 {
			t.Errorf("samples %d, want 5", c.Samples())
		}
	})
	t.Run("later estimates slew, never jump", func(t *testing.T) {
		c := newClock()
		for i := 0; i < 5; i++ {
			c.Add(float64(i*100), float64(i*100+2), float64(i*100+1+500))
		}
		before, _ := c.Offset()
		// The server's clock now reads 20 ms later: within snap range.
		for i := 5; i < 30; i++ {
			c.Add(float64(i*100), float64(i*100+2), float64(i*100)+1+520)
			now, _ := c.Offset()
			if step := math.Abs(now - before); step > c.slewMs+1e-9 {
				t.Fatalf("offset jumped %v ms in one estimate", step)
			}
			before = now
		}
		if off, _ := c.Offset(); math.Abs(off-520) > 0.01 {
			t.Errorf("offset %v after slewing, want 520", off)
		}
	})
	t.Run("much shorter round trips than the first ones win at once", func(t *testing.T) {
		c := newClock()
		// A busy start: slow, skewed samples.
		for i := 0; i < 8; i++ {
			c.Add(float64(i*100), float64(i*100+40), float64(i*100)+20+1000-30)
		}
		for i := 8; i < 12; i++ {
			c.Add(float64(i*100), float64(i*100+2), float64(i*100)+1+1000)
		}
		if off, _ := c.Offset(); math.Abs(off-1000) > 0.01 {
			t.Errorf("offset %v, want 1000", off)
		}
	})
	t.Run("on a jittery link the shortest round trips decide", func(t *testing.T) {
		c := newClock()
		// 50 ms each way, plus up to 25 ms of jitter in either direction.
		ups := []float64{70, 52, 61, 75, 50.5, 66, 58, 73, 55, 69, 51, 64}
		downs := []float64{55, 71, 50.2, 62, 51, 74, 57, 53, 68, 60, 72, 50.8}
		for i := range ups {
			t0 := float64(i * 1000)
			server := t0 + ups[i] + 5000
			c.Add(t0, t0+ups[i]+downs[i], server)
		}
		if off, _ := c.Offset(); math.Abs(off-5000) > 1.5 {
			t.Errorf("offset %v, want 5000 within 1.5 ms", off)
		}
	})
	t.Run("on a jittery link the bounds of every round trip pin the offset", func(t *testing.T) {
		c := newClock()
		// The fastest way up (50.5 ms) and the fastest way down (50.2 ms)
		// come in different round trips; together they bound the offset to
		// within 0.15 ms, closer than any one round trip can.
		ups := []float64{70, 52, 61, 75, 50.5, 66, 58, 73, 55, 69, 51, 64}
		downs := []float64{55, 71, 50.2, 62, 74, 51, 57, 53, 68, 60, 72, 50.8}
		for i := range ups {
			t0 := float64(i * 1000)
			c.Add(t0, t0+ups[i]+downs[i], t0+ups[i]+5000)
		}
		if off, _ := c.Offset(); math.Abs(off-5000) > 0.2 {
			t.Errorf("offset %v, want 5000 within 0.2 ms", off)
		}
	})
	t.Run("skewed samples at the start do not linger past the first burst", func(t *testing.T) {
		c := newClock()
		// A slow link, 125 ms round trips all along: the first three pongs
		// went up slowly (75 ms, 50 back), the next five came back slowly.
		// Only together do they show the offset; all eight are the
		// socket's first burst, before anything is scheduled.
		for i := 0; i < 8; i++ {
			up, down := 75.0, 50.0
			if i >= 3 {
				up, down = 50, 75
			}
			t0 := float64(i * 40)
			c.Add(t0, t0+up+down, t0+up+5000)
		}
		if off, _ := c.Offset(); math.Abs(off-5000) > 0.01 {
			t.Errorf("offset %v after the burst, want 5000", off)
		}
	})
	t.Run("a huge change snaps", func(t *testing.T) {
		c := newClock()
		for i := 0; i < 5; i++ {
			c.Add(float64(i*100), float64(i*100+2), float64(i*100+1))
		}
		for i := 5; i < 25; i++ {
			c.Add(float64(i*100), float64(i*100+2), float64(i*100+1)+5000)
		}
		if off, _ := c.Offset(); math.Abs(off-5000) > 0.01 {
			t.Errorf("offset %v, want 5000", off)
		}
	})
	t.Run("nonsense samples are ignored", func(t *testing.T) {
		c := newClock()
		c.Add(10, 5, 100)
		c.Add(math.NaN(), 5, 100)
		if _, ok := c.Offset(); ok || c.Samples() != 0 {
			t.Error("a negative or NaN round trip counted")
		}
	})
}
