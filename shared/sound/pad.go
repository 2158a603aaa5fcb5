package sound

// The pad: per chord, two detuned saws a note, one each side of the stereo
// field, through a lowpass that breathes with the loop, slow in and out so
// each chord melts into the next.
var padPart = &part{
	id: "pad", level: -31, seed: 0x9ad,
	voices: padVoices,
}

// padDetune is the saws' detune, as a frequency ratio: about 7 cents
// either way, a slow chorus.
var padDetune = [2]float64{0.9961, 1.0041}

func padVoices(g grid, _ *noise) []voice {
	var vs []voice
	for c, ch := range progression {
		beat := float64(c * beatsPerChord)
		gate := g.beats(float64(beatsPerChord))
		vs = append(vs, voice{
			start: g.at(beat), frames: gate + g.secs(0.7), gl: 0.5, gr: 0.5, stereo: true,
			render: padChord(g, ch, gate, g.at(beat)),
		})
	}
	return vs
}

func padChord(g grid, ch chord, gate, start int) func(out []float32) {
	return func(out []float32) {
		frames := len(out) / 2
		left, right := out[:frames], out[frames:]
		var saws [4][2]saw
		for k, m := range ch.voicing {
			hz := midiHz(float64(m))
			for d, r := range padDetune {
				saws[k][d] = newSaw(hz*r, g.sr, float32(k*2+d)*0.37)
			}
		}
		var fl, fr svf
		for i := 0; i < frames; i++ {
			if i%32 == 0 {
				// The cutoff follows a slow sine of the loop's phase, so it
				// is the same on every pass.
				ph := uint32(uint64(start+i) % uint64(g.n) * (1 << 32) / uint64(g.n))
				cut := (900 + 500*sinp(ph)) / float32(g.sr)
				fl.set(cut, 0.9)
				fr.set(cut*1.1, 0.9)
			}
			var l, r float32
			for k := range saws {
				a, b := saws[k][0].next(), saws[k][1].next()
				if k%2 == 0 {
					l += a
					r += b
				} else {
					r += a
					l += b
				}
			}
			left[i], _, _ = fl.tick(l)
			right[i], _, _ = fr.tick(r)
		}
		shape(left, g.sr, 0.35, 60, 1, len(left)-g.secs(0.7), 0.6)
		shape(right, g.sr, 0.35, 60, 1, len(right)-g.secs(0.7), 0.6)
	}
}
