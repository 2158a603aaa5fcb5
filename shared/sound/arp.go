package sound

// The arpeggio: sixteenth notes up and down the chord, a pulse through a
// plucked resonant lowpass, with a dotted-eighth ping-pong echo.
var arpPart = &part{
	id: "arp", pitched: true, seed: 0xa49,
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
		vs = append(vs, newVoice(g, beat, gate+g.secs(0.12), p, vel, 0.6, arpTone.note(g.sr, midiHz(float64(m)), gate, vel)))
	}
	return vs
}

// arpTone is the arpeggio's pulse: wide, its filter opening with each note
// and closing over a quarter of a second.
var arpTone = pulseTone{width: 0.3, decay: 0.25, cutoff: 1.5, sweep: 10, q: 2.2,
	attack: 0.002, fall: 0.5, sustain: 0.3, release: 0.08}
