package app

import (
	"context"
	"sync"
	"time"

	"github.com/loopswithfriends/loops/shared/sound"
)

// loopRenderer renders loops for the engine at the AudioContext's rate, one
// at a time. The loops asked for first, or asked for again, render first.
// The most wanted loop of each ask is one the player waits for (their own,
// a swap, a preview): it renders in one go, some tens of ms of work, so
// that nothing else the page does at start-up stretches the wait. The
// others render in small steps, sleeping between steps so that the page
// never freezes (in the browser a sleep hands the thread back to the event
// loop).
type loopRenderer struct {
	sampleRate int
	// peaks is how many bars a waveform has.
	peaks int
	// stepFrames is one step of work; steps run until budget is spent,
	// then the renderer yields, so the page keeps answering (pongs too).
	stepFrames int
	budget     time.Duration
	// done receives each rendered loop, from the renderer's goroutine,
	// with how long it took from the start of its render.
	done func(id string, left, right, peaks []float32, took time.Duration)

	mu      sync.Mutex
	queue   []string
	urgent  map[string]bool
	started map[string]bool
	wake    chan struct{}
}

func newLoopRenderer(sampleRate int, done func(id string, left, right, peaks []float32, took time.Duration)) *loopRenderer {
	return &loopRenderer{
		sampleRate: sampleRate, peaks: 96, stepFrames: 512, budget: 6 * time.Millisecond, done: done,
		started: make(map[string]bool), urgent: make(map[string]bool), wake: make(chan struct{}, 1),
	}
}

// Want asks for loops, most wanted first; loops already rendered or
// rendering are skipped. The first is rendered in one go.
func (r *loopRenderer) Want(ids ...string) {
	r.mu.Lock()
	if len(ids) > 0 && ids[0] != "" && !r.started[ids[0]] {
		r.urgent[ids[0]] = true
	}
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

// next returns the loop to render next, and whether it is urgent.
func (r *loopRenderer) next() (id string, urgent, ok bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for len(r.queue) > 0 {
		id := r.queue[0]
		r.queue = r.queue[1:]
		if !r.started[id] {
			r.started[id] = true
			return id, r.urgent[id], true
		}
	}
	return "", false, false
}

// Run renders what is wanted until ctx is done.
func (r *loopRenderer) Run(ctx context.Context) {
	for {
		id, urgent, ok := r.next()
		if !ok {
			select {
			case <-ctx.Done():
				return
			case <-r.wake:
				continue
			}
		}
		began := time.Now()
		rd, err := sound.NewRenderer(id, r.sampleRate)
		if err != nil {
			continue
		}
		for done := false; !done; {
			start := time.Now()
			for !done && (urgent || time.Since(start) < r.budget) {
				done = rd.Step(r.stepFrames)
			}
			if done {
				break
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(time.Millisecond):
			}
		}
		left, right := rd.Result()
		r.done(id, left, right, sound.Peaks(left, right, r.peaks), time.Since(began))
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
