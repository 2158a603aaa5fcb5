package sound

// The clav: a narrow pulse (two saws a quarter period apart) through a
// resonant lowpass that snaps shut, an envelope filter, playing funky
// sixteenth-note stabs of two chord tones, short and muted.
var clavPart = &part{
	id: "clav", level: -31, seed: 0xc1a7,
	voices: clavVoices,
	room:   &room{size: 0.7, decay: 0.5, damp: 5000, wet: 0.25},
}

// clavRhythm is the stabs over one chord, a sixteenth each; pitch picks the
// dyad: 0 the chord's third and fifth, played soft, 1 its fifth and seventh
// (or sixth), played hard.
var clavRhythm = []note{{1, 1, 0, 0.7}, {3, 1, 1, 0.9}, {4, 1, 0, 0.5}, {6, 1, 1, 1}, {7, 1, 0, 0.6}}

func clavVoices(g grid, rng *noise) []voice {
	// A stab is one of two dyads of its chord, played soft or hard: each
	// dyad is rendered once, with the brightness of its touch, and placed at
	// every stab that plays it.
	gate := g.beats(1.0/stepsPerBeat) - g.secs(0.02)
	var vs []voice
	for c, ch := range progression {
		var dyads [2][2]*sample
		for p := range dyads {
			touch := float32(0.6)
			if p == 1 {
				touch = 0.95
			}
			for k := range dyads[p] {
				m := nearest(ch.tones[1+p+k], 64+k*4)
				dyads[p][k] = newSample(g, gate+g.secs(0.05), clavNote(g.sr, midiHz(float64(m)), gate, touch))
			}
		}
		for _, r := range clavRhythm {
			step := c*beatsPerChord*stepsPerBeat + r.step
			for k, d := range dyads[r.pitch] {
				vel := r.vel * (0.9 + 0.1*float32(rng.unit()))
				vs = append(vs, play(g, swing(step, drumSwing), d, 0.4-0.4*float64(k), vel, 0.4))
			}
		}
	}
	return vs
}

// wClav is the cost of a frame of a clav note, in ticks.
const wClav = 8

func clavNote(sr int, hz float64, gate int, vel float32) synth {
	return func(b *[]float32, n int) []job {
		st := &clavState{sr: sr, hz: hz, vel: vel, ke: pow16(decayCoef(0.12, sr)),
			a: newSaw(hz, sr, 0), b: newSaw(hz, sr, 0.25), env: 1}
		return append([]job{{n: n, w: wClav, run: func(from, to int) {
			st.run((*b)[from:to], from)
		}}}, shapeJobs(b, 0, n, sr, 0.001, 0.3, 0.4, gate, 0.03)...)
	}
}

// clavState is a note between steps. Its loop is a method, not a closure:
// in wasm a closure's loop can run at half the speed.
type clavState struct {
	sr           int
	hz           float64
	vel, ke, env float32
	a, b         saw
	f            svf
}

// run renders out, which starts from frames into the note.
func (st *clavState) run(out []float32, from int) {
	sa, sb, f, env := st.a, st.b, st.f, st.env
	hz, sr, ke, vel := st.hz, st.sr, st.ke, st.vel
	for k := range out {
		if i := from + k; uint(i)%16 == 0 {
			f.set(float32(hz)*(2+14*env*vel)/float32(sr), 3)
			env *= ke
		}
		lp, _, _ := f.tick(sa.next() - sb.next())
		out[k] = lp
	}
	st.a, st.b, st.f, st.env = sa, sb, f, env
}
