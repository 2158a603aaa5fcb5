package app

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/loopswithfriends/loops/shared"
	goapp "github.com/maxence-charriere/go-app/v10/pkg/app"
)

// kitChooser is the way to a new private jam: its button opens the list of
// kits, each a button that says its name, genre, key and tempo and starts
// a jam of a fresh id with it, beside a button that plays a few seconds of
// the kit (its first loops mixed, the server's WAV, fetched only then).
// Escape closes the list and gives the focus back to the button.
type kitChooser struct {
	goapp.Compo

	open bool
	// hearing is the kit whose sample plays, "" if none; audio plays it.
	hearing string
	audio   goapp.Value
	ended   goapp.Func
	quiet   goapp.Func
}

func newKitChooser() *kitChooser { return &kitChooser{} }

// kitSampleLoops is how many of a kit's first loops its sample mixes: the
// rhythm and the harmony, enough to hear the genre.
const kitSampleLoops = 4

// kitSampleURL returns the address of a kit's sample: its first loops,
// mixed by the server (PROTOCOL.md, "HTTP").
func kitSampleURL(k *shared.Kit) string {
	var ids []string
	for _, l := range k.Loops[:min(kitSampleLoops, len(k.Loops))] {
		ids = append(ids, l.ID)
	}
	return "/loops/mix.wav?kit=" + url.QueryEscape(k.ID) + "&ids=" + strings.Join(ids, ",")
}

// kitAbout is a kit's description, as players read it.
func kitAbout(k *shared.Kit) string {
	return fmt.Sprintf("%s in %s, %d BPM", k.Genre, k.Key, k.BPM)
}

// Render draws the button and, when open, the kits.
func (c *kitChooser) Render() goapp.UI {
	return goapp.Div().Class("kit-chooser").OnKeyDown(c.onKey).Body(
		goapp.Button().
			ID("new-private-jam").
			Class("copy new-private-jam").
			Title("A jam of your own: the balancer sends nobody there, only its link leads in").
			Aria("expanded", c.open).
			Aria("controls", "kit-list").
			OnClick(c.toggle).
			Text("New private jam"),
		goapp.If(c.open, func() goapp.UI {
			return goapp.Div().ID("kit-list").Class("kit-list").Attr("role", "group").Aria("labelledby", "kit-list-title").Body(
				goapp.P().ID("kit-list-title").Class("kit-list-title").Text("Pick the sound of your new jam:"),
				goapp.Ul().Class("kits").Body(
					goapp.Range(shared.Kits).Slice(func(i int) goapp.UI {
						k := shared.Kits[i]
						hearing := c.hearing == k.ID
						hear := "Hear"
						if hearing {
							hear = "Stop"
						}
						return goapp.Li().Class("kit-row").Body(
							goapp.Button().
								Class("kit-choice").
								DataSet("kit", k.ID).
								OnClick(c.choose).
								Body(
									goapp.Span().Class("kit-name").Text(k.Name),
									goapp.Span().Class("kit-about").Text(kitAbout(k)),
								),
							goapp.Button().
								Class("kit-hear").
								DataSet("hear", k.ID).
								Aria("pressed", hearing).
								Aria("label", hear+" a few seconds of "+k.Name).
								OnClick(c.hear).
								Text(hear),
						)
					}),
				),
			)
		}),
	)
}

// OnDismount stops the sample and releases its callback.
func (c *kitChooser) OnDismount() {
	c.stopSample()
	if c.ended != nil {
		c.ended.Release()
		c.quiet.Release()
		c.ended, c.quiet = nil, nil
	}
}

func (c *kitChooser) toggle(ctx goapp.Context, e goapp.Event) {
	e.PreventDefault()
	c.open = !c.open
	if !c.open {
		c.stopSample()
		return
	}
	ctx.Defer(func(goapp.Context) { focus(".kit-choice") })
}

func (c *kitChooser) onKey(ctx goapp.Context, e goapp.Event) {
	if c.open && e.Get("key").String() == "Escape" {
		e.PreventDefault()
		c.open = false
		c.stopSample()
		ctx.Defer(func(goapp.Context) { focus("#new-private-jam") })
	}
}

// choose opens a jam of a fresh random id (128 bits) with the kit of the
// button: a jam created by naming its id is private, so only its link leads
// there, and the page's join names the kit of ?kit= (see kitFromQuery).
// The kit is read from the button at the click, the id drawn then. The
// button is the handler's element (ctx.JSSrc), not the event's
// currentTarget: go-app runs a handler in its own turn, which may come
// after the event's dispatch ended, and currentTarget is then null (a
// page busy taking its own loop read it so and panicked).
func (c *kitChooser) choose(ctx goapp.Context, e goapp.Event) {
	e.PreventDefault()
	kit := ctx.JSSrc().Get("dataset").Get("kit").String()
	if shared.KitByID(kit) == nil {
		return
	}
	c.stopSample()
	goapp.Window().Get("location").Set("href", "/jam/"+shared.NewJamID()+"?kit="+url.QueryEscape(kit))
}

// hear plays the sample of the button's kit, or stops it when it plays.
func (c *kitChooser) hear(ctx goapp.Context, e goapp.Event) {
	e.PreventDefault()
	k := shared.KitByID(ctx.JSSrc().Get("dataset").Get("hear").String()) // see choose
	was := c.hearing
	c.stopSample()
	if k == nil || was == k.ID {
		return
	}
	ctor := goapp.Window().Get("Audio")
	if !ctor.Truthy() {
		return
	}
	if c.ended == nil {
		c.ended = goapp.FuncOf(func(this goapp.Value, args []goapp.Value) any {
			ctx.Dispatch(func(goapp.Context) { c.hearing = "" })
			return nil
		})
		c.quiet = goapp.FuncOf(func(this goapp.Value, args []goapp.Value) any { return nil })
	}
	c.audio = ctor.New(kitSampleURL(k))
	c.audio.Call("addEventListener", "ended", c.ended)
	c.audio.Call("addEventListener", "error", c.ended)
	// A pause before the sample plays rejects play(): expected, not an
	// error of the page's.
	c.audio.Call("play").Call("catch", c.quiet)
	c.hearing = k.ID
}

func (c *kitChooser) stopSample() {
	if c.audio != nil && c.audio.Truthy() {
		c.audio.Call("pause")
		c.audio.Call("removeEventListener", "ended", c.ended)
		c.audio.Call("removeEventListener", "error", c.ended)
	}
	c.audio, c.hearing = nil, ""
}

// focus moves the focus to the first element the CSS selector finds.
func focus(selector string) {
	if el := goapp.Window().Get("document").Call("querySelector", selector); el.Truthy() {
		el.Call("focus")
	}
}

// kitFromQuery returns the kit a page's ?kit= names, when it is one of the
// kits, or "": the kit of the private jam the page's join creates.
func kitFromQuery(u *url.URL) string {
	if k := shared.KitByID(u.Query().Get("kit")); k != nil {
		return k.ID
	}
	return ""
}
