package sound

// The arpeggio: sixteenth notes up and down the chord, a pulse through a
// plucked resonant lowpass, with a dotted-eighth ping-pong echo.
var arpPart = &part{
	id: "arp", level: -31, seed: 0xa49,
	voices: arpVoices,
	echo:   &echo{beats: 0.75, feedback: 0.5, taps: 3, wet: 0.45},
	room:   &room{size: 1.2, decay: 1.0, damp: 5000, wet: 0.2},
}

// arpOrder walks the chord: up through four notes, then back down.
var arpOrder = [8]int{0, 1, 2, 3, 4, 3, 2, 1}

func arpVoices(g grid, rng *noise) []voice {
	var vs []voice
	for s := 0; s < stepsPerLoop; s++ {
		beat := swing(s, drumSwing)
		ch := chordAt(float64(s) / stepsPerBeat)
		k := arpOrder[s%len(arpOrder)]
		m := ch.voicing[k%4] + 12*(k/4) + 12
		vel := float32(0.6)
		if s%4 == 0 {
			vel = 0.9
		} else if s%2 == 1 {
			vel = 0.45
		}
		vel *= 0.9 + 0.1*float32(rng.unit())
		p := -0.2 + 0.4*float64(s%2)
		gate := g.beats(0.2)
		vs = append(vs, newVoice(g, beat, gate+g.secs(0.12), p, vel, 0.6, arpNote(g.sr, midiHz(float64(m)), gate, vel)))
	}
	return vs
}

// wArp is the cost of a frame of an arpeggio note, in ticks.
const wArp = 8

func arpNote(sr int, hz float64, gate int, vel float32) synth {
	return func(b *[]float32, n int) []job {
		st := &arpState{sr: sr, hz: hz, vel: vel, ke: pow16(decayCoef(0.25, sr)),
			a: newSaw(hz, sr, 0), b: newSaw(hz, sr, 0.3), env: 1}
		return append([]job{{n: n, w: wArp, run: func(from, to int) {
			st.run((*b)[from:to], from)
		}}}, shapeJobs(b, 0, n, sr, 0.002, 0.5, 0.3, gate, 0.08)...)
	}
}

// arpState is a note between steps. Its loop is a method, not a closure:
// in wasm a closure's loop can run at half the speed.
type arpState struct {
	sr           int
	hz           float64
	vel, ke, env float32
	a, b         saw
	f            svf
}

// run renders out, which starts from frames into the note.
func (st *arpState) run(out []float32, from int) {
	sa, sb, f, env := st.a, st.b, st.f, st.env
	hz, sr, ke, vel := st.hz, st.sr, st.ke, st.vel
	for k := range out {
		if i := from + k; uint(i)%16 == 0 {
			f.set(float32(hz)*(1.5+10*env*vel)/float32(sr), 2.2)
			env *= ke
		}
		lp, _, _ := f.tick(sa.next() - sb.next())
		out[k] = lp
	}
	st.a, st.b, st.f, st.env = sa, sb, f, env
}
