package app

import (
	"strconv"

	goapp "github.com/maxence-charriere/go-app/v10/pkg/app"
)

// actionWelcome closes the welcome dialog; the tap on it unlocks audio.
const actionWelcome = "loops/welcome"

// welcomeID is the welcome dialog's element id.
const welcomeID = "welcome"

// wholeFirst is a line of the page's head that holds the page's first paint
// until the server's page is parsed whole (a render-blocking "expect" link
// to go-app's loader, which its page writes after the body's content).
// Without it the parser, yielding mid-page on a slow phone, let a frame
// paint the welcome dialog with its icon alone, and its text, the page's
// largest, a frame or more later: the dialog, centred, grew and jumped 150
// to 200 px up (a layout shift of 0.18 to 0.24 in 2 of 10 loads at a 4x
// slower CPU), and the largest paint came that much after the first. The
// link's target must come after the dialog's end: Chromium paints once the
// target's start tag is parsed. A browser without it paints as before.
const wholeFirst = `<link rel="expect" href="#app-wasm-loader" blocking="render">`

// welcomeDialog greets the player. Its button is the gesture browsers and
// phones need before they let a page make sound. It is a native modal
// dialog: the page behind it is inert (Tab stays in it) and Escape closes
// it, after which a tap anywhere brings the sound. The server draws it open
// (not modal: that takes script), so it paints before the WASM arrives.
type welcomeDialog struct {
	goapp.Compo

	// Iready says the page is wired: until then the button says it is
	// getting ready, and does nothing.
	Iready bool
}

func newWelcomeDialog() *welcomeDialog { return &welcomeDialog{} }

// Ready sets whether the button works yet.
func (d *welcomeDialog) Ready(v bool) *welcomeDialog { d.Iready = v; return d }

// OnMount opens the dialog as a modal one, which only script can do.
func (d *welcomeDialog) OnMount(ctx goapp.Context) {
	dlg := ctx.JSSrc()
	if !dlg.Truthy() || !dlg.Get("showModal").Truthy() {
		return
	}
	if dlg.Get("open").Bool() {
		dlg.Call("close") // open, but not modal: showModal would throw
	}
	dlg.Call("showModal")
}

// Render draws the dialog.
func (d *welcomeDialog) Render() goapp.UI {
	text := "Let's jam"
	if !d.Iready {
		text = "Getting ready…"
	}
	return goapp.Dialog().
		ID(welcomeID).
		Class("dialog").
		Open(true).
		Aria("labelledby", "welcome-title").
		On("cancel", func(ctx goapp.Context, e goapp.Event) {
			ctx.NewAction(actionWelcome)
		}).
		Body(
			goapp.Img().Class("dialog-icon").Src(iconImage).Alt("").Aria("hidden", "true"),
			goapp.H2().ID("welcome-title").Text("Loops With Friends"),
			goapp.P().Text("You get a loop. Your friends get theirs. Start and stop yours whenever you like: every loop lands on the same beat, for everyone."),
			goapp.Button().
				ID("welcome-start").
				Class("cta").
				AutoFocus(true).
				Aria("label", text+": start the sound").
				Aria("disabled", strconv.FormatBool(!d.Iready)).
				DataSet("ready", strconv.FormatBool(d.Iready)).
				OnClick(func(ctx goapp.Context, e goapp.Event) {
					if d.Iready { // read now: go-app keeps the first handler
						ctx.NewAction(actionWelcome)
					}
				}).
				Text(text),
			goapp.P().Class("hint").Text("Space starts and stops your loop. Headphones help."),
		)
}
