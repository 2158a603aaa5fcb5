package sound

// The pad: per chord, two detuned saws a note, one each side of the stereo
// field, through a lowpass that breathes with the loop, slow in and out so
// each chord melts into the next, and ducking under the kick drum's hits
// (the drums part's kickHits) so that it pumps with the groove even when the
// drums are not playing.
var padPart = &part{
	id: "pad", pitched: true, sustained: true, seed: 0x9ad,
	voices: padVoices,
}

// padDetune is the saws' detune, as a frequency ratio: about 7 cents
// either way, a slow chorus.
var padDetune = [2]float64{0.9961, 1.0041}

func padVoices(g grid, _ *noise) []voice {
	duck := kickDuck(g, kickHits, drumSwing)
	var vs []voice
	for c, ch := range progression {
		beat := float64(c * beatsPerChord)
		gate := g.beats(float64(beatsPerChord))
		vs = append(vs, voice{
			start: g.at(beat), frames: gate + g.secs(0.55), gl: 0.5, gr: 0.5, stereo: true,
			synth: padChord(g, ch, gate, g.at(beat), duck),
		})
	}
	return vs
}

// Costs of the pad, in ticks per frame (both channels).
const (
	wPad  = 12
	wDuck = 3
)

func padChord(g grid, ch chord, gate, start int, duck []float32) synth {
	return func(b *[]float32, n int) []job {
		frames := n / 2
		// Plain (not band-limited) saws: the lowpass is far below where
		// their aliases fold back, and a pad has eight of them per frame.
		st := &padState{start: start, n: g.n, sr: g.sr}
		for k, m := range ch.open {
			// An octave over the open voicing: above the keys, not on
			// their notes.
			hz := midiHz(float64(m + 12))
			a, b := float32(hz*padDetune[0]/float64(g.sr)), float32(hz*padDetune[1]/float64(g.sr))
			if k%2 == 1 {
				a, b = b, a
			}
			st.dl[k], st.dr[k] = a, b
			st.tl[k], st.tr[k] = float32(k)*0.37, float32(k)*0.61+0.2
		}
		// A one-pole highpass at 300 Hz keeps the pad out of the bass's
		// and the keys' way.
		st.hpA = onePoleCoef(300, g.sr)
		synth := job{n: frames, w: wPad, run: func(from, to int) {
			st.run((*b)[from:to], (*b)[frames+from:frames+to], from)
		}}
		// The duck's blocks are interpolated, so the gain glides.
		pos := start % g.n
		ducking := job{n: frames, w: wDuck, run: func(from, to int) {
			left, right := (*b)[from:to], (*b)[frames+from:frames+to]
			right = right[:len(left)]
			p, duck, n := pos, duck, g.n
			for i := range left {
				blk := p / duckBlock
				next := blk + 1
				if next == len(duck) {
					next = 0
				}
				d := duck[blk] + (duck[next]-duck[blk])*float32(p%duckBlock)*(1.0/duckBlock)
				left[i] *= d
				right[i] *= d
				if p++; p == n {
					p = 0
				}
			}
			pos = p
		}}
		jobs := []job{synth, ducking}
		jobs = append(jobs, shapeJobs(b, 0, frames, g.sr, 0.35, 60, 1, frames-g.secs(0.55), 0.45)...)
		return append(jobs, shapeJobs(b, frames, frames, g.sr, 0.35, 60, 1, frames-g.secs(0.55), 0.45)...)
	}
}

// padState is a chord of the pad between steps. Its loop is a method, not a
// closure: in wasm a closure's loop can run at half the speed.
type padState struct {
	start, n, sr   int
	dl, dr, tl, tr [4]float32
	hpA, hl, hr    float32
	fl, fr         svf
}

// run renders left and right, which start from frames into the chord.
func (st *padState) run(left, right []float32, from int) {
	right = right[:len(left)]
	fl, fr, hl, hr := st.fl, st.fr, st.hl, st.hr
	hpA, start, n, sr := st.hpA, st.start, st.n, st.sr
	l0, l1, l2, l3, r0, r1, r2, r3 := st.tl[0], st.tl[1], st.tl[2], st.tl[3], st.tr[0], st.tr[1], st.tr[2], st.tr[3]
	dl0, dl1, dl2, dl3, dr0, dr1, dr2, dr3 := st.dl[0], st.dl[1], st.dl[2], st.dl[3], st.dr[0], st.dr[1], st.dr[2], st.dr[3]
	for j := range left {
		if i := from + j; uint(i)%32 == 0 {
			// The cutoff follows a slow sine of the loop's phase, so it is
			// the same on every pass.
			ph := uint32(uint64(start+i) % uint64(n) * (1 << 32) / uint64(n))
			cut := (1800 + 700*sinp(ph)) / float32(sr)
			fl.c = svfTuned(cut, 0.9)
			fr.c = svfTuned(cut*1.1, 0.9)
		}
		// The eight saws' phases, written out: the compiler neither
		// unrolls a loop nor keeps an array in registers.
		l0, l1, l2, l3 = wrap1(l0+dl0), wrap1(l1+dl1), wrap1(l2+dl2), wrap1(l3+dl3)
		r0, r1, r2, r3 = wrap1(r0+dr0), wrap1(r1+dr1), wrap1(r2+dr2), wrap1(r3+dr3)
		l := l0 + l1 + l2 + l3
		r := r0 + r1 + r2 + r3
		// Each saw is 2t-1: the -1s sum to a constant the filter would pass
		// as DC, so take them out once.
		var x, y float32
		fl, x, _, _ = fl.tick(2*l - 4)
		fr, y, _, _ = fr.tick(2*r - 4)
		hl += hpA * (x - hl)
		hr += hpA * (y - hr)
		left[j], right[j] = x-hl, y-hr
	}
	st.tl, st.tr, st.fl, st.fr, st.hl, st.hr = [4]float32{l0, l1, l2, l3}, [4]float32{r0, r1, r2, r3}, fl, fr, hl, hr
}

// wrap1 wraps a phase that has just passed 1 back into [0, 1).
func wrap1(t float32) float32 {
	if t >= 1 {
		t--
	}
	return t
}

// duckBlock is the resolution of the ducking curve in frames.
const duckBlock = 16

// kickDuck returns the gain of a sidechain duck for every duckBlock frames of
// the loop: down 4.5 dB at each kick, back over about a third of a second,
// smoothed so it never steps. It goes round the loop twice so the curve at
// the start knows the kicks at the end.
func kickDuck(g grid, kicks []hit, swingBy float64) []float32 {
	blocks := (g.n + duckBlock - 1) / duckBlock
	hit := make([]bool, blocks)
	for _, h := range kicks {
		hit[g.at(swing(h.step, swingBy))/duckBlock] = true
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
