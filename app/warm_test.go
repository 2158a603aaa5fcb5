//go:build !wasm

package app

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/tracing"
	"github.com/chromedp/chromedp"
)

// TestWarmStart checks, in a trace of a page's first load, that the warm
// worker compiles the WASM's functions and the page's thread finds them
// compiled (app/warm_worker.go): the page's thread compiles fewer of them
// lazily than the worker did. Without the worker, or if the page's copy of
// the module did not share the worker's code, the page's thread compiles
// them all (about 1,700 in Chromium 156, the worker none).
func TestWarmStart(t *testing.T) {
	needChromium(t)
	srv := startLoopsServer(t)
	defer srv.kill()
	b := newBrowser(t, "warm", 420, 900)

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
			TraceConfig:  &tracing.TraceConfig{IncludedCategories: []string{"v8.wasm"}},
		})
		return err
	}))
	b.navigate(t, srv.url()+"/")
	b.waitJS(t, "the player's own loop", `window.loopsDiagnostics && window.loopsDiagnostics().loops.ownReadyMs > 0`, 30*time.Second)
	wantWarmStart(t, b)
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
	threads := map[[2]int]string{}
	for _, e := range events {
		if e.Name == "thread_name" {
			threads[[2]int{e.Pid, e.Tid}] = e.Args.Name
		}
	}
	compiled := map[string]int{}
	for _, e := range events {
		if e.Name == "wasm.CompileLazy" {
			compiled[threads[[2]int{e.Pid, e.Tid}]]++
		}
	}
	page, worker := compiled["CrRendererMain"], compiled["DedicatedWorker thread"]
	t.Logf("functions compiled lazily: %d on the page's thread, %d in the worker (all threads: %v)", page, worker, compiled)
	if worker == 0 || page >= worker {
		t.Errorf("the page's thread compiled %d functions lazily and the warm worker %d; want the worker to compile most", page, worker)
	}
}

// traceEvent is what TestWarmStart reads of a trace event.
type traceEvent struct {
	Name string `json:"name"`
	Pid  int    `json:"pid"`
	Tid  int    `json:"tid"`
	Args struct {
		Name string `json:"name"` // a thread_name event's
	} `json:"args"`
}
