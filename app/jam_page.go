package app

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/loopswithfriends/loops/shared"
	goapp "github.com/maxence-charriere/go-app/v10/pkg/app"
)

// jamPage is the app's one page: it wires the session (the jam's state),
// the socket, the renderer and the audio engine, and renders what the
// session holds.
type jamPage struct {
	goapp.Compo

	conn string
	// live is set once OnMount wired everything: the welcome's button
	// works only then, and says so meanwhile.
	live    bool
	started bool
	nowMs   float64
	peaks   map[string][]float32
	ready   []string
	notice  string
	origin  string
	sig     string
	ticks   int

	// kit is the kit of the loops in peaks and ready.
	kit string
	// warmWelcome is the made-up welcome of a page the warm worker
	// mounts (warmMount).
	warmWelcome shared.Message

	s        *session
	eng      *engine
	client   *jamClient
	renderer *loopRenderer
	hooks    *pageHooks
	heads    *playheads
	cancel   context.CancelFunc
}

func newJamPage() *jamPage {
	p := &jamPage{conn: stateConnecting, peaks: make(map[string][]float32)}
	t := newJamTime(localMs)
	p.eng = newEngine(t)
	p.s = newSession(t, p.eng, p.send, p.want)
	return p
}

// send queues a message for the server, once the socket client exists.
func (p *jamPage) send(m shared.Message) bool {
	return p.client != nil && p.client.Send(m)
}

// want asks the renderer for loops, most wanted first. The first is one
// the player waits for: it renders now, before the page draws what the
// message that asked for it changed, and the rest in the background.
func (p *jamPage) want(kit string, ids ...string) {
	if p.renderer == nil || len(ids) == 0 {
		return
	}
	p.renderer.SetKit(kit)
	if loop, took, ok := p.renderer.Render(ids[0]); ok {
		yieldThread() // its buffer made in a task of its own (AddBuffer)
		p.onRendered(kit, ids[0], loop, took)
	}
	p.renderer.Want(ids[1:]...)
}

// OnMount joins the jam and starts the clock, the renderer and the ticker.
// go-app calls it in the browser only: on the server the page is a still
// picture.
func (p *jamPage) OnMount(ctx goapp.Context) {
	if p.warmWelcome != nil {
		p.warmMounted(ctx)
		return
	}
	u := ctx.Page().URL()
	p.origin = u.Scheme + "://" + u.Host
	ctx.Handle(actionWelcome, p.onWelcome)
	ctx.Handle(actionToggle, func(ctx goapp.Context, a goapp.Action) { p.toggle() })
	ctx.Handle(actionVolume, p.onVolume)
	ctx.Handle(actionMute, p.onMute)
	ctx.Handle(actionSwap, p.onSwap)
	ctx.Handle(actionPreview, p.onPreview)
	ctx.Handle(actionRecord, func(ctx goapp.Context, a goapp.Action) {
		if bars, ok := a.Value.(int); ok {
			p.s.Record(bars)
		}
	})
	run, cancel := context.WithCancel(context.Background())
	p.cancel = cancel
	// A reload within the resume window keeps the player's id, jam and
	// loop: the tab remembers its last welcome.
	jamID, resume := jamFromPath(u.Path), ""
	var last savedWelcome
	if ctx.SessionStorage().Get(savedWelcomeKey, &last) == nil && (jamID == "" || jamID == last.Jam) {
		jamID, resume = last.Jam, last.Resume
	}
	p.client = newJamClient(socketURL(u), jamID, resume, localMs, func(ev socketEvent) {
		ctx.Dispatch(func(ctx goapp.Context) { p.onSocket(ctx, ev) })
	})
	if jamID != "" {
		p.client.kit = kitFromQuery(u)
	}
	ctx.Async(func() { p.client.Run(run) })
	if rate := p.eng.SampleRate(); rate > 0 {
		p.renderer = newLoopRenderer(rate, func(kit, id string, loop *renderedLoop, took time.Duration) {
			ctx.Dispatch(func(ctx goapp.Context) { p.onRendered(kit, id, loop, took) })
		})
		ctx.Async(func() { p.renderer.Run(run) })
	}
	tickEvery(ctx, run, 50*time.Millisecond, p.tick)
	yieldThread() // the page's hooks in a task of their own (11 ms here)
	p.heads = newPlayheads(p.s.time)
	p.hooks = installPageHooks(p.eng, func() {
		ctx.Dispatch(func(ctx goapp.Context) { p.toggle() })
	})
	p.live = true
}

