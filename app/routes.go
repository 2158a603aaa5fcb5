// Package app is the browser app: go-app components, the audio engine and
// the socket client. It compiles on both sides: on the server it only
// describes the app to go-app's handler.
package app

import (
	"strings"

	"github.com/loopswithfriends/loops/shared"
	goapp "github.com/maxence-charriere/go-app/v10/pkg/app"
)

// Routes registers the app's pages with go-app: "/" joins whichever jam has
// room, "/jam/{id}" joins that jam, "/r/{id}" plays a saved recording.
func Routes() {
	goapp.Route("/", func() goapp.Composer { return newJamPage() })
	goapp.RouteWithRegexp("^/jam/"+shared.JamIDPattern+"$", func() goapp.Composer { return newJamPage() })
	goapp.RouteWithRegexp(recordingPath.String(), func() goapp.Composer { return newRecordingPage() })
}

// jamFromPath returns the jam id of an invite link's path, or "".
func jamFromPath(p string) string {
	id, ok := strings.CutPrefix(strings.TrimSuffix(p, "/"), "/jam/")
	if !ok || !shared.ValidJamID(id) {
		return ""
	}
	return id
}
