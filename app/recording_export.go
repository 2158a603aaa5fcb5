package app

import (
	"encoding/json"
	"math"
	"time"

	"github.com/loopswithfriends/loops/shared"
	"github.com/loopswithfriends/loops/shared/sound"
	goapp "github.com/maxence-charriere/go-app/v10/pkg/app"
)

// exportBudget is one step of the WAV export when it runs on the page's
// thread (no Worker): far under the 50 ms that makes a task long.
const exportBudget = 8 * time.Millisecond

// slowMs is how long a step of the page's export, or a wait between two,
// is reported in window.loopsExport.slow: well under a long task's 50 ms.
const slowMs = 20

// download renders the WAV file, in the export worker (export_worker.go)
// or, where it cannot start, here in steps, and saves it.
func (p *recordingPage) download(ctx goapp.Context, e goapp.Event) {
	if p.exporting || p.rec == nil || p.eng.SampleRate() == 0 {
		return
	}
	p.exporting, p.progress, p.exportURL, p.err = true, 0, "", ""
	// window.loopsExportOnPage = true keeps the export on the page: the
	// export benchmark's baseline.
	if goapp.Window().Get("loopsExportOnPage").Truthy() {
		p.exportHere(ctx)
		return
	}
	if w := startExportWorker(p.rec, p.eng.SampleRate()); w != nil {
		p.worker = w
		w.run(ctx, p)
		return
	}
	p.exportHere(ctx)
}

// exportFile is an export's result and how it went, for
// window.loopsExport (the browser tests and benchmarks read it).
type exportFile struct {
	parts      goapp.Value // the file's Blobs, in order
	frames     int
	began      float64 // localMs() at the click
	mixed      float64 // localMs() when the last bytes came
	longest    float64 // the page's longest step or message, ms
	firstChunk float64 // ms from the click to the first bytes
	gc0        uint64  // gcCycles() at the click
	slow       []any
	worker     bool
}

// finish makes the file of its parts, tells window.loopsExport and saves it.
func (p *recordingPage) finish(ctx goapp.Context, f exportFile) {
	win := goapp.Window()
	rec, rate := p.rec, p.eng.SampleRate()
	blob := win.Get("Blob").New(f.parts, map[string]any{"type": "audio/wav"})
	url := win.Get("URL").Call("createObjectURL", blob).String()
	win.Set("loopsExport", map[string]any{
		"url": url, "blob": blob, "bytes": blob.Get("size").Int(), "frames": f.frames, "sampleRate": rate,
		"bars": rec.Bars, "firstBar": rec.FirstBar, "ms": localMs() - f.began, "longestStepMs": f.longest,
		"mixMs": f.mixed - f.began, "started": f.began - performanceOrigin(), "firstChunkMs": f.firstChunk,
		"gcCycles": gcCycles() - f.gc0, "slow": f.slow, "worker": f.worker,
	})
	ctx.Dispatch(func(goapp.Context) {
		p.exporting, p.progress, p.exportURL = false, 1, url
		a := win.Get("document").Call("createElement", "a")
		a.Set("href", url)
		a.Set("download", "loops-"+p.id+".wav")
		a.Call("click")
	})
}

// exportWorker is one export in a Worker, seen from the page.
type exportWorker struct {
	w             goapp.Value
	onMsg, onFail goapp.Func
	req           map[string]any
}

// startExportWorker starts a worker for rec's export at rate, or returns
// nil where the browser has no Worker.
func startExportWorker(rec *shared.Recording, rate int) *exportWorker {
	ctor := goapp.Window().Get("Worker")
	if !ctor.Truthy() {
		return nil
	}
	b, err := json.Marshal(rec)
	if err != nil {
		return nil
	}
	return &exportWorker{w: ctor.New(exportWorkerScript), req: map[string]any{"recording": string(b), "rate": rate}}
}

