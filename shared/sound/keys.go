package sound

// The electric piano: two-operator FM (a 1:1 pair for the body, a 1:14 pair
// for the tine's bark), each note of the chord placed across the stereo
// field, swaying gently left and right as the old suitcase amps did, in a
// small room.
var keysPart = &part{
	id: "keys", level: -30, seed: 0x4e75,
	voices: keysVoices,
	room:   &room{size: 1.1, decay: 1.2, damp: 4000, wet: 0.35},
}

// keysRhythm is the comping pattern of one chord (eight sixteenths): a held
// chord, then a short, softer push.
var keysRhythm = []note{{0, 4, 0, 0.9}, {6, 2, 0, 0.6}}

// keysStrum is the delay from one note of a chord to the next, in seconds:
// a pianist's hand, lowest note first.
const keysStrum = 0.007

// keysSway is how many times the keys sway left and back in a loop.
const keysSway = 4

func keysVoices(g grid, rng *noise) []voice {
	// The voicings share notes (E4 is in all four chords): each note is
	// rendered once per kind of hit and mixed into every chord that has it.
	notes := map[[2]int]*sample{}
	note := func(m, hit int) *sample {
		s, ok := notes[[2]int{m, hit}]
		if !ok {
			r := keysRhythm[hit]
			gate := g.beats(float64(r.steps) / stepsPerBeat)
			s = newSample(g, gate+g.secs(0.18), epNote(g.sr, midiHz(float64(m)), r.vel, gate))
			notes[[2]int{m, hit}] = s
		}
		return s
	}
	var vs []voice
	for c, ch := range progression {
		for hit, r := range keysRhythm {
			step := c*beatsPerChord*stepsPerBeat + r.step
			start := g.at(swing(step, drumSwing))
			var chord [4]*sample
			var gain [4]float32
			for k, m := range ch.voicing {
				chord[k] = note(m, hit)
				// A little spread, so the chord does not sound stamped.
				gain[k] = 0.85 + 0.15*float32(rng.unit())
			}
			vs = append(vs, voice{
				start: start, frames: len(chord[0].buf) + 3*g.secs(keysStrum), gl: 0.5, gr: 0.5, send: 0.5, stereo: true,
				render: epChord(g, chord, gain, start),
			})
		}
	}
	return vs
}

// epChord mixes the notes of a chord into one stereo buffer, strummed,
// spread from left to right and swaying.
func epChord(g grid, notes [4]*sample, gain [4]float32, start int) func(out []float32) {
	return func(out []float32) {
		frames := len(out) / 2
		left, right := out[:frames], out[frames:]
		for k, n := range notes {
			n.ensure()
			gl, gr := pan(-0.45 + 0.3*float64(k))
			gl, gr = gl*gain[k], gr*gain[k]
			from := min(frames, k*g.secs(keysStrum))
			l, r := left[from:], right[from:]
			for i, s := range n.buf[:min(len(n.buf), len(l))] {
				l[i] += s * gl
				r[i] += s * gr
			}
		}
		// The sway: keysSway turns a loop, in step with the loop wherever
		// the chord starts.
		inc := uint32(uint64(keysSway) * (1 << 32) / uint64(g.n))
		ph := uint32(start) * inc
		for i := range left {
			s := 0.3 * sinp(ph)
			left[i] *= 1 - s
			right[i] *= 1 + s
			ph += inc
		}
	}
}

// epNote is one note of the piano, struck at vel and held for gate frames.
func epNote(sr int, hz float64, vel float32, gate int) func(out []float32) {
	return func(out []float32) {
		const toPhase = float32(1 << 32 / (2 * 3.14159265))
		inc := phaseInc(hz, sr)
		ki := decayCoef(0.9, sr)
		kt := decayCoef(0.06, sr)
		idx := 0.8 + 1.6*vel
		tine := 0.6 * vel
		var pc, pm, pt uint32
		// The bark is gone (-60 dB) after 60 ms: stop computing it then.
		bark := min(len(out), sr*6/100)
		for i := range out[:bark] {
			pm += inc
			pt += inc * 14
			pc += inc
			mod := sinp(pm)*idx + sinp(pt)*tine
			out[i] = sinp(pc+uint32(int32(mod*toPhase))) * vel
			idx = 0.25 + (idx-0.25)*ki
			tine *= kt
		}
		for i := bark; i < len(out); i++ {
			pm += inc
			pc += inc
			out[i] = sinp(pc+uint32(int32(sinp(pm)*idx*toPhase))) * vel
			idx = 0.25 + (idx-0.25)*ki
		}
		shape(out, sr, 0.002, 2.5, 0, gate, 0.16)
	}
}
