package measure

import (
	"math"
	"testing"
)

func sine(sr int, hz, amp, secs float64) []float32 {
	x := make([]float32, int(secs*float64(sr)))
	for i := range x {
		x[i] = float32(amp * math.Sin(2*math.Pi*hz*float64(i)/float64(sr)))
	}
	return x
}

func TestLoudness(t *testing.T) {
	t.Run("a 1 kHz sine at -20 dBFS in both channels reads -20 LUFS, at any rate (BS.1770's own check, within 0.1 LU)", func(t *testing.T) {
		for _, sr := range []int{44100, 48000, 96000} {
			a := math.Pow(10, -20.0/20)
			x := sine(sr, 1000, a, 5)
			// Two channels each at -20 dBFS add 3 dB over one; one channel alone is -23.
			if got := Loudness(sr, x); math.Abs(got-(-23.01)) > 0.1 {
				t.Errorf("%d Hz: one channel %.2f LUFS, want -23.0", sr, got)
			}
			if got := Loudness(sr, x, x); math.Abs(got-(-20.0)) > 0.1 {
				t.Errorf("%d Hz: two channels %.2f LUFS, want -20.0", sr, got)
			}
		}
	})
	t.Run("K-weighting lifts 4 kHz by about 4 dB and cuts 30 Hz", func(t *testing.T) {
		sr := 48000
		ref := Loudness(sr, sine(sr, 1000, 0.1, 3))
		if d := Loudness(sr, sine(sr, 4000, 0.1, 3)) - ref; d < 3 || d > 5 {
			t.Errorf("4 kHz is %.2f LU over 1 kHz", d)
		}
		if d := Loudness(sr, sine(sr, 30, 0.1, 3)) - ref; d > -1.5 {
			t.Errorf("30 Hz is %.2f LU against 1 kHz", d)
		}
	})
	t.Run("the relative gate ignores quiet passages: a tone with long near-silences reads near the tone", func(t *testing.T) {
		sr := 48000
		x := sine(sr, 1000, 0.1, 4)
		for i := range x[sr*2:] {
			x[sr*2+i] *= 0.001
		}
		tone := Loudness(sr, sine(sr, 1000, 0.1, 2))
		// Ungated, it would read 3 LU under the tone; the blocks that
		// straddle the fade are counted, as the standard counts them.
		if got := Loudness(sr, x); math.Abs(got-tone) > 0.5 {
			t.Errorf("gated %.2f, the tone alone %.2f", got, tone)
		}
	})
	t.Run("silence is -Inf", func(t *testing.T) {
		if got := Loudness(48000, make([]float32, 48000)); !math.IsInf(got, -1) {
			t.Errorf("got %v", got)
		}
	})
}

func TestPhone(t *testing.T) {
	sr := 48000
	t.Run("a 60 Hz tone nearly vanishes and a 1 kHz tone passes", func(t *testing.T) {
		lo := sine(sr, 60, 0.1, 3)
		if loss := PhoneLoss(sr, lo, lo); loss < 30 {
			t.Errorf("60 Hz loses %.1f LU", loss)
		}
		hi := sine(sr, 1000, 0.1, 3)
		if loss := PhoneLoss(sr, hi, hi); math.Abs(loss) > 0.3 {
			t.Errorf("1 kHz loses %.1f LU", loss)
		}
	})
	t.Run("at the 250 Hz corner the loss is 3 dB", func(t *testing.T) {
		x := sine(sr, 250, 0.1, 3)
		if loss := PhoneLoss(sr, x, x); math.Abs(loss-3) > 0.4 {
			t.Errorf("250 Hz loses %.2f LU", loss)
		}
	})
}

func TestBands(t *testing.T) {
	sr := 48000
	x := sine(sr, 200, 0.3, 3)
	y := sine(sr, 3000, 0.1, 3)
	for i := range x {
		x[i] += y[i]
	}
	got := Bands(sr, x, x, [2]float64{100, 400}, [2]float64{2000, 5000})
	if math.Abs(got[0]-0.9) > 0.01 || math.Abs(got[1]-0.1) > 0.01 {
		t.Errorf("shares %v, want 0.9 and 0.1", got)
	}
}

func TestHalfCorrelation(t *testing.T) {
	x := sine(48000, 440, 0.3, 2)
	if c := HalfCorrelation(x, x); c < 0.999 {
		t.Errorf("a steady sine: %v", c)
	}
	y := sine(48000, 440, 0.3, 2)
	for i := range y[48000:] {
		y[48000+i] *= -0.5
	}
	if c := HalfCorrelation(y, y); c > -0.999 {
		t.Errorf("inverted second half: %v", c)
	}
}

func TestChroma(t *testing.T) {
	sr := 48000
	x := sine(sr, 220, 0.3, 2) // A
	c := Chroma(sr, x, x)
	best := 0
	for pc := range c {
		if c[pc] > c[best] {
			best = pc
		}
	}
	if best != 9 {
		t.Errorf("strongest %s, want A", PitchClassNames[best])
	}
}

func TestOnsets(t *testing.T) {
	// Notes at known frames: a plucked tone and a noise burst, in a loop.
	for _, sr := range []int{44100, 48000} {
		n := 2 * sr
		l := make([]float32, n)
		want := []int{0, sr / 4, sr/2 + 1234, sr, 3*sr/2 + 77}
		seed := uint32(1)
		for k, at := range want {
			for i := range sr / 5 {
				v := math.Exp(-float64(i)/float64(sr)*20) * math.Min(1, float64(i)/float64(sr/2000))
				var s float64
				if k%2 == 0 {
					s = math.Sin(2 * math.Pi * 330 * float64(i) / float64(sr))
				} else {
					seed ^= seed << 13
					seed ^= seed >> 17
					seed ^= seed << 5
					s = float64(int32(seed)) / (1 << 31)
				}
				l[(at+i)%n] += float32(0.3 * v * s)
			}
		}
		got := Onsets(sr, l, l, 0.1)
		if len(got) != len(want) {
			t.Fatalf("%d Hz: onsets at %v, want %v", sr, got, want)
		}
		for i, w := range want {
			best := math.Inf(1)
			for _, g := range got {
				d := math.Abs(float64(g - w))
				best = min(best, d, float64(n)-d)
			}
			if ms := best / float64(sr) * 1000; ms > 3 {
				t.Errorf("%d Hz: onset %d (frame %d) found %.1f ms off, in %v", sr, i, w, ms, got)
			}
		}
	}
}
