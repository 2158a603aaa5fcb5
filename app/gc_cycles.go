package app

import "runtime/debug"

// startGCPercent is the page's GOGC. At Go's default, 100, the heap's
// first goal is 4 MB, and the start (go-app's first screen, the welcome,
// the player's own loop) allocates about 7 MB: a collection ran in the
// middle of it, in the welcome's task, 120 to 150 ms of the page's thread
// on a 2-core box (a CPU profile of the first seconds; in WASM the
// collector's marking has the one thread until it is done, and its code is
// compiled at its first run). At 200 the first goal is 8 MB: no collection
// before the own loop is ready (TestBrowser), the first one later, when
// other players' loops arrive; the heap's goal is three times what the page
// keeps instead of two, about 4 MB more after the start.
const startGCPercent = 200

// startHeap sets the page's GOGC (not the export worker's: it keeps Go's
// default for its recording's large buffers).
func startHeap() { debug.SetGCPercent(startGCPercent) }

// gcCycles returns how many garbage collections the Go runtime finished.
// It reads them from debug.ReadGCStats, not runtime/metrics: the first
// metrics.Read builds the runtime's table of every metric, 12 ms of the
// own loop's task on this machine the first time (Lighthouse's trace).
func gcCycles() uint64 {
	var s debug.GCStats
	debug.ReadGCStats(&s)
	return uint64(s.NumGC)
}
