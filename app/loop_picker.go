package app

import (
	"strconv"

	"github.com/loopswithfriends/loops/shared"
	goapp "github.com/maxence-charriere/go-app/v10/pkg/app"
)

// actionSwap asks the page to swap the player's loop; its value is the id.
const actionSwap = "loops/swap"

// loopPicker lists the catalog so the player can swap to any free loop.
type loopPicker struct {
	goapp.Compo

	// Ikit is the jam's kit (nil for the default one).
	Ikit     *shared.Kit
	Icurrent string
	Itaken   []string
	Ionline  bool

	// opened says the list was opened once: its chips are built then, not
	// with the page, whose first mount they were half of.
	opened bool
}

func newLoopPicker() *loopPicker { return &loopPicker{} }

// Current sets the player's loop.
func (p *loopPicker) Current(id string) *loopPicker { p.Icurrent = id; return p }

// Taken sets the loops other members have.
func (p *loopPicker) Taken(ids []string) *loopPicker { p.Itaken = ids; return p }

// Online sets whether a swap can reach the server.
func (p *loopPicker) Online(v bool) *loopPicker { p.Ionline = v; return p }

// Kit sets the jam's kit, whose loops are shown.
func (c *loopPicker) Kit(k *shared.Kit) *loopPicker { c.Ikit = k; return c }

// Render draws the picker.
func (p *loopPicker) Render() goapp.UI {
	kit := kitOrDefault(p.Ikit)
	taken := make(map[string]bool, len(p.Itaken))
	for _, id := range p.Itaken {
		taken[id] = true
	}
	loops := kit.Loops
	if !p.opened {
		loops = nil
	}
	return goapp.Details().Class("picker").OnToggle(func(ctx goapp.Context, e goapp.Event) {
		p.opened = p.opened || e.Get("target").Get("open").Bool()
	}).Body(
		goapp.Summary().Text("Swap to another loop"),
		goapp.Ul().Class("picker-list").Body(
			goapp.Range(loops).Slice(func(i int) goapp.UI {
				l := loops[i]
				current := l.ID == p.Icurrent
				free := !current && !taken[l.ID]
				label := l.Name + ": swap to it"
				switch {
				case current:
					label = l.Name + ": your loop"
				case taken[l.ID]:
					label = l.Name + ": taken"
				}
				return goapp.Li().Body(
					goapp.Button().
						Class("chip").
						DataSet("loop-color", l.Color).
						DataSet("loop", l.ID).
						Aria("label", label).
						Aria("current", strconv.FormatBool(current)).
						// aria-disabled, not disabled: the chip just picked
						// keeps the focus when it becomes the player's loop.
						Aria("disabled", strconv.FormatBool(!free || !p.Ionline)).
						OnClick(func(ctx goapp.Context, e goapp.Event) {
							// Read now: go-app keeps the first handler.
							if p.free(l.ID) {
								ctx.NewActionWithValue(actionSwap, l.ID)
							}
						}).
						Body(
							goapp.Span().Class("swatch").Aria("hidden", "true"),
							goapp.Text(l.Name),
						),
				)
			}),
		),
	)
}

// free reports whether the player can swap to loop now.
func (p *loopPicker) free(loop string) bool {
	if !p.Ionline || loop == p.Icurrent {
		return false
	}
	for _, id := range p.Itaken {
		if id == loop {
			return false
		}
	}
	return true
}
