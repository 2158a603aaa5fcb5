package sound

// The drum kits: a kick (a pitch-swept sine with a knock and a click that a
// phone can play, saturated), a snare (two body modes tuned into the key
// and bright band-passed noise), closed and open hats (high-passed noise),
// and the pattern that plays them: humanized velocities, and a fill or a
// turnaround at the end of the loop, so the second half is never the
// first again.

// kickTone is the sound of a kick.
type kickTone struct {
	// hi and lo are the sweep of its pitch in Hz, fast from hi to lo.
	hi, lo float64
	// sweep and decay are the times of the pitch's and the body's fall
	// (to -60 dB), in seconds.
	sweep, decay float64
	// knock is the level of a short tone at twice lo, the punch a small
	// speaker plays; click the level of its 3 kHz tick.
	knock, click float32
	// drive pushes the kick into its saturator: harmonics for a phone.
	drive float32
}

// snareTone is the sound of a snare.
type snareTone struct {
	// body is the pair of drum-head modes, tuned into the kit's key.
	body [2]float64
	// ring is the body's decay, rattle the wires', in seconds.
	ring, rattle float64
	// bright is the centre of the wires' band in Hz.
	bright float64
	// bodyLevel and wireLevel balance the two.
	bodyLevel, wireLevel float32
}

// drumSpec is a kit's drum loop: its sounds and its pattern, in sixteenth
// steps over the whole loop.
type drumSpec struct {
	kick  kickTone
	snare snareTone
	// hat is the closed hat's decay and open the open hat's, in seconds;
	// hatCut the cutoff of their high-pass.
	hat, open, hatCut float64
	kicks, snares     []hit
	// hats gives each step's closed hat velocity (0 for none); opens
	// lists the steps of open hats.
	hats  func(step int) float32
	opens []int
	// room sends the snare to the part's room.
	snareSend float32
	// levels of the three voices.
	kickLevel, snareLevel, hatLevel float32
	// vinyl is the level of a record's hiss and crackle under the kit,
	// 0 for none.
	vinyl float32
}

// hit is a drum hit: step, velocity.
type hit struct {
	step int
	vel  float32
}

// drumVoices returns the voices of a drum loop: each drum is rendered
// once (the snare and hats in a few variants, so the repeats are not
// identical) and placed at every hit, swung by the kit's swing.
func drumVoices(d *drumSpec, swingBy float64) func(g grid, rng *noise) []voice {
	return func(g grid, rng *noise) []voice {
		seed := func() uint32 { return uint32(rng.next()*(1<<30)) | 1 }
		kickS := newSample(g, g.secs(d.kick.decay*0.8), kick(g.sr, d.kick))
		var snares, hats [3]*sample
		for i := range snares {
			snares[i] = newSample(g, g.secs(d.snare.rattle*1.2), snare(g.sr, seed(), d.snare))
			hats[i] = newSample(g, g.secs(d.hat*1.5), hat(g.sr, seed(), d.hat, d.hatCut))
		}
		openHat := newSample(g, g.secs(d.open*1.3), hat(g.sr, seed(), d.open, d.hatCut))
		human := func(v float32) float32 { return v * (0.88 + 0.24*float32(rng.unit())) }
		var vs []voice
		for _, h := range d.kicks {
			vs = append(vs, play(g, swing(h.step, swingBy), kickS, 0, d.kickLevel*human(h.vel), 0))
		}
		for i, h := range d.snares {
			v := human(h.vel)
			vs = append(vs, play(g, swing(h.step, swingBy), snares[i%len(snares)], 0.08, d.snareLevel*v, d.snareSend*v))
		}
		steps := g.beatsPer * stepsPerBeat
		if d.vinyl > 0 {
			vs = append(vs, vinylVoices(g, rng, d.vinyl, steps, swingBy)...)
		}
		for s := range steps {
			h, vel := hats[s%len(hats)], d.hats(s)
			for _, o := range d.opens {
				if o == s {
					h, vel = openHat, 0.6
				}
			}
			if vel > 0 {
				vs = append(vs, play(g, swing(s, swingBy), h, -0.25, d.hatLevel*human(vel), 0))
			}
		}
		return vs
	}
}

// Costs of the drums' synthesis, in ticks per frame.
const (
	wKick  = 5
	wSnare = 10
	wHat   = 7
)

// kick renders a kickTone.
func kick(sr int, t kickTone) synth {
	return func(b *[]float32, n int) []job {
		st := &kickState{kp: decayCoef(t.sweep, sr), scale: float32(1<<32) / float32(sr),
			ka: decayCoef(t.decay, sr), kk: decayCoef(0.05, sr), clickLen: sr / 250, pitch: 1, amp: 1, knock: t.knock,
			hi: float32(t.hi - t.lo), lo: float32(t.lo), click: newNoise(0x4b1c), clickLevel: t.click, drive: t.drive}
		st.cf.set(3000/float32(sr), 0.8)
		return []job{{n: n, w: wKick, run: func(from, to int) {
			st.run((*b)[from:to], from)
		}}, fadeJob(b, 0, n, sr)}
	}
}

