package app

import (
	"fmt"

	"github.com/loopswithfriends/loops/shared"
	goapp "github.com/maxence-charriere/go-app/v10/pkg/app"
)

// actionRecord asks the page to save the jam's last bars; its value is how
// many.
const actionRecord = "loops/record"

// recordChoices are the minutes the save control offers.
var recordChoices = []float64{2, 5, 10}

// savedRecording is the last recording of the jam a member saved, as every
// member is told.
type savedRecording struct {
	ID    string
	ByYou bool
	Bars  int
}

// recordPanel is the jam page's "Save the last …" control, and the note of
// the last recording saved with its link and a copy button.
type recordPanel struct {
	goapp.Compo

	Itimeline shared.Timeline
	IjamBars  int // the bars the jam has played so far
	Ionline   bool
	Isaved    savedRecording
	Iorigin   string

	copied string
}

func newRecordPanel() *recordPanel { return &recordPanel{} }

// Timeline sets the jam's timeline, which says how many bars a minute is.
func (p *recordPanel) Timeline(t shared.Timeline) *recordPanel { p.Itimeline = t; return p }

// JamBars sets how many bars the jam has played so far.
func (p *recordPanel) JamBars(n int) *recordPanel { p.IjamBars = n; return p }

// Online enables the control.
func (p *recordPanel) Online(v bool) *recordPanel { p.Ionline = v; return p }

// Saved sets the last recording saved, if any.
func (p *recordPanel) Saved(s savedRecording) *recordPanel { p.Isaved = s; return p }

// Origin sets the page's origin, for the recording's link.
func (p *recordPanel) Origin(o string) *recordPanel { p.Iorigin = o; return p }

// recordOption is one button of the control.
type recordOption struct {
	id, label, aria string
	bars            int
}

// options returns the buttons: each of recordChoices the jam is old enough
// for, then "everything so far" while the jam is younger than the longest.
func (p *recordPanel) options() []recordOption {
	var opts []recordOption
	if p.Itimeline.BPM <= 0 {
		return nil
	}
	for _, m := range recordChoices {
		bars := shared.RecordBars(p.Itimeline, m)
		if bars > p.IjamBars {
			break
		}
		opts = append(opts, recordOption{
			id: fmt.Sprintf("record-%g", m), label: fmt.Sprintf("%g min", m),
			aria: fmt.Sprintf("Save the last %g minutes", m), bars: bars,
		})
	}
	if all := shared.RecordBars(p.Itimeline, recordChoices[len(recordChoices)-1]); p.IjamBars < all {
		opts = append(opts, recordOption{
			id: "record-all", label: "all so far",
			aria: "Save the whole jam so far", bars: shared.HistoryBars,
		})
	}
	return opts
}

// Render draws the panel.
func (p *recordPanel) Render() goapp.UI {
	opts := p.options()
	link := ""
	if p.Isaved.ID != "" {
		link = p.Iorigin + "/r/" + p.Isaved.ID
	}
	return goapp.Section().Class("record").Aria("labelledby", "record-title").Body(
		goapp.H2().ID("record-title").Text("Keep the jam"),
		goapp.Div().Class("record-row").Body(
			goapp.Span().Class("record-label").Text("Save the last"),
			goapp.Range(opts).Slice(func(i int) goapp.UI {
				o := opts[i]
				return goapp.Button().
					ID(o.id).
					Class("chip record-choice").
					Title(o.aria).
					DataSet("bars", o.bars).
					Disabled(!p.Ionline).
					// The bars are read from the button when it is
					// clicked: go-app may keep a first handler.
					OnClick(p.record).
					Text(o.label)
			}),
		),
		goapp.If(link != "", func() goapp.UI {
			who := "A friend saved"
			if p.Isaved.ByYou {
				who = "You saved"
			}
			secs := int(float64(p.Isaved.Bars) * p.Itimeline.BarMs() / 1000)
			copyText := "Copy link"
			if p.copied == link {
				copyText = "Copied!"
			}
			return goapp.Div().ID("recorded").Class("recorded").Attr("role", "status").DataSet("id", p.Isaved.ID).Body(
				goapp.P().Text(fmt.Sprintf("%s the last %d:%02d of this jam. Anyone with the link can play it and download it:", who, secs/60, secs%60)),
				goapp.Div().Class("invite-row").Body(
					goapp.A().ID("recorded-link").Class("invite-link").Href(link).Target("_blank").Text(link),
					goapp.Button().ID("recorded-copy").Class("copy").Title("Copy the recording's link").
						OnClick(p.copy).Text(copyText),
				),
			)
		}),
	)
}

func (p *recordPanel) record(ctx goapp.Context, e goapp.Event) {
	bars := ctx.JSSrc().Get("dataset").Get("bars").String()
	var n int
	if _, err := fmt.Sscan(bars, &n); err == nil && n > 0 {
		ctx.NewActionWithValue(actionRecord, n)
	}
}

func (p *recordPanel) copy(ctx goapp.Context, e goapp.Event) {
	e.PreventDefault()
	link := p.Iorigin + "/r/" + p.Isaved.ID
	copyText(link, "recorded-link")
	p.copied = link
	ctx.After(2e9, func(ctx goapp.Context) { p.copied = "" })
}
