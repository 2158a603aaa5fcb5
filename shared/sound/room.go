package sound

// room is a small reverb: two allpass diffusers into a four-line feedback
// delay network with damping, read out to left and right from different
// lines. It runs over the loop and on past its end for the length of its
// tail, adding what rings past the end to the loop's start, so the loop's
// reverb is the reverb it would have when played over and over.
type room struct {
	// size scales the delay lines (1 is a small room, about 30-50 ms).
	size float64
	// decay is the time the tail takes to fall by 60 dB, in seconds.
	decay float64
	// damp is the cutoff of the lowpass in the loop, in Hz.
	damp float64
	// wet is the level of the reverb.
	wet float32
}

// The delay lengths in ms, mutually prime in frames at common rates.
var (
	roomLines     = [4]float64{31.3, 37.9, 43.1, 49.7}
	roomDiffusers = [2]float64{4.7, 1.63}
)

// job returns the reverb's work: send in, left and right out.
func (rm *room) job(g grid, send, left, right []float32) job {
	var lines [4][]float32
	var pos [4]int
	var fb [4]float32
	for i, ms := range roomLines {
		n := max(1, g.secs(ms*rm.size/1000))
		lines[i] = make([]float32, n)
		fb[i] = float32(expd(-6.907755278982137 * float64(n) / (rm.decay * float64(g.sr))))
	}
	var diff [2][]float32
	var dpos [2]int
	for i, ms := range roomDiffusers {
		diff[i] = make([]float32, max(1, g.secs(ms*rm.size/1000)))
	}
	var lp [4]float32
	a := onePoleCoef(rm.damp, g.sr)
	wet := rm.wet
	tail := g.secs(rm.decay)
	n := g.n
	return job{cost: n + tail, split: true, run: func(from, to int) {
		for t := from; t < to; t++ {
			var in float32
			if t < n {
				in = send[t]
			}
			// Allpass diffusers smear the input so the lines ring densely.
			for k := range diff {
				d := diff[k]
				p := dpos[k]
				z := d[p]
				y := z - 0.6*in
				d[p] = in + 0.6*y
				in = y
				if p++; p == len(d) {
					p = 0
				}
				dpos[k] = p
			}
			for k := range lines {
				lp[k] += a * (lines[k][pos[k]] - lp[k])
			}
			h0 := (lp[0] + lp[1] + lp[2] + lp[3]) * 0.5
			h1 := (lp[0] - lp[1] + lp[2] - lp[3]) * 0.5
			h2 := (lp[0] + lp[1] - lp[2] - lp[3]) * 0.5
			h3 := (lp[0] - lp[1] - lp[2] + lp[3]) * 0.5
			lines[0][pos[0]] = in + h0*fb[0]
			lines[1][pos[1]] = in + h1*fb[1]
			lines[2][pos[2]] = -in + h2*fb[2]
			lines[3][pos[3]] = -in + h3*fb[3]
			for k := range pos {
				if pos[k]++; pos[k] == len(lines[k]) {
					pos[k] = 0
				}
			}
			j := t
			for j >= n {
				j -= n
			}
			left[j] += wet * (lp[0] + lp[2])
			right[j] += wet * (lp[1] - lp[3])
		}
	}}
}

// echo is a ping-pong delay: taps of the send alternate between left and
// right, each quieter than the one before. A loop is periodic, so a tap is
// simply the send read back by the delay, wrapping around the loop.
type echo struct {
	// beats is the delay in beats.
	beats float64
	// feedback is the level of each tap relative to the one before.
	feedback float32
	// taps is the number of repeats.
	taps int
	// wet is the level of the first tap.
	wet float32
}

// jobs returns the echo's work: one pass over the loop per tap.
func (e *echo) jobs(g grid, send, left, right []float32) []job {
	var out []job
	gain := e.wet
	for k := 1; k <= e.taps; k++ {
		d := g.beats(e.beats*float64(k)) % g.n
		dst := left
		if k%2 == 0 {
			dst = right
		}
		tapGain := gain
		out = append(out, job{cost: g.n, split: true, run: func(from, to int) {
			for i := from; i < to; {
				src := i - d
				if src < 0 {
					src += g.n
				}
				m := min(to-i, g.n-src)
				s := send[src : src+m]
				o := dst[i : i+m]
				for x := range s {
					o[x] += s[x] * tapGain
				}
				i += m
			}
		}})
		gain *= e.feedback
	}
	return out
}
