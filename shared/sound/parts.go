package sound

// Part builders for kits: each returns the voices function of a part from
// a kit's harmony and patterns, with the instruments of the golden hour's
// parts (bass.go, keys.go, guitar.go, pulse.go, pad.go, bells.go), so that
// a new kit is its tunes and its settings.

// harmony is a kit's chord progression: one chord every beats beats,
// round and round the loop.
type harmony struct {
	chords []chord
	beats  int
}

// at returns the chord sounding at a position in beats.
func (h harmony) at(beat float64) chord {
	i := int(beat) / h.beats
	return h.chords[((i%len(h.chords))+len(h.chords))%len(h.chords)]
}

// seedOf draws a noise seed.
func seedOf(rng *noise) uint32 { return uint32(rng.next()*(1<<30)) | 1 }

// bassLineOf plays line, its steps over the whole loop and its pitches from
// the root of the chord sounding, with the growl of its saturated
// harmonics.
func bassLineOf(h harmony, line []note, swingBy float64, growl float32) func(g grid, rng *noise) []voice {
	return func(g grid, rng *noise) []voice {
		var vs []voice
		for _, n := range line {
			beat := swing(n.step, swingBy)
			hz := midiHz(float64(h.at(float64(n.step)/stepsPerBeat).root + n.pitch))
			gate := g.beats(float64(n.steps)/stepsPerBeat) - g.secs(0.02)
			vel := n.vel * (0.9 + 0.2*float32(rng.unit()))
			vs = append(vs, newVoice(g, beat, gate+g.secs(0.08), 0, vel, 0, bassNote(g.sr, hz, gate, vel, growl)))
		}
		return vs
	}
}

// epChordsOf comps the electric piano: rhythm is the hits over one chord
// (step within the chord, length in steps, velocity), last the hits over
// the loop's last chord (a turnaround), each chord's close voicing up
// semitones higher.
func epChordsOf(h harmony, rhythm, last []note, swingBy float64, up int) func(g grid, rng *noise) []voice {
	return func(g grid, rng *noise) []voice {
		type key struct{ m, steps int }
		notes := map[key]*sample{}
		note := func(m, steps int, vel float32) *sample {
			s, ok := notes[key{m, steps}]
			if !ok {
				gate := g.beats(float64(steps) / stepsPerBeat)
				s = newSample(g, gate+g.secs(0.18), epNote(g.sr, midiHz(float64(m)), vel, gate))
				notes[key{m, steps}] = s
			}
			return s
		}
		chords := g.beatsPer / h.beats
		var vs []voice
		for c := range chords {
			ch := h.chords[c%len(h.chords)]
			hits := rhythm
			if c == chords-1 && last != nil {
				hits = last
			}
			for _, r := range hits {
				step := c*h.beats*stepsPerBeat + r.step
				start := g.at(swing(step, swingBy))
				var chord [4]*sample
				var gain [4]float32
				for k, m := range ch.voicing {
					chord[k] = note(m+up, r.steps, r.vel)
					gain[k] = (0.85 + 0.15*float32(rng.unit())) * (0.9 + 0.2*float32(rng.unit()))
				}
				vs = append(vs, voice{
					start: start, frames: chord[0].frames + 3*g.secs(keysStrum), gl: 0.5, gr: 0.5, send: 0.5, stereo: true,
					synth: epChord(g, chord, gain, start), needs: chord[:],
				})
			}
		}
		return vs
	}
}

// plucksOf fingerpicks chord tones on the guitar: pattern over one chord
// (step, length, index of the chord's tone, velocity), each tone the one
// nearest near plus three semitones an index, panned to pan.
func plucksOf(h harmony, pattern []note, swingBy float64, near int, pan float64) func(g grid, rng *noise) []voice {
	return func(g grid, rng *noise) []voice {
		var vs []voice
		for c := range g.beatsPer / h.beats {
			ch := h.chords[c%len(h.chords)]
			for _, r := range pattern {
				step := c*h.beats*stepsPerBeat + r.step
				m := nearest(ch.tones[r.pitch%4], near+r.pitch*3)
				gate := g.beats(float64(r.steps) / stepsPerBeat)
				vel := r.vel * (0.85 + 0.25*float32(rng.unit()))
				vs = append(vs, newVoice(g, swing(step, swingBy), gate+g.secs(0.15), pan, vel, 0.5,
					pluck(g.sr, midiHz(float64(m)), gate, vel, seedOf(rng))))
			}
		}
		return vs
	}
}

// pulseLineOf plays a tune (steps over the loop, absolute MIDI notes) on a
// pulse voice, panned to pan.
func pulseLineOf(tone pulseTone, tune []note, swingBy float64, pan float64) func(g grid, rng *noise) []voice {
	return func(g grid, rng *noise) []voice {
		var vs []voice
		for _, n := range tune {
			gate := g.beats(float64(n.steps)/stepsPerBeat) - g.secs(0.01)
			vel := n.vel * (0.9 + 0.15*float32(rng.unit()))
			vs = append(vs, newVoice(g, swing(n.step, swingBy), gate+g.secs(tone.release+0.05), pan, vel, 0.6,
				tone.note(g.sr, midiHz(float64(n.pitch)), gate, vel)))
		}
		return vs
	}
}

