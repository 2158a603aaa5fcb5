package sound

// The clav: a narrow pulse (two saws a quarter period apart) through a
// resonant lowpass that snaps shut, an envelope filter, playing funky
// sixteenth-note stabs of two chord tones, short and muted.
var clavPart = &part{
	id: "clav", pitched: true, drive: 1.4, presence: 1, seed: 0xc1a7,
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
				dyads[p][k] = newSample(g, gate+g.secs(0.05), clavTone.note(g.sr, midiHz(float64(m)), gate, touch))
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

// clavTone is the clav's pulse: narrow (a quarter period), its filter
// snapping shut in an eighth of a second.
var clavTone = pulseTone{width: 0.25, decay: 0.12, cutoff: 2, sweep: 14, q: 3,
	attack: 0.001, fall: 0.3, sustain: 0.4, release: 0.03}
