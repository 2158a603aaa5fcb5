package app

import (
	"fmt"
	"strconv"

	goapp "github.com/maxence-charriere/go-app/v10/pkg/app"
)

// statusBar is the top of the page: the app's name, the connection and the
// clock sync, shown honestly with the measured offset and round trip.
type statusBar struct {
	goapp.Compo

	Iconn     string
	IoffsetMs float64
	IrttMs    float64
	Isettled  bool
}

// iconImage is the app's icon as the pages show it: a PNG, which the
// browser decodes off the page's thread, where each <img> of the SVG made
// Chromium build an SVG document of its own on it (7 ms of CPU each in
// headless chromium on this box, at every mount).
const iconImage = "/web/icon-192.png"

func newStatusBar() *statusBar { return &statusBar{Iconn: stateConnecting} }

// Connection sets the connection state.
func (s *statusBar) Connection(state string) *statusBar { s.Iconn = state; return s }

// Sync sets the clock's offset and round trip, and whether it settled:
// until then the bar says it is syncing (a jittery link takes the first
// burst of pings, about 2.5 s).
func (s *statusBar) Sync(offsetMs, rttMs float64, settled bool) *statusBar {
	s.IoffsetMs, s.IrttMs, s.Isettled = offsetMs, rttMs, settled
	return s
}

// Render draws the bar.
func (s *statusBar) Render() goapp.UI {
	conn := map[string]string{
		stateConnecting: "Connecting…",
		stateOnline:     "Online",
		stateOffline:    "Offline, reconnecting…",
		stateElsewhere:  "Playing elsewhere",
	}[s.Iconn]
	sync := "Syncing clock…"
	if s.Isettled {
		sync = fmt.Sprintf("clock %+.1f ms · rtt %.1f ms", s.IoffsetMs, s.IrttMs)
	}
	return goapp.Header().Class("topbar").Body(
		goapp.H1().Class("brand-title").Body(
			goapp.A().Class("brand").Href("/").Aria("label", "Loops With Friends, home").Body(
				goapp.Img().Src(iconImage).Alt("").Aria("hidden", "true").Class("brand-icon"),
				goapp.Span().Class("brand-name").Text("Loops With Friends"),
			),
		),
		goapp.Div().Class("status").Body(
			goapp.Span().
				ID("connection").
				Class("pill conn-"+s.Iconn).
				DataSet("state", s.Iconn).
				Attr("role", "status").
				Aria("label", "Connection: "+conn).
				Body(
					goapp.Span().Class("dot").Aria("hidden", "true"),
					goapp.Span().Text(conn),
				),
			goapp.Span().
				ID("sync").
				Class("pill sync").
				DataSet("offset-ms", strconv.FormatFloat(s.IoffsetMs, 'f', 2, 64)).
				DataSet("rtt-ms", strconv.FormatFloat(s.IrttMs, 'f', 2, 64)).
				DataSet("settled", strconv.FormatBool(s.Isettled)).
				Title("Offset of this device's clock to the jam's, and the round trip it was measured over").
				Text(sync),
		),
	)
}
