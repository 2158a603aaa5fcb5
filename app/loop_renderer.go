package app

import (
	"context"
	"sync"
	"time"

	"github.com/loopswithfriends/loops/shared/sound"
	goapp "github.com/maxence-charriere/go-app/v10/pkg/app"
)

// loopRenderer renders loops of one kit (see SetKit) for the engine at the AudioContext's rate. A
// loop the player waits for (their own, a swap, a preview) is rendered at
// once by Render, which the caller waits for: some tens of ms of work,
// which nothing else the page does may stretch. The others render in the
// background by Run, one at a time; the loops asked for first, or asked
// for again, render first. Both ask the render worker where there is
// one (app/render_worker.go), off the page's thread; otherwise they work
// in small steps and sleep between them, so that no task of the page's
// one thread runs long (in the browser each step ends its task,
// yieldThread, and the event loop paints and answers input meanwhile).
type loopRenderer struct {
	sampleRate int
	// peaks is how many bars a waveform has.
	peaks int
	// stepFrames is one step of work; steps run until budget is spent,
	// then the renderer yields, so the page keeps answering (pongs too):
	// a phone's CPU, four times slower, keeps each turn well under the
	// 50 ms that makes a long task.
	stepFrames int
	budget     time.Duration
	// done receives each rendered loop, from the renderer's goroutine,
	// with its kit and how long it took from the start of its render.
	done func(kit, id string, loop *renderedLoop, took time.Duration)

	mu      sync.Mutex
	kit     string
	queue   []string
	started map[string]bool
	wake    chan struct{}
}

func newLoopRenderer(sampleRate int, done func(kit, id string, loop *renderedLoop, took time.Duration)) *loopRenderer {
	return &loopRenderer{
		sampleRate: sampleRate, peaks: 96, stepFrames: 512, budget: 6 * time.Millisecond, done: done,
		started: make(map[string]bool), wake: make(chan struct{}, 1),
	}
}

// SetKit makes the renderer render the kit's loops from now on: what was
// wanted or rendered of another kit is forgotten (its loops share ids with
// this one's). A render under way finishes, reported with its own kit.
func (r *loopRenderer) SetKit(kit string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if kit != r.kit {
		r.kit, r.queue, r.started = kit, nil, make(map[string]bool)
	}
}

// Render renders a loop of the kit now (see render), and returns it with
// how long it took; ok is false when it is rendered or rendering already. Nothing else of the caller's
// goroutine runs meanwhile: in the page, go-app's updates wait for it.
func (r *loopRenderer) Render(id string) (loop *renderedLoop, took time.Duration, ok bool) {
	r.mu.Lock()
	if id == "" || r.started[id] {
		r.mu.Unlock()
		return nil, 0, false
	}
	r.started[id] = true
	kit := r.kit
	r.mu.Unlock()
	return r.render(context.Background(), kit, id)
}

// render renders the loop id of kit, in the render worker where there is
// one, else here in steps with a yield between them (see budget), and
// returns it with how long it took; ok is false for a loop the kit lacks,
// or when ctx ends.
func (r *loopRenderer) render(ctx context.Context, kit, id string) (loop *renderedLoop, took time.Duration, ok bool) {
	began := time.Now()
	if w := pageRenderWorker(); w != nil {
		loop, err := w.Render(ctx, kit, id, r.sampleRate, r.peaks)
		if err == nil {
			return loop, time.Since(began), true
		}
		if ctx.Err() != nil {
			return nil, 0, false
		}
		// The worker failed: the loop renders here.
	}
	// What asked for the loop (a welcome, a swap; the last loop's
	// delivery, for Run) is one task, making the renderer (12 ms in the
	// browser on this machine) another, and its first steps a third.
	yieldThread()
	rd, err := sound.NewRenderer(kit, id, r.sampleRate)
	if err != nil {
		return nil, 0, false
	}
	yieldThread()
	for done := false; !done; {
		start := time.Now()
		for !done && time.Since(start) < r.budget {
			done = rd.Step(r.stepFrames)
		}
		if !done {
			yieldThread()
			if ctx.Err() != nil {
				return nil, 0, false
			}
		}
	}
	left, right := rd.Result()
	yieldThread() // the waveform's peaks, 8 to 23 ms, in a task of their own
	return &renderedLoop{left: left, right: right, peaks: sound.Peaks(left, right, r.peaks)}, time.Since(began), true
}

// renderedLoop is a rendered loop: its channels in Go's memory where the
// page rendered it, or the Float32Arrays the render worker handed over,
// which go to the audio engine with no copy into Go's memory (a loop's
// 3 MB cost the page a task of 13 ms), and the peaks of its waveform.
type renderedLoop struct {
	left, right     []float32
	jsLeft, jsRight goapp.Value
	peaks           []float32
}

// frames returns the loop's length.
func (l *renderedLoop) frames() int {
	if l.fromWorker() {
		return l.jsLeft.Length()
	}
	return len(l.left)
}

// fromWorker reports whether the render worker made the loop.
func (l *renderedLoop) fromWorker() bool { return l.jsLeft != nil }

// copyTo copies frames from to to of the loop's channel ch (0 left, 1
// right) into the same frames and channel of an AudioBuffer.
func (l *renderedLoop) copyTo(buf goapp.Value, ch, from, to int) {
	if l.fromWorker() {
		buf.Call("copyToChannel", []goapp.Value{l.jsLeft, l.jsRight}[ch].Call("subarray", from, to), ch, from)
		return
	}
	copyToChannel(buf, [][]float32{l.left, l.right}[ch][from:to], ch, from)
}

// channels returns the loop's samples in Go's memory, copied there the
// first time if the worker made them.
func (l *renderedLoop) channels() (left, right []float32) {
	if l.left == nil && l.fromWorker() {
		l.left, l.right = goFloat32s(l.jsLeft), goFloat32s(l.jsRight)
	}
	return l.left, l.right
}

// Want asks for loops to render in the background, most wanted first;
// loops already rendered or rendering are skipped.
func (r *loopRenderer) Want(ids ...string) {
	r.mu.Lock()
	var front []string
	for _, id := range ids {
		if id == "" || r.started[id] {
			continue
		}
		front = append(front, id)
	}
	rest := r.queue[:0:0]
	for _, id := range r.queue {
		if !contains(front, id) {
			rest = append(rest, id)
		}
	}
	r.queue = append(front, rest...)
	r.mu.Unlock()
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// next returns the loop to render next, and its kit.
func (r *loopRenderer) next() (kit, id string, ok bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for len(r.queue) > 0 {
		id := r.queue[0]
		r.queue = r.queue[1:]
		if !r.started[id] {
			r.started[id] = true
			return r.kit, id, true
		}
	}
	return "", "", false
}

// Run renders what is wanted until ctx is done.
func (r *loopRenderer) Run(ctx context.Context) {
	for {
		kit, id, ok := r.next()
		if !ok {
			select {
			case <-ctx.Done():
				return
			case <-r.wake:
				continue
			}
		}
		loop, took, ok := r.render(ctx, kit, id)
		if !ok {
			if ctx.Err() != nil {
				return
			}
			continue
		}
		yieldThread() // the delivery in a task of its own
		if ctx.Err() != nil {
			return
		}
		r.done(kit, id, loop, took)
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
