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

func arpNote(sr int, hz float64, gate int, vel float32) func(out []float32) {
	return func(out []float32) {
		a := newSaw(hz, sr, 0)
		b := newSaw(hz, sr, 0.3)
		var f svf
		env := float32(1)
		ke := pow16(decayCoef(0.25, sr))
		for i := range out {
			if i%16 == 0 {
				f.set(float32(hz)*(1.5+10*env*vel)/float32(sr), 2.2)
				env *= ke
			}
			lp, _, _ := f.tick(a.next() - b.next())
			out[i] = lp
		}
		shape(out, sr, 0.002, 0.5, 0.3, gate, 0.08)
	}
}
