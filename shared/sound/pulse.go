package sound

// A pulse through an envelope filter: two saws a fraction of a period apart
// make a pulse of that width, and a resonant lowpass opens with the note's
// velocity and closes as it decays. The arpeggio and the clav are this
// voice with other settings.

// wPulse is the cost of a frame of a pulse note, in ticks.
const wPulse = 8

// pulseTone is what sets one instrument's pulse voice apart.
type pulseTone struct {
	// width is the pulse's width, as the phase between its two saws.
	width float32
	// decay is how many seconds the filter's envelope takes to fall.
	decay float64
	// cutoff and sweep set the lowpass: cutoff + sweep*envelope*velocity
	// times the note's pitch.
	cutoff, sweep float32
	// q is the lowpass's resonance.
	q float32
	// attack, fall and release (seconds) and sustain (level) shape the
	// note's amplitude.
	attack, fall, release float64
	sustain               float32
}

// note returns the synth of one note of the tone.
func (t pulseTone) note(sr int, hz float64, gate int, vel float32) synth {
	return func(b *[]float32, n int) []job {
		st := &pulseState{tone: &t, sr: sr, hz: hz, vel: vel, ke: pow16(decayCoef(t.decay, sr)),
			a: newSaw(hz, sr, 0), b: newSaw(hz, sr, t.width), env: 1}
		return append([]job{{n: n, w: wPulse, run: func(from, to int) {
			st.run((*b)[from:to], from)
		}}}, shapeJobs(b, 0, n, sr, t.attack, t.fall, t.sustain, gate, t.release)...)
	}
}

// pulseState is a note between steps. Its loop is a method, not a closure:
// in wasm a closure's loop can run at half the speed.
type pulseState struct {
	tone         *pulseTone
	sr           int
	hz           float64
	vel, ke, env float32
	a, b         saw
	f            svf
}

// run renders out, which starts from frames into the note.
func (st *pulseState) run(out []float32, from int) {
	sa, sb, f, env := st.a, st.b, st.f, st.env
	hz, sr, ke, vel := st.hz, st.sr, st.ke, st.vel
	cutoff, sweep, q := st.tone.cutoff, st.tone.sweep, st.tone.q
	for k := range out {
		if i := from + k; uint(i)%16 == 0 {
			f.c = svfTuned(float32(hz)*(cutoff+sweep*env*vel)/float32(sr), q)
			env *= ke
		}
		var lp float32
		var x, y float32
		sa, x = sa.tick()
		sb, y = sb.tick()
		f, lp, _, _ = f.tick(x - y)
		out[k] = lp
	}
	st.a, st.b, st.f, st.env = sa, sb, f, env
}
