package sound

// The electric piano: two-operator FM (a 1:1 pair for the body, a 1:14 pair
// for the tine's bark), each note of the chord placed across the stereo
// field, swaying gently left and right as the old suitcase amps did, in a
// small room.
var keysPart = &part{
	id: "keys", seed: 0x4e75, pitched: true, presence: 2.5, drive: 2.3,
	voices: keysVoices,
	room:   &room{size: 1.1, decay: 1.2, damp: 4000, wet: 0.35},
}

// keysRhythm is the comping pattern of one chord (eight sixteenths): a held
// chord, then a short, softer push.
var keysRhythm = []note{{0, 4, 0, 0.9}, {6, 2, 0, 0.6}}

// keysStrum is the delay from one note of a chord to the next, in seconds:
// a pianist's hand, lowest note first.
const keysStrum = 0.002

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
				// An octave over the close voicing: the warm middle is the
				// bass's and the guitar's, and a phone plays it.
				m += 12
				chord[k] = note(m, hit)
				// A little spread, so the chord does not sound stamped.
				gain[k] = 0.85 + 0.15*float32(rng.unit())
			}
			vs = append(vs, voice{
				start: start, frames: chord[0].frames + 3*g.secs(keysStrum), gl: 0.5, gr: 0.5, send: 0.5, stereo: true,
				synth: epChord(g, chord, gain, start), needs: chord[:],
			})
		}
	}
	return vs
}

// Costs of the keys, in ticks per frame.
const (
	wEP    = 3 // a note
	wStrum = 2 // a note into its chord
	wSway  = 3
)

// epChord mixes the notes of a chord into one stereo buffer, strummed,
// spread from left to right and swaying.
func epChord(g grid, notes [4]*sample, gain [4]float32, start int) synth {
	return func(b *[]float32, n int) []job {
		frames := n / 2
		var jobs []job
		for k, nt := range notes {
			gl, gr := pan(-0.45 + 0.3*float64(k))
			gl, gr = gl*gain[k], gr*gain[k]
			from := min(frames, k*g.secs(keysStrum))
			jobs = append(jobs, job{n: min(nt.frames, frames-from), w: wStrum, run: func(i0, i1 int) {
				src := nt.buf[i0:i1]
				l, r := (*b)[from+i0:from+i1], (*b)[frames+from+i0:frames+from+i1]
				l, r = l[:len(src)], r[:len(src)]
				for i, s := range src {
					l[i] += s * gl
					r[i] += s * gr
				}
			}})
		}
		// The sway: keysSway turns a loop, in step with the loop wherever
		// the chord starts.
		inc := uint32(uint64(keysSway) * (1 << 32) / uint64(g.n))
		ph := uint32(start) * inc
		return append(jobs, job{n: frames, w: wSway, run: func(from, to int) {
			left, right := (*b)[from:to], (*b)[frames+from:frames+to]
			right = right[:len(left)]
			p := ph
			for i := range left {
				s := 0.3 * sinp(p)
				left[i] *= 1 - s
				right[i] *= 1 + s
				p += inc
			}
			ph = p
		}})
	}
}

// epNote is one note of the piano, struck at vel and held for gate frames.
func epNote(sr int, hz float64, vel float32, gate int) synth {
	return func(b *[]float32, n int) []job {
		st := &epState{inc: phaseInc(hz, sr), ki: decayCoef(0.9, sr), kt: decayCoef(0.06, sr),
			vel: vel, idx: 0.8 + 1.6*vel, tine: 1.1 * vel,
			// The bark is gone (-60 dB) after 60 ms: stop computing it then.
			bark: min(n, sr*6/100)}
		return append([]job{{n: n, w: wEP, run: func(from, to int) {
			st.run((*b)[from:to], from)
		}}}, shapeJobs(b, 0, n, sr, 0.002, 2.5, 0, gate, 0.16)...)
	}
}

// epState is a note of the piano between steps. Its loop is a method, not a
// closure: in wasm a closure's loop can run at half the speed.
type epState struct {
	inc         uint32
	ki, kt, vel float32
	idx, tine   float32
	pc, pm, pt  uint32
	bark        int
}

// run renders out, which starts from frames into the note.
func (st *epState) run(out []float32, from int) {
	// The modulation is a phase offset of up to about 3.5 radians: through
	// int64, since past 2^31 an int32 conversion differs by platform.
	const toPhase = float32(1 << 32 / (2 * 3.14159265))
	idx, tine, pc, pm, pt := st.idx, st.tine, st.pc, st.pm, st.pt
	inc, ki, kt, vel := st.inc, st.ki, st.kt, st.vel
	split := min(max(st.bark-from, 0), len(out))
	for i := range out[:split] {
		pm += inc
		pt += inc * 14
		pc += inc
		mod := sinp(pm)*idx + sinp(pt)*tine
		out[i] = sinp(pc+uint32(int64(mod*toPhase))) * vel
		idx = 0.25 + (idx-0.25)*ki
		tine *= kt
	}
	for i := split; i < len(out); i++ {
		pm += inc
		pc += inc
		out[i] = sinp(pc+uint32(int64(sinp(pm)*idx*toPhase))) * vel
		idx = 0.25 + (idx-0.25)*ki
	}
	st.idx, st.tine, st.pc, st.pm, st.pt = idx, tine, pc, pm, pt
}
