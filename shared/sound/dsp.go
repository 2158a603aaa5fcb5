package sound

import "math"

// The building blocks every part is made of. They work on float32 and avoid
// math.Sin, math.Exp and friends per sample: a table, a recurrence or a
// one-pole does the job for a fraction of the cost, and the math package's
// Exp and Log have per-architecture assembly that would make a server's WAV
// and a browser's loop differ in the last bits.

const (
	// sinBits sizes the sine table: 2^13 entries read without
	// interpolation are within 0.04% (-68 dB) of a sine.
	sinBits = 13
	sinSize = 1 << sinBits
	// sinShift turns a 32-bit phase into a table index.
	sinShift = 32 - sinBits
)

// sinTab holds one period of a sine, sampled at the middle of each of its
// steps so that the table's error is centred.
var sinTab = func() (t [sinSize]float32) {
	for i := range t {
		t[i] = float32(math.Sin(2 * math.Pi * (float64(i) + 0.5) / sinSize))
	}
	return t
}()

// sinp returns the sine of a 32-bit phase (2^32 is a full turn).
func sinp(phase uint32) float32 { return sinTab[phase>>sinShift] }

// phaseInc returns the per-frame phase step of a frequency.
func phaseInc(hz float64, sr int) uint32 {
	return uint32(int64(hz / float64(sr) * (1 << 32)))
}

// expd returns e^x computed with plain arithmetic, so that every
// architecture gets the same bits (math.Exp has assembly on amd64).
func expd(x float64) float64 {
	if x < -700 {
		return 0
	}
	const (
		ln2Hi = 6.93147180369123816490e-01
		ln2Lo = 1.90821492927058770002e-10
	)
	k := math.Floor(x/math.Ln2 + 0.5)
	r := (x - k*ln2Hi) - k*ln2Lo
	// Taylor series of e^r for |r| <= ln2/2: 13 terms reach double precision.
	s := 1.0
	term := 1.0
	for i := 1; i <= 13; i++ {
		term = term * r / float64(i)
		s += term
	}
	return math.Ldexp(s, int(k))
}

// midiHz returns the frequency of a MIDI note (A4 = 69 = 440 Hz).
func midiHz(note float64) float64 {
	return 440 * expd((note-69)/12*math.Ln2)
}

// decayCoef returns the per-frame factor of an exponential decay that falls
// by 60 dB in seconds.
func decayCoef(seconds float64, sr int) float32 {
	return float32(expd(-6.907755278982137 / (seconds * float64(sr))))
}

// antiDenormal is added to every sample a recursive filter of the whole
// loop takes in (the K-weighting, the presence shelf, the rooms): where
// its input is silent (a bass line's rests are exact zeros, a room's tail
// after the loop) its states would die away into subnormal numbers, which
// the CPU handles many times slower (a bass line's loop took ten times as
// long to measure as any other, a drum loop's room twice as long as
// another's). The offset keeps them above, and it is lost in the rounding
// of any sample louder than -155 dBFS.
const antiDenormal = 1e-15

// belowHearing is where a level that decays by a factor every frame is let
// go to exactly zero: 600 dB under full scale, under anything audible and
// under any rounding of the sound it scales, and above the subnormal
// numbers (under 1.2e-38), which the CPU handles many times slower. A
// fast decay reaches them within a short note (a conga's pitch bend and
// slap noise did, and took two thirds of its time).
const belowHearing = 1e-30

// decayed returns level*k, a positive level after a frame of its decay, or
// 0 once that is under belowHearing.
func decayed(level, k float32) float32 {
	level *= k
	if level < belowHearing {
		return 0
	}
	return level
}

// onePoleCoef returns the coefficient of a one-pole lowpass with cutoff hz.
func onePoleCoef(hz float64, sr int) float32 {
	return float32(1 - expd(-2*math.Pi*hz/float64(sr)))
}

// noise is a xorshift32 generator: seeded, so every render is the same.
type noise uint32

func newNoise(seed uint32) noise {
	if seed == 0 {
		seed = 0x9e3779b9
	}
	return noise(seed)
}

// next returns a uniform value in [-1, 1).
func (n *noise) next() float32 {
	var v float32
	*n, v = n.tick()
	return v
}

