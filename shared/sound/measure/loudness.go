package measure

import "math"

// biquad is a second-order IIR section, direct form I, in float64.
type biquad struct {
	b0, b1, b2, a1, a2 float64
}

// run filters x in place.
func (f biquad) run(x []float64) {
	var x1, x2, y1, y2 float64
	for i, v := range x {
		o := f.b0*v + f.b1*x1 + f.b2*x2 - f.a1*y1 - f.a2*y2
		x2, x1 = x1, v
		y2, y1 = y1, o
		x[i] = o
	}
}

// kFilter is both K-weighting stages, run a sample at a time.
type kFilter struct {
	f                  [2]biquad
	ax1, ax2, ay1, ay2 float64
	bx1, bx2, by1, by2 float64
}

// run filters x and returns the sum of the squares of its output. The
// loop calls nothing: a call a sample would cost more than the filter
// under the race detector.
func (k *kFilter) run(x []float32) float64 {
	a, b := k.f[0], k.f[1]
	ax1, ax2, ay1, ay2 := k.ax1, k.ax2, k.ay1, k.ay2
	bx1, bx2, by1, by2 := k.bx1, k.bx2, k.by1, k.by2
	var s float64
	for _, u := range x {
		v := float64(u)
		y := a.b0*v + a.b1*ax1 + a.b2*ax2 - a.a1*ay1 - a.a2*ay2
		ax2, ax1, ay2, ay1 = ax1, v, ay1, y
		z := b.b0*y + b.b1*bx1 + b.b2*bx2 - b.a1*by1 - b.a2*by2
		bx2, bx1, by2, by1 = bx1, y, by1, z
		s += z * z
	}
	k.ax1, k.ax2, k.ay1, k.ay2 = ax1, ax2, ay1, ay2
	k.bx1, k.bx2, k.by1, k.by2 = bx1, bx2, by1, by2
	return s
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
	return loudness(sr, false, channels)
}

// LoopLoudness returns the loudness of a stereo loop as it sounds played
// over and over: its blocks wrap around its end (the loop played twice has
// the same blocks), and the filters start warmed up by its last half
// second.
func LoopLoudness(sr int, left, right []float32) float64 {
	return loudness(sr, true, [][]float32{left, right})
}

func loudness(sr int, loop bool, channels [][]float32) float64 {
	if len(channels) == 0 {
		return math.Inf(-1)
	}
	n := len(channels[0])
	step := sr / 10
	var z []float64
	kw := kWeighting(sr)
	sub := make([]float64, n/step)
	for _, ch := range channels {
		warm := 0
		if loop {
			warm = min(n, sr/2)
		}
		// Both stages in one pass, the loop's tail first to warm them up;
		// then the sums of squares per 100 ms.
		var k kFilter
		k.f = kw
		k.run(ch[n-warm:])
		for i := range sub {
			sub[i] = k.run(ch[i*step : (i+1)*step])
		}
		blocks := len(sub) - 3
		if loop {
			blocks = len(sub)
		}
		if z == nil {
			z = make([]float64, max(0, blocks))
		}
		for b := range z {
			var p float64
			for k := b; k < b+4; k++ {
				p += sub[k%len(sub)]
			}
			z[b] += p / float64(4*step)
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
	return lufs(gated(lufs(abs) - 10))
}

// Twice returns x played twice in a row.
func Twice(x []float32) []float32 {
	return append(append(make([]float32, 0, 2*len(x)), x...), x...)
}
