package app

import (
	"context"
	"sync"
	"time"

	"github.com/loopswithfriends/loops/shared/sound"
	goapp "github.com/maxence-charriere/go-app/v10/pkg/app"
)

// loopRenderer renders loops of one kit (see SetKit) for the engine, by
// its render function: on the page's thread (renderOnPage) or in the
// render worker (render_worker.go). A loop the player waits for (their
// own, a swap, a preview) is rendered at once by Render, which the caller
// waits for. The others render in the background by Run, one at a time;
// the loops asked for first, or asked for again, render first.
type loopRenderer struct {
	render func(kit, id string) (renderedLoop, error)
	// done receives each loop rendered in the background, from the
	// renderer's goroutine.
	done func(renderedLoop)

	mu      sync.Mutex
	kit     string
	queue   []string
	started map[string]bool
	wake    chan struct{}
}

// renderedLoop is one loop rendered: its samples as Go slices where the
// page rendered it, as Float32Arrays where the render worker did; the
// bars of its waveform, and how long it took from the start of its render.
type renderedLoop struct {
	kit, id         string
	left, right     []float32
	jsLeft, jsRight goapp.Value
	peaks           []float32
	took            time.Duration
	inWorker        bool
}

// arrays returns the loop's channels as Float32Arrays, made from the Go
// slices if the page rendered it.
func (l renderedLoop) arrays() (left, right goapp.Value) {
	if l.jsLeft != nil {
		return l.jsLeft, l.jsRight
	}
	return float32Array(l.left), yieldThenFloat32Array(l.right)
}

// yieldThenFloat32Array copies the second channel in a task of its own:
// each copy is 8 to 15 ms for a loop of 20 s on the page's thread.
func yieldThenFloat32Array(samples []float32) goapp.Value {
	yieldThread()
	return float32Array(samples)
}

// waveformBars is how many bars a loop's waveform has.
const waveformBars = 96

// renderOnPage renders a loop at sampleRate on the page's thread, in
// steps of stepFrames until budget is spent, then yields, so the page
// keeps answering (pongs too): a phone's CPU, four times slower, keeps
// each turn well under the 50 ms that makes a long task. Nothing else of
// the caller's goroutine runs meanwhile: in the page, go-app's updates
// wait for it.
func renderOnPage(sampleRate int) func(kit, id string) (renderedLoop, error) {
	const stepFrames, budget = 512, 6 * time.Millisecond
	return func(kit, id string) (renderedLoop, error) {
		began := time.Now()
		// What asked for the loop (a welcome, a swap) is one task, making
		// the renderer (12 ms in the browser on this machine) another.
		yieldThread()
		rd, err := sound.NewRenderer(kit, id, sampleRate)
		if err != nil {
			return renderedLoop{}, err
		}
		yieldThread()
		for done := false; !done; {
			start := time.Now()
			for !done && time.Since(start) < budget {
				done = rd.Step(stepFrames)
			}
			if !done {
				yieldThread()
			}
		}
		left, right := rd.Result()
		yieldThread() // the waveform's peaks, 8 to 23 ms, in a task of their own
		peaks := sound.Peaks(left, right, waveformBars)
		return renderedLoop{kit: kit, id: id, left: left, right: right, peaks: peaks, took: time.Since(began)}, nil
	}
}

func newLoopRenderer(render func(kit, id string) (renderedLoop, error), done func(renderedLoop)) *loopRenderer {
	return &loopRenderer{render: render, done: done, started: make(map[string]bool), wake: make(chan struct{}, 1)}
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

// Render renders a loop of the kit now and returns it; ok is false when
// it is rendered or rendering already, or cannot be.
func (r *loopRenderer) Render(id string) (l renderedLoop, ok bool) {
	r.mu.Lock()
	if id == "" || r.started[id] {
		r.mu.Unlock()
		return renderedLoop{}, false
	}
	r.started[id] = true
	kit := r.kit
	r.mu.Unlock()
	l, err := r.render(kit, id)
	return l, err == nil
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
		l, err := r.render(kit, id)
		if ctx.Err() != nil {
			return
		}
		if err == nil {
			r.done(l)
		}
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
