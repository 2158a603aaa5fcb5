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
//
// The paths are matched by their shape only, the pages check the id
// (jamFromPath, recordingFromPath): go-app compiles each route's regular
// expression as it is registered, at the start of every page, and a
// counted repetition such as {1,64} compiles into 64 nested copies of its
// class, 13 ms of a phone's first run for each.
func Routes() {
	goapp.Route("/", func() goapp.Composer { return newJamPage() })
	goapp.RouteWithRegexp(`^/jam/[A-Za-z0-9_-]+$`, func() goapp.Composer { return newJamPage() })
	goapp.RouteWithRegexp(`^/r/[A-Za-z0-9_-]+$`, func() goapp.Composer { return newRecordingPage() })
}

// jamFromPath returns the jam id of an invite link's path, or "".
func jamFromPath(p string) string {
	id, ok := strings.CutPrefix(strings.TrimSuffix(p, "/"), "/jam/")
	if !ok || !shared.ValidJamID(id) {
		return ""
	}
	return id
}

// recordingFromPath returns the recording id of a recording page's path,
// or "".
func recordingFromPath(p string) string {
	id, ok := strings.CutPrefix(strings.TrimSuffix(p, "/"), "/r/")
	if !ok || !shared.ValidRecordingID(id) {
		return ""
	}
	return id
}
