package app

import (
	"fmt"
	"strings"

	goapp "github.com/maxence-charriere/go-app/v10/pkg/app"
)

// waveform draws a loop's peaks in its color and, while the loop sounds, a
// playhead that moves with the jam's timeline. The playhead is a CSS
// animation that playheads.go keeps in phase, so nothing renders or
// restyles per frame; a stopped loop has none, so that its card draws
// nothing that moves.
type waveform struct {
	goapp.Compo

	// Ipeaks are the loop's peaks, 0 to 1; nil while it renders.
	Ipeaks []float32
	// Icolor is the loop's catalog color.
	Icolor string
	// Iactive lights the waveform and playhead while the loop sounds.
	Iactive bool
}

func newWaveform() *waveform { return &waveform{} }

// Peaks sets the peaks to draw.
func (w *waveform) Peaks(p []float32) *waveform { w.Ipeaks = p; return w }

// Color sets the loop's color.
func (w *waveform) Color(c string) *waveform { w.Icolor = c; return w }

// Active sets whether the loop sounds.
func (w *waveform) Active(v bool) *waveform { w.Iactive = v; return w }

// Render draws the waveform.
func (w *waveform) Render() goapp.UI {
	class := "waveform"
	if w.Iactive {
		class += " active"
	}
	var body goapp.UI
	if len(w.Ipeaks) == 0 {
		body = goapp.Div().Class("waveform-pending").Text("rendering…")
	} else {
		body = goapp.Raw(waveformSVG(w.Ipeaks))
	}
	return goapp.Div().
		Class(class).
		DataSet("loop-color", w.Icolor).
		Aria("hidden", "true").
		Body(
			body,
			goapp.If(w.Iactive, func() goapp.UI { return goapp.Div().Class("playhead") }),
		)
}

// waveformSVG returns a mirrored bar chart of the peaks, 100 units tall,
// scaled so the loudest peak fills it: a quiet pad reads as well as drums.
func waveformSVG(peaks []float32) string {
	var top float32
	for _, p := range peaks {
		top = max(top, p)
	}
	if top <= 0 {
		top = 1
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="waveform-svg" viewBox="0 0 %d 100" preserveAspectRatio="none" xmlns="http://www.w3.org/2000/svg"><path d="`, len(peaks))
	for i, p := range peaks {
		h := float64(p/top) * 46
		if h < 1 {
			h = 1
		}
		fmt.Fprintf(&b, "M%d.15 %.1fh0.7v%.1fh-0.7z", i, 50-h, 2*h)
	}
	b.WriteString(`"/></svg>`)
	return b.String()
}
