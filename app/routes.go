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
// The paths are matched by their shape only (pageShape), the pages check
// the id (jamFromPath, recordingFromPath). The server's go-app matches the
// shapes by regular expression. The browser's registers exact paths: the
// page's own, and later a jam's it moves to (routePath). go-app compiles a
// route's regular expression as it is registered, at the start of every
// page, and the regexp package's parser brings the unicode package's tables
// of categories and scripts, maps built at init: on this machine the two
// took 60 ms of the browser's first run, four times that on a phone.
func Routes() {
	goapp.Route("/", func() goapp.Composer { return newJamPage() })
	if goapp.IsClient {
		// The runtime's start and the package inits were one task with
		// go-app's first page (see yieldThread).
		yieldThread()
		startHeap()
		routePath(goapp.Window().Get("location").Get("pathname").String())
		return
	}
	goapp.RouteWithRegexp(jamPathPattern, func() goapp.Composer { return newJamPage() })
	goapp.RouteWithRegexp(recordingPathPattern, func() goapp.Composer { return newRecordingPage() })
}

// The server's patterns of a jam's and a recording's path, which pageShape
// matches without the regexp package (TestPageShape holds them together).
const (
	jamPathPattern       = `^/jam/[A-Za-z0-9_-]+$`
	recordingPathPattern = `^/r/[A-Za-z0-9_-]+$`
)

// Page shapes pageShape tells apart.
const (
	notAPage = iota
	jamShape
	recordingShape
)

// pageShape returns which page a path has the shape of: "/jam/" or "/r/"
// and then one or more letters, digits, '_' or '-'.
func pageShape(p string) int {
	shape, id := notAPage, ""
	if rest, ok := strings.CutPrefix(p, "/jam/"); ok {
		shape, id = jamShape, rest
	} else if rest, ok := strings.CutPrefix(p, "/r/"); ok {
		shape, id = recordingShape, rest
	}
	if id == "" {
		return notAPage
	}
	for _, c := range []byte(id) {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return notAPage
		}
	}
	return shape
}

// routePath registers path with go-app in the browser if it has a page's
// shape, for the page that was opened there and for a jam the page moves
// to, whose invite link go-app opens in the page when clicked.
func routePath(path string) {
	if !goapp.IsClient {
		return // the server's routes match every page's path
	}
	switch pageShape(path) {
	case jamShape:
		goapp.Route(path, func() goapp.Composer { return newJamPage() })
	case recordingShape:
		goapp.Route(path, func() goapp.Composer { return newRecordingPage() })
	}
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
