//go:build !wasm

package app

import (
	"context"
	"encoding/json"
	"math"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/tracing"
	"github.com/chromedp/chromedp"
)

// TestWarmStart checks, in a trace of a page's first load, that the warm
// worker compiles the WASM's functions and the page's thread finds them
// compiled (app/warm_worker.go): the page's thread compiles under a
// quarter of those compiled lazily, the worker the rest. Without the
// worker, or if the page's copy of the module did not share the worker's
// code, the page's thread compiles them all (about 1,700 in Chromium 156,
// the worker none).
func TestWarmStart(t *testing.T) {
	needChromium(t)
	srv := startLoopsServer(t)
	defer srv.kill()
	b := newBrowser(t, "warm", 420, 900)
	l := traceLoad(t, b, srv.url()+"/")
	wantWarmStart(t, b)
	t.Logf("functions compiled lazily: %d on the page's thread, %d in the worker", l.pageCompiled, l.workerCompiled)
	// The worker mounts the page with go-app too (warmMount): without
	// that the page compiled about 600 to the worker's 1,100, with it
	// about 300 to 1,500.
	if l.workerCompiled == 0 || 3*l.pageCompiled >= l.workerCompiled {
		t.Errorf("the page's thread compiled %d functions lazily and the warm worker %d; want the worker to compile over three quarters", l.pageCompiled, l.workerCompiled)
	}
}

// TestRenderWorker checks that the page renders its loops itself where the
// render worker fails or is not there (app/render_worker.go): its own loop
// is ready, and is the loop the renderer makes. TestBrowser checks that
// the worker renders them where it runs.
func TestRenderWorker(t *testing.T) {
	needChromium(t)
	srv := startLoopsServer(t)
	defer srv.kill()
	for _, c := range []struct {
		name, script string
		worker       bool // whether the page has a render worker
	}{
		// Every request to render answered by the worker's error event.
		{"a worker that fails", `(() => {
			const post = Worker.prototype.postMessage;
			Worker.prototype.postMessage = function (m, ...rest) {
				if (m && m.type === "render") {
					setTimeout(() => this.dispatchEvent(new Event("error")), 0);
					return;
				}
				return post.call(this, m, ...rest);
			};
		})();`, true},
		{"no warm worker", `window.loopsNoWarm = true;`, false},
	} {
		t.Run(c.name+" leaves the page to render", func(t *testing.T) {
			b := newBrowser(t, "render", 420, 900)
			b.run(t, 10*time.Second, preload(c.script))
			b.join(t, srv.url()+"/")
			b.waitJS(t, "the player's own loop", `window.loopsDiagnostics().loops.ownReadyMs > 0`, 30*time.Second)
			wantRenderedBuffer(t, b)
			if got := eval[bool](t, b, `!!window.loopsRenderWorker`); got != c.worker {
				t.Errorf("a render worker: %v, want %v", got, c.worker)
			}
			if l := b.diagnostics(t).Loops; l.Rendered == 0 || l.InWorker != 0 {
				t.Errorf("the render worker made %d of the %d loops rendered, want none", l.InWorker, l.Rendered)
			}
		})
	}
}

// TestStartBench measures what the page's thread does from navigation to
// the player's own loop ready, with the warm worker and without it
// (window.loopsNoWarm, the same-run baseline), in turns, each load in a
// fresh headless chromium: from a trace, the CPU time of each of the
// thread's tasks, the blocking time Lighthouse's mobile preset would count
// if its 4x slower CPU stretched only that (the sum of 4 × CPU − 50 ms over
// the tasks; Lighthouse counts wall time, which on a shared 2-core box is
// mostly the other processes' load), the same from wall time at 1x, the
// longest task's CPU, and the functions compiled lazily on the thread.
// Opt in with LOOPS_BENCH=1 (`make bench`); LOOPS_START_RUNS (5) sets how
// many loads of each.
func TestStartBench(t *testing.T) {
	needBench(t)
	runs := envInt("LOOPS_START_RUNS", 5)
	srv := startLoopsServer(t)
	defer srv.kill()
	var warm, alone []pageLoad
	for i := range runs {
		for _, noWarm := range []bool{false, true} {
			b := newBrowser(t, "start", 420, 900)
			if noWarm {
				b.run(t, 10*time.Second, preload(`window.loopsNoWarm = true;`))
			}
			l := traceLoad(t, b, srv.url()+"/")
			how := eval[string](t, b, `String(window.loopsWasmStart)`)
			b.cancel()
			t.Logf("START run %d %-5s: blocking %4.0f ms (4x CPU), %4.0f ms (wall); longest task %3.0f ms CPU; %4d functions compiled on the page's thread, %4d in a worker; load %.1f",
				i+1, how, l.blocking4x, l.blockingWall, l.longestCPU, l.pageCompiled, l.workerCompiled, loadAverage())
			if noWarm {
				alone = append(alone, l)
			} else {
				warm = append(warm, l)
			}
		}
	}
	for _, f := range []struct {
		what string
		of   func(pageLoad) float64
	}{
		{"blocking, 4x CPU (ms)", func(l pageLoad) float64 { return l.blocking4x }},
		{"blocking, wall (ms)", func(l pageLoad) float64 { return l.blockingWall }},
		{"longest task CPU (ms)", func(l pageLoad) float64 { return l.longestCPU }},
		{"compiled on the page's thread", func(l pageLoad) float64 { return float64(l.pageCompiled) }},
	} {
		w, a := medianOf(warm, f.of), medianOf(alone, f.of)
		t.Logf("START median %s: warm worker %.0f, without %.0f (%.2fx)", f.what, w, a, w/a)
	}
}

