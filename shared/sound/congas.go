package sound

// The congas: two tuned membranes (a low tumba on A3, a high conga on E4),
// each a pair of damped modes with a falling pitch, plus a noise slap, in a
// tumbao pattern panned apart.
var congasPart = &part{
	id: "congas", level: -31, seed: 0xc0a9,
	voices: congaVoices,
	room:   &room{size: 0.8, decay: 0.6, damp: 4500, wet: 0.4},
}

// congaHit is a stroke: step, drum (0 low, 1 high), slap or open, velocity.
type congaHit struct {
	step, drum int
	slap       bool
	vel        float32
}

var congaPattern = []congaHit{
	{0, 0, false, 0.45}, {2, 1, false, 0.5}, {4, 1, true, 0.9}, {6, 0, false, 0.85}, {7, 0, false, 0.9},
	{10, 1, false, 0.6}, {12, 1, true, 0.85}, {14, 0, false, 0.8}, {15, 0, false, 0.95},
}

var congaPitch = [2]float64{57, 64}

func congaVoices(g grid, rng *noise) []voice {
	// Each stroke of each drum rendered twice (two hands), then placed.
	var strokes [2][2][2]*sample
	for d := range strokes {
		for slap := range strokes[d] {
			for hand := range strokes[d][slap] {
				seed := uint32(rng.next()*(1<<30)) | 1
				strokes[d][slap][hand] = newSample(g, g.secs(0.45), conga(g.sr, midiHz(congaPitch[d]), slap == 1, seed))
			}
		}
	}
	var vs []voice
	for bar := 0; bar < 2; bar++ {
		for i, h := range congaPattern {
			step := bar*16 + h.step
			vel := h.vel * (0.9 + 0.1*float32(rng.unit()))
			p := -0.35 + 0.7*float64(h.drum)
			slap := 0
			if h.slap {
				slap = 1
			}
			vs = append(vs, play(g, swing(step, drumSwing), strokes[h.drum][slap][i%2], p, vel, vel*0.5))
		}
	}
	return vs
}

func conga(sr int, hz float64, slap bool, seed uint32) func(out []float32) {
	return func(out []float32) {
		scale := float32(1<<32) / float32(sr)
		f := float32(hz)
		bend := float32(0.025)
		kb := decayCoef(0.04, sr)
		amp := float32(1)
		ka := decayCoef(0.35, sr)
		amp2 := float32(0.5)
		ka2 := decayCoef(0.12, sr)
		noiseAmp := float32(0.25)
		if slap {
			ka = decayCoef(0.16, sr)
			noiseAmp = 0.9
		}
		kn := decayCoef(0.03, sr)
		n := newNoise(seed)
		var bp svf
		bp.set(float32(2.6*hz)/float32(sr), 1.2)
		var p1, p2 uint32
		for i := range out {
			fi := f * (1 + bend)
			bend *= kb
			p1 += uint32(fi * scale)
			p2 += uint32(fi * 1.5 * scale)
			_, b, _ := bp.tick(n.next())
			out[i] = sinp(p1)*amp + sinp(p2)*amp2 + b*noiseAmp
			amp *= ka
			amp2 *= ka2
			noiseAmp *= kn
		}
		fade(out, sr)
	}
}
