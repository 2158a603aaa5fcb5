package app

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/loopswithfriends/loops/shared"
	"github.com/loopswithfriends/loops/shared/sound"
	goapp "github.com/maxence-charriere/go-app/v10/pkg/app"
)

// The states of a recording page.
const (
	recLoading = "loading"
	recReady   = "ready"
	recMissing = "missing" // the server does not know it
	recFailed  = "failed"  // the server could not be reached, nor the cache
)

// recordingsCache is the name of the Cache the recordings' JSON is kept in,
// by the service worker (handler.go) and by this page.
const recordingsCache = "loops-recordings"

// recordingPage is the page of a saved recording, /r/{id}: its loops as
// lanes with a bar for each stretch and a playhead, play and pause, seeking
// by click or key, and a WAV download rendered here. Playback goes through
// the jam's engine (playback.go); the page wires and renders.
type recordingPage struct {
	goapp.Compo

	id     string
	state  string
	err    string
	origin string
	rec    *shared.Recording

	time     *jamTime
	eng      *engine
	pb       *playback
	renderer *loopRenderer
	// loops are the loops rendered so far: their samples come into Go's
	// memory only for an export made on the page (exportHere).
	loops    map[string]*renderedLoop
	hooks    *pageHooks
	keys     goapp.Func
	position goapp.Func
	cancel   context.CancelFunc
	sig      string
	// headKey is what the playhead was last set to.
	headKey string

	exporting bool
	progress  float64
	exportURL string
	// worker is the export's worker while it runs (recording_export.go).
	worker *exportWorker
	copied bool
}

func newRecordingPage() *recordingPage {
	p := &recordingPage{state: recLoading, loops: make(map[string]*renderedLoop)}
	p.time = newJamTime(localMs)
	p.eng = newEngine(p.time)
	return p
}

// OnMount loads the recording and starts the renderer and the ticker.
func (p *recordingPage) OnMount(ctx goapp.Context) {
	u := ctx.Page().URL()
	p.origin = u.Scheme + "://" + u.Host
	p.id = recordingFromPath(u.Path)
	ctx.Page().SetTitle("Loops With Friends · a saved jam")
	run, cancel := context.WithCancel(context.Background())
	p.cancel = cancel
	ctx.Async(func() {
		rec, state, err := loadRecording(p.id)
		ctx.Dispatch(func(ctx goapp.Context) { p.loaded(ctx, run, rec, state, err) })
	})
	tickEvery(ctx, run, 50*time.Millisecond, p.tick)
}

// loadRecording gets the recording from the server, or from the service
// worker's cache offline.
func loadRecording(id string) (*shared.Recording, string, string) {
	if !shared.ValidRecordingID(id) {
		return nil, recMissing, ""
	}
	status, body, err := fetchText("/api/recordings/" + id)
	switch {
	case err != nil:
		return nil, recFailed, err.Error()
	case status == 404:
		return nil, recMissing, ""
	case status != 200:
		return nil, recFailed, fmt.Sprintf("the server answered %d", status)
	}
	var rec shared.Recording
	if err := json.Unmarshal([]byte(body), &rec); err != nil {
		return nil, recFailed, err.Error()
	}
	if err := rec.Validate(); err != nil {
		return nil, recFailed, err.Error()
	}
	keepRecording(id, body)
	return &rec, recReady, ""
}

// keepRecording puts the recording's JSON in the cache the service worker
// answers from offline: the worker caches what it fetches, but on the first
// visit it may not control the page yet.
func keepRecording(id, body string) {
	win := goapp.Window()
	caches := win.Get("caches")
	if !caches.Truthy() {
		return
	}
	// Go callbacks, not a function built from a string: the page's
	// security policy evaluates no string as code. A failure only means
	// the recording is not kept offline.
	go func() {
		cache, err := await(caches.Call("open", recordingsCache))
		if err != nil {
			return
		}
		res := win.Get("Response").New(body, map[string]any{"headers": map[string]any{"Content-Type": "application/json"}})
		_, _ = await(cache.Call("put", "/api/recordings/"+id, res))
	}()
}

