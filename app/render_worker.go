package app

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/loopswithfriends/loops/shared/sound"
	goapp "github.com/maxence-charriere/go-app/v10/pkg/app"
)

// Once warm, the warm worker stays on as the page's renderer: the loops
// render there, off the page's thread, and come back as arrays whose
// buffers the worker hands over. Rendered on the page's thread, however
// finely cut, a loop's steps were a dozen tasks of the page at its start,
// which a busy machine stretched into long ones; the worker has the
// module's code compiled already, and a thread of its own.
//
// The page asks {type: "render", n, kit, id, rate, peaks}; the worker
// answers {type: "rendered", n, left, right, peaks} (Float32Arrays) or
// {type: "rendered", n, error}, one request after another.

// renderWorkerTimeout is how long the page waits for a loop from the
// worker, which renders one in some tens of ms and has at most a few to
// render at once, before it takes the worker for lost.
const renderWorkerTimeout = 15 * time.Second

// errRenderWorker is a render the worker could not make.
var errRenderWorker = errors.New("app: the render worker failed")

// ServeRenders makes the warm worker, once warm, render loops for the
// page: it says "warm", which starts the page, and answers the page's
// requests until the page ends it.
func ServeRenders() {
	self := goapp.Window()
	requests := make(chan goapp.Value, 64)
	onMessage := goapp.FuncOf(func(_ goapp.Value, args []goapp.Value) any {
		data := args[0].Get("data")
		if data.Get("type").String() != "render" {
			return nil
		}
		select {
		case requests <- data:
		default:
			self.Call("postMessage", map[string]any{"type": "rendered", "n": data.Get("n").Int(), "error": "too many renders waiting"})
		}
		return nil
	})
	self.Set("onmessage", onMessage)
	self.Call("postMessage", map[string]any{"type": "warm"})
	for req := range requests {
		n := req.Get("n").Int()
		left, right, err := sound.Render(req.Get("kit").String(), req.Get("id").String(), req.Get("rate").Int())
		if err != nil {
			self.Call("postMessage", map[string]any{"type": "rendered", "n": n, "error": err.Error()})
			continue
		}
		l, r := float32Array(left), float32Array(right)
		peaks := float32Array(sound.Peaks(left, right, req.Get("peaks").Int()))
		self.Call("postMessage", map[string]any{"type": "rendered", "n": n, "left": l, "right": r, "peaks": peaks},
			[]any{l.Get("buffer"), r.Get("buffer")})
	}
}

// renderWorker is the page's side of the render worker.
type renderWorker struct {
	worker goapp.Value

	mu      sync.Mutex
	next    int
	waiting map[int]chan goapp.Value
	failed  bool
}

var (
	renderWorkerMu sync.Mutex
	pageRenderer   *renderWorker
)

// pageRenderWorker returns the page's render worker, or nil where there is
// none (outside the browser, where the page started without its warm
// worker, or before the worker is warm) or where it failed.
func pageRenderWorker() *renderWorker {
	renderWorkerMu.Lock()
	defer renderWorkerMu.Unlock()
	if pageRenderer == nil && goapp.IsClient {
		if w := goapp.Window().Get("loopsRenderWorker"); w.Truthy() {
			pageRenderer = newRenderWorker(w)
		}
	}
	if pageRenderer == nil || pageRenderer.broken() {
		return nil
	}
	return pageRenderer
}

func newRenderWorker(w goapp.Value) *renderWorker {
	rw := &renderWorker{worker: w, waiting: make(map[int]chan goapp.Value)}
	w.Call("addEventListener", "message", goapp.FuncOf(func(_ goapp.Value, args []goapp.Value) any {
		data := args[0].Get("data")
		switch data.Get("type").String() {
		case "rendered":
			rw.mu.Lock()
			n := data.Get("n").Int()
			ch := rw.waiting[n]
			delete(rw.waiting, n)
			rw.mu.Unlock()
			if ch != nil {
				ch <- data
			}
		case "error": // the worker's Go ended (warm-worker.js)
			rw.fail()
		}
		return nil
	}))
	w.Call("addEventListener", "error", goapp.FuncOf(func(goapp.Value, []goapp.Value) any {
		rw.fail()
		return nil
	}))
	return rw
}

// fail gives up on the worker: the renders waiting for it end, and the
// page renders its loops itself from now on.
func (rw *renderWorker) fail() {
	rw.mu.Lock()
	defer rw.mu.Unlock()
	rw.failed = true
	for n, ch := range rw.waiting {
		close(ch)
		delete(rw.waiting, n)
	}
}

func (rw *renderWorker) broken() bool {
	rw.mu.Lock()
	defer rw.mu.Unlock()
	return rw.failed
}

// Render has the worker render the loop id of kit at rate, with n peaks
// for its waveform, and waits for it until ctx is done.
func (rw *renderWorker) Render(ctx context.Context, kit, id string, rate, n int) (*renderedLoop, error) {
	ch := make(chan goapp.Value, 1)
	rw.mu.Lock()
	if rw.failed {
		rw.mu.Unlock()
		return nil, errRenderWorker
	}
	rw.next++
	req := rw.next
	rw.waiting[req] = ch
	rw.mu.Unlock()
	rw.worker.Call("postMessage", map[string]any{"type": "render", "n": req, "kit": kit, "id": id, "rate": rate, "peaks": n})
	timeout := time.NewTimer(renderWorkerTimeout)
	defer timeout.Stop()
	select {
	case <-ctx.Done():
		rw.mu.Lock()
		delete(rw.waiting, req)
		rw.mu.Unlock()
		return nil, ctx.Err()
	case <-timeout.C:
		rw.fail()
		return nil, errRenderWorker
	case data, ok := <-ch:
		if !ok {
			return nil, errRenderWorker
		}
		if msg := data.Get("error"); msg.Truthy() {
			return nil, errors.New(msg.String())
		}
		return &renderedLoop{jsLeft: data.Get("left"), jsRight: data.Get("right"), peaks: goFloat32s(data.Get("peaks"))}, nil
	}
}
