// Package web holds the app's static files, embedded into the server binary.
// The WASM (app.wasm and its precompressed copies) is built by `make wasm`
// and never committed.
package web

import "embed"

// FS holds every static file of the app.
//
//go:embed all:static
var FS embed.FS
