package sound

import (
	"math"
	"sync"
)

// voice is one note (or hit, or bed) of a part: render fills out, which is
// zeroed and frames long, and the renderer adds it into the loop at start,
// wrapping what passes the loop end around to its beginning, so tails that
// cross the loop point sound at the start of the next pass.
type voice struct {
	start, frames int
	// gl and gr are the voice's gains into the left and right channels.
	gl, gr float32
	// send is the voice's level into the part's room and echo.
	send float32
	// stereo voices get a buffer twice as long: left, then right.
	stereo bool
	render func(out []float32)
	// sample, when set, replaces render: a sound several voices play,
	// rendered once.
	sample *sample
}

// sample is a sound rendered once and played by several voices (a drum
// hit, say), each with its own gain and place.
type sample struct {
	render   func(out []float32)
	buf      []float32
	ramp     int
	rendered bool
}

// ensure renders the sample if it has not been yet. Its start is ramped up
// from silence over half a millisecond, as every voice's is (see ramp).
func (s *sample) ensure() {
	if !s.rendered {
		s.render(s.buf)
		rampUp(s.buf, s.ramp)
		s.rendered = true
	}
}

// play returns a voice that plays a sample at a position in beats, panned
// from -1 to 1, with a gain and a send level.
func play(g grid, beat float64, s *sample, p float64, gain, send float32) voice {
	l, r := pan(p)
	return voice{start: g.at(beat), frames: len(s.buf), gl: l * gain, gr: r * gain, send: send, sample: s}
}

// newSample returns a sample of frames rendered by render.
func newSample(g grid, frames int, render func(out []float32)) *sample {
	return &sample{render: render, buf: make([]float32, frames), ramp: g.sr / 2000}
}

// job is a slice of a render's work. A job with split set may be run in
// pieces (run(from, to) over [0, cost)), cut at multiples of grain if set;
// others run whole.
type job struct {
	cost  int
	split bool
	grain int
	run   func(from, to int)
}

// buffers recycles loop-sized buffers (a renderer's send and scratch, the
// loops Mix sums): fewer allocations, less garbage to collect.
var buffers sync.Pool

// getBuf returns a zeroed buffer of n samples.
func getBuf(n int) []float32 {
	if p, ok := buffers.Get().(*[]float32); ok && cap(*p) >= n {
		b := (*p)[:n]
		clear(b)
		return b
	}
	return make([]float32, n)
}

// putBuf gives a buffer back for reuse; its owner must not touch it again.
func putBuf(b []float32) {
	if cap(b) > 0 {
		buffers.Put(&b)
	}
}

// Renderer renders one loop a bounded slice at a time, so that a browser can
// yield to its event loop between slices. The zero value is not usable; see
// NewRenderer. A Renderer is for one goroutine at a time; separate
// Renderers may run in parallel.
type Renderer struct {
	sr, n        int
	left, right  []float32
	send         []float32
	scratch      []float32
	jobs         []job
	cur, pos     int
	spent, total int
}

// NewRenderer returns a Renderer of the loop id at sampleRate frames per
// second. It fails for an id not in the catalog (ErrUnknownLoop) and for a
// sample rate outside [MinSampleRate, MaxSampleRate].
func NewRenderer(id string, sampleRate int) (*Renderer, error) {
	p, err := lookup(id, sampleRate)
	if err != nil {
		return nil, err
	}
	g := grid{sr: sampleRate, n: LoopFrames(sampleRate)}
	r := &Renderer{sr: sampleRate, n: g.n, left: getBuf(g.n), right: getBuf(g.n)}
	rng := newNoise(p.seed)
	voices := p.voices(g, &rng)
	for i := range voices {
		v := &voices[i]
		if v.send != 0 && r.send == nil {
			r.send = getBuf(g.n)
		}
		r.jobs = append(r.jobs, job{cost: v.frames, run: func(int, int) { r.place(v) }})
	}
	if p.echo != nil && r.send != nil {
		r.jobs = append(r.jobs, p.echo.jobs(g, r.send, r.left, r.right)...)
	}
	if p.room != nil && r.send != nil {
		r.jobs = append(r.jobs, p.room.job(g, r.send, r.left, r.right))
	}
	r.jobs = append(r.jobs, r.levelJobs(p.level)...)
	for _, j := range r.jobs {
		r.total += j.cost
	}
	return r, nil
}

