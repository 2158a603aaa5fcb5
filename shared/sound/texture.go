package sound

// The texture: night air. Wind (noise through a slowly sweeping band-pass,
// one breath per loop), bottle-like whistles tuned to a tone of each chord,
// and the odd crackle of an old record.
var texturePart = &part{
	id: "texture", sustained: true, presence: 1.5, seed: 0x7e47,
	voices: textureVoices,
	room:   &room{size: 1.6, decay: 1.8, damp: 3000, wet: 0.4},
}

// whistleTones picks each chord's whistle from its tones.
var whistleTones = [4]int{2, 1, 2, 2}

func textureVoices(g grid, rng *noise) []voice {
	// The wind in four stretches that crossfade, each its own noise, so no
	// one voice is a long piece of work.
	xf := g.secs(0.3)
	var vs []voice
	for k := range windStretches {
		from, to := k*g.n/windStretches, (k+1)*g.n/windStretches
		vs = append(vs, voice{
			start: from, frames: to - from + xf, gl: 0.5, gr: 0.5, stereo: true, send: 0.3,
			synth: wind(g, from, xf, uint32(rng.next()*(1<<30))|1),
		})
	}
	for c, ch := range progression {
		// A chord tone a chord, four different ones (E, A, G, D), from
		// alternate sides.
		k := c % 2
		m := nearest(ch.tones[whistleTones[c]], 81+k*3)
		seed := uint32(rng.next()*(1<<30)) | 1
		p := -0.5 + float64(k)
		vs = append(vs, newVoice(g, float64(c*beatsPerChord), g.beats(float64(beatsPerChord))+g.secs(0.6), p, 2, 0.6,
			whistle(g.sr, midiHz(float64(m)), seed)))
	}
	for i := 0; i < 24; i++ {
		// Dust on the grooves: on the swung grid, where the needle meets
		// it once a turn.
		pos := swing(int(rng.unit()*stepsPerLoop), drumSwing)
		seed := uint32(rng.next()*(1<<30)) | 1
		vel := 0.2 + 0.6*float32(rng.unit())
		vs = append(vs, newVoice(g, pos, g.secs(0.004), rng.unit()*1.6-0.8, vel, 0, crackle(g.sr, seed)))
	}
	return vs
}

// windStretches is how many voices make the wind.
const windStretches = 4

// Costs of the texture, in ticks per frame.
const (
	wWind    = 10 // both channels
	wXfade   = 4
	wWhistle = 7
	wCrackle = 3
)

// wind is a stretch of stereo noise, from frame start of the loop, through
// band-passes swept by a sine of the loop's phase, faded in and out over xf
// frames to crossfade with the stretches before and after.
func wind(g grid, start, xf int, seed uint32) synth {
	return func(b *[]float32, n int) []job {
		frames := n / 2
		st := &windState{rng: newNoise(seed), start: start, n: g.n, sr: g.sr}
		noise := job{n: frames, w: wWind, run: func(from, to int) {
			st.run((*b)[from:to], (*b)[frames+from:frames+to], from)
		}}
		// Equal-power crossfades: this stretch's fade-out meets the next
		// one's fade-in (the last one's wraps round to the first's).
		end := frames - xf
		xfade := job{n: xf, w: wXfade, run: func(from, to int) {
			left, right := (*b)[:frames], (*b)[frames:2*frames]
			for i := from; i < to; i++ {
				ph := uint32(uint64(i) * (1 << 30) / uint64(xf))
				in, out := sinp(ph), sinp(ph+1<<30)
				left[i] *= in
				right[i] *= in
				left[end+i] *= out
				right[end+i] *= out
			}
		}}
		return []job{noise, xfade}
	}
}

// whistle is noise through a narrow band-pass at hz, swelling in and out.
func whistle(sr int, hz float64, seed uint32) synth {
	return func(b *[]float32, n int) []job {
		st := &whistleState{rng: newNoise(seed)}
		st.f.set(float32(hz)/float32(sr), 40)
		return append([]job{{n: n, w: wWhistle, run: func(from, to int) {
			st.run((*b)[from:to])
		}}}, shapeJobs(b, 0, n, sr, 0.4, 60, 1, n-sr*45/100, 0.4)...)
	}
}

// crackle is a click of dust.
func crackle(sr int, seed uint32) synth {
	return func(b *[]float32, n int) []job {
		rng := newNoise(seed)
		return []job{{n: n, w: wCrackle, run: func(from, to int) {
			out := (*b)[from:to]
			for k := range out {
				out[k] = rng.next() * float32(n-(from+k)) / float32(n)
			}
		}}}
	}
}

// windState is a stretch of wind between steps. Its loop is a method, not a
// closure: in wasm a closure's loop can run at half the speed.
type windState struct {
	start, n, sr int
	rng          noise
	fl, fr       svf
}

// run renders left and right, which start from frames into the stretch.
func (st *windState) run(left, right []float32, from int) {
	right = right[:len(left)]
	rng, fl, fr := st.rng, st.fl, st.fr
	start, n, sr := st.start, st.n, st.sr
	for k := range left {
		if i := from + k; uint(i)%32 == 0 {
			ph := uint32(uint64((start+i)%n) * (1 << 32) / uint64(n))
			cut := (700 + 450*sinp(ph)) / float32(sr)
			fl.c = svfTuned(cut, 1.8)
			fr.c = svfTuned(cut*1.25, 1.8)
		}
		var l, r, nl, nr float32
		rng, nl = rng.tick()
		rng, nr = rng.tick()
		fl, _, l, _ = fl.tick(nl)
		fr, _, r, _ = fr.tick(nr)
		left[k], right[k] = l, r
	}
	st.rng, st.fl, st.fr = rng, fl, fr
}

// whistleState is a whistle between steps. Its loop is a method, not a
// closure: in wasm a closure's loop can run at half the speed.
type whistleState struct {
	rng noise
	f   svf
}

// run renders the whistle's next len(out) frames.
func (st *whistleState) run(out []float32) {
	rng, f := st.rng, st.f
	for i := range out {
		var bp float32
		var nz float32
		rng, nz = rng.tick()
		f, _, bp, _ = f.tick(nz)
		out[i] = bp * 4
	}
	st.rng, st.f = rng, f
}
