package app

import (
	goapp "github.com/maxence-charriere/go-app/v10/pkg/app"
)

// invitePanel shows the jam's invite link with a copy button, and the way
// to a new private jam (kitChooser).
type invitePanel struct {
	goapp.Compo

	Iurl   string
	Ialone bool

	copied bool
}

func newInvitePanel() *invitePanel { return &invitePanel{} }

// URL sets the invite link.
func (p *invitePanel) URL(u string) *invitePanel { p.Iurl = u; return p }

// Alone says that nobody else is in the jam, so the link is the next step.
func (p *invitePanel) Alone(v bool) *invitePanel { p.Ialone = v; return p }

// Render draws the panel.
func (p *invitePanel) Render() goapp.UI {
	class := "invite"
	if p.Ialone {
		class += " invite-alone"
	}
	copyText := "Copy link"
	if p.copied {
		copyText = "Copied!"
	}
	if p.Iurl == "" {
		// Not in a jam yet: a stand-in of the same shape.
		return goapp.Section().Class(class).Aria("label", "Invite friends").Body(
			goapp.P().Class("alone").Text("Friends show up here once you are in a jam. Your link for them comes with it:"),
			goapp.Div().Class("invite-row").Body(
				goapp.Span().Class("invite-link").Text("…"),
				goapp.Button().Class("copy").Disabled(true).Text("Copy link"),
			),
		)
	}
	return goapp.Section().Class(class).Aria("label", "Invite friends").Body(
		goapp.If(p.Ialone, func() goapp.UI {
			return goapp.P().Class("alone").Text("Nobody else is here yet. Send this link to a friend and jam together:")
		}).Else(func() goapp.UI {
			return goapp.P().Class("invite-label").Text("Invite a friend to this jam:")
		}),
		goapp.Div().Class("invite-row").Body(
			goapp.A().ID("invite-link").Class("invite-link").Href(p.Iurl).Text(p.Iurl),
			goapp.Button().
				ID("invite-copy").
				Class("copy").
				Title("Copy the invite link").
				OnClick(p.copy).
				Text(copyText),
		),
		newKitChooser(),
	)
}

// OnMount and OnUpdate give the link a value too, as a text field would
// have: scripts reading the invite link find it in value, href or text.
func (p *invitePanel) OnMount(ctx goapp.Context) { ctx.Defer(p.setValue) }

// OnUpdate keeps the link's value in step.
func (p *invitePanel) OnUpdate(ctx goapp.Context) { ctx.Defer(p.setValue) }

func (p *invitePanel) setValue(goapp.Context) {
	if link := goapp.Window().GetElementByID("invite-link"); link.Truthy() {
		link.Set("value", p.Iurl)
	}
}

func (p *invitePanel) copy(ctx goapp.Context, e goapp.Event) {
	e.PreventDefault()
	copyText(p.Iurl, "invite-link")
	p.copied = true
	ctx.After(2e9, func(ctx goapp.Context) { p.copied = false })
}

// copyText puts text on the clipboard, or, without the clipboard API (a page
// served over plain http from another host), selects the element with the
// id and copies the selection.
func copyText(text, id string) {
	if clip := goapp.Window().Get("navigator").Get("clipboard"); clip.Truthy() {
		clip.Call("writeText", text)
	} else if el := goapp.Window().GetElementByID(id); el.Truthy() {
		doc := goapp.Window().Get("document")
		sel := goapp.Window().Call("getSelection")
		rng := doc.Call("createRange")
		rng.Call("selectNodeContents", el)
		sel.Call("removeAllRanges")
		sel.Call("addRange", rng)
		doc.Call("execCommand", "copy")
	}
}