// kickState is a kick between steps. Its loop is a method, not a
// closure: in wasm a closure's loop can run at half the speed.
type kickState struct {
	kp, scale, ka, kk float32
	clickLen          int
	pitch, amp, knock float32
	hi, lo            float32
	ph, pk            uint32
	click             noise
	cf                svf
	clickLevel, drive float32
}

// run renders out, which starts from frames into the kick.
func (st *kickState) run(out []float32, from int) {
	pitch, amp, knock, ph, pk, click, cf := st.pitch, st.amp, st.knock, st.ph, st.pk, st.click, st.cf
	kp, scale, ka, kk, clickLen, hi, lo := st.kp, st.scale, st.ka, st.kk, st.clickLen, st.hi, st.lo
	cl, drive := st.clickLevel, st.drive
	kinc := uint32(2 * lo * scale)
	for k := range out {
		i := from + k
		ph += uint32((lo + hi*pitch) * scale)
		pk += kinc
		pitch *= kp
		s := sinp(ph)*amp + sinp(pk)*knock
		knock *= kk
		if i < clickLen {
			var bp float32
			var nz float32
			click, nz = click.tick()
			cf, _, bp, _ = cf.tick(nz)
			s += bp * cl * float32(clickLen-i) / float32(clickLen)
		}
		amp *= ka
		out[k] = sat(s * drive)
	}
	st.pitch, st.amp, st.knock, st.ph, st.pk, st.click, st.cf = pitch, amp, knock, ph, pk, click, cf
}

// snare renders a snareTone.
func snare(sr int, seed uint32, t snareTone) synth {
	return func(b *[]float32, n int) []job {
		st := &snareState{rng: newNoise(seed), body: t.bodyLevel, hiss: t.wireLevel,
			i1: phaseInc(t.body[0], sr), i2: phaseInc(t.body[1], sr), kb: decayCoef(t.ring, sr), kn: decayCoef(t.rattle, sr)}
		st.f.set(float32(t.bright)/float32(sr), 0.7)
		st.top.set(min(float32(12000), 0.45*float32(sr))/float32(sr), 0.7)
		return []job{{n: n, w: wSnare, run: func(from, to int) {
			st.run((*b)[from:to])
		}}, fadeJob(b, 0, n, sr)}
	}
}

// hat is high-passed noise with a fast decay.
func hat(sr int, seed uint32, decay, cut float64) synth {
	return func(b *[]float32, n int) []job {
		st := &hatState{rng: newNoise(seed), amp: 1, k: decayCoef(decay, sr)}
		st.f.set(min(float32(cut), 0.4*float32(sr))/float32(sr), 0.9)
		return []job{{n: n, w: wHat, run: func(from, to int) {
			st.run((*b)[from:to])
		}}, fadeJob(b, 0, n, sr)}
	}
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
		var bp, hp, wires float32
		var nz float32
		rng, nz = rng.tick()
		f, _, bp, hp = f.tick(nz)
		top, wires, _, _ = top.tick(bp + 0.6*hp)
		out[i] = (sinp(p1)+0.6*sinp(p2))*body + wires*hiss
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
		var bp, hp float32
		var nz float32
		rng, nz = rng.tick()
		f, _, bp, hp = f.tick(nz)
		out[i] = (hp + 0.3*bp) * amp
		amp *= k
	}
	st.rng, st.f, st.amp = rng, f, amp
}

// vinylVoices are a record's surface under a loop: hiss over the whole of
// it, and crackles of dust where the needle meets them, on the swung grid.
func vinylVoices(g grid, rng *noise, level float32, steps int, swingBy float64) []voice {
	vs := []voice{{start: 0, frames: g.n, gl: level, gr: level, stereo: true, synth: hiss(g.sr, seedOf(rng), seedOf(rng))}}
	for range steps / 2 {
		s := int(rng.unit() * float64(steps))
		vel := level * (1 + 2*float32(rng.unit()))
		vs = append(vs, newVoice(g, swing(s, swingBy), g.secs(0.003), rng.unit()*1.6-0.8, vel, 0, crackle(g.sr, seedOf(rng))))
	}
	return vs
}

// wHiss is the cost of a frame of hiss, both channels, in ticks.
const wHiss = 8

// hiss is stereo noise through a band-pass around 4 kHz: a record's
// surface.
func hiss(sr int, seedL, seedR uint32) synth {
	return func(b *[]float32, n int) []job {
		frames := n / 2
		st := &hissState{l: newNoise(seedL), r: newNoise(seedR)}
		st.fl.set(min(4000, 0.3*float32(sr))/float32(sr), 0.6)
		st.fr = st.fl
		return []job{{n: frames, w: wHiss, run: func(from, to int) {
			st.run((*b)[from:to], (*b)[frames+from:frames+to])
		}}}
	}
}

// hissState is hiss between steps.
type hissState struct {
	l, r   noise
	fl, fr svf
}

// run renders the hiss's next frames.
func (st *hissState) run(left, right []float32) {
	right = right[:len(left)]
	l, r, fl, fr := st.l, st.r, st.fl, st.fr
	for i := range left {
		var a, b float32
		var nl, nr float32
		l, nl = l.tick()
		r, nr = r.tick()
		fl, _, a, _ = fl.tick(nl)
		fr, _, b, _ = fr.tick(nr)
		left[i], right[i] = a, b
	}
	st.l, st.r, st.fl, st.fr = l, r, fl, fr
}
