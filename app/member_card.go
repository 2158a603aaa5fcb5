package app

import (
	"fmt"
	"strconv"

	"github.com/loopswithfriends/loops/shared"
	goapp "github.com/maxence-charriere/go-app/v10/pkg/app"
)

// Actions the cards send to the page.
const (
	actionToggle = "loops/toggle"
	actionVolume = "loops/volume"
	actionMute   = "loops/mute"
)

// volumeChange is the value of actionVolume.
type volumeChange struct {
	member string
	volume float64
}

// memberCard is one member of the jam: their loop, its waveform and
// playhead, its state, and a local volume and mute. The player's own card
// is the big one, with the toggle.
type memberCard struct {
	goapp.Compo

	// Ikit is the jam's kit (nil for the default one).
	Ikit       *shared.Kit
	Imember    shared.Member
	Istate     string
	Icountdown int
	Iyou       bool
	Ipeaks     []float32
	Ivolume    float64
	Imuted     bool
	// Ionline enables the toggle: starts and stops go through the server.
	Ionline bool
	// Ipending, if set, makes the card a stand-in with this text, drawn
	// until the player is in a jam: the same shape as the card to come,
	// so nothing moves when it comes.
	Ipending string
}

func newMemberCard() *memberCard { return &memberCard{Ivolume: 1} }

// Kit sets the jam's kit, whose loops are shown.
func (c *memberCard) Kit(k *shared.Kit) *memberCard { c.Ikit = k; return c }

// Member sets the member shown.
func (c *memberCard) Member(m shared.Member) *memberCard { c.Imember = m; return c }

// State sets the loop state and the beats left until it takes effect.
func (c *memberCard) State(state string, countdown int) *memberCard {
	c.Istate, c.Icountdown = state, countdown
	return c
}

// You marks the player's own card.
func (c *memberCard) You(v bool) *memberCard { c.Iyou = v; return c }

// Peaks sets the waveform.
func (c *memberCard) Peaks(p []float32) *memberCard { c.Ipeaks = p; return c }

// Volume sets the local volume and mute.
func (c *memberCard) Volume(v float64, muted bool) *memberCard {
	c.Ivolume, c.Imuted = v, muted
	return c
}

// Online sets whether the toggle can reach the server.
func (c *memberCard) Online(v bool) *memberCard { c.Ionline = v; return c }

// Pending makes the card a stand-in saying text.
func (c *memberCard) Pending(text string) *memberCard { c.Ipending = text; return c }

// Render draws the card.
func (c *memberCard) Render() goapp.UI {
	loop, _ := kitOrDefault(c.Ikit).Loop(c.Imember.Loop)
	if loop.Name == "" {
		loop.Name, loop.Color = c.Imember.Loop, "#aa8866"
	}
	sounding := c.Istate == loopPlaying || c.Istate == loopStopping
	class := "card"
	if c.Iyou {
		class += " card-you"
	}
	who := "A friend"
	if c.Iyou {
		who = "You"
	}
	if c.Ipending != "" {
		return c.renderPending(class, who)
	}
	return goapp.Article().
		Class(class).
		Class("state-"+c.Istate).
		DataSet("loop-color", loop.Color).
		DataSet("member-id", c.Imember.ID).
		DataSet("loop", c.Imember.Loop).
		DataSet("state", c.Istate).
		DataSet("bar", c.Imember.Bar).
		Aria("label", fmt.Sprintf("%s: %s, %s", who, loop.Name, c.Istate)).
		Body(
			goapp.Header().Class("card-head").Body(
				goapp.Span().Class("swatch").Aria("hidden", "true"),
				goapp.Div().Class("card-title").Body(
					goapp.Span().Class("loop-name").Text(loop.Name),
					goapp.Span().Class("loop-role").Text(who+" · "+loop.Role),
				),
				goapp.Span().
					Class("state-badge").
					Aria("live", "polite").
					Text(stateLabel(c.Istate, c.Icountdown)),
			),
			newWaveform().Peaks(c.Ipeaks).Color(loop.Color).Active(sounding),
			goapp.If(c.Iyou, func() goapp.UI { return c.renderToggle() }),
			c.renderVolume(loop.Name),
		)
}

