package sound

// The congas: two tuned membranes (a low tumba on E4, a high conga on A4),
// each a pair of damped modes with a falling pitch, plus a noise slap, in a
// tumbao pattern panned apart.
var congasPart = &part{
	id: "congas", seed: 0xc0a9, drive: 2.6, presence: 3,
	voices: congaVoices,
	room:   &room{size: 0.8, decay: 0.6, damp: 4500, wet: 0.4},
}

// congaHit is a stroke: step, drum (0 low, 1 high), slap or open, velocity.
type congaHit struct {
	step, drum int
	slap       bool
	vel        float32
}

// congaPattern is the tumbao of the first bar, congaAnswer the second's:
// the same start, then a run of slaps into the loop's top.
var (
	congaPattern = []congaHit{
		{0, 0, false, 0.45}, {2, 1, false, 0.5}, {4, 1, true, 0.9}, {6, 0, false, 0.85}, {7, 0, false, 0.9},
		{10, 1, false, 0.6}, {12, 1, true, 0.85}, {14, 0, false, 0.8}, {15, 0, false, 0.95},
	}
	congaAnswer = []congaHit{
		{0, 0, false, 0.45}, {2, 1, false, 0.5}, {4, 1, true, 0.9}, {6, 0, false, 0.85}, {7, 0, false, 0.9},
		{10, 1, true, 0.7}, {11, 1, true, 0.55}, {12, 1, true, 0.9}, {13, 0, false, 0.7}, {14, 1, false, 0.75}, {15, 0, false, 0.95},
	}
)

var congaPitch = [2]float64{64, 69}

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
	for bar, pattern := range [][]congaHit{congaPattern, congaAnswer} {
		for i, h := range pattern {
			step := bar*16 + h.step
			vel := h.vel * (0.86 + 0.2*float32(rng.unit()))
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

// wConga is the cost of a frame of a conga, in ticks.
const wConga = 7

func conga(sr int, hz float64, slap bool, seed uint32) synth {
	return func(b *[]float32, n int) []job {
		st := &congaState{f: float32(hz), scale: float32(1<<32) / float32(sr),
			kb: decayCoef(0.04, sr), ka: decayCoef(0.35, sr), ka2: decayCoef(0.12, sr),
			bend: 0.025, amp: 1, amp2: 0.5, noiseAmp: 0.25, rng: newNoise(seed)}
		st.kn = decayCoef(0.03, sr)
		st.bp.set(float32(2.6*hz)/float32(sr), 1.2)
		if slap {
			// The slap's crack: bright noise, a short ring.
			st.ka = decayCoef(0.16, sr)
			st.noiseAmp = 1.3
			st.bp.set(min(3200, 0.4*float32(sr))/float32(sr), 0.9)
		}
		return []job{{n: n, w: wConga, run: func(from, to int) {
			st.run((*b)[from:to])
		}}, fadeJob(b, 0, n, sr)}
	}
}

// congaState is a stroke between steps. Its loop is a method, not a
// closure: in wasm a closure's loop can run at half the speed.
type congaState struct {
	f, scale, kb, ka, ka2, kn float32
	bend, amp, amp2, noiseAmp float32
	rng                       noise
	bp                        svf
	p1, p2                    uint32
}

// run renders the stroke's next len(out) frames.
func (st *congaState) run(out []float32) {
	bend, amp, amp2, noiseAmp, rng, bp, p1, p2 := st.bend, st.amp, st.amp2, st.noiseAmp, st.rng, st.bp, st.p1, st.p2
	f, scale, kb, ka, ka2, kn := st.f, st.scale, st.kb, st.ka, st.ka2, st.kn
	for i := range out {
		fi := f * (1 + bend)
		bend = decayed(bend, kb)
		p1 += uint32(fi * scale)
		p2 += uint32(fi * 1.5 * scale)
		var band float32
		var nz float32
		rng, nz = rng.tick()
		bp, _, band, _ = bp.tick(nz)
		out[i] = sinp(p1)*amp + sinp(p2)*amp2 + band*noiseAmp
		amp *= ka
		amp2 *= ka2
		noiseAmp = decayed(noiseAmp, kn)
	}
	st.bend, st.amp, st.amp2, st.noiseAmp, st.rng, st.bp, st.p1, st.p2 = bend, amp, amp2, noiseAmp, rng, bp, p1, p2
}
