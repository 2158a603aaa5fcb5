package app

import (
	"strconv"

	"github.com/loopswithfriends/loops/shared"
	goapp "github.com/maxence-charriere/go-app/v10/pkg/app"
)

// actionPreview auditions a loop alone, or stops it if it is the one being
// auditioned; its value is the loop's id.
const actionPreview = "loops/preview"

// previewPanel lets the player audition every loop of the catalog alone, on
// this device only, on the jam's grid (a local one when offline).
type previewPanel struct {
	goapp.Compo

	// Ikit is the jam's kit (nil for the default one).
	Ikit     *shared.Kit
	Iplaying string
	Iready   []string
	Ioffline bool

	// opened says the panel was opened once: its chips are built then (or
	// when it opens itself), not with the page, whose first mount they
	// were half of.
	opened bool
}

func newPreviewPanel() *previewPanel { return &previewPanel{} }

// Playing sets the loop being auditioned.
func (p *previewPanel) Playing(id string) *previewPanel { p.Iplaying = id; return p }

// Ready sets the loops that are rendered.
func (p *previewPanel) Ready(ids []string) *previewPanel { p.Iready = ids; return p }

// Offline says the jam is out of reach: preview is what the player can do.
func (p *previewPanel) Offline(v bool) *previewPanel { p.Ioffline = v; return p }

// Kit sets the jam's kit, whose loops are shown.
func (c *previewPanel) Kit(k *shared.Kit) *previewPanel { c.Ikit = k; return c }

// Render draws the panel.
func (p *previewPanel) Render() goapp.UI {
	kit := kitOrDefault(p.Ikit)
	ready := make(map[string]bool, len(p.Iready))
	for _, id := range p.Iready {
		ready[id] = true
	}
	intro := "Audition any loop alone, only on this device. The jam is muted meanwhile."
	if p.Ioffline {
		intro = "You are offline: audition the loops alone while the jam comes back."
	}
	details := goapp.Details().ID("preview").Class("preview").OnToggle(func(ctx goapp.Context, e goapp.Event) {
		p.opened = p.opened || e.Get("target").Get("open").Bool()
	})
	loops := kit.Loops
	// Set only when true: the server writes a false boolean attribute out
	// as open="false", which a browser reads as open.
	if open := p.Ioffline || p.Iplaying != ""; open {
		details = details.Open(true)
	} else if !p.opened {
		loops = nil
	}
	return details.
		Body(
			goapp.Summary().Text("Preview loops"),
			goapp.P().Class("hint").Text(intro),
			goapp.Ul().Class("picker-list").Body(
				goapp.Range(loops).Slice(func(i int) goapp.UI {
					l := loops[i]
					on := p.Iplaying == l.ID
					text := l.Name
					if !ready[l.ID] && on {
						text += " (rendering…)"
					}
					return goapp.Li().Body(
						goapp.Button().
							Class("chip").
							DataSet("loop-color", l.Color).
							DataSet("preview", l.ID).
							Title("Preview "+l.Name+" alone").
							Aria("pressed", strconv.FormatBool(on)).
							// go-app keeps a chip's first handler: it names
							// the chip's loop, and the session decides at
							// the click whether that starts or stops it.
							OnClick(func(ctx goapp.Context, e goapp.Event) {
								ctx.NewActionWithValue(actionPreview, l.ID)
							}).
							Body(
								goapp.Span().Class("swatch").Aria("hidden", "true"),
								goapp.Text(text),
							),
					)
				}),
			),
		)
}
