package sound

// The bass: a sine with the saturated upper harmonics of a band-passed saw
// on top (so it speaks on small speakers), plucked by a filter envelope,
// locked to the kick.
var bassPart = &part{
	id: "bass", pitched: true, drive: 2, seed: 0xba55,
	voices: bassVoices,
}

// note is a note of a part: step, length in steps, MIDI note offset from
// the chord's root (or absolute, per part), velocity.
type note struct {
	step, steps int
	pitch       int
	vel         float32
}

// bassLine follows the kick (kickHits); pitch is relative to the chord root.
var bassLine = []note{
	{0, 3, 0, 1}, {3, 1, 12, 0.5}, {7, 2, 0, 0.8},
	{8, 2, 0, 0.95}, {10, 3, 0, 0.85}, {14, 1, 12, 0.55},
	{16, 3, 0, 1}, {19, 1, 7, 0.5}, {22, 2, 0, 0.8},
	{24, 2, 0, 0.95}, {26, 2, 0, 0.85}, {29, 2, 2, 0.7},
}

func bassVoices(g grid, _ *noise) []voice {
	var vs []voice
	for _, n := range bassLine {
		beat := swing(n.step, drumSwing)
		hz := midiHz(float64(chordAt(beat).root + n.pitch))
		gate := g.beats(float64(n.steps)/stepsPerBeat) - g.secs(0.02)
		vs = append(vs, newVoice(g, beat, gate+g.secs(0.08), 0, n.vel, 0, bassNote(g.sr, hz, gate, n.vel, 0.85)))
	}
	return vs
}

// wBass is the cost of a frame of a bass note, in ticks.
const wBass = 8

// bassNote is a note of the bass; growl is the level of its saturated
// upper harmonics.
func bassNote(sr int, hz float64, gate int, vel, growl float32) synth {
	return func(b *[]float32, n int) []job {
		st := &bassState{sr: sr, hz: hz, inc: phaseInc(hz, sr), kc: decayCoef(0.25, sr),
			// The saw's first edge a tenth of a cycle in: the growl
			// speaks with the note, not a cycle late.
			s: newSaw(hz, sr, 0.9), cut: float32(0.6 + 0.6*vel), growl: growl}
		return append([]job{{n: n, w: wBass, run: func(from, to int) {
			st.run((*b)[from:to], from)
		}}}, shapeJobs(b, 0, n, sr, 0.001, 0.4, 0.7, gate, 0.05)...)
	}
}

// bassState is a bass note between steps. Its loop is a method, not a
// closure: in wasm a closure's loop can run at half the speed.
type bassState struct {
	sr      int
	hz      float64
	inc     uint32
	kc, cut float32
	growl   float32
	s       saw
	f       svf
	ph      uint32
}

// run renders out, which starts from frames into the note.
func (st *bassState) run(out []float32, from int) {
	s, f, cut, ph := st.s, st.f, st.cut, st.ph
	hz, sr, kc, inc, growl := st.hz, st.sr, st.kc, st.inc, st.growl
	for k := range out {
		if i := from + k; uint(i)%16 == 0 {
			f.c = svfTuned(min(float32(hz)*(7+10*cut), 0.3*float32(sr))/float32(sr), 0.9)
			cut *= pow16(kc)
		}
		ph += inc
		var bp float32
		var x float32
		s, x = s.tick()
		f, _, bp, _ = f.tick(x)
		// A clean fundamental, and the saw's upper harmonics driven into
		// the saturator: the growl a phone plays, over a fundamental it
		// cannot, and little in the 100-400 Hz the other parts live in.
		out[k] = 0.7*sinp(ph) + growl*sat(3.5*bp)
	}
	st.s, st.f, st.cut, st.ph = s, f, cut, ph
}

// pow16 returns k^16: the factor of a per-frame decay over 16 frames.
func pow16(k float32) float32 {
	k *= k
	k *= k
	k *= k
	return k * k
}