// padChordsOf holds each chord's open voicing, up semitones higher,
// ducking under the kicks.
func padChordsOf(h harmony, kicks []hit, swingBy float64, up int) func(g grid, rng *noise) []voice {
	return func(g grid, _ *noise) []voice {
		duck := kickDuck(g, kicks, swingBy)
		var vs []voice
		for c := range g.beatsPer / h.beats {
			ch := h.chords[c%len(h.chords)]
			for k := range ch.open {
				ch.open[k] += up - 12 // padChord plays the voicing an octave up
			}
			beat := float64(c * h.beats)
			gate := g.beats(float64(h.beats))
			vs = append(vs, voice{
				start: g.at(beat), frames: gate + g.secs(0.55), gl: 0.5, gr: 0.5, stereo: true,
				synth: padChord(g, ch, gate, g.at(beat), duck),
			})
		}
		return vs
	}
}

// bellsOf rings chord tones: tune gives steps over the loop and indexes of
// the sounding chord's tones, each the one nearest near.
func bellsOf(h harmony, tune []note, swingBy float64, near int) func(g grid, rng *noise) []voice {
	return func(g grid, rng *noise) []voice {
		var vs []voice
		for i, n := range tune {
			beat := swing(n.step, swingBy)
			m := nearest(h.at(float64(n.step) / stepsPerBeat).tones[n.pitch%4], near)
			p := -0.4 + 0.8*float64(i%3)/2
			vel := n.vel * (0.9 + 0.15*float32(rng.unit()))
			vs = append(vs, newVoice(g, beat, g.secs(1.4), p, vel, 0.7, bell(g.sr, midiHz(float64(m)))))
		}
		return vs
	}
}

// rimShakerOf is hand percussion: a shaker on every sixteenth but the
// second bar's last beat, and rim clicks (a conga slapped at its edge,
// tuned to rim) at hits, steps over the loop.
func rimShakerOf(rims []hit, swingBy float64, rim int) func(g grid, rng *noise) []voice {
	return func(g grid, rng *noise) []voice {
		var shakes [4]*sample
		for i := range shakes {
			shakes[i] = newSample(g, g.secs(0.16), shake(g.sr, seedOf(rng)))
		}
		var clicks [2]*sample
		for i := range clicks {
			clicks[i] = newSample(g, g.secs(0.3), conga(g.sr, midiHz(float64(rim)), true, seedOf(rng)))
		}
		steps := g.beatsPer * stepsPerBeat
		// A shake swells for 20 ms before the beads hit: it starts 12 ms
		// early, so that they hit on the beat.
		early := 0.012 * float64(g.beatsPer) * float64(g.sr) / float64(g.n)
		var vs []voice
		for s := range steps {
			if s >= steps-3 && s < steps-1 {
				continue // a breath before the top
			}
			vel := float32(0.45)
			switch s % 4 {
			case 2:
				vel = 0.9
			case 0:
				vel = 0.65
			}
			vel *= 0.8 + 0.3*float32(rng.unit())
			sh := shakes[(s+s/16)%len(shakes)]
			vs = append(vs, play(g, swing(s, swingBy)-early, sh, 0.35, 0.8*vel, 0.3*vel))
		}
		for i, h := range rims {
			vel := h.vel * (0.85 + 0.3*float32(rng.unit()))
			vs = append(vs, play(g, swing(h.step, swingBy), clicks[i%2], -0.3, vel, 0.5*vel))
		}
		return vs
	}
}

// stabsOf stabs chords on a pulse: rhythm is the hits over one chord (step
// within it, length, velocity), last the hits over the loop's last chord,
// each chord's close voicing up semitones higher, spread across the field.
func stabsOf(h harmony, tone pulseTone, rhythm, last []note, swingBy float64, up int) func(g grid, rng *noise) []voice {
	return func(g grid, rng *noise) []voice {
		chords := g.beatsPer / h.beats
		var vs []voice
		for c := range chords {
			ch := h.chords[c%len(h.chords)]
			hits := rhythm
			if c == chords-1 && last != nil {
				hits = last
			}
			// Each note of the chord rendered once, placed at every hit.
			var notes [4]*sample
			for k, m := range ch.voicing {
				gate := g.beats(float64(hits[0].steps)/stepsPerBeat) - g.secs(0.01)
				notes[k] = newSample(g, gate+g.secs(tone.release+0.03), tone.note(g.sr, midiHz(float64(m+up)), gate, 0.9))
			}
			for _, r := range hits {
				step := c*h.beats*stepsPerBeat + r.step
				for k, s := range notes {
					vel := r.vel * (0.85 + 0.25*float32(rng.unit()))
					vs = append(vs, play(g, swing(step, swingBy), s, -0.45+0.3*float64(k), 0.6*vel, 0.5*vel))
				}
			}
		}
		return vs
	}
}