// place renders a voice and adds it into the loop.
func (r *Renderer) place(v *voice) {
	var bl, br []float32
	switch {
	case v.sample != nil:
		v.sample.ensure()
		bl, br = v.sample.buf[:v.frames], v.sample.buf[:v.frames]
	default:
		size := v.frames
		if v.stereo {
			size *= 2
		}
		if cap(r.scratch) < size {
			putBuf(r.scratch)
			r.scratch = getBuf(size)
		}
		buf := r.scratch[:size]
		clear(buf)
		v.render(buf)
		bl, br = buf[:v.frames], buf[:v.frames]
		r.ramp(bl)
		if v.stereo {
			br = buf[v.frames:]
			r.ramp(br)
		}
	}
	for start, off := v.start%r.n, 0; off < v.frames; start = 0 {
		m := min(v.frames-off, r.n-start)
		sl, sr := bl[off:off+m], br[off:off+m]
		l, rt := r.left[start:start+m], r.right[start:start+m]
		gl, gr := v.gl, v.gr
		if v.send != 0 {
			snd, hs := r.send[start:start+m], 0.5*v.send
			for i := range sl {
				a, b := sl[i], sr[i]
				l[i] += a * gl
				rt[i] += b * gr
				snd[i] += (a + b) * hs
			}
		} else {
			for i := range sl {
				l[i] += sl[i] * gl
				rt[i] += sr[i] * gr
			}
		}
		off += m
	}
}

// measureBlock is the grain of the level measurement, in frames.
const measureBlock = 4096

// levelJobs measure the loop and scale it to its level: an RMS in dBFS,
// lowered if need be so that the loop's peak stays under peakLimitDB.
func (r *Renderer) levelJobs(levelDB float64) []job {
	var gain float32
	var sum float64
	var hi, lo float32
	// Whole blocks of measureBlock frames, counted from the loop start: the
	// same sums however Step slices the work.
	measure := job{cost: r.n, split: true, grain: measureBlock, run: func(from, to int) {
		for b := from; b < to; b += measureBlock {
			l, rt := r.left[b:min(b+measureBlock, r.n)], r.right[b:min(b+measureBlock, r.n)]
			// Two sums, of even and odd frames, so the adds do not wait on
			// each other.
			var s0, s1 float32
			i := 0
			for ; i+1 < len(l); i += 2 {
				x0, y0, x1, y1 := l[i], rt[i], l[i+1], rt[i+1]
				s0 += x0*x0 + y0*y0
				s1 += x1*x1 + y1*y1
				// Branches that are almost never taken cost next to nothing;
				// an abs of each sample would mispredict on every sign.
				if x0 > hi || x1 > hi || y0 > hi || y1 > hi {
					hi = max(hi, x0, x1, y0, y1)
				}
				if x0 < lo || x1 < lo || y0 < lo || y1 < lo {
					lo = min(lo, x0, x1, y0, y1)
				}
			}
			for ; i < len(l); i++ {
				s0 += l[i]*l[i] + rt[i]*rt[i]
				hi = max(hi, l[i], rt[i])
				lo = min(lo, l[i], rt[i])
			}
			sum += float64(s0) + float64(s1)
		}
		if to < r.n {
			return
		}
		peak := max(hi, -lo)
		rms := math.Sqrt(sum / float64(2*r.n))
		if rms == 0 {
			return
		}
		g := dbGain(levelDB) / rms
		if lim := dbGain(peakLimitDB); float64(peak)*g > lim {
			g = lim / float64(peak)
		}
		gain = float32(g)
	}}
	scale := job{cost: r.n, split: true, run: func(from, to int) {
		l, rt := r.left[from:to], r.right[from:to]
		for i := range l {
			l[i] *= gain
			rt[i] *= gain
		}
	}}
	return []job{measure, scale}
}

// ramp fades a voice in over half a millisecond: a note on the loop's first
// frame must not make a step at the seam, and no note anywhere should click.
func (r *Renderer) ramp(buf []float32) { rampUp(buf, r.sr/2000) }

// rampUp fades buf in over its first n frames.
func rampUp(buf []float32, n int) {
	n = min(len(buf), n)
	for i := range n {
		buf[i] *= float32(i) / float32(n)
	}
}

// Step does about maxFrames frames' worth of work (at least one note) and
// reports whether the loop is done.
func (r *Renderer) Step(maxFrames int) (done bool) {
	budget := max(maxFrames, 1)
	for r.cur < len(r.jobs) && budget > 0 {
		j := r.jobs[r.cur]
		if !j.split {
			j.run(0, j.cost)
			r.spent += j.cost
			budget -= j.cost
			r.cur++
			continue
		}
		to := r.pos + budget
		if j.grain > 1 {
			to = (to + j.grain - 1) / j.grain * j.grain
		}
		to = min(j.cost, to)
		j.run(r.pos, to)
		r.spent += to - r.pos
		budget -= to - r.pos
		r.pos = to
		if r.pos == j.cost {
			r.cur++
			r.pos = 0
		}
	}
	if r.cur < len(r.jobs) {
		return false
	}
	// Done: the working buffers go back for the next render.
	putBuf(r.send)
	putBuf(r.scratch)
	r.send, r.scratch = nil, nil
	return true
}

// Progress returns the share of the work done, from 0 to 1.
func (r *Renderer) Progress() float64 {
	if r.total == 0 {
		return 1
	}
	return float64(r.spent) / float64(r.total)
}

// Result returns the loop's left and right channels, LoopFrames long. They
// are complete once Step has reported done.
func (r *Renderer) Result() (left, right []float32) { return r.left, r.right }