// pageLoad is what traceLoad reads of a page's load.
type pageLoad struct {
	// blocking4x and blockingWall sum, over the page's thread's tasks,
	// 4 × CPU − 50 ms and wall − 50 ms where positive.
	blocking4x, blockingWall float64
	longestCPU               float64 // ms
	// pageCompiled and workerCompiled count WASM functions compiled
	// lazily on the page's thread and in dedicated workers.
	pageCompiled, workerCompiled int
}

// traceLoad traces the page's load of url until its own loop is ready.
func traceLoad(t *testing.T, b *browser, url string) pageLoad {
	t.Helper()
	var (
		mu     sync.Mutex
		events []traceEvent
		done   = make(chan struct{})
	)
	b.listen(func(ev any) {
		switch ev := ev.(type) {
		case *tracing.EventDataCollected:
			mu.Lock()
			defer mu.Unlock()
			for _, v := range ev.Value {
				var e traceEvent
				if json.Unmarshal(v, &e) == nil {
					events = append(events, e)
				}
			}
		case *tracing.EventTracingComplete:
			close(done)
		}
	})
	b.run(t, 10*time.Second, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, tracing.Start, tracing.StartParams{
			TransferMode: tracing.StartTransferModeReportEvents,
			TraceConfig:  &tracing.TraceConfig{IncludedCategories: []string{"disabled-by-default-devtools.timeline", "v8.wasm"}},
		})
		return err
	}))
	b.navigate(t, url)
	b.waitJS(t, "the player's own loop", `window.loopsDiagnostics && window.loopsDiagnostics().loops.ownReadyMs > 0`, 30*time.Second)
	b.run(t, 10*time.Second, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, tracing.End, cdp.Empty{})
		return err
	}))
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("the trace did not complete within 30 s")
	}

	mu.Lock()
	defer mu.Unlock()
	type thread struct{ pid, tid int }
	names := map[thread]string{}
	for _, e := range events {
		if e.Name == "thread_name" {
			names[thread{e.Pid, e.Tid}] = e.Args.Name
		}
	}
	// The page's thread: the renderer's main thread that ran the WASM.
	var page thread
	for _, e := range events {
		if e.Name == "wasm.CompileLazy" && names[thread{e.Pid, e.Tid}] == "CrRendererMain" {
			page = thread{e.Pid, e.Tid}
			break
		}
	}
	var l pageLoad
	for _, e := range events {
		th := thread{e.Pid, e.Tid}
		switch {
		case e.Name == "wasm.CompileLazy" && th == page:
			l.pageCompiled++
		case e.Name == "wasm.CompileLazy" && names[th] == "DedicatedWorker thread":
			l.workerCompiled++
		case e.Name == "RunTask" && e.Ph == "X" && th == page:
			cpu, wall := e.Tdur/1000, e.Dur/1000
			l.blocking4x += math.Max(0, 4*cpu-50)
			l.blockingWall += math.Max(0, wall-50)
			l.longestCPU = math.Max(l.longestCPU, cpu)
		}
	}
	return l
}

// traceEvent is what traceLoad reads of a trace event.
type traceEvent struct {
	Name string  `json:"name"`
	Ph   string  `json:"ph"`
	Pid  int     `json:"pid"`
	Tid  int     `json:"tid"`
	Dur  float64 `json:"dur"`  // µs of wall time
	Tdur float64 `json:"tdur"` // µs of the thread's CPU time
	Args struct {
		Name string `json:"name"` // a thread_name event's
	} `json:"args"`
}

// medianOf returns the median of f over loads.
func medianOf(loads []pageLoad, f func(pageLoad) float64) float64 {
	xs := make([]float64, len(loads))
	for i, l := range loads {
		xs[i] = f(l)
	}
	slices.Sort(xs)
	if len(xs) == 0 {
		return math.NaN()
	}
	if len(xs)%2 == 1 {
		return xs[len(xs)/2]
	}
	return (xs[len(xs)/2-1] + xs[len(xs)/2]) / 2
}
