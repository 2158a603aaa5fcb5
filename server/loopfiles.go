//go:build !wasm

package server

import "net/http"

// newLoopFiles returns the handler of GET /loops/{id}.wav and
// GET /loops/mix.wav?ids=a,b,c (the sound issue fills it in).
func newLoopFiles() http.Handler { return http.NotFoundHandler() }
