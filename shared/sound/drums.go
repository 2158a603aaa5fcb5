package sound

// The drum kit: a pitched-down sine kick with a click, a snare of two body
// modes and band-passed noise, and noise hats, playing a laid-back back beat
// with swung sixteenths and a little room on the snare.
var drumsPart = &part{
	id: "drums", seed: 0xd2c1,
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

// Costs of the drums' synthesis, in ticks per frame.
const (
	wKick  = 7
	wSnare = 10
	wHat   = 7
)

// kick is a sine falling from 150 to 48 Hz, a short noise click, saturated.
func kick(sr int) synth {
	return func(b *[]float32, n int) []job {
		st := &kickState{kp: decayCoef(0.12, sr), scale: float32(1<<32) / float32(sr),
			ka: decayCoef(0.38, sr), clickLen: sr / 400, pitch: 1, amp: 1, click: newNoise(0x4b1c)}
		return []job{{n: n, w: wKick, run: func(from, to int) {
			st.run((*b)[from:to], from)
		}}, fadeJob(b, 0, n, sr)}
	}
}

// snare is two damped body modes and band-passed noise.
func snare(sr int, seed uint32) synth {
	return func(b *[]float32, n int) []job {
		st := &snareState{rng: newNoise(seed), body: 1, hiss: 1,
			i1: phaseInc(185, sr), i2: phaseInc(330, sr), kb: decayCoef(0.09, sr), kn: decayCoef(0.22, sr)}
		st.f.set(float32(3500)/float32(sr), 0.8)
		st.top.set(float32(9000)/float32(sr), 0.7)
		return []job{{n: n, w: wSnare, run: func(from, to int) {
			st.run((*b)[from:to])
		}}, fadeJob(b, 0, n, sr)}
	}
}

// hat is high-passed noise with a fast decay.
func hat(sr int, seed uint32, decay float64) synth {
	return func(b *[]float32, n int) []job {
		st := &hatState{rng: newNoise(seed), amp: 1, k: decayCoef(decay, sr)}
		st.f.set(float32(7500)/float32(sr), 0.9)
		return []job{{n: n, w: wHat, run: func(from, to int) {
			st.run((*b)[from:to])
		}}, fadeJob(b, 0, n, sr)}
	}
}

// kickState is a kick between steps. Its loop is a method, not a
// closure: in wasm a closure's loop can run at half the speed.
type kickState struct {
	kp, scale, ka  float32
	clickLen       int
	pitch, amp, lp float32
	ph             uint32
	click          noise
}

// run renders out, which starts from frames into the kick.
func (st *kickState) run(out []float32, from int) {
	pitch, amp, lp, ph, click := st.pitch, st.amp, st.lp, st.ph, st.click
	kp, scale, ka, clickLen := st.kp, st.scale, st.ka, st.clickLen
	for k := range out {
		i := from + k
		ph += uint32((48 + 110*pitch) * scale)
		pitch *= kp
		s := sinp(ph) * amp
		if i < clickLen {
			lp += 0.5 * (click.next() - lp)
			s += lp * 0.5 * float32(clickLen-i) / float32(clickLen)
		}
		amp *= ka
		out[k] = softClip(s * 1.4)
	}
	st.pitch, st.amp, st.lp, st.ph, st.click = pitch, amp, lp, ph, click
}

// snareState is a snare between steps. Its loop is a method, not a
// closure: in wasm a closure's loop can run at half the speed.
type snareState struct {
	rng                noise
	f, top             svf
	i1, i2, p1, p2     uint32
	kb, kn, body, hiss float32
}

// run renders the snare's next len(out) frames.
func (st *snareState) run(out []float32) {
	rng, f, top, p1, p2, body, hiss := st.rng, st.f, st.top, st.p1, st.p2, st.body, st.hiss
	i1, i2, kb, kn := st.i1, st.i2, st.kb, st.kn
	for i := range out {
		p1 += i1
		p2 += i2
		_, bp, hp := f.tick(rng.next())
		wires, _, _ := top.tick(bp + 0.5*hp)
		out[i] = (sinp(p1)+0.5*sinp(p2))*body*0.6 + wires*hiss*0.8
		body *= kb
		hiss *= kn
	}
	st.rng, st.f, st.top, st.p1, st.p2, st.body, st.hiss = rng, f, top, p1, p2, body, hiss
}

// hatState is a hat between steps. Its loop is a method, not a
// closure: in wasm a closure's loop can run at half the speed.
type hatState struct {
	rng    noise
	f      svf
	amp, k float32
}

// run renders the hat's next len(out) frames.
func (st *hatState) run(out []float32) {
	rng, f, amp, k := st.rng, st.f, st.amp, st.k
	for i := range out {
		_, bp, hp := f.tick(rng.next())
		out[i] = (hp + 0.4*bp) * amp
		amp *= k
	}
	st.rng, st.f, st.amp = rng, f, amp
}
