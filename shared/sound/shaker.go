package sound

// The shaker: sixteenths of band-passed noise, each a short swell and a
// quick fall (the beads travel, then hit), accented on the off-beats.
var shakerPart = &part{
	id: "shaker", seed: 0x5a4e,
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
		// The second bar breathes before the top of the loop: a rest,
		// then one hard shake.
		switch s {
		case 29, 30:
			continue
		case 31:
			vel = 1
		}
		vel *= 0.82 + 0.26*float32(rng.unit())
		// Each bar its own shakes, so no two bars are the same sound.
		sh := shakes[(s+s/16)%len(shakes)]
		vs = append(vs, play(g, swing(s, drumSwing)-0.02, sh, 0.3, vel, vel*0.4))
	}
	return vs
}

// wShake is the cost of a frame of a shake, in ticks.
const wShake = 10

func shake(sr int, seed uint32) synth {
	return func(b *[]float32, n int) []job {
		st := &shakeState{swell: sr / 50, k: decayCoef(0.09, sr), rng: newNoise(seed), amp: 1}
		st.f.set(min(float32(5500), 0.4*float32(sr))/float32(sr), 1.2)
		st.top.set(float32(11000)/float32(sr), 0.7)
		var hi, lo, peak float32
		return []job{{n: n, w: wShake, run: func(from, to int) {
			st.run((*b)[from:to], from)
		}}, {n: n, w: wPeak / 2, run: func(from, to int) {
			// Saturated to a fixed level: the noise's rare high peaks would
			// otherwise set the part's level and poke out of the mix.
			hi, lo = extremesOf((*b)[from:to], hi, lo)
			peak = max(hi, -lo)
		}}, {n: n, w: 2, run: func(from, to int) {
			if peak > 0 {
				k := 2 / peak
				out := (*b)[from:to]
				for i, x := range out {
					out[i] = softClip(x * k)
				}
			}
		}}, fadeJob(b, 0, n, sr)}
	}
}

// shakeState is a shake between steps. Its loop is a method, not a
// closure: in wasm a closure's loop can run at half the speed.
type shakeState struct {
	swell  int
	k, amp float32
	rng    noise
	f, top svf
}

// run renders out, which starts from frames into the shake.
func (st *shakeState) run(out []float32, from int) {
	rng, f, top, amp := st.rng, st.f, st.top, st.amp
	swell, k := st.swell, st.k
	for j := range out {
		i := from + j
		var bp, hp, lp float32
		var nz float32
		rng, nz = rng.tick()
		f, _, bp, hp = f.tick(nz)
		// Beads rattle, they do not hiss: nothing much above 11 kHz.
		top, lp, _, _ = top.tick(bp + 0.4*hp)
		e := amp
		if i < swell {
			x := float32(i) / float32(swell)
			e = x * x
		} else {
			amp *= k
		}
		out[j] = lp * e
	}
	st.rng, st.f, st.top, st.amp = rng, f, top, amp
}