func (p *recordingPage) loaded(ctx goapp.Context, run context.Context, rec *shared.Recording, state, err string) {
	p.state, p.err = state, err
	if rec == nil {
		return
	}
	p.rec = rec
	p.pb = newPlayback(rec, p.time, p.eng)
	secs := int(float64(rec.Bars) * rec.Timeline().BarMs() / 1000)
	ctx.Page().SetTitle("Loops With Friends · a jam of %d:%02d", secs/60, secs%60)
	if rate := p.eng.SampleRate(); rate > 0 {
		p.renderer = newLoopRenderer(rate, func(_, id string, loop *renderedLoop, took time.Duration) {
			ctx.Dispatch(func(ctx goapp.Context) {
				p.eng.AddBuffer(id, loop)
				p.eng.NoteRendered(id, took, loop.fromWorker())
				p.loops[id] = loop
			})
		})
		// The recording's loops are those of its kit.
		p.renderer.SetKit(rec.Kit)
		p.renderer.Want(sound.LoopIDs(rec)...)
		ctx.Async(func() { p.renderer.Run(run) })
	}
	p.hooks = installPageHooks(p.eng, func() {
		ctx.Dispatch(func(ctx goapp.Context) { p.toggle(ctx) })
	})
	p.installKeys(ctx)
	appStarted()
}

// installKeys adds the page's keys besides Space (the hooks' toggle): the
// arrows move a bar, Home and End go to the start and the last bar. It also
// gives tests window.loopsPosition(), where playback stands in bars.
func (p *recordingPage) installKeys(ctx goapp.Context) {
	win := goapp.Window()
	p.keys = goapp.FuncOf(func(_ goapp.Value, args []goapp.Value) any {
		ev := args[0]
		switch ev.Get("target").Get("tagName").String() {
		case "INPUT", "TEXTAREA", "SELECT":
			return nil
		}
		key := ev.Get("key").String()
		switch key {
		case "ArrowLeft", "ArrowRight", "Home", "End":
			ev.Call("preventDefault")
		default:
			return nil
		}
		ctx.Dispatch(func(ctx goapp.Context) {
			now := localMs()
			at := int(math.Floor(p.pb.Position(now) + 1e-9))
			switch key {
			case "ArrowLeft":
				p.pb.Seek(at-1, now)
			case "ArrowRight":
				p.pb.Seek(at+1, now)
			case "Home":
				p.pb.Seek(0, now)
			case "End":
				p.pb.Seek(p.rec.Bars-1, now)
			}
			p.syncPlayhead()
		})
		return nil
	})
	win.Call("addEventListener", "keydown", p.keys)
	p.position = goapp.FuncOf(func(goapp.Value, []goapp.Value) any { return p.pb.Position(localMs()) })
	win.Set("loopsPosition", p.position)
}

// syncPlayhead moves the playhead where playback stands: still while
// paused, and while playing a sweep over the whole recording that the
// browser's compositor runs by itself, started so that it is where the
// sound is. It does nothing when nothing changed.
func (p *recordingPage) syncPlayhead() {
	if p.pb == nil {
		return
	}
	head := goapp.Window().Get("document").Call("querySelector", ".rec-playhead")
	if !head.Truthy() {
		return
	}
	now := localMs()
	key := fmt.Sprintf("%v|%.3f|%.1f", p.pb.Playing(), p.pb.pos, p.time.offsetMs)
	if key == p.headKey {
		return
	}
	p.headKey = key
	anims := head.Call("getAnimations")
	for i := 0; i < anims.Length(); i++ {
		anims.Index(i).Call("cancel")
	}
	bars := float64(p.rec.Bars)
	if !p.pb.Playing() {
		head.Get("style").Set("transform", fmt.Sprintf("translateX(%.4f%%)", math.Min(p.pb.Position(now)/bars, 1)*100))
		return
	}
	barMs := p.rec.Timeline().BarMs()
	a := head.Call("animate", []any{
		map[string]any{"transform": "translateX(0%)"},
		map[string]any{"transform": "translateX(100%)"},
	}, map[string]any{"duration": bars * barMs, "fill": "forwards", "easing": "linear"})
	// The document's timeline counts ms from performance.timeOrigin; the
	// sweep starts where playback's bar 0 would have.
	a.Set("startTime", now-p.pb.Position(now)*barMs-performanceOrigin())
}

// OnDismount stops playback and releases the page's JS callbacks.
func (p *recordingPage) OnDismount() {
	if p.cancel != nil {
		p.cancel()
		p.cancel = nil
	}
	if p.hooks != nil {
		p.hooks.release()
	}
	p.worker.stop()
	win := goapp.Window()
	if p.keys != nil {
		win.Call("removeEventListener", "keydown", p.keys)
		p.keys.Release()
		win.Delete("loopsPosition")
		p.position.Release()
	}
	if p.pb != nil {
		p.pb.Pause(localMs())
	}
	// A page the app navigates away from gives its audio back: browsers
	// allow only a few AudioContexts at once.
	if p.eng.ok() {
		p.eng.ctx.Call("close")
	}
}