// tickEvery dispatches tick on the page every d until run is done: the
// clock of a page that draws a moving timeline.
func tickEvery(ctx goapp.Context, run context.Context, d time.Duration, tick func(goapp.Context)) {
	ctx.Async(func() {
		t := time.NewTicker(d)
		defer t.Stop()
		for {
			select {
			case <-run.Done():
				return
			case <-t.C:
				ctx.Dispatch(tick)
			}
		}
	})
}

// OnDismount leaves the jam and releases the page's JS callbacks.
func (p *jamPage) OnDismount() {
	if p.cancel != nil {
		p.cancel()
	}
	if p.hooks != nil {
		p.hooks.release()
	}
}

// onSocket hands what the socket client reports to the session.
func (p *jamPage) onSocket(ctx goapp.Context, ev socketEvent) {
	switch {
	case ev.state != "":
		p.conn = ev.state
		if ev.state == stateElsewhere {
			p.eng.Retain(nil) // the jam sounds in the other tab now
		}
	case ev.pong != nil:
		settled := p.s.time.Settled()
		p.s.Pong(ev.pong.t0, ev.pong.t1, ev.pong.server)
		if p.s.time.Settled() && p.client != nil {
			p.client.Settled() // the burst of pings can end
		}
		if !settled && !p.s.time.Settled() {
			// The bar says "syncing" until the clock settles: nothing to
			// draw for the first burst's pongs, while the page's one
			// thread renders the player's loop.
			ctx.PreventUpdate()
		}
	case ev.msg != nil:
		p.onMessage(ctx, ev.msg)
	}
}

func (p *jamPage) onMessage(ctx goapp.Context, m shared.Message) {
	switch m := m.(type) {
	case *shared.Error:
		p.notice = m.Message
		ctx.After(5*time.Second, func(ctx goapp.Context) {
			if p.notice == m.Message {
				p.notice = ""
			}
		})
		return
	case *shared.Welcome:
		ctx.SessionStorage().Set(savedWelcomeKey, savedWelcome{Jam: m.Jam.ID, Resume: m.Resume})
		ctx.Page().SetTitle("Loops With Friends · jam %s", m.Jam.ID)
		// The address is the jam's invite link: a ?kit= that made the
		// jam has done its work.
		path := "/jam/" + m.Jam.ID
		routePath(path)
		if ctx.Page().URL().Path != path || ctx.Page().URL().RawQuery != "" {
			u := *ctx.Page().URL()
			u.Path, u.RawQuery = path, ""
			ctx.Page().ReplaceURL(&u)
		}
		yieldThread() // the session's part of the welcome in a task of its own
	}
	p.s.Message(m)
}

func (p *jamPage) onRendered(kit, id string, loop *renderedLoop, took time.Duration) {
	if kit != p.s.Kit().ID {
		return // a loop of the kit of an earlier jam
	}
	if kit != p.kit {
		// The first loop of a new kit: the old kit's waveforms and ready
		// loops share its ids.
		p.kit, p.peaks, p.ready = kit, make(map[string][]float32), nil
	}
	p.eng.AddBuffer(id, loop)
	p.eng.NoteRendered(id, took, loop.fromWorker())
	p.peaks[id] = loop.peaks
	p.ready = append(p.ready, id)
	if me, ok := p.s.view.Me(); ok && me.Loop == id {
		appStarted()
	}
}

