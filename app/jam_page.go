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

// jamPage is the app's one page: it joins a jam (the one of a /jam/{id}
// link, or any with room), keeps it in sync with the server, and drives the
// audio engine from what the server says.
type jamPage struct {
	goapp.Compo

	conn string
	j    jam
	// live is set once OnMount wired everything: the welcome dialog shows
	// only then, so no tap on it (or on the server's prerendered page) is
	// lost.
	live     bool
	started  bool
	nowMs    float64
	offsetMs float64
	rttMs    float64
	synced   bool
	peaks    map[string][]float32
	ready    []string
	volumes  map[string]float64
	muted    map[string]bool
	preview  string
	notice   string
	origin   string
	sig      string
	ticks    int

	eng      *engine
	clk      *clock
	client   *jamClient
	renderer *loopRenderer
	hooks    *pageHooks
	cancel   context.CancelFunc
}

func newJamPage() *jamPage {
	return &jamPage{
		conn:    stateConnecting,
		peaks:   make(map[string][]float32),
		volumes: make(map[string]float64),
		muted:   make(map[string]bool),
		eng:     newEngine(),
		clk:     newClock(),
	}
}

// OnMount joins the jam and starts the clock, the renderer and the ticker.
// go-app calls it in the browser only: on the server the page is a still
// picture.
func (p *jamPage) OnMount(ctx goapp.Context) {
	u := ctx.Page().URL()
	p.origin = u.Scheme + "://" + u.Host
	ctx.Handle(actionWelcome, p.onWelcome)
	ctx.Handle(actionToggle, func(ctx goapp.Context, a goapp.Action) { p.toggle(ctx) })
	ctx.Handle(actionVolume, p.onVolume)
	ctx.Handle(actionMute, p.onMute)
	ctx.Handle(actionSwap, p.onSwap)
	ctx.Handle(actionPreview, p.onPreview)
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
	ctx.Async(func() { p.client.Run(run) })
	if rate := p.eng.SampleRate(); rate > 0 {
		p.renderer = newLoopRenderer(rate, func(id string, left, right, peaks []float32, took time.Duration) {
			ctx.Dispatch(func(ctx goapp.Context) { p.onRendered(id, left, right, peaks, took) })
		})
		ctx.Async(func() { p.renderer.Run(run) })
	}
	ctx.Async(func() {
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-run.Done():
				return
			case <-t.C:
				ctx.Dispatch(p.tick)
			}
		}
	})
	p.hooks = installPageHooks(p.eng, p.clk, func() {
		ctx.Dispatch(func(ctx goapp.Context) { p.toggle(ctx) })
	})
	p.live = true
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

// onSocket applies what the socket client reports.
func (p *jamPage) onSocket(ctx goapp.Context, ev socketEvent) {
	switch {
	case ev.state != "":
		p.conn = ev.state
	case ev.pong != nil:
		p.clk.Add(ev.pong.t0, ev.pong.t1, ev.pong.server)
		p.offsetMs, p.synced = p.clk.Offset()
		p.rttMs = p.clk.RTT()
		p.eng.SetOffset(p.offsetMs)
		p.eng.Realign()
		p.hooks.setOffset(p.offsetMs)
	case ev.msg != nil:
		p.onMessage(ctx, ev.msg)
	}
}

func (p *jamPage) onMessage(ctx goapp.Context, m shared.Message) {
	switch m := m.(type) {
	case *shared.Welcome:
		if !p.synced {
			// A first guess, good to a round trip, until the pongs come.
			p.offsetMs = m.Now - localMs()
			p.eng.SetOffset(p.offsetMs)
			p.hooks.setOffset(p.offsetMs)
		}
		ctx.SessionStorage().Set(savedWelcomeKey, savedWelcome{Jam: m.Jam.ID, Resume: m.Resume})
		prev, _ := p.j.member(p.j.you)
		fresh := p.j.you != "" && m.You != p.j.you && m.Jam.ID == p.j.info.ID
		p.j.apply(m)
		if fresh {
			p.restore(prev)
		}
		p.eng.SetTimeline(m.Jam.Timeline)
		p.hooks.setTimeline(m.Jam.Timeline)
		keep := make(map[string]bool)
		for _, mb := range m.Members {
			keep[mb.ID] = true
			p.play(mb, mb.Loop, mb.Bar)
		}
		p.eng.Retain(keep)
		p.eng.NoteWelcome(m.Loop)
		p.want()
		ctx.Page().SetTitle("Loops With Friends · jam %s", m.Jam.ID)
		if path := "/jam/" + m.Jam.ID; ctx.Page().URL().Path != path {
			u := *ctx.Page().URL()
			u.Path = path
			ctx.Page().ReplaceURL(&u)
		}
	case *shared.Error:
		p.notice = m.Message
		ctx.After(5*time.Second, func(ctx goapp.Context) {
			if p.notice == m.Message {
				p.notice = ""
			}
		})
	default:
		if !p.j.apply(m) {
			return
		}
		switch m := m.(type) {
		case *shared.Joined:
			p.play(m.Member, m.Member.Loop, m.Member.Bar)
			p.want()
		case *shared.Left:
			p.eng.Remove(m.ID)
		case *shared.Played, *shared.Stopped:
			if mb, ok := p.j.member(idOf(m)); ok {
				p.play(mb, mb.Loop, mb.Bar)
			}
		case *shared.Swapped:
			if mb, ok := p.j.member(m.ID); ok {
				p.play(mb, m.Loop, m.Bar)
			}
			p.want()
		}
	}
}