// renderPending draws the stand-in: the card's parts, empty.
func (c *memberCard) renderPending(class, who string) goapp.UI {
	return goapp.Article().
		Class(class+" card-pending").
		Body(
			goapp.Header().Class("card-head").Body(
				goapp.Span().Class("swatch").Aria("hidden", "true"),
				goapp.Div().Class("card-title").Body(
					goapp.Span().Class("loop-name").Text(c.Ipending),
					goapp.Span().Class("loop-role").Text(who),
				),
			),
			newWaveform(),
			goapp.If(c.Iyou, func() goapp.UI {
				return goapp.Button().Class("toggle").Disabled(true).Body(
					goapp.Span().Class("toggle-icon").Aria("hidden", "true"),
					goapp.Span().Class("toggle-text").Text("Play"),
				)
			}),
			goapp.Div().Class("volume").Body(
				goapp.Button().Class("mute").Disabled(true).Aria("label", "Mute").Body(goapp.Raw(speakerSVG(false))),
				goapp.Input().Type("range").Class("volume-slider").Disabled(true).Aria("label", "Volume"),
			),
		)
}

func (c *memberCard) renderToggle() goapp.UI {
	// The name starts with what the button shows, so that a player who
	// says what they see (voice control) reaches it.
	label, text := "Play your loop", "Play"
	switch c.Istate {
	case loopQueued:
		text = fmt.Sprintf("Starts in %d", c.Icountdown)
		label = text + ": cancel"
	case loopPlaying:
		label, text = "Stop your loop", "Stop"
	case loopStopping:
		text = fmt.Sprintf("Stops in %d", c.Icountdown)
		label = text + ": play again"
	}
	pressed := c.Istate == loopQueued || c.Istate == loopPlaying
	return goapp.Button().
		ID("loop-toggle").
		Class("toggle").
		DataSet("state", c.Istate).
		Aria("label", label).
		Aria("keyshortcuts", "Space").
		Aria("pressed", strconv.FormatBool(pressed)).
		Disabled(!c.Ionline).
		Title(label+" (Space)").
		OnClick(func(ctx goapp.Context, e goapp.Event) {
			ctx.NewAction(actionToggle)
		}).
		Body(
			goapp.Span().Class("toggle-icon").Aria("hidden", "true"),
			goapp.Span().Class("toggle-text").Text(text),
		)
}

func (c *memberCard) renderVolume(name string) goapp.UI {
	muteLabel := "Mute " + name
	if c.Imuted {
		muteLabel = "Unmute " + name
	}
	return goapp.Div().Class("volume").Body(
		goapp.Button().
			Class("mute").
			Aria("label", muteLabel).
			Aria("pressed", strconv.FormatBool(c.Imuted)).
			Title(muteLabel).
			OnClick(func(ctx goapp.Context, e goapp.Event) {
				// go-app keeps the first handler, so the member is
				// read now, not when the card was first drawn: cards
				// are reused when a member before this one leaves.
				ctx.NewActionWithValue(actionMute, c.Imember.ID)
			}).
			Body(goapp.Raw(speakerSVG(c.Imuted))),
		goapp.Input().
			Type("range").
			Class("volume-slider").
			Min(0).Max(100).Step(1).
			Value(strconv.Itoa(int(c.Ivolume*100+0.5))).
			Aria("label", "Volume of "+name+" (only for you)").
			OnInput(func(ctx goapp.Context, e goapp.Event) {
				v, err := strconv.ParseFloat(ctx.JSSrc().Get("value").String(), 64)
				if err != nil {
					return
				}
				ctx.NewActionWithValue(actionVolume, volumeChange{member: c.Imember.ID, volume: v / 100})
			}),
	)
}

// speakerSVG returns the mute button's icon: a speaker, with waves or a
// cross. Drawn here, since emoji fonts are not everywhere.
func speakerSVG(muted bool) string {
	mark := `<path d="M16 9a4 4 0 0 1 0 6M18.5 6.5a7.5 7.5 0 0 1 0 11" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round"/>`
	if muted {
		mark = `<path d="M16 9l5 6M21 9l-5 6" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round"/>`
	}
	return `<svg class="speaker" viewBox="0 0 24 24" width="20" height="20" aria-hidden="true"><path d="M3 9h4l5-4v14l-5-4H3z" fill="currentColor"/>` + mark + `</svg>`
}

// stateLabel returns what a card's badge says.
func stateLabel(state string, countdown int) string {
	switch state {
	case loopQueued:
		return fmt.Sprintf("starts in %d", countdown)
	case loopPlaying:
		return "playing"
	case loopStopping:
		return fmt.Sprintf("stops in %d", countdown)
	default:
		return "stopped"
	}
}
