//go:build !wasm

package app

import "net/http"

// pageHeaders sets the headers every response of the app carries: its
// pages, the WASM, the service worker, the manifest and the icons. Add a
// header here, once, rather than in each handler.
//
// Cross-origin isolation (COOP same-origin with COEP require-corp) makes
// the browser's timers fine again (Firefox rounds performance.now() to 1 ms
// otherwise, and the clock's offset takes a bias from it). The app loads
// nothing from another origin, so isolation costs nothing; CORP same-origin
// keeps its own files from being embedded by other sites' isolated pages.
func pageHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Cross-Origin-Embedder-Policy", "require-corp")
		h.Set("Cross-Origin-Resource-Policy", "same-origin")
		next.ServeHTTP(w, r)
	})
}
