package measure

import "math"

// biquad is a second-order IIR section, direct form I, in float64.
type biquad struct {
	b0, b1, b2, a1, a2 float64
}

// run filters x into a new slice.
func (f biquad) run(x []float64) []float64 {
	y := make([]float64, len(x))
	var x1, x2, y1, y2 float64
	for i, v := range x {
		o := f.b0*v + f.b1*x1 + f.b2*x2 - f.a1*y1 - f.a2*y2
		x2, x1 = x1, v
		y2, y1 = y1, o
		y[i] = o
	}
	return y
}

// kWeighting returns BS.1770-4's two K-weighting stages (a high shelf for
// the head, then the RLB high-pass) designed for the sample rate, as
// libebur128 designs them from the standard's 48 kHz analogue prototypes.
func kWeighting(sr int) [2]biquad {
	f0, g, q := 1681.974450955533, 3.999843853973347, 0.7071752369554196
	k := math.Tan(math.Pi * f0 / float64(sr))
	vh := math.Pow(10, g/20)
	vb := math.Pow(vh, 0.4996667741545416)
	a0 := 1 + k/q + k*k
	shelf := biquad{
		b0: (vh + vb*k/q + k*k) / a0, b1: 2 * (k*k - vh) / a0, b2: (vh - vb*k/q + k*k) / a0,
		a1: 2 * (k*k - 1) / a0, a2: (1 - k/q + k*k) / a0,
	}
	f0, q = 38.13547087602444, 0.5003270373238773
	k = math.Tan(math.Pi * f0 / float64(sr))
	a0 = 1 + k/q + k*k
	rlb := biquad{b0: 1, b1: -2, b2: 1, a1: 2 * (k*k - 1) / a0, a2: (1 - k/q + k*k) / a0}
	return [2]biquad{shelf, rlb}
}

// Loudness returns the integrated loudness of the channels in LUFS
// (BS.1770-4: K-weighted, 400 ms blocks every 100 ms, the -70 LUFS absolute
// gate and the -10 LU relative gate), every channel weighted 1, as left and
// right are. It returns -Inf for silence or a signal shorter than a block.
func Loudness(sr int, channels ...[]float32) float64 {
	if len(channels) == 0 {
		return math.Inf(-1)
	}
	n := len(channels[0])
	step := sr / 10
	blocks := 0
	if n >= 4*step {
		blocks = (n-4*step)/step + 1
	}
	z := make([]float64, blocks)
	for _, ch := range channels {
		x := make([]float64, len(ch))
		for i, v := range ch {
			x[i] = float64(v)
		}
		for _, f := range kWeighting(sr) {
			x = f.run(x)
		}
		// Sums per 100 ms, then per block of four.
		sub := make([]float64, n/step)
		for i := range sub {
			for _, v := range x[i*step : (i+1)*step] {
				sub[i] += v * v
			}
		}
		for b := range z {
			z[b] += (sub[b] + sub[b+1] + sub[b+2] + sub[b+3]) / float64(4*step)
		}
	}
	lufs := func(p float64) float64 { return -0.691 + 10*math.Log10(p) }
	gated := func(min float64) float64 {
		var s float64
		c := 0
		for _, p := range z {
			if lufs(p) > min {
				s += p
				c++
			}
		}
		if c == 0 {
			return 0
		}
		return s / float64(c)
	}
	abs := gated(-70)
	if abs == 0 {
		return math.Inf(-1)
	}
	rel := gated(lufs(abs) - 10)
	return lufs(rel)
}

// Twice returns x played twice in a row: a loop as a listener hears it,
// whose blocks straddle the seam.
func Twice(x []float32) []float32 {
	return append(append(make([]float32, 0, 2*len(x)), x...), x...)
}

// LoopLoudness returns the loudness of a stereo loop played twice.
func LoopLoudness(sr int, left, right []float32) float64 {
	return Loudness(sr, Twice(left), Twice(right))
}
