package sound

// The bells: FM chimes (a carrier with a 1:3 modulator whose index falls
// fast, the strike: a whole-number ratio, so every partial is a harmonic
// of the note and none falls out of the key; and a pure octave for the
// hum), playing a sparse
// counter-melody of chord tones high up, through echo and room.
var bellsPart = &part{
	id: "bells", seed: 0xbe11, pitched: true, presence: 0.8,
	voices: bellVoices,
	echo:   &echo{beats: 0.5, feedback: 0.45, taps: 4, wet: 0.4},
	room:   &room{size: 1.5, decay: 2.0, damp: 6000, wet: 0.4},
}

// bellTune picks chord tones: pitch indexes the chord's tones, from E5 up.
var bellTune = []note{{0, 6, 2, 1}, {6, 4, 0, 0.7}, {12, 4, 1, 0.8}, {19, 4, 3, 0.75}, {26, 6, 2, 0.8}}

func bellVoices(g grid, _ *noise) []voice {
	var vs []voice
	for _, n := range bellTune {
		beat := swing(n.step, drumSwing)
		m := nearest(chordAt(beat).tones[n.pitch], 79)
		p := -0.3 + 0.6*float64(n.step%3)/2
		vs = append(vs, newVoice(g, beat, g.secs(1.4), p, n.vel, 0.7, bell(g.sr, midiHz(float64(m)))))
	}
	return vs
}

// wBell is the cost of a frame of a bell, in ticks.
const wBell = 2

func bell(sr int, hz float64) synth {
	return func(b *[]float32, n int) []job {
		st := &bellState{inc: phaseInc(hz, sr), incM: phaseInc(hz*3, sr),
			ki: decayCoef(0.3, sr), ka: decayCoef(1.6, sr), idx: 1.2, amp: 1}
		return append([]job{{n: n, w: wBell, run: func(from, to int) {
			st.run((*b)[from:to])
		}}}, shapeJobs(b, 0, n, sr, 0.001, 60, 1, n-sr/10, 0.08)...)
	}
}

// bellState is a bell between steps. Its loop is a method, not a closure:
// in wasm a closure's loop can run at half the speed.
type bellState struct {
	inc, incM  uint32
	ki, ka     float32
	pc, pm, ph uint32
	idx, amp   float32
}

// run renders the bell's next len(out) frames.
func (st *bellState) run(out []float32) {
	const toPhase = float32(1 << 32 / (2 * 3.14159265))
	pc, pm, ph, idx, amp := st.pc, st.pm, st.ph, st.idx, st.amp
	inc, incM, ki, ka := st.inc, st.incM, st.ki, st.ka
	for i := range out {
		pc += inc
		pm += incM
		ph += inc * 2
		strike := sinp(pc + uint32(int64(sinp(pm)*idx*toPhase)))
		hum := sinp(ph)
		out[i] = (strike + 0.25*hum) * amp
		idx *= ki
		amp *= ka
	}
	st.pc, st.pm, st.ph, st.idx, st.amp = pc, pm, ph, idx, amp
}