// tick hands playback its next bars; it renders only when the shown time
// or the state changed.
func (p *recordingPage) tick(ctx goapp.Context) {
	p.eng.Sample()
	if p.pb != nil {
		p.pb.Tick(localMs())
		p.syncPlayhead()
		placeStretches(p.rec.Bars)
	}
	sig := fmt.Sprintf("%s;%s;%d;%v;%d", p.state, p.eng.State(), len(p.loops), p.playing(), p.second())
	if sig == p.sig {
		ctx.PreventUpdate()
		return
	}
	p.sig = sig
	// The update may draw stretches anew: place them as soon as it is done.
	if p.rec != nil {
		bars := p.rec.Bars
		ctx.Defer(func(goapp.Context) { placeStretches(bars) })
	}
}

func (p *recordingPage) playing() bool { return p.pb != nil && p.pb.Playing() }

// second returns the whole seconds played.
func (p *recordingPage) second() int {
	if p.pb == nil {
		return 0
	}
	return int(p.pb.Position(localMs()) * p.rec.Timeline().BarMs() / 1000)
}

func (p *recordingPage) toggle(ctx goapp.Context) {
	if p.pb == nil {
		return
	}
	p.eng.Resume()
	p.pb.Toggle(localMs())
	p.syncPlayhead()
}

// seek plays from the bar on the clicked stretch: read from the element when
// it is clicked, for go-app may keep a first handler.
func (p *recordingPage) seek(ctx goapp.Context, e goapp.Event) {
	var bar int
	if _, err := fmt.Sscan(ctx.JSSrc().Get("dataset").Get("from").String(), &bar); err != nil || p.pb == nil {
		return
	}
	p.eng.Resume()
	now := localMs()
	p.pb.Seek(bar, now)
	if !p.pb.Playing() {
		p.pb.Play(now)
	}
	p.syncPlayhead()
}

func (p *recordingPage) copy(ctx goapp.Context, e goapp.Event) {
	e.PreventDefault()
	copyText(p.origin+"/r/"+p.id, "rec-link")
	p.copied = true
	ctx.After(2e9, func(ctx goapp.Context) { p.copied = false })
}

// Render draws the page.
func (p *recordingPage) Render() goapp.UI {
	return goapp.Div().Class("app").Body(
		goapp.Header().Class("topbar").Body(
			goapp.A().Class("brand").Href("/").Aria("label", "Loops With Friends, home").Body(
				goapp.Img().Src(iconImage).Alt("").Aria("hidden", "true").Class("brand-icon"),
				goapp.Span().Class("brand-name").Text("Loops With Friends"),
			),
		),
		goapp.Main().ID("recording").Class("recording").DataSet("state", p.state).Body(p.body()),
	)
}