// tick returns the generator after one value and that value, uniform in
// [-1, 1): next by value, for a synth's loop, where a generator in a local
// variable then stays in a register.
func (n noise) tick() (noise, float32) {
	x := uint32(n)
	x ^= x << 13
	x ^= x >> 17
	x ^= x << 5
	return noise(x), float32(int32(x)) * (1.0 / (1 << 31))
}

// unit returns a uniform value in [0, 1).
func (n *noise) unit() float64 {
	return float64(n.next())*0.5 + 0.5
}

// svf is a state-variable filter in the topology-preserving form (Zavalishin,
// Simper): stable at any cutoff, and cheap to retune per sample. It is
// three fields of 24 bytes, its coefficients four, so that the compiler
// keeps a local copy in registers (it leaves structs of more than four
// fields in memory, and every sample would wait on a store and a load).
type svf struct {
	c        svfCoefs
	ic1, ic2 float32
}

// svfCoefs are an svf's coefficients.
type svfCoefs struct{ k, a1, a2, a3 float32 }

// tanPi approximates tan(pi*x) for the filter prewarp with a Padé form,
// within 0.2% up to x = 0.3.
func tanPi(x float32) float32 {
	if x > 0.3 {
		x = 0.3
	}
	w := x * math.Pi
	w2 := w * w
	return w * (15 - w2) / (15 - 6*w2)
}

// set tunes the filter: cutoff as a fraction of the sample rate, and q.
func (f *svf) set(cut, q float32) { f.c = svfTuned(cut, q) }

// svfTuned returns the coefficients of a cutoff, as a fraction of the
// sample rate, and a q. A loop that retunes a local filter assigns them
// (f.c = svfTuned(...)) rather than calling set, which would take the
// filter's address and keep it in memory.
func svfTuned(cut, q float32) svfCoefs {
	g := tanPi(cut)
	k := 1 / q
	a1 := 1 / (1 + g*(g+k))
	a2 := g * a1
	return svfCoefs{k: k, a1: a1, a2: a2, a3: g * a2}
}

// tick filters one sample: it returns the filter after it and the lowpass,
// bandpass and highpass outputs. The filter goes in and out by value, so
// that one held in a local variable stays in registers.
func (f svf) tick(v0 float32) (next svf, lp, bp, hp float32) {
	c := f.c
	v3 := v0 - f.ic2
	v1 := c.a1*f.ic1 + c.a2*v3
	v2 := f.ic2 + c.a2*f.ic1 + c.a3*v3
	f.ic1 = 2*v1 - f.ic1
	f.ic2 = 2*v2 - f.ic2
	return f, v2, v1, v0 - c.k*v1 - v2
}

// biquad is a second-order filter's coefficients, normalised (a0 = 1).
// The bus and the loudness measurement run it in the direct form II: the
// input less the feedback of the two states, then the feedforward of the
// new state and the two, so that a sample waits on the one before for only
// a multiply and a subtraction (the transposed form chains three
// operations, and a filter's loop is as slow as that chain).
type biquad struct{ b0, b1, b2, a1, a2 float32 }

// warm runs a stereo signal through the filter from rest and returns the
// direct form II's states after it, of the left channel (w1, w2) and the
// right (v1, v2): where a loop's end leaves the filter, for its start.
func (c biquad) warm(left, right []float32) (w1, w2, v1, v2 float32) {
	right = right[:len(left)]
	for i := range left {
		w := left[i] - c.a2*w2 - c.a1*w1
		v := right[i] - c.a2*v2 - c.a1*v1
		w2, w1, v2, v1 = w1, w, v1, v
	}
	return w1, w2, v1, v2
}

// polyBLEP is the correction that takes the aliasing out of a saw or pulse
// edge; t is the phase in [0, 1), dt the phase step.
func polyBLEP(t, dt float32) float32 {
	if t < dt {
		t /= dt
		return t + t - t*t - 1
	}
	if t > 1-dt {
		t = (t - 1) / dt
		return t*t + t + t + 1
	}
	return 0
}

// saw is a band-limited sawtooth.
type saw struct {
	t, dt float32
}

func newSaw(hz float64, sr int, phase float32) saw {
	return saw{t: phase, dt: float32(hz / float64(sr))}
}

