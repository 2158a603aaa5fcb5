package sound

import "math"

// Every loop is scaled to its kit's loudness as BS.1770-4 measures it (the
// tests measure it so, in package measure): K-weighted, in blocks of
// 400 ms every 100 ms, gated at -70 LUFS and 10 LU under the ungated mean.
// The loop is periodic, so the blocks wrap around its end, and the filters
// start warmed up by the loop's last 100 ms.

// kWeighting returns the two K-weighting stages designed for the rate, the
// way libebur128 designs them (and package measure): expd and math.Tan,
// which have no per-architecture assembly, so every platform gets the same
// bits.
func kWeighting(sr int) [2]biquad {
	f0, g, q := 1681.974450955533, 3.999843853973347, 0.7071752369554196
	k := math.Tan(math.Pi * f0 / float64(sr))
	vh := expd(g / 20 * math.Ln10)
	vb := expd(0.4996667741545416 * g / 20 * math.Ln10)
	a0 := 1 + k/q + k*k
	shelf := biquad{
		b0: float32((vh + vb*k/q + k*k) / a0), b1: float32(2 * (k*k - vh) / a0), b2: float32((vh - vb*k/q + k*k) / a0),
		a1: float32(2 * (k*k - 1) / a0), a2: float32((1 - k/q + k*k) / a0),
	}
	f0, q = 38.13547087602444, 0.5003270373238773
	k = math.Tan(math.Pi * f0 / float64(sr))
	a0 = 1 + k/q + k*k
	rlb := biquad{b0: 1, b1: -2, b2: 1, a1: float32(2 * (k*k - 1) / a0), a2: float32((1 - k/q + k*k) / a0)}
	return [2]biquad{shelf, rlb}
}

// kState is the K-weighting filters of both channels, each stage a biquad
// in the direct form II (see biquad): two states a stage.
type kState struct {
	c    [2]biquad
	l, r kChannel
}

// kChannel is one channel's K-weighting between calls: the states of the
// shelf (w) and of the high-pass (q).
type kChannel struct{ w1, w2, q1, q2 float32 }

// run filters every other frame of left and right, from the first, and
// returns sumL and sumR plus the squares of their outputs, added one at a
// time, so that the sums are the same however the loop is cut. Both
// channels in one loop: each stage of each channel is a chain in which a
// sample waits on the one before, and four chains side by side keep the
// CPU busy where one channel's two left it waiting (a quarter less time,
// though a few of the values are spilled to the stack).
func (s *kState) run(left, right []float32, sumL, sumR float32) (float32, float32) {
	right = right[:len(left)]
	b0, b1, b2, a1, a2 := s.c[0].b0, s.c[0].b1, s.c[0].b2, s.c[0].a1, s.c[0].a2
	c1, c2 := s.c[1].a1, s.c[1].a2
	w1, w2, q1, q2 := s.l.w1, s.l.w2, s.l.q1, s.l.q2
	v1, v2, p1, p2 := s.r.w1, s.r.w2, s.r.q1, s.r.q2
	for i := 0; i < len(left); i += 2 {
		// The offset (see antiDenormal): the high-pass takes it out again.
		w := left[i] + antiDenormal - a2*w2 - a1*w1
		v := right[i] + antiDenormal - a2*v2 - a1*v1
		a := b0*w + b1*w1 + b2*w2
		e := b0*v + b1*v1 + b2*v2
		w2, w1 = w1, w
		v2, v1 = v1, v
		// The high-pass's numerator is 1, -2, 1: a second difference.
		q := a - c2*q2 - c1*q1
		p := e - c2*p2 - c1*p1
		b := q - q1 - (q1 - q2)
		d := p - p1 - (p1 - p2)
		q2, q1 = q1, q
		p2, p1 = p1, p
		sumL += b * b
		sumR += d * d
	}
	s.l = kChannel{w1: w1, w2: w2, q1: q1, q2: q2}
	s.r = kChannel{w1: v1, w2: v2, q1: p1, q2: p2}
	return sumL, sumR
}

// wLoud is the cost of a frame of the loudness measurement, in ticks.
const wLoud = 3

// levelJobs measure the loop's loudness and scale it to lufs, lowered if
// need be so that its peak stays under peakLimitDB. The peak is r.peak
// where the bus's last pass measured it (measured); else the measurement
// finds it too.
func (r *Renderer) levelJobs(lufs float64, measured bool) []job {
	n, sr := r.n, r.sr
	// Sub-blocks of about 100 ms that tile the loop exactly.
	subs := max(4, (n+sr/20)/(sr/10))
	subL, subR, blocks := make([]float32, subs), make([]float32, subs), make([]float64, subs)
	// The loudness is measured on every other frame, through filters
	// designed for half the rate: half the work, and within a few tenths
	// of a LU of the full measurement (what folds down from above a
	// quarter of the rate lands where the shelf lifts it as much).
	kw := kWeighting(sr / 2)
	ks := &kState{c: kw}
	warm := min(n, sr/10)
	var hi, lo, gain float32 // the loop's extremes (see extremes)
	w := wLoud
	if !measured {
		w += wPeak
	}
	measure := job{n: n, w: w, run: func(from, to int) {
		if from == 0 {
			ks.run(r.left[n-warm&^1:], r.right[n-warm&^1:], 0, 0)
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
			// Even frames only, wherever the slice starts.
			if i0%2 == 1 {
				l, rt = r.left[i0+1:max(i1, i0+1)], r.right[i0+1:max(i1, i0+1)]
			}
			subL[b], subR[b] = ks.run(l, rt, subL[b], subR[b])
			if !measured {
				hi, lo = extremes(r.left[i0:i1], r.right[i0:i1], hi, lo)
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
			blocks[b] = z * float64(subs) / float64(2*n)
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
		peak := float64(max(hi, -lo))
		if measured {
			peak = float64(r.peak)
		}
		if lim := dbGain(peakLimitDB); peak*g > lim {
			g = lim / peak
		}
		gain = float32(g)
	}}
	scale := job{n: n, w: wLevel, run: func(from, to int) {
		l, rt := r.left[from:to], r.right[from:to]
		rt = rt[:len(l)]
		// A local copy: gain itself lives on the heap, and would be
		// loaded again after every store.
		g := gain
		for i := range l {
			l[i] *= g
			rt[i] *= g
		}
	}}
	return []job{measure, scale}
}
