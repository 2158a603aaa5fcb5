package sound

// A part's bus, after its voices, echo and room: a presence shelf, then a
// saturator, then its level (loudness.go). Each is one pass over the loop,
// and each pass also knows the loop's peak as it leaves it (r.peak), so
// that the next needs no pass of its own to find it.

// wPresence is the cost of a frame of the presence shelf, in ticks.
const wPresence = 4

// presenceShelf returns the filter x + amount*hp(x), where hp is the
// second-order high-pass an svf tuned to cut (a fraction of the sample rate)
// and q makes: the same response as adding the svf's high-pass output to
// its input, as one biquad.
func presenceShelf(cut, q, amount float32) biquad {
	// The svf's high-pass is (1-z⁻¹)² / d(z), d = (1-z⁻¹)² + g·k(1-z⁻²) + g²(1+z⁻¹)².
	g, k, a := float64(tanPi(cut)), 1/float64(q), float64(amount)
	d0, d1, d2 := 1+g*k+g*g, 2*g*g-2, 1-g*k+g*g
	return biquad{
		b0: float32((d0 + a) / d0), b1: float32((d1 - 2*a) / d0), b2: float32((d2 + a) / d0),
		a1: float32(d1 / d0), a2: float32(d2 / d0),
	}
}

// presenceJob adds amount times the loop's content above 2.5 kHz (a
// second-order high-pass) to it: a high shelf, the presence a mix engineer
// gives a part so that it speaks on small speakers and through a mix. It
// measures the loop's peak after it.
func (r *Renderer) presenceJob(amount float32) job {
	st := &presenceState{r: r, c: presenceShelf(min(2500, 0.3*float32(r.sr))/float32(r.sr), 0.7, amount)}
	return job{n: r.n, w: wPresence, run: st.run}
}

// presenceState is the shelf between steps: a biquad in the direct form II
// (see biquad), two states a channel, and the highest and lowest sample
// out so far. Its loop is a method, not a closure: in wasm a closure's loop
// can run at half the speed.
type presenceState struct {
	r              *Renderer
	c              biquad
	l1, l2, r1, r2 float32
	hi, lo         float32
}

// run filters frames [from, to) in place.
func (st *presenceState) run(from, to int) {
	r := st.r
	if from == 0 {
		// The filters start where the loop's end leaves them: no step
		// at the seam.
		tail := r.n - min(r.n, r.sr/50)
		st.l1, st.l2, st.r1, st.r2 = st.c.warm(r.left[tail:], r.right[tail:])
	}
	left, right := r.left[from:to], r.right[from:to]
	right = right[:len(left)]
	b0, b1, b2, a1, a2 := st.c.b0, st.c.b1, st.c.b2, st.c.a1, st.c.a2
	l1, l2, r1, r2, hi, lo := st.l1, st.l2, st.r1, st.r2, st.hi, st.lo
	for i := range left {
		// The offset: see antiDenormal.
		w := left[i] + antiDenormal - a2*l2 - a1*l1
		v := right[i] + antiDenormal - a2*r2 - a1*r1
		x := b0*w + b1*l1 + b2*l2
		y := b0*v + b1*r1 + b2*r2
		l2, l1, r2, r1 = l1, w, r1, v
		left[i], right[i] = x, y
		// The peak as extremes finds it.
		if x > hi {
			hi = x
		}
		if x < lo {
			lo = x
		}
		if y > hi {
			hi = y
		}
		if y < lo {
			lo = y
		}
	}
	st.l1, st.l2, st.r1, st.r2, st.hi, st.lo = l1, l2, r1, r2, hi, lo
	if to == r.n {
		r.peak = max(hi, -lo)
	}
}

// extremes returns the highest and the lowest of hi, lo and the samples of
// left and right: the peak is the larger of hi and -lo. Comparisons alone:
// a new extreme is rare, and the branches cost less than taking
// magnitudes.
func extremes(left, right []float32, hi, lo float32) (float32, float32) {
	hi, lo = extremesOf(left, hi, lo)
	return extremesOf(right, hi, lo)
}

// extremesOf is extremes of one channel. A sample above hi cannot be under
// lo as well, as long as hi is not under lo: extremes start from 0 and 0.
func extremesOf(x []float32, hi, lo float32) (float32, float32) {
	for _, v := range x {
		if v > hi {
			hi = v
		} else if v < lo {
			lo = v
		}
	}
	return hi, lo
}

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
		var hi, lo float32
		jobs = append(jobs, job{n: r.n, w: wPeak, run: func(from, to int) {
			hi, lo = extremes(r.left[from:to], r.right[from:to], hi, lo)
			if to == r.n {
				r.peak = max(hi, -lo)
			}
		}})
	}
	st := &driveState{r: r, drive: drive}
	return append(jobs, job{n: r.n, w: wDrive, run: st.run})
}

// driveState is the saturator between steps. Its loop is a method, not a
// closure: a closure made in driveJobs is compiled into NewRenderer, which
// is too big for the compiler to inline sat into it, and each sample then
// paid two calls.
type driveState struct {
	r        *Renderer
	drive, g float32
}

// run saturates frames [from, to). It need not look for the peak it
// leaves: sat is odd and rises with its input (to within a rounding), so
// the loudest sample in, scaled to drive, is the loudest out, at
// sat(drive).
func (st *driveState) run(from, to int) {
	r := st.r
	if from == 0 && r.peak > 0 {
		st.g = st.drive / r.peak
	}
	l, rt := r.left[from:to], r.right[from:to]
	rt = rt[:len(l)]
	g := st.g
	for i := range l {
		l[i], rt[i] = sat(l[i]*g), sat(rt[i]*g)
	}
	if to == r.n {
		r.peak = sat(g * r.peak)
	}
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