// play tells the engine what a member plays from bar on, with the local
// volume the player chose for them.
func (p *jamPage) play(m shared.Member, loop string, bar int64) {
	p.eng.Apply(m.ID, loop, m.Playing, bar)
	if v, ok := p.volumes[m.ID]; ok || p.muted[m.ID] {
		if !ok {
			v = 1
		}
		p.eng.SetVolume(m.ID, v, p.muted[m.ID])
	}
}

func idOf(m shared.Message) string {
	switch m := m.(type) {
	case *shared.Played:
		return m.ID
	case *shared.Stopped:
		return m.ID
	}
	return ""
}

// restore asks for the loop the player had, playing as it was, after the
// server forgot them (it restarted, or the connection was down longer than
// the resume window): the jam comes back as it was, not in silence.
func (p *jamPage) restore(prev shared.Member) {
	if p.client == nil || prev.ID == "" {
		return
	}
	me, _ := p.j.member(p.j.you)
	if prev.Loop != me.Loop && !p.j.taken(prev.Loop) {
		p.client.Send(&shared.Swap{Loop: prev.Loop})
	}
	if prev.Playing && !me.Playing {
		p.client.Send(&shared.Play{})
	}
}

// want asks the renderer for the player's loop first, then the others'.
func (p *jamPage) want() {
	if p.renderer == nil {
		return
	}
	var ids []string
	if me, ok := p.j.member(p.j.you); ok {
		ids = append(ids, me.Loop)
	}
	for _, m := range p.j.others() {
		ids = append(ids, m.Loop)
	}
	p.renderer.Want(ids...)
}

func (p *jamPage) onRendered(id string, left, right, peaks []float32, took time.Duration) {
	p.eng.AddBuffer(id, left, right)
	p.eng.NoteRendered(id, took)
	p.peaks[id] = peaks
	p.ready = append(p.ready, id)
}

// tick moves the page's clock; it renders only when a state or a
// countdown changed.
func (p *jamPage) tick(ctx goapp.Context) {
	p.eng.Sample()
	if p.ticks++; p.ticks%10 == 0 {
		p.eng.Realign() // the audio clock may have glitched or drifted
	}
	p.nowMs = localMs() + p.offsetMs
	var b strings.Builder
	for _, m := range p.j.members {
		s := loopState(p.j.info.Timeline, m, p.nowMs)
		fmt.Fprintf(&b, "%s:%s", m.ID, s)
		if s == loopQueued || s == loopStopping {
			fmt.Fprintf(&b, "%d", beatsUntil(p.j.info.Timeline, m.Bar, p.nowMs))
		}
		b.WriteByte(';')
	}
	b.WriteString(p.eng.State())
	if sig := b.String(); sig != p.sig {
		p.sig = sig
		return
	}
	ctx.PreventUpdate()
}

// toggle starts or stops the player's loop, through the server.
func (p *jamPage) toggle(ctx goapp.Context) {
	p.eng.Resume()
	me, ok := p.j.member(p.j.you)
	if !ok || p.client == nil {
		return
	}
	if me.Playing {
		p.client.Send(&shared.Stop{})
	} else {
		p.client.Send(&shared.Play{})
	}
}

func (p *jamPage) onWelcome(ctx goapp.Context, a goapp.Action) {
	p.eng.Resume()
	p.started = true
	ctx.Defer(func(goapp.Context) {
		if t := goapp.Window().GetElementByID("loop-toggle"); t.Truthy() {
			t.Call("focus")
		}
	})
}

func (p *jamPage) onVolume(ctx goapp.Context, a goapp.Action) {
	v, ok := a.Value.(volumeChange)
	if !ok {
		return
	}
	p.volumes[v.member] = v.volume
	p.eng.SetVolume(v.member, v.volume, p.muted[v.member])
}

