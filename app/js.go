package app

import (
	"errors"
	"math"
	"sync"
	"time"
	"unsafe"

	goapp "github.com/maxence-charriere/go-app/v10/pkg/app"
)

// float32Array returns a JS Float32Array holding samples, made with one copy
// of bytes, not one JS call per sample.
func float32Array(samples []float32) goapp.Value {
	arr := goapp.Window().Get("Float32Array").New(len(samples))
	bytes := goapp.Window().Get("Uint8Array").New(arr.Get("buffer"))
	goapp.CopyBytesToJS(bytes, sampleBytes(samples))
	return arr
}

// goFloat32s copies a Float32Array into Go, with one copy of bytes.
func goFloat32s(arr goapp.Value) []float32 {
	samples := make([]float32, arr.Length())
	if len(samples) > 0 {
		bytes := goapp.Window().Get("Uint8Array").New(arr.Get("buffer"), arr.Get("byteOffset"), 4*len(samples))
		goapp.CopyBytesToGo(sampleBytes(samples), bytes)
	}
	return samples
}

// sampleBytes returns the bytes of samples, where they are.
func sampleBytes(samples []float32) []byte {
	return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(samples))), 4*len(samples))
}

// float32View returns a Float32Array over samples where they are, in the
// WASM's own memory (window.loopsWasmMemory, which the loader sets), for a
// call that copies them out at once: no copy of its own, where
// float32Array makes one (3.8 MB a channel for a loop of 20 s). It goes
// stale when the memory grows, so it is made for each call and not kept.
// Without the memory it is float32Array.
func float32View(samples []float32) goapp.Value {
	mem := goapp.Window().Get("loopsWasmMemory")
	if len(samples) == 0 || !mem.Truthy() {
		return float32Array(samples)
	}
	return goapp.Window().Get("Float32Array").New(mem.Get("buffer"), uintptr(unsafe.Pointer(unsafe.SliceData(samples))), len(samples))
}

// copyToChannel copies samples into channel ch of an AudioBuffer, from
// frame at, through float32View. Go's allocations in the call itself may
// grow the memory and detach the view (its length then 0, and nothing
// copied): the samples are then copied again, from a copy.
func copyToChannel(buf goapp.Value, samples []float32, ch, at int) {
	view := float32View(samples)
	buf.Call("copyToChannel", view, ch, at)
	if view.Length() != len(samples) {
		buf.Call("copyToChannel", float32Array(samples), ch, at)
	}
}

// pageClock returns the page's performance object (nil where there is
// none, outside the browser) and its timeOrigin, which is the document's
// for its whole life. It looks them up once: localMs runs for every ping,
// pong and tick of the page, and each lookup was a call into JS of its own
// (three of localMs's four calls).
var pageClock = sync.OnceValues(func() (goapp.Value, float64) {
	perf := goapp.Window().Get("performance")
	if !perf.Truthy() {
		return nil, 0
	}
	return perf, perf.Get("timeOrigin").Float()
})

// localMs returns this browser's clock in ms since the Unix epoch, the one
// pings are stamped with: performance.timeOrigin + performance.now().
func localMs() float64 {
	perf, origin := pageClock()
	if perf == nil {
		return float64(time.Now().UnixNano()) / 1e6
	}
	return origin + perf.Call("now").Float()
}

// performanceOrigin returns performance.timeOrigin, or 0 outside the
// browser.
func performanceOrigin() float64 {
	_, origin := pageClock()
	return origin
}

// finite returns f, or 0 for NaN and the infinities a browser may report
// for a latency it does not know.
func finite(f float64) float64 {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0
	}
	return f
}

// fetchText gets url with the browser's fetch and returns the status and
// the body; err is a network failure (offline, say). It blocks: call it from
// a goroutine (ctx.Async), never from a handler.
func fetchText(url string) (status int, body string, err error) {
	res, err := await(goapp.Window().Call("fetch", url))
	if err != nil {
		return 0, "", err
	}
	text, err := await(res.Call("text"))
	if err != nil {
		return 0, "", err
	}
	return res.Get("status").Int(), text.String(), nil
}

// await blocks until promise settles and returns its value, or its reason
// as an error. The callbacks are Go functions: the page's security policy
// lets no string be evaluated as code. Call it from a goroutine.
func await(promise goapp.Value) (goapp.Value, error) {
	type result struct {
		v   goapp.Value
		err error
	}
	done := make(chan result, 1)
	then := goapp.FuncOf(func(_ goapp.Value, args []goapp.Value) any {
		done <- result{v: args[0]}
		return nil
	})
	catch := goapp.FuncOf(func(_ goapp.Value, args []goapp.Value) any {
		done <- result{err: errors.New(args[0].Call("toString").String())}
		return nil
	})
	defer then.Release()
	defer catch.Release()
	promise.Call("then", then, catch)
	r := <-done
	return r.v, r.err
}

// yieldThread hands the page's thread back to the browser between two
// steps of long work, and returns in a task of its own: a message to
// itself on a MessageChannel, which the browser queues like any task (no
// timer's clamp). A sleep does not do it: the Go runtime returns to the
// browser only when no goroutine can run, and while the garbage collector
// or another goroutine works, a short sleep ends there and the next step
// runs in the same task. Outside the browser it sleeps a millisecond.
func yieldThread() {
	if !goapp.IsClient {
		time.Sleep(time.Millisecond)
		return
	}
	ch := goapp.Window().Get("MessageChannel").New()
	woken := make(chan struct{})
	var onMessage goapp.Func
	onMessage = goapp.FuncOf(func(goapp.Value, []goapp.Value) any {
		onMessage.Release()
		ch.Get("port1").Call("close")
		close(woken)
		return nil
	})
	ch.Get("port1").Set("onmessage", onMessage)
	ch.Get("port2").Call("postMessage", nil)
	<-woken
}

// appStarted tells the loader that the page has started (its own loop is
// ready, or the recording came): it registers the service worker once the
// page's thread is next idle (loopsRegisterLater in app/handler.go).
func appStarted() {
	if started := goapp.Window().Get("loopsStarted"); started.Truthy() {
		started.Invoke()
	}
}
