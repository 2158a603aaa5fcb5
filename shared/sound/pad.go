package sound

// The pad: per chord, two detuned saws a note, one each side of the stereo
// field, through a lowpass that breathes with the loop, slow in and out so
// each chord melts into the next, and ducking under the kick drum's hits
// (the drums part's kickHits) so that it pumps with the groove even when the
// drums are not playing.
var padPart = &part{
	id: "pad", level: -31, seed: 0x9ad,
	voices: padVoices,
}

// padDetune is the saws' detune, as a frequency ratio: about 7 cents
// either way, a slow chorus.
var padDetune = [2]float64{0.9961, 1.0041}

func padVoices(g grid, _ *noise) []voice {
	duck := kickDuck(g)
	var vs []voice
	for c, ch := range progression {
		beat := float64(c * beatsPerChord)
		gate := g.beats(float64(beatsPerChord))
		vs = append(vs, voice{
			start: g.at(beat), frames: gate + g.secs(0.55), gl: 0.5, gr: 0.5, stereo: true,
			render: padChord(g, ch, gate, g.at(beat), duck),
		})
	}
	return vs
}

func padChord(g grid, ch chord, gate, start int, duck []float32) func(out []float32) {
	return func(out []float32) {
		frames := len(out) / 2
		left, right := out[:frames], out[frames:]
		// Plain (not band-limited) saws: the lowpass is far below where
		// their aliases fold back, and a pad has eight of them per frame.
		var tl, tr, dl, dr [4]float32
		for k, m := range ch.open {
			hz := midiHz(float64(m))
			a, b := float32(hz*padDetune[0]/float64(g.sr)), float32(hz*padDetune[1]/float64(g.sr))
			if k%2 == 1 {
				a, b = b, a
			}
			dl[k], dr[k] = a, b
			tl[k], tr[k] = float32(k)*0.37, float32(k)*0.61+0.2
		}
		var fl, fr svf
		// A one-pole highpass at 160 Hz keeps the pad out of the bass's way.
		hpA := onePoleCoef(160, g.sr)
		var hl, hr float32
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
			for k := range tl {
				x, y := tl[k]+dl[k], tr[k]+dr[k]
				if x >= 1 {
					x--
				}
				if y >= 1 {
					y--
				}
				tl[k], tr[k] = x, y
				l += x
				r += y
			}
			// Each saw is 2t-1: the -1s sum to a constant the filter would
			// pass as DC, so take them out once.
			x, _, _ := fl.tick(2*l - 4)
			y, _, _ := fr.tick(2*r - 4)
			hl += hpA * (x - hl)
			hr += hpA * (y - hr)
			left[i], right[i] = x-hl, y-hr
		}
		// The duck's blocks are interpolated, so the gain glides.
		pos := start % g.n
		for i := range left {
			b := pos / duckBlock
			next := b + 1
			if next == len(duck) {
				next = 0
			}
			d := duck[b] + (duck[next]-duck[b])*float32(pos%duckBlock)*(1.0/duckBlock)
			left[i] *= d
			right[i] *= d
			if pos++; pos == g.n {
				pos = 0
			}
		}
		shape(left, g.sr, 0.35, 60, 1, len(left)-g.secs(0.55), 0.45)
		shape(right, g.sr, 0.35, 60, 1, len(right)-g.secs(0.55), 0.45)
	}
}

// duckBlock is the resolution of the ducking curve in frames.
const duckBlock = 16

// kickDuck returns the gain of a sidechain duck for every duckBlock frames of
// the loop: down 4.5 dB at each kick, back over about a third of a second,
// smoothed so it never steps. It goes round the loop twice so the curve at
// the start knows the kicks at the end.
func kickDuck(g grid) []float32 {
	blocks := (g.n + duckBlock - 1) / duckBlock
	hit := make([]bool, blocks)
	for _, h := range kickHits {
		hit[g.at(swing(h.step, drumSwing))/duckBlock] = true
	}
	duck := make([]float32, blocks)
	release := pow16(decayCoef(0.8, g.sr))
	smooth := 1 - pow16(decayCoef(0.012, g.sr))
	var env, gain float32 = 0, 1
	for pass := 0; pass < 2; pass++ {
		for b := range duck {
			if hit[b] {
				env = 1
			}
			gain += (1 - 0.4*env - gain) * smooth
			env *= release
			duck[b] = gain
		}
	}
	return duck
}
