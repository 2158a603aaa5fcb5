package sound

// room is a small reverb: two allpass diffusers into a four-line feedback
// delay network with damping, read out to left and right from different
// lines. It runs (at a quarter rate) over the loop and on past its end for the length of its
// tail, adding what rings past the end to the loop's start, so the loop's
// reverb is the reverb it would have when played over and over.
type room struct {
	// size scales the delay lines (1 is a small room, about 30-50 ms).
	size float64
	// decay is the time the tail takes to fall by 60 dB, in seconds.
	decay float64
	// damp is the cutoff of the lowpass in the loop, in Hz.
	damp float64
	// wet is the level of the reverb.
	wet float32
}

// The delay lengths in ms, mutually prime in frames at common rates.
var (
	roomLines     = [4]float64{31.3, 37.9, 43.1, 49.7}
	roomDiffusers = [2]float64{4.7, 1.63}
)

// roomDecim is how many frames the network takes as one: it runs at a
// quarter of the sample rate. A room is dark (its damping is below 6 kHz),
// and this makes it a quarter of the cost.
const roomDecim = 4

// wRoom is the cost of one block of roomDecim frames of the room, in ticks.
const wRoom = 16

// job returns the reverb's work: send in, left and right out.
func (rm *room) job(g grid, send, left, right []float32) job {
	line := func(ms float64) []float32 {
		return make([]float32, max(1, g.secs(ms*rm.size/1000/roomDecim)))
	}
	d0, d1, d2, d3 := line(roomLines[0]), line(roomLines[1]), line(roomLines[2]), line(roomLines[3])
	a0, a1 := line(roomDiffusers[0]), line(roomDiffusers[1])
	gain := func(d []float32) float32 {
		return float32(expd(-6.907755278982137 * float64(roomDecim*len(d)) / (rm.decay * float64(g.sr))))
	}
	// The Hadamard mix is scaled by 1/2 to stay unitary.
	st := &roomState{d0: d0, d1: d1, d2: d2, d3: d3, a0: a0, a1: a1,
		f0: 0.5 * gain(d0), f1: 0.5 * gain(d1), f2: 0.5 * gain(d2), f3: 0.5 * gain(d3),
		a: onePoleCoef(rm.damp, g.sr/roomDecim), wet: rm.wet, n: g.n, send: send, left: left, right: right,
		// Made here, not in a step: a step allocates nothing.
		in: make([]float32, roomChunk), outL: make([]float32, roomChunk), outR: make([]float32, roomChunk)}
	// Work is counted in blocks of roomDecim frames.
	return job{n: (g.n + g.secs(rm.decay) + roomDecim - 1) / roomDecim, w: wRoom, run: st.run}
}

// roomChunk is how many blocks the room runs through each of its three
// loops at a time (see run).
const roomChunk = 256

// roomState is a room between steps. Its loop is a method, not a closure:
// in wasm a closure's loop can run at half the speed.
type roomState struct {
	d0, d1, d2, d3, a0, a1 []float32
	f0, f1, f2, f3, a, wet float32
	n                      int
	send, left, right      []float32
	p0, p1, p2, p3, q0, q1 int
	l0, l1, l2, l3         float32
	prevL, prevR           float32
	// in, outL and outR hold a chunk's inputs and outputs between its
	// loops: each loop then has few enough values to keep in registers.
	in, outL, outR []float32
}

// run runs the network over blocks [from, to), a chunk at a time: the
// chunk's inputs from the send, then the network, then its outputs into
// the loop.
func (st *roomState) run(from, to int) {
	for k := from; k < to; {
		// A run of blocks in which no delay line wraps, so the network
		// indexes plain slices.
		m := min(to-k, roomChunk, len(st.d0)-st.p0, len(st.d1)-st.p1, len(st.d2)-st.p2, len(st.d3)-st.p3, len(st.a0)-st.q0, len(st.a1)-st.q1)
		st.inputs(k, st.in[:m])
		st.network(st.in[:m], st.outL[:m], st.outR[:m])
		st.outputs(k, st.outL[:m], st.outR[:m])
		k += m
	}
}

// inputs sets in to the send's average over each block from block k.
func (st *roomState) inputs(k int, in []float32) {
	n, send := st.n, st.send
	for i := range in {
		t := roomDecim * (k + i)
		var v float32
		if t+roomDecim <= n {
			b := send[t : t+roomDecim]
			v = (b[0] + b[1] + b[2] + b[3]) * (1.0 / roomDecim)
		} else {
			for j := t; j < min(n, t+roomDecim); j++ {
				v += send[j] * (1.0 / roomDecim)
			}
		}
		in[i] = v
	}
}