// tick moves the page's clock; it renders only when a state or a
// countdown changed.
func (p *jamPage) tick(ctx goapp.Context) {
	p.eng.Sample()
	if p.started {
		// Behind the welcome the page is not drawn (loops.css), and
		// aligning a playhead makes the browser compute its styles.
		p.heads.align()
	}
	if p.ticks++; p.ticks%10 == 0 {
		p.eng.Realign() // the audio clock may have glitched or drifted
	}
	p.nowMs = p.s.time.Now()
	tl := p.s.time.Timeline()
	var b strings.Builder
	for _, m := range p.s.view.Members {
		s := loopState(tl, m, p.nowMs)
		fmt.Fprintf(&b, "%s:%s", m.ID, s)
		if s == loopQueued || s == loopStopping {
			fmt.Fprintf(&b, "%d", beatsUntil(tl, m.Bar, p.nowMs))
		}
		b.WriteByte(';')
	}
	b.WriteString(p.eng.State())
	// The save control offers more as the jam grows.
	fmt.Fprintf(&b, ";%d", len(newRecordPanel().Timeline(tl).JamBars(p.s.JamBars(p.nowMs)).options()))
	if sig := b.String(); sig != p.sig {
		p.sig = sig
		return
	}
	ctx.PreventUpdate()
}

// toggle starts or stops the player's loop, through the server.
func (p *jamPage) toggle() {
	p.eng.Resume()
	p.s.Toggle()
}

func (p *jamPage) onWelcome(ctx goapp.Context, a goapp.Action) {
	p.eng.Resume()
	p.started = true
	ctx.Defer(func(goapp.Context) {
		p.heads.align() // the page drawn at last: its sounding loops' sweeps
		if t := goapp.Window().GetElementByID("loop-toggle"); t.Truthy() {
			t.Call("focus")
		}
	})
}

func (p *jamPage) onVolume(ctx goapp.Context, a goapp.Action) {
	if v, ok := a.Value.(volumeChange); ok {
		p.s.SetVolume(v.member, v.volume)
	}
}

func (p *jamPage) onMute(ctx goapp.Context, a goapp.Action) {
	id, _ := a.Value.(string)
	p.s.ToggleMute(id)
}

func (p *jamPage) onSwap(ctx goapp.Context, a goapp.Action) {
	id, _ := a.Value.(string)
	p.s.Swap(id)
}

func (p *jamPage) onPreview(ctx goapp.Context, a goapp.Action) {
	id, _ := a.Value.(string)
	p.eng.Resume()
	p.s.TogglePreview(id)
}

// Render draws the page.
func (p *jamPage) Render() goapp.UI {
	v := &p.s.view
	return goapp.Div().Class("app").Body(
		newStatusBar().Connection(p.conn).Sync(p.s.time.Offset(), p.s.time.RTT(), p.s.time.Settled()),
		// Notices float over the page, so that none pushes it down.
		goapp.Div().Class("notices").Body(
			goapp.If(v.Redirected, func() goapp.UI {
				return goapp.P().ID("redirected").Class("notice").Attr("role", "status").Text("The jam of that link was full, so we found you a place in another one. Have fun!")
			}),
			goapp.If(p.started && p.eng.ok() && p.eng.State() != "running", func() goapp.UI {
				return goapp.Button().
					ID("audio-resume").
					Class("notice notice-button").
					OnClick(func(ctx goapp.Context, e goapp.Event) { p.eng.Resume() }).
					Text("The sound is paused by the browser. Tap here (or anywhere) to bring it back.")
			}),
			goapp.If(p.conn == stateElsewhere, func() goapp.UI {
				return goapp.P().ID("elsewhere").Class("notice").Attr("role", "status").Text("This jam goes on in another tab or on another device. Reload this page to play here again.")
			}),
			goapp.If(p.notice != "", func() goapp.UI {
				return goapp.P().ID("notice").Class("notice").Attr("role", "status").Text(p.notice)
			}),
		),
		goapp.Main().Class("stage").Body(p.stage()...),
		goapp.Footer().Class("footer").Text("Space starts and stops your loop · volume and mute are only for you"),
		// The server draws the welcome too, so it paints before the
		// WASM arrives; its button works once the page is wired.
		goapp.If(!p.started, func() goapp.UI {
			return newWelcomeDialog().Ready(p.live)
		}),
	)
}

