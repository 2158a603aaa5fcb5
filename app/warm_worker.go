package app

import (
	"runtime"
	"time"

	"github.com/loopswithfriends/loops/shared"
	"github.com/loopswithfriends/loops/shared/sound"
	goapp "github.com/maxence-charriere/go-app/v10/pkg/app"
)

// Chromium compiles a WASM function the first time it runs, on the thread
// that runs it, and the page's copy of the module shares the code that any
// other copy compiled. Go's first run on the page was one task of 400 to
// 600 ms in headless chromium on this project's box (four times that on a
// phone), three quarters of it compiling: the runtime, the packages'
// inits, go-app's first render, the codec, and after `welcome` the synth.
// So the warm worker (web/static/warm-worker.js) compiles the module from
// the network, hands it to the page, and runs it first in its warm mode
// (main calls Warm): the same code as the page runs, off the page's thread,
// whose tasks are then mostly running, not compiling.

// warmWorkerScript is the warm worker's script, one of the app's static
// files.
const warmWorkerScript = "/web/warm-worker.js"

// warmFrames is how many frames of each loop of every kit Warm
// renders: a bar's worth, which reaches every voice of a loop.
const warmFrames = 2 * renderRate

// InWarmWorker reports whether this WASM runs in the warm worker.
func InWarmWorker() bool {
	return goapp.IsClient && goapp.Window().Get("loopsWarmWorker").Truthy()
}

// Warm runs once, on made-up data, what the page runs first: a jam page
// drawn after a welcome, the codec, then every kit's synth. It tells the
// page to start as soon as what the page runs before `welcome` is warm
// ({type: "warm"}), and warms the synth, which the page needs only after
// the server's answer, once the page says its first run is over ("ran"):
// on a phone of two cores, not on the one the page's first run needs.
func Warm() {
	kit := shared.DefaultKit()
	welcome := &shared.Welcome{You: "you", Loop: kit.Loops[0].ID, Jam: shared.JamInfo{ID: "warm", Kit: kit.ID}}
	for i, l := range kit.Loops[:3] {
		welcome.Members = append(welcome.Members, shared.Member{ID: l.ID, Loop: l.ID, Playing: i == 1})
	}
	if frame, err := shared.Encode(welcome); err == nil {
		if m, err := shared.DecodeServer(frame); err == nil {
			p := newJamPage()
			p.s.Message(m)
			goapp.HTMLString(p)
		}
	}
	warmRuntime()
	ran := make(chan struct{}, 1)
	goapp.Window().Set("onmessage", goapp.FuncOf(func(goapp.Value, []goapp.Value) any {
		select {
		case ran <- struct{}{}:
		default:
		}
		return nil
	}))
	goapp.Window().Call("postMessage", map[string]any{"type": "warm"})
	select {
	case <-ran:
	case <-time.After(5 * time.Second):
	}

	for _, k := range shared.Kits {
		for _, l := range k.Loops {
			r, err := sound.NewRenderer(k.ID, l.ID, renderRate)
			if err != nil {
				continue
			}
			for n := 0; n < warmFrames && !r.Step(512); n += 512 {
			}
			left, right := r.Result()
			sound.Peaks(left, right, 96)
		}
	}
}

// warmRuntime runs the runtime's parts that the page's first tasks reach
// but the inits do not: a collection, a timer, a select over channels.
func warmRuntime() {
	runtime.GC()
	done := make(chan struct{})
	go func() { close(done) }()
	select {
	case <-done:
	case <-time.After(time.Millisecond):
	}
	time.Sleep(time.Millisecond)
}
