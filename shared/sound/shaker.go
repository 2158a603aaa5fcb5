package sound

// The shaker: sixteenths of band-passed noise, each a short swell and a
// quick fall (the beads travel, then hit), accented on the off-beats.
var shakerPart = &part{
	id: "shaker", level: -33.5, seed: 0x5a4e,
	voices: shakerVoices,
	room:   &room{size: 0.6, decay: 0.4, damp: 6000, wet: 0.3},
}

func shakerVoices(g grid, rng *noise) []voice {
	var shakes [4]*sample
	for i := range shakes {
		shakes[i] = newSample(g, g.secs(0.16), shake(g.sr, uint32(rng.next()*(1<<30))|1))
	}
	var vs []voice
	for s := 0; s < stepsPerLoop; s++ {
		vel := float32(0.55)
		switch s % 4 {
		case 2:
			vel = 1
		case 0:
			vel = 0.7
		}
		vel *= 0.85 + 0.15*float32(rng.unit())
		vs = append(vs, play(g, swing(s, drumSwing)-0.02, shakes[s%len(shakes)], 0.3, vel, vel*0.4))
	}
	return vs
}

func shake(sr int, seed uint32) func(out []float32) {
	return func(out []float32) {
		n := newNoise(seed)
		var f, top svf
		f.set(float32(6500)/float32(sr), 1.4)
		top.set(float32(11000)/float32(sr), 0.7)
		swell := sr / 50
		amp := float32(1)
		k := decayCoef(0.09, sr)
		for i := range out {
			_, bp, hp := f.tick(n.next())
			// Beads rattle, they do not hiss: nothing much above 11 kHz.
			lp, _, _ := top.tick(bp + 0.4*hp)
			e := amp
			if i < swell {
				x := float32(i) / float32(swell)
				e = x * x
			} else {
				amp *= k
			}
			out[i] = lp * e
		}
		// Saturated to a fixed level: the noise's rare high peaks would
		// otherwise set the part's level and poke out of the mix.
		var peak float32
		for _, x := range out {
			peak = max(peak, x, -x)
		}
		if peak > 0 {
			k := 2 / peak
			for i, x := range out {
				out[i] = softClip(x * k)
			}
		}
		fade(out, sr)
	}
}