func (p *recordingPage) body() goapp.UI {
	switch p.state {
	case recLoading:
		return goapp.P().Class("hint").Text("Fetching the recording…")
	case recMissing:
		return goapp.Div().ID("rec-missing").Class("card rec-message").Body(
			goapp.H1().Text("This recording is not here"),
			goapp.P().Text("The link may be mistyped, or the recording is gone: recordings are kept for 30 days, and the oldest make room for new ones."),
			goapp.A().Class("cta").Href("/").Text("Start a jam"),
		)
	case recFailed:
		return goapp.Div().ID("rec-failed").Class("card rec-message").Body(
			goapp.H1().Text("The recording cannot be fetched now"),
			goapp.P().Text("The server is out of reach, and this device has not opened this recording before. Try again when you are online."),
		)
	}
	rec := p.rec
	tl := rec.Timeline()
	total := int(float64(rec.Bars) * tl.BarMs() / 1000)
	at := min(p.second(), total)
	ids := sound.LoopIDs(rec)
	playLabel := "Play"
	if p.playing() {
		playLabel = "Pause"
	}
	ready := len(p.loops) >= len(ids)
	return goapp.Div().Body(
		goapp.H1().Text("A jam, saved"),
		goapp.P().Class("hint").Text(fmt.Sprintf("%d bars at %d BPM, %d:%02d · saved %s", rec.Bars, rec.BPM, total/60, total%60,
			time.UnixMilli(int64(rec.Created)).Format("2 January 2006, 15:04"))),
		goapp.Div().Class("transport").Body(
			goapp.Button().ID("rec-play").Class("cta").Aria("pressed", fmt.Sprint(p.playing())).
				OnClick(func(ctx goapp.Context, e goapp.Event) { p.toggle(ctx) }).Text(playLabel),
			goapp.Span().ID("rec-time").Class("rec-time").Text(fmt.Sprintf("%d:%02d / %d:%02d", at/60, at%60, total/60, total%60)),
			goapp.Button().ID("rec-download").Class("copy").Disabled(p.exporting || p.eng.SampleRate() == 0).
				OnClick(p.download).Text("Download WAV"),
			goapp.If(p.exporting || p.exportURL != "", func() goapp.UI {
				return goapp.Progress().ID("rec-progress").Aria("label", "Rendering the WAV file").
					Attr("max", 1).Attr("value", p.progress)
			}),
			goapp.If(p.exportURL != "", func() goapp.UI {
				return goapp.A().ID("rec-file").Href(p.exportURL).Attr("download", "loops-"+p.id+".wav").Text("Save the WAV again")
			}),
		),
		goapp.If(p.err != "", func() goapp.UI {
			return goapp.P().ID("rec-error").Class("notice").Attr("role", "status").Text("The WAV file could not be made: " + p.err)
		}),
		goapp.If(!ready && p.eng.SampleRate() > 0, func() goapp.UI {
			return goapp.P().Class("hint").Text(fmt.Sprintf("Tuning up the loops… %d of %d", len(p.loops), len(ids)))
		}),
		goapp.Div().ID("lanes").Class("lanes").Body(
			goapp.Range(ids).Slice(func(i int) goapp.UI { return p.lane(ids[i]) }),
			goapp.Div().Class("lanes-track").Aria("hidden", "true").Body(goapp.Div().Class("rec-playhead")),
		),
		goapp.P().Class("hint").Text("Space plays and pauses · ← and → move a bar · Home goes to the start · click a stretch to play from it"),
		goapp.Div().Class("invite-row").Body(
			goapp.A().ID("rec-link").Class("invite-link").Href(p.origin+"/r/"+p.id).Text(p.origin+"/r/"+p.id),
			goapp.Button().ID("rec-copy").Class("copy").Title("Copy the recording's link").OnClick(p.copy).
				Text(map[bool]string{true: "Copied!", false: "Copy link"}[p.copied]),
		),
	)
}

// placeStretches sets the place and width on its lane of each stretch
// drawn since the last call (after each update, and on each tick), from its
// bars. It writes
// to the elements' style objects, not their style attributes: the page's
// security policy allows no inline style attribute (server/httpserver.go),
// while script may set styles.
func placeStretches(bars int) {
	list := goapp.Window().Get("document").Call("querySelectorAll", "#lanes .stretch:not([data-placed])")
	for i := 0; i < list.Length(); i++ {
		el := list.Index(i)
		el.Get("dataset").Set("placed", "")
		from, _ := strconv.Atoi(el.Get("dataset").Get("from").String())
		to, _ := strconv.Atoi(el.Get("dataset").Get("to").String())
		style := el.Get("style")
		style.Call("setProperty", "left", fmt.Sprintf("%.4f%%", float64(from)/float64(bars)*100))
		style.Call("setProperty", "width", fmt.Sprintf("%.4f%%", float64(to-from)/float64(bars)*100))
	}
}

// lane draws one loop's row: a button for each stretch it sounded.
func (p *recordingPage) lane(id string) goapp.UI {
	name, color := id, unknownLoopColor
	if k := shared.KitByID(p.rec.Kit); k != nil {
		if l, ok := k.Loop(id); ok {
			name, color = l.Name, l.Color
		}
	}
	var parts []shared.Part
	for _, pt := range p.rec.Parts {
		if pt.Loop == id {
			parts = append(parts, pt)
		}
	}
	return goapp.Div().Class("lane").DataSet("loop", id).DataSet("loop-color", color).Body(
		goapp.Span().Class("lane-name").Text(name),
		goapp.Div().Class("lane-bars").Body(
			goapp.Range(parts).Slice(func(i int) goapp.UI {
				pt := parts[i]
				return goapp.Button().Class("stretch").
					DataSet("from", pt.From).DataSet("to", pt.To).
					Aria("label", fmt.Sprintf("%s, bars %d to %d: play from bar %d", name, pt.From+1, pt.To, pt.From+1)).
					OnClick(p.seek)
			}),
		),
	)
}
