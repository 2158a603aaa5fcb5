package sound

import (
	"math"
	"sync"
)

// voice is one note (or hit, or bed) of a part: its synth makes it into a
// buffer, zeroed and frames long (twice that for a stereo voice: left, then
// right), and the renderer adds it into the loop at start, wrapping what
// passes the loop end around to its beginning, so tails that cross the loop
// point sound at the start of the next pass.
type voice struct {
	start, frames int
	// gl and gr are the voice's gains into the left and right channels.
	gl, gr float32
	// send is the voice's level into the part's room and echo.
	send float32
	// stereo voices get a buffer twice as long: left, then right.
	stereo bool
	synth  synth
	// sample, when set, replaces synth: a sound several voices play,
	// rendered once.
	sample *sample
	// needs lists the samples synth reads, which must be rendered first.
	needs []*sample
}

// synth returns the jobs that make a sound into *buf, n samples long. The
// renderer sets *buf before the first job runs, so a job must read it when
// it runs, not when it is made.
type synth func(buf *[]float32, n int) []job

// sample is a sound rendered once and played by several voices (a drum
// hit, say), each with its own gain and place. Its buffer, frames long, is
// the renderer's to give (see NewRenderer).
type sample struct {
	synth  synth
	buf    []float32
	frames int
	ramp   int
}

// jobs returns the work of rendering the sample into its buffer, which
// must be clear. Its start is ramped up from silence over half a
// millisecond, as every voice's is (see rampJob).
func (s *sample) jobs() []job {
	return append(s.synth(&s.buf, s.frames), rampJob(&s.buf, 0, s.frames, s.ramp))
}

// play returns a voice that plays a sample at a position in beats, panned
// from -1 to 1, with a gain and a send level.
func play(g grid, beat float64, s *sample, p float64, gain, send float32) voice {
	l, r := pan(p)
	return voice{start: g.at(beat), frames: s.frames, gl: l * gain, gr: r * gain, send: send, sample: s}
}

// newSample returns a sample of frames rendered by synth.
func newSample(g grid, frames int, synth synth) *sample {
	return &sample{synth: synth, frames: frames, ramp: g.sr / 2000}
}

// job is a slice of a render's work: a sweep over n frames (or samples, or
// blocks), in order, that Step may cut anywhere, at multiples of grain if
// set. run(from, to) does [from, to) and keeps whatever state the next call
// needs, so the samples are the same however the work is cut. w is the cost
// of one of its n in ticks, about a nanosecond of native work each (see
// workTicks), so that Step can cut every kind of work to the same time.
type job struct {
	n, w, grain int
	run         func(from, to int)
}

// workTicks is the ticks of one frame of Step's budget: about a frame of a
// mono synth voice.
const workTicks = 16

// Costs of the renderer's own jobs, in ticks per frame (or sample). Every
// job's cost was measured natively, at about a nanosecond a tick (last on
// 2026-12-01, after the subnormal fixes); a cost that is off makes steps
// uneven, not unbounded (BenchmarkStepMax times them).
const (
	wClear = 1 // zeroing a buffer
	wRamp  = 1 // fading a voice in
	wPlace = 2 // adding a voice into the loop
	wLevel = 1 // scaling the loop
	wPeak  = 2 // finding the loop's peak, both channels
	wEcho  = 1 // one tap of an echo
)

// buffers recycles loop-sized buffers (a renderer's send and scratch, the
// loops Mix sums): fewer allocations, less garbage to collect.
var buffers sync.Pool

// takeBuf returns a buffer of n samples, and whether it may hold old
// samples (a recycled one) that its user must clear.
func takeBuf(n int) (b []float32, dirty bool) {
	if p, ok := buffers.Get().(*[]float32); ok && cap(*p) >= n {
		return (*p)[:n], true
	}
	return make([]float32, n), false
}

// putBuf gives a buffer back for reuse; its owner must not touch it again.
func putBuf(b []float32) {
	if cap(b) > 0 {
		buffers.Put(&b)
	}
}

// clearJob zeroes *b, if dirty, a slice of work at a time.
func clearJob(b *[]float32, dirty bool) job {
	if !dirty {
		return job{}
	}
	return job{n: len(*b), w: wClear, run: func(from, to int) { clear((*b)[from:to]) }}
}

