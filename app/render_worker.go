package app

import (
	"errors"
	"sync"
	"time"

	"github.com/loopswithfriends/loops/shared/sound"
	goapp "github.com/maxence-charriere/go-app/v10/pkg/app"
)

// The jam page's loops render in the warm worker (warm_worker.go): once it
// has warmed the module, it stays, as the render worker. The page posts it
// {n, kit, id, rate}; it renders the loop at once (nobody waits on its
// thread: no steps, no yields) and posts back {type: "rendered", n,
// left, right, peaks} with the channels' buffers handed over, or {type:
// "rendered", n, error}. The page's thread then only copies each channel
// into an AudioBuffer, natively: rendering there, in steps that yielded,
// was a hundred or so tasks of up to 20 ms of the page's start (four
// times that on a phone), and the synth's first run compiled its code on
// the page's thread. Without the worker (no Worker, an error, or
// window.loopsNoWarm), the page renders as it did (renderOnPage).

// errRenderWorker is a render the worker did not answer.
var errRenderWorker = errors.New("the render worker stopped")

// RunRenderWorker answers the page's render requests, in the order they
// come, until the worker ends. It says "warm" first: the page starts its
// own run then (app.js, loopsWarmInstantiate).
func RunRenderWorker() {
	self := goapp.Window()
	var (
		mu    sync.Mutex
		queue []goapp.Value
		wake  = make(chan struct{}, 1)
	)
	push := func(v goapp.Value) {
		mu.Lock()
		queue = append(queue, v)
		mu.Unlock()
		select {
		case wake <- struct{}{}:
		default:
		}
	}
	// A request that came before Go listened waits in the inbox.
	if inbox := self.Get("loopsRenderInbox"); inbox.Truthy() {
		for i := 0; i < inbox.Length(); i++ {
			push(inbox.Index(i))
		}
	}
	self.Set("onmessage", goapp.FuncOf(func(this goapp.Value, args []goapp.Value) any {
		push(args[0].Get("data"))
		return nil
	}))
	self.Call("postMessage", map[string]any{"type": "warm"})
	for {
		mu.Lock()
		if len(queue) == 0 {
			mu.Unlock()
			<-wake
			continue
		}
		req := queue[0]
		queue = queue[1:]
		mu.Unlock()
		n := req.Get("n").Int()
		left, right, peaks, err := renderInWorker(req.Get("kit").String(), req.Get("id").String(), req.Get("rate").Int())
		if err != nil {
			self.Call("postMessage", map[string]any{"type": "rendered", "n": n, "error": err.Error()})
			continue
		}
		self.Call("postMessage", map[string]any{"type": "rendered", "n": n, "left": left, "right": right, "peaks": peaks},
			[]any{left.Get("buffer"), right.Get("buffer")})
	}
}

// renderInWorker renders a loop whole and returns its channels and the
// bars of its waveform as Float32Arrays.
func renderInWorker(kit, id string, rate int) (left, right, peaks goapp.Value, err error) {
	rd, err := sound.NewRenderer(kit, id, rate)
	if err != nil {
		return nil, nil, nil, err
	}
	for !rd.Step(1 << 14) {
	}
	l, r := rd.Result()
	return float32Array(l), float32Array(r), float32Array(sound.Peaks(l, r, waveformBars)), nil
}

// renderWorker is the render worker, seen from the page.
type renderWorker struct {
	w goapp.Value

	mu      sync.Mutex
	n       int
	waiting map[int]chan goapp.Value
	dead    bool
}

// pageRenderWorker returns the render worker the page started with, or nil
// if it started without one.
func pageRenderWorker() *renderWorker {
	w := goapp.Window().Get("loopsRenderWorker")
	if !w.Truthy() {
		return nil
	}
	rw := &renderWorker{w: w, waiting: make(map[int]chan goapp.Value)}
	w.Set("onmessage", goapp.FuncOf(func(this goapp.Value, args []goapp.Value) any {
		data := args[0].Get("data")
		switch data.Get("type").String() {
		case "rendered":
			rw.answer(data.Get("n").Int(), data)
		case "error":
			rw.stop()
		}
		return nil
	}))
	w.Set("onerror", goapp.FuncOf(func(goapp.Value, []goapp.Value) any {
		rw.stop()
		return nil
	}))
	return rw
}

func (rw *renderWorker) answer(n int, data goapp.Value) {
	rw.mu.Lock()
	ch := rw.waiting[n]
	delete(rw.waiting, n)
	rw.mu.Unlock()
	if ch != nil {
		ch <- data
	}
}

// stop fails every render waiting, and every one to come.
func (rw *renderWorker) stop() {
	rw.mu.Lock()
	defer rw.mu.Unlock()
	rw.dead = true
	for n, ch := range rw.waiting {
		close(ch)
		delete(rw.waiting, n)
	}
}

// render asks the worker for a loop at rate and waits for it.
func (rw *renderWorker) render(kit, id string, rate int) (renderedLoop, error) {
	began := time.Now()
	rw.mu.Lock()
	if rw.dead {
		rw.mu.Unlock()
		return renderedLoop{}, errRenderWorker
	}
	rw.n++
	n, ch := rw.n, make(chan goapp.Value, 1)
	rw.waiting[n] = ch
	rw.mu.Unlock()
	rw.w.Call("postMessage", map[string]any{"n": n, "kit": kit, "id": id, "rate": rate})
	data, ok := <-ch
	if !ok {
		return renderedLoop{}, errRenderWorker
	}
	if msg := data.Get("error"); msg.Truthy() {
		return renderedLoop{}, errors.New(msg.String())
	}
	jsPeaks := data.Get("peaks")
	peaks := make([]float32, jsPeaks.Length())
	for i := range peaks {
		peaks[i] = float32(jsPeaks.Index(i).Float())
	}
	return renderedLoop{kit: kit, id: id, jsLeft: data.Get("left"), jsRight: data.Get("right"), peaks: peaks, took: time.Since(began), inWorker: true}, nil
}

// loopRender returns how the jam page renders loops at rate: in the
// render worker if the page has one, else, or once the worker fails, on
// the page's thread.
func loopRender(rate int) func(kit, id string) (renderedLoop, error) {
	onPage := renderOnPage(rate)
	rw := pageRenderWorker()
	if rw == nil {
		return onPage
	}
	return func(kit, id string) (renderedLoop, error) {
		if l, err := rw.render(kit, id, rate); err != errRenderWorker {
			return l, err
		}
		return onPage(kit, id)
	}
}