func (p *jamPage) onMute(ctx goapp.Context, a goapp.Action) {
	id, _ := a.Value.(string)
	p.muted[id] = !p.muted[id]
	p.eng.SetVolume(id, p.volume(id), p.muted[id])
}

func (p *jamPage) onSwap(ctx goapp.Context, a goapp.Action) {
	id, _ := a.Value.(string)
	if p.renderer != nil {
		p.renderer.Want(id)
	}
	if p.client != nil {
		p.client.Send(&shared.Swap{Loop: id})
	}
}

func (p *jamPage) onPreview(ctx goapp.Context, a goapp.Action) {
	id, _ := a.Value.(string)
	p.eng.Resume()
	p.preview = id
	if p.renderer != nil && id != "" {
		p.renderer.Want(id)
	}
	p.eng.Preview(id)
}

func (p *jamPage) volume(id string) float64 {
	if v, ok := p.volumes[id]; ok {
		return v
	}
	return 1
}

// Render draws the page.
func (p *jamPage) Render() goapp.UI {
	me, joined := p.j.member(p.j.you)
	others := p.j.others()
	online := p.conn == stateOnline
	var taken []string
	for _, m := range others {
		taken = append(taken, m.Loop)
	}
	invite := ""
	if p.j.info.ID != "" {
		invite = p.origin + "/jam/" + p.j.info.ID
	}
	return goapp.Div().Class("app").Body(
		newStatusBar().Connection(p.conn).Sync(p.offsetMs, p.rttMs, p.synced),
		goapp.If(p.j.redirected, func() goapp.UI {
			return goapp.P().ID("redirected").Class("notice").Attr("role", "status").Text("The jam of that link was full, so we found you a place in another one. Have fun!")
		}),
		goapp.If(p.started && p.eng.ok() && p.eng.State() != "running", func() goapp.UI {
			return goapp.Button().
				ID("audio-resume").
				Class("notice notice-button").
				OnClick(func(ctx goapp.Context, e goapp.Event) { p.eng.Resume() }).
				Text("The sound is paused by the browser. Tap here (or anywhere) to bring it back.")
		}),
		goapp.If(p.notice != "", func() goapp.UI {
			return goapp.P().ID("notice").Class("notice").Attr("role", "status").Text(p.notice)
		}),
		goapp.Main().Class("stage").Body(
			goapp.Section().Class("you").Aria("labelledby", "you-title").Body(
				goapp.H2().ID("you-title").Text("Your loop"),
				goapp.If(joined, func() goapp.UI {
					return goapp.Div().Body(
						p.card(me, true).Online(online),
						newLoopPicker().Current(me.Loop).Taken(taken).Online(online),
					)
				}).Else(func() goapp.UI {
					return goapp.Div().Class("card card-you card-pending").Body(
						goapp.P().Text(map[bool]string{true: "Joining a jam…", false: "The jam is out of reach; we keep trying. Meanwhile, preview the loops below."}[p.conn == stateConnecting]),
					)
				}),
			),
			goapp.Section().Class("others").Aria("labelledby", "others-title").Body(
				goapp.H2().ID("others-title").Body(
					goapp.Text("The others"),
					goapp.If(joined, func() goapp.UI {
						return goapp.Span().Class("count").Text(fmt.Sprintf(" %d/%d", len(others), max(p.j.info.Capacity-1, 0)))
					}),
				),
				goapp.If(!joined, func() goapp.UI {
					return goapp.P().Class("hint").Text("Friends show up here once you are in a jam.")
				}),
				goapp.If(len(others) > 0, func() goapp.UI {
					return goapp.Div().Class("cards").Body(
						goapp.Range(others).Slice(func(i int) goapp.UI {
							return p.card(others[i], false)
						}),
					)
				}),
				goapp.If(invite != "", func() goapp.UI {
					return newInvitePanel().URL(invite).Alone(len(others) == 0)
				}),
			),
			newPreviewPanel().Playing(p.preview).Ready(p.ready).Offline(p.conn == stateOffline && !joined),
		),
		goapp.Footer().Class("footer").Text("Space starts and stops your loop · volume and mute are only for you"),
		goapp.If(p.live && !p.started, func() goapp.UI {
			return newWelcomeDialog()
		}),
	)
}

func (p *jamPage) card(m shared.Member, you bool) *memberCard {
	t := p.j.info.Timeline
	state := loopState(t, m, p.nowMs)
	return newMemberCard().
		Member(m).
		State(state, beatsUntil(t, m.Bar, p.nowMs)).
		You(you).
		Peaks(p.peaks[m.Loop]).
		Volume(p.volume(m.ID), p.muted[m.ID])
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
