// Package app is the browser app: go-app components, the audio engine and
// the socket client. It compiles on both sides: on the server it only
// describes the app to go-app's handler.
package app

import (
	"io/fs"
	"net/http"

	goapp "github.com/maxence-charriere/go-app/v10/pkg/app"
)

// Routes registers the app's pages with go-app.
func Routes() {
	// Filled in by the app issue.
}

// Handler returns the HTTP handler that serves the app (its pages, the WASM
// and its static files) for the build version.
func Handler(version string, static fs.FS) http.Handler {
	return &goapp.Handler{Name: "Loops With Friends", Version: version}
}
