package app

import (
	"math"
	"time"
	"unsafe"

	goapp "github.com/maxence-charriere/go-app/v10/pkg/app"
)

// float32Array returns a JS Float32Array holding samples, made with one copy
// of bytes, not one JS call per sample.
func float32Array(samples []float32) goapp.Value {
	arr := goapp.Window().Get("Float32Array").New(len(samples))
	bytes := goapp.Window().Get("Uint8Array").New(arr.Get("buffer"))
	goapp.CopyBytesToJS(bytes, unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(samples))), 4*len(samples)))
	return arr
}

// localMs returns this browser's clock in ms since the Unix epoch, the one
// pings are stamped with: performance.timeOrigin + performance.now().
func localMs() float64 {
	perf := goapp.Window().Get("performance")
	if !perf.Truthy() {
		return float64(time.Now().UnixNano()) / 1e6
	}
	return perf.Get("timeOrigin").Float() + perf.Call("now").Float()
}

func performanceOrigin() float64 {
	perf := goapp.Window().Get("performance")
	if !perf.Truthy() {
		return 0
	}
	return perf.Get("timeOrigin").Float()
}

// finite returns f, or 0 for NaN and the infinities a browser may report
// for a latency it does not know.
func finite(f float64) float64 {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0
	}
	return f
}
