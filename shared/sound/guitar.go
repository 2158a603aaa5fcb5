package sound

// The guitar: Karplus-Strong plucked strings (a noise burst in a tuned
// delay line, an averaging loop filter, an allpass for exact tuning),
// fingerpicking the chord tones up the neck, on the right.
var guitarPart = &part{
	id: "guitar", pitched: true, drive: 1.4, seed: 0x6172,
	voices: guitarVoices,
	room:   &room{size: 0.9, decay: 0.9, damp: 3500, wet: 0.3},
}

// guitarPattern picks chord tones (index into the chord's tones, from the
// upper octave) over one chord.
var guitarPattern = []note{
	{0, 3, 0, 0.9}, {2, 3, 2, 0.6}, {3, 3, 3, 0.7}, {5, 3, 1, 0.6}, {6, 2, 2, 0.75},
}

func guitarVoices(g grid, rng *noise) []voice {
	var vs []voice
	for c, ch := range progression {
		for _, r := range guitarPattern {
			step := c*beatsPerChord*stepsPerBeat + r.step
			m := nearest(ch.tones[r.pitch], 62+r.pitch*3)
			gate := g.beats(float64(r.steps) / stepsPerBeat)
			vel := r.vel * (0.85 + 0.15*float32(rng.unit()))
			seed := uint32(rng.next()*(1<<30)) | 1
			vs = append(vs, newVoice(g, swing(step, drumSwing), gate+g.secs(0.15), 0.45, vel, 0.5,
				pluck(g.sr, midiHz(float64(m)), gate, vel, seed)))
		}
	}
	return vs
}

// wPluck is the cost of a frame of a string, in ticks.
const wPluck = 3

// pluck is a Karplus-Strong string.
func pluck(sr int, hz float64, gate int, vel float32, seed uint32) synth {
	return func(b *[]float32, n int) []job {
		period := float64(sr)/hz - 0.5
		ln := int(period)
		frac := period - float64(ln)
		if frac < 0.1 {
			ln--
			frac++
		}
		c := float32((1 - frac) / (1 + frac))
		// Loop gain per period for a 2.5 s ring.
		rho := float32(expd(-6.907755278982137 / (2.5 * hz)))
		// Made here, so that a step allocates nothing: in the browser an
		// allocation can be made to wait on the garbage collector.
		line := make([]float32, ln)
		st := &pluckState{line: line, rho: rho, c: c}
		return append([]job{{n: n, w: wPluck, run: func(from, to int) {
			if from == 0 {
				// The pick: noise, softened more for a softer stroke. A
				// period of the string, a few hundred frames: small work.
				rng := newNoise(seed)
				var lp float32
				a := 0.3 + 0.5*vel
				for i := range line {
					lp += a * (rng.next() - lp)
					line[i] = lp
				}
				// Plucked a fifth of the way along the string: the comb
				// takes out the harmonics that have a node there, as a real
				// pick does.
				for i, p := ln-1, ln/5; p > 0 && i >= p; i-- {
					line[i] -= line[i-p]
				}
			}
			st.run((*b)[from:to])
		}}}, shapeJobs(b, 0, n, sr, 0.001, 60, 1, gate, 0.08)...)
	}
}

// pluckState is a string between steps. Its loop is a method, not a
// closure: in wasm a closure's loop can run at half the speed.
type pluckState struct {
	line           []float32
	rho, c         float32
	prev, apx, apy float32
	p              int
}

// run renders the string's next len(out) frames.
func (st *pluckState) run(out []float32) {
	prev, apx, apy, p := st.prev, st.apx, st.apy, st.p
	line, rho, c := st.line, st.rho, st.c
	for i := range out {
		x := line[p]
		y := 0.5 * (x + prev) * rho
		prev = x
		// First-order allpass for the fractional delay.
		ap := c*(y-apy) + apx
		apx, apy = y, ap
		line[p] = ap
		if p++; p == len(line) {
			p = 0
		}
		out[i] = x
	}
	st.prev, st.apx, st.apy, st.p = prev, apx, apy, p
}
