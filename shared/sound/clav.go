package sound

// The clav: a narrow pulse (two saws a quarter period apart) through a
// resonant lowpass that snaps shut, an envelope filter, playing funky
// sixteenth-note stabs of two chord tones, short and muted.
var clavPart = &part{
	id: "clav", level: -31, seed: 0xc1a7,
	voices: clavVoices,
	room:   &room{size: 0.7, decay: 0.5, damp: 5000, wet: 0.25},
}

// clavRhythm is the stabs over one chord; pitch picks the chord tones.
var clavRhythm = []note{{1, 1, 0, 0.7}, {3, 1, 1, 0.9}, {4, 1, 0, 0.5}, {6, 1, 1, 1}, {7, 1, 0, 0.6}}

func clavVoices(g grid, rng *noise) []voice {
	var vs []voice
	for c, ch := range progression {
		for _, r := range clavRhythm {
			step := c*beatsPerChord*stepsPerBeat + r.step
			gate := g.beats(float64(r.steps)/stepsPerBeat) - g.secs(0.02)
			for k, pc := range [2]int{ch.tones[1+r.pitch], ch.tones[2+r.pitch]} {
				m := nearest(pc, 64+k*4)
				vel := r.vel * (0.9 + 0.1*float32(rng.unit()))
				p := 0.4 - 0.8*float64(k)*0.5
				vs = append(vs, newVoice(g, swing(step, drumSwing), gate+g.secs(0.05), p, vel, 0.4,
					clavNote(g.sr, midiHz(float64(m)), gate, vel)))
			}
		}
	}
	return vs
}

func clavNote(sr int, hz float64, gate int, vel float32) func(out []float32) {
	return func(out []float32) {
		a := newSaw(hz, sr, 0)
		b := newSaw(hz, sr, 0.25)
		var f svf
		env := float32(1)
		ke := pow16(decayCoef(0.12, sr))
		for i := range out {
			if i%16 == 0 {
				f.set(float32(hz)*(2+14*env*vel)/float32(sr), 3)
				env *= ke
			}
			lp, _, _ := f.tick(a.next() - b.next())
			out[i] = lp
		}
		shape(out, sr, 0.001, 0.3, 0.4, gate, 0.03)
	}
}
