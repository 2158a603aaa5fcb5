// Package app is the browser app: go-app components, the audio engine and
// the socket client. It compiles on both sides: on the server it only
// describes the app to go-app's handler.
package app

import (
	"regexp"
	"strings"

	goapp "github.com/maxence-charriere/go-app/v10/pkg/app"
)

// jamPath matches the path of an invite link, /jam/{id}.
var jamPath = regexp.MustCompile(`^/jam/([A-Za-z0-9_-]{1,64})$`)

// Routes registers the app's pages with go-app: "/" joins whichever jam has
// room, "/jam/{id}" joins that jam.
func Routes() {
	goapp.Route("/", func() goapp.Composer { return newJamPage() })
	goapp.RouteWithRegexp(jamPath.String(), func() goapp.Composer { return newJamPage() })
}

// jamFromPath returns the jam id of an invite link's path, or "".
func jamFromPath(p string) string {
	m := jamPath.FindStringSubmatch(strings.TrimSuffix(p, "/"))
	if m == nil {
		return ""
	}
	return m[1]
}