// Renderer renders one loop a bounded slice at a time, so that a browser can
// yield to its event loop between slices. The zero value is not usable; see
// NewRenderer. A Renderer is for one goroutine at a time; separate
// Renderers may run in parallel.
//
// Its work is a list of jobs, each a sweep that can stop and resume
// anywhere: a note's synthesis and envelope, its placing into the loop, an
// echo tap, the room, the level. Step runs them in order for a budget of
// ticks, cutting whichever job it is in, so no step does much more than it
// was asked, however long the notes or the loop.
type Renderer struct {
	sr, n       int
	left, right []float32
	send        []float32
	scratch     []float32
	// slabs hold the samples, one after another (see NewRenderer).
	slabs        [][]float32
	jobs         []job
	cur, pos     int
	spent, total int
	// peak is the loop's highest magnitude, as the last of its bus's
	// passes to measure it found it (see bus.go).
	peak float32
}

// NewRenderer returns a Renderer of the kit's loop id at sampleRate frames
// per second. It fails for a kit not in shared.Kits (ErrUnknownKit), an id
// not in the kit (ErrUnknownLoop) and a sample rate outside
// [MinSampleRate, MaxSampleRate].
func NewRenderer(kitID, id string, sampleRate int) (*Renderer, error) {
	k, p, err := lookup(kitID, id, sampleRate)
	if err != nil {
		return nil, err
	}
	g := grid{sr: sampleRate, n: LoopFrames(k.Kit, sampleRate), beatsPer: k.BeatsPerBar * k.BarsPerLoop}
	r := &Renderer{sr: sampleRate, n: g.n}
	// Recycled buffers are cleared by the first jobs, not here: a loop's
	// buffers are megabytes.
	var dirtyL, dirtyR, dirtyS bool
	r.left, dirtyL = takeBuf(g.n)
	r.right, dirtyR = takeBuf(g.n)
	r.jobs = append(r.jobs, clearJob(&r.left, dirtyL), clearJob(&r.right, dirtyR))
	rng := newNoise(p.seed)
	voices := p.voices(g, &rng)
	scratch := 0
	for _, v := range voices {
		if v.send != 0 && r.send == nil {
			r.send, dirtyS = takeBuf(g.n)
			r.jobs = append(r.jobs, clearJob(&r.send, dirtyS))
		}
		if v.sample == nil {
			scratch = max(scratch, v.size())
		}
	}
	if scratch > 0 {
		// Each voice clears its part of it before it starts.
		r.scratch, _ = takeBuf(scratch)
	}
	// Each sample is rendered before the first voice that plays it, into
	// slabs of loop-sized buffers that go back to the pool with the send
	// and the scratch. In buffers of their own the Golden Hour kit's
	// samples were 3.8 MB of a render's 26 MB of allocations (its result
	// 22 MB): garbage for the GC, and pages for the kernel to fault in
	// again once the GC had given them back.
	rendered := map[*sample]bool{}
	var slab []float32
	var dirtySlab bool
	need := func(s *sample) {
		if s == nil || rendered[s] {
			return
		}
		rendered[s] = true
		if len(slab) < s.frames {
			slab, dirtySlab = takeBuf(max(g.n, s.frames))
			r.slabs = append(r.slabs, slab)
		}
		s.buf, slab = slab[:s.frames:s.frames], slab[s.frames:]
		r.jobs = append(r.jobs, clearJob(&s.buf, dirtySlab))
		r.jobs = append(r.jobs, s.jobs()...)
	}
	for i := range voices {
		v := &voices[i]
		need(v.sample)
		for _, s := range v.needs {
			need(s)
		}
		r.jobs = append(r.jobs, r.voiceJobs(v)...)
	}
	if p.echo != nil && r.send != nil {
		r.jobs = append(r.jobs, p.echo.jobs(g, r.send, r.left, r.right)...)
	}
	if p.room != nil && r.send != nil {
		r.jobs = append(r.jobs, p.room.job(g, r.send, r.left, r.right))
	}
	if p.presence > 0 {
		r.jobs = append(r.jobs, r.presenceJob(p.presence))
	}
	if p.drive > 0 {
		r.jobs = append(r.jobs, r.driveJobs(p.drive, p.presence > 0)...)
	}
	r.jobs = append(r.jobs, r.levelJobs(k.level+p.trim, p.presence > 0 || p.drive > 0)...)
	// Jobs of no work (a clean buffer's clearing, say) are dropped.
	jobs := r.jobs[:0]
	for _, j := range r.jobs {
		if j.n > 0 {
			j.w = max(j.w, 1)
			jobs = append(jobs, j)
			r.total += j.n * j.w
		}
	}
	r.jobs = jobs
	return r, nil
}

