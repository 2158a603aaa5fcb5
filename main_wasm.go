//go:build wasm

package main

// serve is never reached in the browser: RunWhenOnBrowser does not return.
// It exists so that server code stays out of the WASM.
func serve([]string) int { return 0 }
