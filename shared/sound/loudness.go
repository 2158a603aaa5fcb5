package sound

import "math"

// Every loop is scaled to its kit's loudness as BS.1770-4 measures it (the
// tests measure it so, in package measure): K-weighted, in blocks of
// 400 ms every 100 ms, gated at -70 LUFS and 10 LU under the ungated mean.
// The loop is periodic, so the blocks wrap around its end, and the filters
// start warmed up by the loop's last 100 ms.

// kCoefs are a biquad's coefficients, normalised (a0 = 1).
type kCoefs struct{ b0, b1, b2, a1, a2 float32 }

// kWeighting returns the two K-weighting stages designed for the rate, the
// way libebur128 designs them (and package measure): expd and math.Tan,
// which have no per-architecture assembly, so every platform gets the same
// bits.
func kWeighting(sr int) [2]kCoefs {
	f0, g, q := 1681.974450955533, 3.999843853973347, 0.7071752369554196
	k := math.Tan(math.Pi * f0 / float64(sr))
	vh := expd(g / 20 * math.Ln10)
	vb := expd(0.4996667741545416 * g / 20 * math.Ln10)
	a0 := 1 + k/q + k*k
	shelf := kCoefs{
		b0: float32((vh + vb*k/q + k*k) / a0), b1: float32(2 * (k*k - vh) / a0), b2: float32((vh - vb*k/q + k*k) / a0),
		a1: float32(2 * (k*k - 1) / a0), a2: float32((1 - k/q + k*k) / a0),
	}
	f0, q = 38.13547087602444, 0.5003270373238773
	k = math.Tan(math.Pi * f0 / float64(sr))
	a0 = 1 + k/q + k*k
	rlb := kCoefs{b0: 1, b1: -2, b2: 1, a1: float32(2 * (k*k - 1) / a0), a2: float32((1 - k/q + k*k) / a0)}
	return [2]kCoefs{shelf, rlb}
}

// kState is one channel's K-weighting filters.
type kState struct {
	c              [2]kCoefs
	x1, x2, y1, y2 [2]float32
}

// run filters x and returns sum plus the squares of the output, added
// one at a time, so that the sum is the same however x is cut.
func (s *kState) run(x []float32, sum float32) float32 {
	c0, c1 := s.c[0], s.c[1]
	ax1, ax2, ay1, ay2 := s.x1[0], s.x2[0], s.y1[0], s.y2[0]
	bx1, bx2, by1, by2 := s.x1[1], s.x2[1], s.y1[1], s.y2[1]
	for _, v := range x {
		a := c0.b0*v + c0.b1*ax1 + c0.b2*ax2 - c0.a1*ay1 - c0.a2*ay2
		ax2, ax1, ay2, ay1 = ax1, v, ay1, a
		b := a - 2*bx1 + bx2 - c1.a1*by1 - c1.a2*by2
		bx2, bx1, by2, by1 = bx1, a, by1, b
		sum += b * b
	}
	s.x1[0], s.x2[0], s.y1[0], s.y2[0] = ax1, ax2, ay1, ay2
	s.x1[1], s.x2[1], s.y1[1], s.y2[1] = bx1, bx2, by1, by2
	return sum
}

// wLoud is the cost of a frame of the loudness measurement, in ticks.
const wLoud = 4

// levelJobs measure the loop's loudness and scale it to lufs, lowered if
// need be so that its peak stays under peakLimitDB.
func (r *Renderer) levelJobs(lufs float64) []job {
	n, sr := r.n, r.sr
	// Sub-blocks of about 100 ms that tile the loop exactly.
	subs := max(4, (n+sr/20)/(sr/10))
	subL, subR, blocks := make([]float32, subs), make([]float32, subs), make([]float64, subs)
	kw := kWeighting(sr)
	ls, rs := &kState{c: kw}, &kState{c: kw}
	warm := min(n, sr/10)
	var hi, lo float32
	var gain float32
	measure := job{n: n, w: wLoud, run: func(from, to int) {
		if from == 0 {
			ls.run(r.left[n-warm:], 0)
			rs.run(r.right[n-warm:], 0)
		}
		for i0 := from; i0 < to; {
			// The sub-block of frame i0, and where it (or the slice) ends.
			b := (i0*subs + subs - 1) / n
			if (b+1)*n/subs <= i0 {
				b++
			}
			for b*n/subs > i0 {
				b--
			}
			i1 := min(to, (b+1)*n/subs)
			l, rt := r.left[i0:i1], r.right[i0:i1]
			subL[b] = ls.run(l, subL[b])
			subR[b] = rs.run(rt, subR[b])
			for i := range l {
				x, y := l[i], rt[i]
				if x > hi || y > hi {
					hi = max(hi, x, y)
				}
				if x < lo || y < lo {
					lo = min(lo, x, y)
				}
			}
			i0 = i1
		}
		if to < n {
			return
		}
		// Blocks of four sub-blocks, one starting at each.
		for b := range blocks {
			var z float64
			for k := b; k < b+4; k++ {
				z += float64(subL[k%subs]) + float64(subR[k%subs])
			}
			blocks[b] = z * float64(subs) / float64(4*n)
		}
		gated := func(floor float64) float64 {
			var s float64
			c := 0
			for _, z := range blocks {
				if z > floor {
					s += z
					c++
				}
			}
			if c == 0 {
				return 0
			}
			return s / float64(c)
		}
		// -70 LUFS, then 10 LU under what passes it.
		z := gated(expd((-70 + 0.691) / 10 * math.Ln10))
		z = gated(z / 10)
		if z == 0 {
			return
		}
		g := math.Sqrt(expd((lufs+0.691)/10*math.Ln10) / z)
		if peak, lim := float64(max(hi, -lo)), dbGain(peakLimitDB); peak*g > lim {
			g = lim / peak
		}
		gain = float32(g)
	}}
	scale := job{n: n, w: wLevel, run: func(from, to int) {
		l, rt := r.left[from:to], r.right[from:to]
		for i := range l {
			l[i] *= gain
			rt[i] *= gain
		}
	}}
	return []job{measure, scale}
}
