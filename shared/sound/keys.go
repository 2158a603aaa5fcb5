package sound

// The electric piano: two-operator FM (a 1:1 pair for the body, a 1:14 pair
// for the tine's bark), each note of the chord placed across the stereo
// field, in a small room.
var keysPart = &part{
	id: "keys", level: -30, seed: 0x4e75,
	voices: keysVoices,
	room:   &room{size: 1.1, decay: 1.2, damp: 4000, wet: 0.35},
}

// keysRhythm is the comping pattern of one chord (eight sixteenths).
var keysRhythm = []note{{0, 5, 0, 0.9}, {6, 2, 0, 0.6}}

func keysVoices(g grid, rng *noise) []voice {
	var vs []voice
	for c, ch := range progression {
		for _, r := range keysRhythm {
			step := c*beatsPerChord*stepsPerBeat + r.step
			gate := g.beats(float64(r.steps) / stepsPerBeat)
			for k, m := range ch.voicing {
				// A strum of a few ms, lowest note first, and a little
				// velocity spread, so the chord does not sound stamped.
				beat := swing(step, drumSwing) + float64(k)*0.012
				vel := r.vel * (0.85 + 0.15*float32(rng.unit()))
				p := -0.45 + 0.3*float64(k)
				vs = append(vs, newVoice(g, beat, gate+g.secs(0.25), p, vel*0.5, 0.5, epNote(g.sr, midiHz(float64(m)), gate, vel)))
			}
		}
	}
	return vs
}

func epNote(sr int, hz float64, gate int, vel float32) func(out []float32) {
	return func(out []float32) {
		inc := phaseInc(hz, sr)
		var pc, pm, pt uint32
		idx := 0.8 + 1.6*vel
		ki := decayCoef(0.9, sr)
		tine := 0.6 * vel
		kt := decayCoef(0.06, sr)
		const toPhase = float32(1 << 32 / (2 * 3.14159265))
		// The bark is gone (-60 dB) after 60 ms: stop computing it then.
		bark := min(len(out), sr*6/100)
		for i := range out[:bark] {
			pm += inc
			pt += inc * 14
			pc += inc
			mod := sinp(pm)*idx + sinp(pt)*tine
			out[i] = sinp(pc + uint32(int32(mod*toPhase)))
			idx = 0.25 + (idx-0.25)*ki
			tine *= kt
		}
		for i := bark; i < len(out); i++ {
			pm += inc
			pc += inc
			out[i] = sinp(pc + uint32(int32(sinp(pm)*idx*toPhase)))
			idx = 0.25 + (idx-0.25)*ki
		}
		shape(out, sr, 0.002, 2.5, 0, gate, 0.25)
	}
}
