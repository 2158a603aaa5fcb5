package app

import (
	"context"
	"sync"
	"time"

	"github.com/loopswithfriends/loops/shared/sound"
)

// loopRenderer renders loops of one kit (see SetKit) for the engine at the AudioContext's rate. A
// loop the player waits for (their own, a swap, a preview) is rendered at
// once by Render, which the caller waits for: some tens of ms of work,
// which nothing else the page does may stretch. The others render in the
// background by Run, one at a time; the loops asked for first, or asked
// for again, render first. Both work in small steps and sleep between
// them, so that no task of the page's one thread runs long (in the
// browser each step ends its task, yieldThread, and the event loop paints
// and answers input meanwhile).
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
	done func(kit, id string, left, right, peaks []float32, took time.Duration)

	mu      sync.Mutex
	kit     string
	queue   []string
	started map[string]bool
	wake    chan struct{}
}

func newLoopRenderer(sampleRate int, done func(kit, id string, left, right, peaks []float32, took time.Duration)) *loopRenderer {
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

// Render renders a loop of the kit now, in steps with a yield between
// them (see budget), and returns it with how long it took; ok is false
// when it is rendered or rendering already. Nothing else of the caller's
// goroutine runs meanwhile: in the page, go-app's updates wait for it.
func (r *loopRenderer) Render(id string) (left, right, peaks []float32, took time.Duration, ok bool) {
	r.mu.Lock()
	if id == "" || r.started[id] {
		r.mu.Unlock()
		return nil, nil, nil, 0, false
	}
	r.started[id] = true
	kit := r.kit
	r.mu.Unlock()
	return r.render(context.Background(), kit, id)
}

// render renders the loop id of kit in steps with a yield between them
// (see budget), and returns it, its peaks and how long it took; ok is
// false for a loop the kit lacks, or when ctx ends between two steps.
func (r *loopRenderer) render(ctx context.Context, kit, id string) (left, right, peaks []float32, took time.Duration, ok bool) {
	began := time.Now()
	// What asked for the loop (a welcome, a swap; the last loop's
	// delivery, for Run) is one task, making the renderer (12 ms in the
	// browser on this machine) another, and its first steps a third.
	yieldThread()
	rd, err := sound.NewRenderer(kit, id, r.sampleRate)
	if err != nil {
		return nil, nil, nil, 0, false
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
				return nil, nil, nil, 0, false
			}
		}
	}
	left, right = rd.Result()
	yieldThread() // the waveform's peaks, 8 to 23 ms, in a task of their own
	return left, right, sound.Peaks(left, right, r.peaks), time.Since(began), true
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
		left, right, peaks, took, ok := r.render(ctx, kit, id)
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
		r.done(kit, id, left, right, peaks, took)
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
