package sound

// The drum kit: a pitched-down sine kick with a click, a snare of two body
// modes and band-passed noise, and noise hats, playing a laid-back back beat
// with swung sixteenths and a little room on the snare.
var drumsPart = &part{
	id: "drums", level: -28, seed: 0xd2c1,
	voices: drumVoices,
	room:   &room{size: 0.7, decay: 0.5, damp: 5000, wet: 0.5},
}

// hit is a drum hit: step, velocity.
type hit struct {
	step int
	vel  float32
}

var (
	kickHits  = []hit{{0, 1}, {7, 0.7}, {10, 0.9}, {16, 1}, {22, 0.75}, {26, 0.9}, {29, 0.55}}
	snareHits = []hit{{4, 1}, {12, 1}, {15, 0.22}, {20, 1}, {28, 1}, {31, 0.3}}
)

const drumSwing = 0.16

func drumVoices(g grid, rng *noise) []voice {
	// Each drum is rendered once (the snare and hats in a few variants, so
	// the repeats are not identical) and placed at every hit.
	kickS := newSample(g, g.secs(0.42), kick(g.sr))
	var snares, hats [3]*sample
	for i := range snares {
		snares[i] = newSample(g, g.secs(0.3), snare(g.sr, uint32(rng.next()*(1<<30))|1))
		hats[i] = newSample(g, g.secs(0.07), hat(g.sr, uint32(rng.next()*(1<<30))|1, 0.05))
	}
	openHat := newSample(g, g.secs(0.3), hat(g.sr, uint32(rng.next()*(1<<30))|1, 0.24))
	var vs []voice
	for _, h := range kickHits {
		vs = append(vs, play(g, swing(h.step, drumSwing), kickS, 0, h.vel, 0))
	}
	for i, h := range snareHits {
		vs = append(vs, play(g, swing(h.step, drumSwing), snares[i%len(snares)], 0.08, h.vel*0.8, h.vel*0.6))
	}
	for s := 0; s < stepsPerLoop; s++ {
		vel := float32(0.3)
		switch {
		case s%4 == 0:
			vel = 0.65
		case s%2 == 0:
			vel = 0.5
		}
		vel *= 0.9 + 0.2*float32(rng.unit())
		h := hats[s%len(hats)]
		if s == 14 || s == 30 {
			h, vel = openHat, 0.4
		}
		vs = append(vs, play(g, swing(s, drumSwing), h, -0.25, vel*0.9, 0))
	}
	return vs
}

// kick is a sine falling from 150 to 48 Hz, a short noise click, saturated.
func kick(sr int) func(out []float32) {
	return func(out []float32) {
		pitch := float32(1)
		kp := decayCoef(0.12, sr)
		scale := float32(1<<32) / float32(sr)
		amp := float32(1)
		ka := decayCoef(0.38, sr)
		click := newNoise(0x4b1c)
		var ph uint32
		var lp float32
		clickLen := sr / 400
		for i := range out {
			ph += uint32((48 + 110*pitch) * scale)
			pitch *= kp
			s := sinp(ph) * amp
			if i < clickLen {
				lp += 0.5 * (click.next() - lp)
				s += lp * 0.5 * float32(clickLen-i) / float32(clickLen)
			}
			amp *= ka
			out[i] = softClip(s * 1.4)
		}
		fade(out, sr)
	}
}

// snare is two damped body modes and band-passed noise.
func snare(sr int, seed uint32) func(out []float32) {
	return func(out []float32) {
		n := newNoise(seed)
		var f, top svf
		f.set(float32(3500)/float32(sr), 0.8)
		top.set(float32(9000)/float32(sr), 0.7)
		i1, i2 := phaseInc(185, sr), phaseInc(330, sr)
		var p1, p2 uint32
		body := float32(1)
		kb := decayCoef(0.09, sr)
		hiss := float32(1)
		kn := decayCoef(0.22, sr)
		for i := range out {
			p1 += i1
			p2 += i2
			_, bp, hp := f.tick(n.next())
			wires, _, _ := top.tick(bp + 0.5*hp)
			out[i] = (sinp(p1)+0.5*sinp(p2))*body*0.6 + wires*hiss*0.8
			body *= kb
			hiss *= kn
		}
		fade(out, sr)
	}
}

// hat is high-passed noise with a fast decay.
func hat(sr int, seed uint32, decay float64) func(out []float32) {
	return func(out []float32) {
		n := newNoise(seed)
		var f svf
		f.set(float32(7500)/float32(sr), 0.9)
		amp := float32(1)
		k := decayCoef(decay, sr)
		for i := range out {
			_, bp, hp := f.tick(n.next())
			out[i] = (hp + 0.4*bp) * amp
			amp *= k
		}
		fade(out, sr)
	}
}