// run sends the request and gathers the file as it comes. A worker that
// fails before its first bytes (it could not load: an old cache offline,
// say) hands the export to the page.
func (x *exportWorker) run(ctx goapp.Context, p *recordingPage) {
	win := goapp.Window()
	f := exportFile{parts: win.Get("Array").New(), began: localMs(), gc0: gcCycles(), worker: true}
	shown := 0.0
	fail := func(msg string) {
		x.stop()
		ctx.Dispatch(func(goapp.Context) { p.worker = nil })
		if f.firstChunk == 0 {
			p.exportHere(ctx)
			return
		}
		ctx.Dispatch(func(goapp.Context) { p.exporting, p.err = false, msg })
	}
	x.onMsg = goapp.FuncOf(func(this goapp.Value, args []goapp.Value) any {
		t0 := localMs()
		d := args[0].Get("data")
		switch d.Get("type").String() {
		case "chunk":
			if f.firstChunk == 0 {
				f.firstChunk = t0 - f.began
			}
			// A Blob a chunk: the file at the end is only a list of them.
			f.parts.Call("push", win.Get("Blob").New([]any{d.Get("bytes")}))
			// A render of the page costs more than a chunk: redraw the
			// progress bar every 2% only.
			if progress := d.Get("progress").Float(); progress-shown >= 0.02 {
				shown = progress
				ctx.Dispatch(func(goapp.Context) { p.progress = progress })
			}
		case "done":
			f.frames, f.mixed = d.Get("frames").Int(), t0
			x.stop()
			ctx.Dispatch(func(goapp.Context) { p.worker = nil })
			p.finish(ctx, f)
		case "error":
			fail(d.Get("message").String())
		}
		f.longest = math.Max(f.longest, localMs()-t0)
		return nil
	})
	x.onFail = goapp.FuncOf(func(this goapp.Value, args []goapp.Value) any {
		args[0].Call("preventDefault")
		fail("the export stopped: " + args[0].Get("message").String())
		return nil
	})
	x.w.Call("addEventListener", "message", x.onMsg)
	x.w.Call("addEventListener", "error", x.onFail)
	x.w.Call("postMessage", x.req)
}

// stop ends the worker and releases its callbacks; a nil one does nothing.
func (x *exportWorker) stop() {
	if x == nil || x.w == nil {
		return
	}
	x.w.Call("terminate")
	x.w = nil
	// The callbacks may be running: release them once they return.
	onMsg, onFail := x.onMsg, x.onFail
	goapp.Window().Call("setTimeout", goapp.FuncOf(func(this goapp.Value, args []goapp.Value) any {
		if onMsg != nil {
			onMsg.Release()
		}
		if onFail != nil {
			onFail.Release()
		}
		return nil
	}), 0)
}

// exportHere renders the WAV file on the page's thread, in steps that
// each hand the thread back, with the loops the page rendered to play.
func (p *recordingPage) exportHere(ctx goapp.Context) {
	rec, rate, ids := p.rec, p.eng.SampleRate(), sound.LoopIDs(p.rec)
	ctx.Async(func() {
		began := localMs()
		// The loops come from the renderer that plays them: wait for it.
		loops := make(map[string]sound.Loop)
		for len(loops) < len(ids) {
			got := make(chan map[string]sound.Loop, 1)
			ctx.Dispatch(func(goapp.Context) {
				cp := make(map[string]sound.Loop, len(p.loops))
				for k, v := range p.loops {
					left, right := v.channels()
					cp[k] = sound.Loop{Left: left, Right: right}
				}
				got <- cp
			})
			loops = <-got
			if len(loops) < len(ids) {
				time.Sleep(20 * time.Millisecond)
			}
		}
		m, err := sound.NewMixdown(rec, rate, loops)
		if err != nil {
			ctx.Dispatch(func(goapp.Context) { p.exporting, p.err = false, err.Error() })
			return
		}
		win := goapp.Window()
		f := exportFile{parts: win.Get("Array").New(), frames: m.Frames(), began: began, gc0: gcCycles()}
		job := newExportJob(m, exportBudget)
		var buf []byte
		shown, lastEnd := 0.0, 0.0
		for done := false; !done; {
			t0 := localMs()
			// What a long task of the page could be: a long step, or a
			// long wait between two (the page's own work, or Go's
			// garbage collector).
			if gap := t0 - lastEnd; lastEnd > 0 && gap >= slowMs {
				f.slow = append(f.slow, map[string]any{"kind": "gap", "at": lastEnd - began, "ms": gap, "gc": gcCycles() - f.gc0})
			}
			buf, done = job.Step(buf[:0])
			arr := win.Get("Uint8Array").New(len(buf))
			goapp.CopyBytesToJS(arr, buf)
			f.parts.Call("push", win.Get("Blob").New([]any{arr}))
			if f.firstChunk == 0 {
				f.firstChunk = localMs() - began
			}
			lastEnd = localMs()
			f.longest = math.Max(f.longest, lastEnd-t0)
			if lastEnd-t0 >= slowMs {
				f.slow = append(f.slow, map[string]any{"kind": "step", "at": t0 - began, "ms": lastEnd - t0, "gc": gcCycles() - f.gc0})
			}
			if progress := job.Progress(); progress-shown >= 0.02 {
				shown = progress
				ctx.Dispatch(func(goapp.Context) { p.progress = progress })
			}
			time.Sleep(time.Millisecond) // hand the thread back to the page
		}
		f.mixed = localMs()
		p.finish(ctx, f)
	})
}
