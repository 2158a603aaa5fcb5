package sound

import "math"

// A part's bus, after its voices, echo and room: a presence shelf, then a
// saturator, then its level (loudness.go). Each is one pass over the loop,
// and each pass also measures the loop's peak as it leaves it (r.peak), so
// that the next needs no pass of its own to find it.

// wPresence is the cost of a frame of the presence shelf, in ticks.
const wPresence = 4

// shelf is a biquad's coefficients, normalised (a0 = 1).
type shelf struct{ b0, b1, b2, a1, a2 float32 }

// presenceShelf returns the filter x + amount*hp(x), where hp is the
// second-order high-pass an svf tuned to cut (a fraction of the sample rate)
// and q makes: the same response as adding the svf's high-pass output to
// its input, as one biquad.
func presenceShelf(cut, q, amount float32) shelf {
	// The svf's high-pass is (1-z⁻¹)² / d(z), d = (1-z⁻¹)² + g·k(1-z⁻²) + g²(1+z⁻¹)².
	g, k, a := float64(tanPi(cut)), 1/float64(q), float64(amount)
	d0, d1, d2 := 1+g*k+g*g, 2*g*g-2, 1-g*k+g*g
	return shelf{
		b0: float32((d0 + a) / d0), b1: float32((d1 - 2*a) / d0), b2: float32((d2 + a) / d0),
		a1: float32(d1 / d0), a2: float32(d2 / d0),
	}
}

// presenceJob adds amount times the loop's content above 2.5 kHz (a
// second-order high-pass) to it: a high shelf, the presence a mix engineer
// gives a part so that it speaks on small speakers and through a mix. It
// runs as a biquad in the transposed direct form (two states a channel,
// all in registers), and measures the loop's peak after it.
func (r *Renderer) presenceJob(amount float32) job {
	c := presenceShelf(min(2500, 0.3*float32(r.sr))/float32(r.sr), 0.7, amount)
	var l1, l2, r1, r2, peak float32
	filter := func(left, right []float32, write bool) {
		right = right[:len(left)]
		b0, b1, b2, a1, a2 := c.b0, c.b1, c.b2, c.a1, c.a2
		s1, s2, t1, t2, hi := l1, l2, r1, r2, peak
		for i := range left {
			x, y := left[i], right[i]
			u := b0*x + s1
			v := b0*y + t1
			s1 = b1*x - a1*u + s2
			t1 = b1*y - a1*v + t2
			s2 = b2*x - a2*u
			t2 = b2*y - a2*v
			if write {
				left[i], right[i] = u, v
				if a := abs32(u); a > hi {
					hi = a
				}
				if a := abs32(v); a > hi {
					hi = a
				}
			}
		}
		l1, l2, r1, r2, peak = s1, s2, t1, t2, hi
	}
	return job{n: r.n, w: wPresence, run: func(from, to int) {
		if from == 0 {
			// The filters start where the loop's end leaves them: no step
			// at the seam.
			tail := r.n - min(r.n, r.sr/50)
			filter(r.left[tail:], r.right[tail:], false)
		}
		filter(r.left[from:to], r.right[from:to], true)
		if to == r.n {
			r.peak = peak
		}
	}}
}

// abs32 returns |x|.
func abs32(x float32) float32 { return math.Float32frombits(math.Float32bits(x) &^ (1 << 31)) }

// wDrive is the cost of a frame of the bus saturator, in ticks.
const wDrive = 3

// driveJobs push the loop into a saturator, the glue of a bus: its peak is
// scaled to drive and every sample goes through sat, so the loudest hits
// are rounded off (a drive of 2 takes about 6 dB off the peaks) while the
// body of the sound passes nearly as it was. The peak is r.peak where a
// presence shelf measured it (measured), else a pass of its own finds it.
func (r *Renderer) driveJobs(drive float32, measured bool) []job {
	var jobs []job
	if !measured {
		var hi float32
		jobs = append(jobs, job{n: r.n, w: wLevel, run: func(from, to int) {
			for _, ch := range [2][]float32{r.left[from:to], r.right[from:to]} {
				for _, x := range ch {
					if a := abs32(x); a > hi {
						hi = a
					}
				}
			}
			if to == r.n {
				r.peak = hi
			}
		}})
	}
	var g, post float32
	return append(jobs, job{n: r.n, w: wDrive, run: func(from, to int) {
		if from == 0 && r.peak > 0 {
			g = drive / r.peak
		}
		l, rt := r.left[from:to], r.right[from:to]
		rt = rt[:len(l)]
		hi := post
		for i := range l {
			a, b := sat(l[i]*g), sat(rt[i]*g)
			l[i], rt[i] = a, b
			if a := abs32(a); a > hi {
				hi = a
			}
			if b := abs32(b); b > hi {
				hi = b
			}
		}
		post = hi
		if to == r.n {
			r.peak = post
		}
	}})
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
