package app

import (
	"time"

	"github.com/loopswithfriends/loops/shared"
	goapp "github.com/maxence-charriere/go-app/v10/pkg/app"
)

// Chromium compiles a WASM function the first time it runs, on the thread
// that runs it, and the page's copy of the module shares the code that any
// other copy compiled. Go's first run on the page was one task of 400 to
// 600 ms in headless chromium on this project's box (four times that on a
// phone), three quarters of it compiling: the runtime, the packages'
// inits, go-app's first render, the codec. So the warm worker
// (web/static/warm-worker.js) compiles the module from the network, hands
// it to the page, and runs it first in its warm mode (main calls Warm):
// the same code as the page runs, off the page's thread, whose tasks are
// then mostly running, not compiling.
//
// Warm runs what is cheap to run and the page runs once; not the synth
// nor a collection: their hot loops set V8 compiling optimized code on
// the machine's other cores while the page starts, which on two cores
// cost the page's thread more than it saved (BENCHMARKS.md).

// warmWorkerScript is the warm worker's script, one of the app's static
// files.
const warmWorkerScript = "/web/warm-worker.js"

// InWarmWorker reports whether this WASM runs in the warm worker.
func InWarmWorker() bool {
	return goapp.IsClient && goapp.Window().Get("loopsWarmWorker").Truthy()
}

// Warm runs once, on made-up data, what the page runs first: a welcome
// through the codec and the session, the jam page it draws (to HTML: a
// worker has no DOM), a timer and a select.
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
			warmClock(p.s)
		}
	}
	done := make(chan struct{})
	go func() { close(done) }()
	select {
	case <-done:
	case <-time.After(time.Millisecond):
	}
	time.Sleep(time.Millisecond)
}

// warmClock runs the clock's first burst on made-up pings: each through
// the codec both ways, as the page's socket and the hub see them, and
// into the session's clock estimate.
func warmClock(s *session) {
	now := localMs()
	for i := range int64(8) {
		t0 := now + float64(i)
		if _, err := shared.Encode(&shared.Ping{ID: i, T0: t0}); err != nil {
			return
		}
		frame, err := shared.Encode(&shared.Pong{ID: i, T0: t0, Now: t0 + 1000})
		if err != nil {
			return
		}
		m, err := shared.DecodeServer(frame)
		if pong, ok := m.(*shared.Pong); err == nil && ok {
			s.Pong(pong.T0, pong.T0+2+float64(i%3), pong.Now)
		}
	}
}
