package app

import (
	"net/url"
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
// inits, go-app's first render, the codec. So the warm worker
// (web/static/warm-worker.js) compiles the module from the network, hands
// it to the page, and runs it first in its warm mode (main calls Warm):
// the same code as the page runs, off the page's thread, whose tasks are
// then mostly running, not compiling.
//
// Warm runs what is cheap to run and the page runs once; the synth only
// sketched (warmSynth), and no collection: their hot loops, run through,
// set V8 compiling optimized code on the machine's other cores while the
// page starts, which on two cores cost the page's thread more than it
// saved (BENCHMARKS.md).

// warmWorkerScript is the warm worker's script, one of the app's static
// files.
const warmWorkerScript = "/web/warm-worker.js"

// InWarmWorker reports whether this WASM runs in the warm worker.
func InWarmWorker() bool {
	return goapp.IsClient && goapp.Window().Get("loopsWarmWorker").Truthy()
}

// Warm runs once, on made-up data, what the page runs first: the routes,
// a welcome through the codec and the session, the jam page mounted by
// go-app into a stand-in document (warmMount), the clock's first burst,
// the synth (warmSynth), a timer and a select.
func Warm() {
	Routes()
	kit := shared.DefaultKit()
	welcome := warmWelcome(kit)
	if frame, err := shared.Encode(welcome); err == nil {
		if m, err := shared.DecodeServer(frame); err == nil {
			p := newJamPage()
			p.s.Message(m)
			routePath("/jam/" + welcome.Jam.ID)
			warmClock(p.s)
			warmMount(m)
			warmSynth(kit)
		}
	}
	warmPage()
	done := make(chan struct{})
	go func() { close(done) }()
	select {
	case <-done:
	case <-time.After(time.Millisecond):
	}
	time.Sleep(time.Millisecond)
}

// warmWelcome is the warm run's made-up welcome: a jam of the kit with the
// player and two others in it, one of them playing. The player is a member
// too, as in the hub's welcomes: the page's joined half (the player's card,
// the loop picker, the record panel) is what draws behind the welcome.
func warmWelcome(kit *shared.Kit) *shared.Welcome {
	welcome := &shared.Welcome{You: "you", Loop: kit.Loops[0].ID, Jam: shared.JamInfo{ID: "warm", Kit: kit.ID, Timeline: kit.Timeline(localMs()), Capacity: shared.Capacity}}
	for i, l := range kit.Loops[:3] {
		id := l.ID
		if i == 0 {
			id = welcome.You
		}
		welcome.Members = append(welcome.Members, shared.Member{ID: id, Loop: l.ID, Playing: i == 1})
	}
	return welcome
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

// warmSynth sketches every loop of the kit (sound.Renderer.Sketch): the
// synth's functions compiled, at a small part of a render's cost, and too
// little of each run for V8 to start optimizing them on the machine's
// other cores while the page starts (the whole render did, see Warm).
func warmSynth(kit *shared.Kit) {
	for _, l := range kit.Loops {
		if r, err := sound.NewRenderer(kit.ID, l.ID, renderRate); err == nil {
			r.Sketch(16)
		}
	}
}

// warmMount mounts a jam page with go-app's own engine into the warm
// worker's stand-in document (warm-worker.js), as the page's first screen
// is, then has it take the welcome and update, as the page does when the
// welcome comes: go-app's mount and update, and the components' handlers,
// are compiled here. Whatever the stand-in lacks ends the warm run early,
// not the worker.
func warmMount(welcome shared.Message) {
	defer func() { recover() }()
	e := goapp.NewTestEngine()
	p := newJamPage()
	p.warmWelcome = welcome
	if err := e.Load(p); err != nil {
		return
	}
	e.ConsumeAll() // the components' OnMount, which takes the welcome here
}

// warmMounted is the jam page's OnMount in the warm worker: no socket;
// the made-up welcome, through go-app's dispatch and update, then its
// loops' waveforms, as the render worker hands them over, and the page's
// tick on a settled clock.
func (p *jamPage) warmMounted(ctx goapp.Context) {
	ctx.Dispatch(func(goapp.Context) { p.s.Message(p.warmWelcome) })
	ctx.Dispatch(func(ctx goapp.Context) {
		for _, m := range p.s.view.Members {
			p.peaks[m.Loop] = goFloat32s(float32Array(make([]float32, 96)))
			p.ready = append(p.ready, m.Loop)
		}
		warmClock(p.s)
		p.tick(ctx)
	})
}

// warmPage runs the rest of what the page runs first and the warm mount
// does not: its address read (the socket's, the jam's, the kit's), and the
// collector's count.
func warmPage() {
	if u, err := url.Parse("https://loops.example/jam/warm?kit=warm"); err == nil {
		_, _, _, _ = socketURL(u), jamFromPath(u.Path), kitFromQuery(u), u.String()
	}
	gcCycles()
}