// stage draws the page's loops, the others, the invite and the panels.
// Behind the welcome it is not drawn (loops.css) until the player is in a
// jam: its first draw is then the jam's, not a stand-in replaced part by
// part when the welcome comes, which cost the page's thread as much again
// while the app started. Without a jam it is drawn once the welcome
// closes, offline too (the loops' previews).
func (p *jamPage) stage() []goapp.UI {
	v := &p.s.view
	me, joined := v.Me()
	if !joined && !p.started {
		return nil
	}
	others := v.Others()
	online := p.conn == stateOnline
	var taken []string
	for _, m := range others {
		taken = append(taken, m.Loop)
	}
	invite := ""
	if v.Jam.ID != "" {
		invite = p.origin + "/jam/" + v.Jam.ID
	}
	return []goapp.UI{
		goapp.Section().Class("you").Aria("labelledby", "you-title").Body(
			goapp.H2().ID("you-title").Body(
				goapp.Text("Your loop"),
				// The jam's kit, on a line of its own that is there
				// (empty) before the welcome: nothing moves when it
				// arrives, however narrow the screen.
				goapp.If(joined, func() goapp.UI {
					kit := p.s.Kit()
					return goapp.Span().ID("kit").Class("kit-line").DataSet("kit", kit.ID).Body(
						goapp.Span().Class("kit-sep").Text(" · "),
						goapp.Text(fmt.Sprintf("%s, %s in %s at %d BPM", kit.Name, kit.Genre, kit.Key, kit.BPM)),
					)
				}).Else(func() goapp.UI {
					return goapp.Span().Class("kit-line")
				}),
			),
			goapp.If(joined, func() goapp.UI {
				return goapp.Div().Body(
					p.card(me, true).Online(online),
					newLoopPicker().Kit(p.s.Kit()).Current(me.Loop).Taken(taken).Online(online),
				)
			}).Else(func() goapp.UI {
				pending := "Joining a jam…"
				if p.conn != stateConnecting {
					pending = "The jam is out of reach; we keep trying. Meanwhile, preview the loops below."
				}
				return goapp.Div().Body(
					newMemberCard().You(true).Pending(pending),
					newLoopPicker(),
				)
			}),
		),
		goapp.Section().Class("others").Aria("labelledby", "others-title").Body(
			goapp.H2().ID("others-title").Body(
				goapp.Text("The others"),
				goapp.If(joined, func() goapp.UI {
					return goapp.Span().Class("count").Text(fmt.Sprintf(" %d/%d", len(others), max(v.Jam.Capacity-1, 0)))
				}),
			),
			goapp.If(len(others) > 0, func() goapp.UI {
				return goapp.Div().Class("cards").Body(
					goapp.Range(others).Slice(func(i int) goapp.UI {
						return p.card(others[i], false)
					}),
				)
			}),
			// Before the welcome, a stand-in of the same shape.
			newInvitePanel().URL(invite).Alone(len(others) == 0),
		),
		goapp.If(joined, func() goapp.UI {
			return newRecordPanel().
				Timeline(v.Jam.Timeline).
				JamBars(p.s.JamBars(p.nowMs)).
				Online(online).
				Saved(p.s.Saved()).
				Origin(p.origin)
		}),
		newPreviewPanel().Kit(p.s.Kit()).Playing(p.s.Previewing()).Ready(p.ready).Offline(p.conn == stateOffline && !joined),
	}
}

func (p *jamPage) card(m shared.Member, you bool) *memberCard {
	t := p.s.time.Timeline()
	state := loopState(t, m, p.nowMs)
	return newMemberCard().
		Kit(p.s.Kit()).
		Member(m).
		State(state, beatsUntil(t, m.Bar, p.nowMs)).
		You(you).
		Peaks(p.peaks[m.Loop]).
		Volume(p.s.Volume(m.ID), p.s.Muted(m.ID))
}

// savedWelcomeKey is where the tab keeps its last welcome's jam and token.
const savedWelcomeKey = "loops.welcome"

type savedWelcome struct {
	Jam    string `json:"jam"`
	Resume string `json:"resume"`
}

// socketURL returns the socket's URL on the page's own host.
func socketURL(page *url.URL) string {
	scheme := "ws"
	if page.Scheme == "https" {
		scheme = "wss"
	}
	return scheme + "://" + page.Host + "/socket"
}
