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

// kState is the K-weighting filters of both channels.
type kState struct {
	c    [2]kCoefs
	l, r kChannel
}

// kChannel is one channel's K-weighting between calls: the last two inputs
// (x) and outputs (y) of the shelf, and the last two outputs (z) of the
// high-pass, whose inputs are the shelf's outputs.
type kChannel struct{ x1, x2, y1, y2, z1, z2 float32 }

// run filters every other frame of left and right, from the first, and
// returns sumL and sumR plus the squares of their outputs, added one at a
// time, so that the sums are the same however the loop is cut. Both
// channels go through one loop: their filters do not wait on each other.
// The state is in plain local variables, which the compiler keeps in
// registers (arrays and larger structs it leaves in memory).
func (s *kState) run(left, right []float32, sumL, sumR float32) (float32, float32) {
	right = right[:len(left)]
	b0, b1, b2, a1, a2 := s.c[0].b0, s.c[0].b1, s.c[0].b2, s.c[0].a1, s.c[0].a2
	c1, c2 := s.c[1].a1, s.c[1].a2
	lx1, lx2, ly1, ly2, lz1, lz2 := s.l.x1, s.l.x2, s.l.y1, s.l.y2, s.l.z1, s.l.z2
	rx1, rx2, ry1, ry2, rz1, rz2 := s.r.x1, s.r.x2, s.r.y1, s.r.y2, s.r.z1, s.r.z2
	for i := 0; i < len(left); i += 2 {
		v, w := left[i], right[i]
		a := b0*v + b1*lx1 + b2*lx2 - a1*ly1 - a2*ly2
		p := b0*w + b1*rx1 + b2*rx2 - a1*ry1 - a2*ry2
		b := a - 2*ly1 + ly2 - c1*lz1 - c2*lz2
		q := p - 2*ry1 + ry2 - c1*rz1 - c2*rz2
		lx2, lx1, ly2, ly1, lz2, lz1 = lx1, v, ly1, a, lz1, b
		rx2, rx1, ry2, ry1, rz2, rz1 = rx1, w, ry1, p, rz1, q
		sumL += b * b
		sumR += q * q
	}
	s.l = kChannel{x1: lx1, x2: lx2, y1: ly1, y2: ly2, z1: lz1, z2: lz2}
	s.r = kChannel{x1: rx1, x2: rx2, y1: ry1, y2: ry2, z1: rz1, z2: rz2}
	return sumL, sumR
}

// wLoud is the cost of a frame of the loudness measurement, in ticks.
const wLoud = 2

// levelJobs measure the loop's loudness and scale it to lufs, lowered if
// need be so that its peak stays under peakLimitDB.
func (r *Renderer) levelJobs(lufs float64) []job {
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
	var hi, lo float32
	var gain float32
	measure := job{n: n, w: wLoud, run: func(from, to int) {
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

// wDrive is the cost of a frame of the bus saturator, in ticks.
const wDrive = 3

// driveJobs push the loop into a saturator, the glue of a bus: its peak is
// scaled to drive and every sample goes through sat, so the loudest hits
// are rounded off (a drive of 2 takes about 6 dB off the peaks) while the
// body of the sound passes nearly as it was.
func (r *Renderer) driveJobs(drive float32) []job {
	var hi float32
	var g float32
	measure := job{n: r.n, w: wLevel, run: func(from, to int) {
		for _, ch := range [2][]float32{r.left[from:to], r.right[from:to]} {
			for _, x := range ch {
				if x > hi || -x > hi {
					hi = max(hi, x, -x)
				}
			}
		}
		if to == r.n && hi > 0 {
			g = drive / hi
		}
	}}
	apply := job{n: r.n, w: wDrive, run: func(from, to int) {
		l, rt := r.left[from:to], r.right[from:to]
		rt = rt[:len(l)]
		for i := range l {
			l[i] = sat(l[i] * g)
			rt[i] = sat(rt[i] * g)
		}
	}}
	return []job{measure, apply}
}

// sat is a rational tanh: smooth, odd, slope 1 at 0, and 1 from 3 on.
func sat(x float32) float32 {
	if x > 3 {
		return 1
	}
	if x < -3 {
		return -1
	}
	x2 := x * x
	return x * (27 + x2) / (27 + 9*x2)
}

// wPresence is the cost of a frame of the presence shelf, in ticks.
const wPresence = 5

// presenceJob adds amount times the loop's content above 2.5 kHz (a
// second-order high-pass) to it: a high shelf, the presence a mix engineer
// gives a part so that it speaks on small speakers and through a mix.
func (r *Renderer) presenceJob(amount float32) job {
	var fl, fr svf
	fl.set(min(2500, 0.3*float32(r.sr))/float32(r.sr), 0.7)
	fr = fl
	return job{n: r.n, w: wPresence, run: func(from, to int) {
		if from == 0 {
			// The filters start where the loop's end leaves them: no step
			// at the seam.
			for i := r.n - min(r.n, r.sr/50); i < r.n; i++ {
				fl, _, _, _ = fl.tick(r.left[i])
				fr, _, _, _ = fr.tick(r.right[i])
			}
		}
		l, rt := r.left[from:to], r.right[from:to]
		rt = rt[:len(l)]
		a, b := fl, fr
		for i := range l {
			var hl, hr float32
			a, _, _, hl = a.tick(l[i])
			b, _, _, hr = b.tick(rt[i])
			l[i] += amount * hl
			rt[i] += amount * hr
		}
		fl, fr = a, b
	}}
}