// network runs the diffusers and the delay lines over in, from where they
// are, and sets outL and outR to what the room sends left and right.
func (st *roomState) network(in, outL, outR []float32) {
	m := len(in)
	D0, D1, D2, D3 := st.d0[st.p0:][:m], st.d1[st.p1:][:m], st.d2[st.p2:][:m], st.d3[st.p3:][:m]
	A0, A1 := st.a0[st.q0:][:m], st.a1[st.q1:][:m]
	outL, outR = outL[:m], outR[:m]
	f0, f1, f2, f3, a, wet := st.f0, st.f1, st.f2, st.f3, st.a, st.wet
	l0, l1, l2, l3 := st.l0, st.l1, st.l2, st.l3
	for i, x := range in {
		// Where the send is silent, and in the tail after the loop, the
		// diffusers and lines would die away into subnormal numbers: see
		// antiDenormal.
		x += antiDenormal
		// Allpass diffusers smear the input so the lines ring densely.
		y := A0[i] - 0.6*x
		A0[i] = x + 0.6*y
		x = A1[i] - 0.6*y
		A1[i] = y + 0.6*x
		l0 += a * (D0[i] - l0)
		l1 += a * (D1[i] - l1)
		l2 += a * (D2[i] - l2)
		l3 += a * (D3[i] - l3)
		s01, m01 := l0+l1, l0-l1
		s23, m23 := l2+l3, l2-l3
		D0[i] = x + (s01+s23)*f0
		D1[i] = x + (m01+m23)*f1
		D2[i] = -x + (s01-s23)*f2
		D3[i] = -x + (m01-m23)*f3
		outL[i], outR[i] = wet*(l0+l2), wet*(l1-l3)
	}
	st.l0, st.l1, st.l2, st.l3 = l0, l1, l2, l3
	st.p0, st.p1, st.p2, st.p3 = (st.p0+m)%len(st.d0), (st.p1+m)%len(st.d1), (st.p2+m)%len(st.d2), (st.p3+m)%len(st.d3)
	st.q0, st.q1 = (st.q0+m)%len(st.a0), (st.q1+m)%len(st.a1)
}

// outputs adds the room's output from block k on into the loop at full
// rate, interpolated from each block's value to the next; what passes the
// loop end wraps to its start.
func (st *roomState) outputs(k int, outL, outR []float32) {
	n, left, right := st.n, st.left, st.right
	prevL, prevR := st.prevL, st.prevR
	outR = outR[:len(outL)]
	for i, oL := range outL {
		oR := outR[i]
		dl, dr := (oL-prevL)*(1.0/roomDecim), (oR-prevR)*(1.0/roomDecim)
		j := roomDecim * (k + i)
		if j >= n {
			j -= n
		}
		if j+roomDecim <= n {
			ol, or := left[j:j+roomDecim], right[j:j+roomDecim]
			ol[0] += prevL + dl
			ol[1] += prevL + 2*dl
			ol[2] += prevL + 3*dl
			ol[3] += oL
			or[0] += prevR + dr
			or[1] += prevR + 2*dr
			or[2] += prevR + 3*dr
			or[3] += oR
		} else {
			for q := 1; q <= roomDecim; q++ {
				left[j] += prevL + dl*float32(q)
				right[j] += prevR + dr*float32(q)
				if j++; j == n {
					j = 0
				}
			}
		}
		prevL, prevR = oL, oR
	}
	st.prevL, st.prevR = prevL, prevR
}

// echo is a ping-pong delay: taps of the send alternate between left and
// right, each quieter than the one before. A loop is periodic, so a tap is
// simply the send read back by the delay, wrapping around the loop.
type echo struct {
	// beats is the delay in beats.
	beats float64
	// feedback is the level of each tap relative to the one before.
	feedback float32
	// taps is the number of repeats.
	taps int
	// wet is the level of the first tap.
	wet float32
}

// jobs returns the echo's work: one pass over the loop per tap.
func (e *echo) jobs(g grid, send, left, right []float32) []job {
	var out []job
	gain := e.wet
	for k := 1; k <= e.taps; k++ {
		d := g.beats(e.beats*float64(k)) % g.n
		dst := left
		if k%2 == 0 {
			dst = right
		}
		tapGain := gain
		out = append(out, job{n: g.n, w: wEcho, run: func(from, to int) {
			for i := from; i < to; {
				src := i - d
				if src < 0 {
					src += g.n
				}
				m := min(to-i, g.n-src)
				s := send[src : src+m]
				o := dst[i : i+m]
				for x := range s {
					o[x] += s[x] * tapGain
				}
				i += m
			}
		}})
		gain *= e.feedback
	}
	return out
}
