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

// keysRhythm is the comping pattern of one chord (eight sixteenths).
var keysRhythm = []note{{0, 4, 0, 0.9}, {6, 2, 0, 0.6}}

// keysStrum is the delay from one note of a chord to the next, in seconds:
// a pianist's hand, lowest note first.
const keysStrum = 0.007

// keysSway is how many times the keys sway left and back in a loop.
const keysSway = 4

func keysVoices(g grid, rng *noise) []voice {
	var vs []voice
	for c, ch := range progression {
		for _, r := range keysRhythm {
			step := c*beatsPerChord*stepsPerBeat + r.step
			gate := g.beats(float64(r.steps) / stepsPerBeat)
			var vel [4]float32
			for k := range vel {
				// A little spread, so the chord does not sound stamped.
				vel[k] = r.vel * (0.85 + 0.15*float32(rng.unit()))
			}
			vs = append(vs, voice{
				start: g.at(swing(step, drumSwing)), frames: gate + g.secs(0.18), gl: 0.5, gr: 0.5, send: 0.5, stereo: true,
				render: epChord(g, ch.voicing, vel, gate, g.at(swing(step, drumSwing))),
			})
		}
	}
	return vs
}

// epChord renders the notes of a chord into one stereo buffer: one voice a
// chord, not a note, halves the work of placing and shaping them.
func epChord(g grid, notes [4]int, vel [4]float32, gate, start int) func(out []float32) {
	sr := g.sr
	return func(out []float32) {
		frames := len(out) / 2
		left, right := out[:frames], out[frames:]
		const toPhase = float32(1 << 32 / (2 * 3.14159265))
		ki := decayCoef(0.9, sr)
		kt := decayCoef(0.06, sr)
		ramp := max(1, sr/2000)
		for k, m := range notes {
			inc := phaseInc(midiHz(float64(m)), sr)
			gl, gr := pan(-0.45 + 0.3*float64(k))
			gl, gr = gl*vel[k], gr*vel[k]
			idx := 0.8 + 1.6*vel[k]
			tine := 0.6 * vel[k]
			var pc, pm, pt uint32
			from := min(frames, k*int(keysStrum*float64(sr)))
			l, r := left[from:], right[from:]
			// The bark is gone (-60 dB) after 60 ms: stop computing it then.
			bark := min(len(l), sr*6/100)
			for i := range l[:bark] {
				pm += inc
				pt += inc * 14
				pc += inc
				mod := sinp(pm)*idx + sinp(pt)*tine
				s := sinp(pc + uint32(int32(mod*toPhase)))
				if i < ramp {
					s *= float32(i) / float32(ramp)
				}
				l[i] += s * gl
				r[i] += s * gr
				idx = 0.25 + (idx-0.25)*ki
				tine *= kt
			}
			for i := bark; i < len(l); i++ {
				pm += inc
				pc += inc
				s := sinp(pc + uint32(int32(sinp(pm)*idx*toPhase)))
				l[i] += s * gl
				r[i] += s * gr
				idx = 0.25 + (idx-0.25)*ki
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
		shape(left, sr, 0.002, 2.5, 0, gate, 0.16)
		shape(right, sr, 0.002, 2.5, 0, gate, 0.16)
	}
}