// size is the length of a voice's buffer.
func (v *voice) size() int {
	if v.stereo {
		return 2 * v.frames
	}
	return v.frames
}

// voiceJobs returns the work of a voice: for one of its own, clearing its
// part of the scratch buffer, its synth's jobs and its fade-in; then adding
// it into the loop.
func (r *Renderer) voiceJobs(v *voice) []job {
	var jobs []job
	buf := new([]float32)
	if v.sample != nil {
		*buf = v.sample.buf
	} else {
		size := v.size()
		jobs = append(jobs, job{n: size, w: wClear, run: func(from, to int) {
			if from == 0 {
				*buf = r.scratch[:size]
			}
			clear((*buf)[from:to])
		}})
		jobs = append(jobs, v.synth(buf, size)...)
		jobs = append(jobs, rampJob(buf, 0, v.frames, r.sr/2000))
		if v.stereo {
			jobs = append(jobs, rampJob(buf, v.frames, v.frames, r.sr/2000))
		}
	}
	return append(jobs, job{n: v.frames, w: wPlace, run: func(from, to int) {
		bl, br := (*buf)[:v.frames], (*buf)[:v.frames]
		if v.stereo {
			br = (*buf)[v.frames : 2*v.frames]
		}
		r.place(v, bl, br, from, to)
	}})
}

// place adds frames [from, to) of a voice into the loop.
func (r *Renderer) place(v *voice, bl, br []float32, from, to int) {
	for off := from; off < to; {
		start := (v.start + off) % r.n
		m := min(to-off, r.n-start)
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

// rampJob fades (*b)[off:off+frames] in over its first n frames: a note on
// the loop's first frame must not make a step at the seam, and no note
// anywhere should click.
func rampJob(b *[]float32, off, frames, n int) job {
	n = min(frames, n)
	return job{n: n, w: wRamp, run: func(from, to int) {
		buf := (*b)[off : off+n]
		for i := from; i < to; i++ {
			buf[i] *= float32(i) / float32(n)
		}
	}}
}

// maxStepFrames keeps a Step's budget in ticks from overflowing an int.
const maxStepFrames = math.MaxInt32 / workTicks

// Step does about maxFrames frames' worth of work (a frame of work is about
// a frame of one mono note: see workTicks) and reports whether the loop is
// done. Every job can be cut anywhere (the level measurement at blocks of
// measureBlock frames), so a step never runs far past its budget.
func (r *Renderer) Step(maxFrames int) (done bool) {
	budget := min(max(maxFrames, 1), maxStepFrames) * workTicks
	for r.cur < len(r.jobs) && budget > 0 {
		j := &r.jobs[r.cur]
		to := r.pos + min((budget+j.w-1)/j.w, j.n-r.pos)
		if j.grain > 1 {
			to = min(j.n, (to+j.grain-1)/j.grain*j.grain)
		}
		j.run(r.pos, to)
		r.spent += (to - r.pos) * j.w
		budget -= (to - r.pos) * j.w
		r.pos = to
		if r.pos == j.n {
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
	for _, b := range r.slabs {
		putBuf(b)
	}
	r.send, r.scratch, r.slabs = nil, nil, nil
	return true
}

// Sketch runs the first frames of every job, and no more: each function
// a render of this loop runs, run once, at a small part of its cost. It is
// for a warm-up (a browser compiles a WASM function the first time it
// runs); the loop is not rendered, and the Renderer is done after it. It
// returns the jobs it ran and their work, in Step's ticks.
func (r *Renderer) Sketch(frames int) (jobs, ticks int) {
	for i := r.cur; i < len(r.jobs); i++ {
		j := &r.jobs[i]
		to := min(j.n, max(frames, j.grain, 1))
		j.run(0, to)
		jobs++
		ticks += to * j.w
	}
	r.cur, r.pos = len(r.jobs), 0
	r.Step(1)
	return jobs, ticks
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