// tick returns the saw after one frame and that frame's sample. The saw
// goes in and out by value, so that one in a local variable stays in
// registers (as svf.tick).
func (s saw) tick() (saw, float32) {
	v := 2*s.t - 1 - polyBLEP(s.t, s.dt)
	s.t += s.dt
	if s.t >= 1 {
		s.t--
	}
	return s, v
}

// softClip is a cheap saturator: odd, smooth, and flat at +-1 beyond |x| = 1.5.
func softClip(x float32) float32 {
	if x > 1.5 {
		return 1
	}
	if x < -1.5 {
		return -1
	}
	return x - x*x*x*(4.0/27)
}

// pan returns the constant-power gains of a position from -1 (left) to 1
// (right).
func pan(p float64) (l, r float32) {
	a := (p + 1) * math.Pi / 4
	return float32(math.Cos(a)), float32(math.Sin(a))
}

// dbGain returns the amplitude of a level in dB.
func dbGain(db float64) float64 { return expd(db / 20 * math.Ln10) }

// wShape is the cost of a frame of an envelope, in ticks.
const wShape = 1

// shapeJobs multiply (*b)[off:off+n] by an envelope: a linear attack, an
// exponential decay towards sustain, held until gate frames, then an
// exponential release (60 dB in release seconds) that is faded to exactly
// zero at the end (fadeJob), so that a voice never stops with a click.
func shapeJobs(b *[]float32, off, n, sr int, attack, decay float64, sustain float32, gate int, release float64) []job {
	st := &envState{a: max(1, int(attack*float64(sr))), gate: gate, sustain: sustain,
		kd: decayCoef(decay, sr), kr: decayCoef(release, sr), e: 1}
	env := job{n: n, w: wShape, run: func(from, to int) {
		st.run((*b)[off+from:off+to], from)
	}}
	return []job{env, fadeJob(b, off, n, sr)}
}

// envState is an envelope between steps. Its loop is a method, not a
// closure: in wasm a closure's loop can run at half the speed.
type envState struct {
	a, gate               int
	sustain, kd, kr, e, v float32
}

// run multiplies out, which starts from frames into the sound, by the
// envelope: a loop for each of its stages, with no test of which stage a
// frame is in.
func (st *envState) run(out []float32, from int) {
	e, v := st.e, st.v
	a, gate, sustain, kd, kr := st.a, st.gate, st.sustain, st.kd, st.kr
	// The attack: frames before a and before the gate.
	k := 0
	for end := min(len(out), max(0, min(a, gate)-from)); k < end; k++ {
		v = float32(from+k) / float32(a)
		out[k] *= v
	}
	// The decay towards sustain: frames before the gate. At a sustain of
	// 1 that is 1 throughout (1 + 0*e), and the frames stay as they are:
	// most of a pad's or a bell's note.
	if end := min(len(out), max(0, gate-from)); sustain == 1 {
		if k < end {
			v, k = 1, end
		}
	} else {
		for ; k < end; k++ {
			v = sustain + (1-sustain)*e
			e *= kd
			out[k] *= v
		}
	}
	// The release.
	for ; k < len(out); k++ {
		v *= kr
		out[k] *= v
	}
	st.e, st.v = e, v
}

// fadeJob ramps the last 5 ms of (*b)[off:off+n] down to zero.
func fadeJob(b *[]float32, off, n, sr int) job {
	f := min(n, sr/200)
	return job{n: f, w: wRamp, run: func(from, to int) {
		tail := (*b)[off+n-f : off+n]
		for i := from; i < to; i++ {
			tail[i] *= float32(f-i) / float32(f)
		}
	}}
}

// newVoice returns a mono voice at a position in beats, panned from -1 to 1,
// with a gain and a send level.
func newVoice(g grid, beat float64, frames int, p float64, gain, send float32, synth synth) voice {
	l, r := pan(p)
	return voice{start: g.at(beat), frames: frames, gl: l * gain, gr: r * gain, send: send, synth: synth}
}

// swing returns the position in beats of sixteenth step s, with the
// off-beat sixteenths pushed late by amount (a share of a sixteenth).
func swing(s int, amount float64) float64 {
	b := float64(s) / stepsPerBeat
	if s%2 == 1 {
		b += amount / stepsPerBeat
	}
	return b
}
