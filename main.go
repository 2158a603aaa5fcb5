// Command loops is Loops With Friends: built for the browser (GOOS=js
// GOARCH=wasm) it is the app; built for a server it serves the app, the jam
// hub and the loop files, and carries the render and load tools.
package main

import (
	"os"

	"github.com/loopswithfriends/loops/app"
	goapp "github.com/maxence-charriere/go-app/v10/pkg/app"
)

// version identifies the build; the Makefile sets it from the WASM's hash so
// that a new build reaches players through the service worker.
var version = "dev"

func main() {
	if app.InWarmWorker() {
		app.Warm()
		app.ServeRenders() // then the page's loops, in the worker
		return
	}
	if app.InExportWorker() {
		app.RunExportWorker() // a recording page's WAV export, in its worker
		return
	}
	app.Routes()
	goapp.RunWhenOnBrowser()
	os.Exit(serve(os.Args[1:]))
}
