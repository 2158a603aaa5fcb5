//go:build !wasm

package server

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/andybalholm/brotli"
)

func TestCompressText(t *testing.T) {
	page := strings.Repeat("<p>Loops With Friends</p>\n", 200)
	inner := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("ETag", `"v1"`)
		if r.Header.Get("If-None-Match") == `"v1"` {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		switch r.URL.Path {
		case "/app.wasm":
			w.Header().Set("Content-Type", "application/wasm")
			w.Header().Set("Content-Encoding", "br")
			io.WriteString(w, "already brotli")
		case "/icon.png":
			w.Header().Set("Content-Type", "image/png")
			io.WriteString(w, "png bytes")
		case "/app.js":
			w.Header().Set("Content-Type", "application/javascript")
			io.WriteString(w, page)
		default:
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.Header().Set("Content-Length", "5200")
			io.WriteString(w, page)
		}
	})
	h := compressText(inner)
	get := func(path string, header ...string) *http.Response {
		r := httptest.NewRequest("GET", path, nil)
		for i := 0; i+1 < len(header); i += 2 {
			r.Header.Set(header[i], header[i+1])
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w.Result()
	}
	body := func(res *http.Response) string {
		b, _ := io.ReadAll(res.Body)
		return string(b)
	}
	t.Run("a page goes out as brotli to a browser that takes it", func(t *testing.T) {
		res := get("/", "Accept-Encoding", "gzip, deflate, br, zstd")
		if res.Header.Get("Content-Encoding") != "br" || res.Header.Get("Content-Length") != "" || !strings.Contains(res.Header.Get("Vary"), "Accept-Encoding") {
			t.Fatalf("headers %v", res.Header)
		}
		raw, _ := io.ReadAll(res.Body)
		plain, err := io.ReadAll(brotli.NewReader(bytes.NewReader(raw)))
		if err != nil || string(plain) != page {
			t.Fatalf("decoded %d bytes (%v), want the page", len(plain), err)
		}
		if len(raw) > len(page)/10 {
			t.Errorf("%d bytes for a %d-byte page", len(raw), len(page))
		}
	})
	t.Run("a script goes out as gzip to a browser without brotli", func(t *testing.T) {
		res := get("/app.js", "Accept-Encoding", "gzip")
		if res.Header.Get("Content-Encoding") != "gzip" {
			t.Fatalf("headers %v", res.Header)
		}
		zr, err := gzip.NewReader(res.Body)
		if err != nil {
			t.Fatal(err)
		}
		if plain, _ := io.ReadAll(zr); string(plain) != page {
			t.Errorf("decoded %d bytes, want the script", len(plain))
		}
	})
	t.Run("a browser that takes no encoding, or refuses it, gets the plain text", func(t *testing.T) {
		for _, ae := range []string{"", "identity", "br;q=0, gzip;q=0"} {
			res := get("/", "Accept-Encoding", ae)
			if res.Header.Get("Content-Encoding") != "" || body(res) != page || res.Header.Get("ETag") != `"v1"` {
				t.Errorf("Accept-Encoding %q: headers %v", ae, res.Header)
			}
		}
	})
	t.Run("each encoding has its own tag, and a revalidation with it is a 304", func(t *testing.T) {
		res := get("/", "Accept-Encoding", "br")
		if tag := res.Header.Get("ETag"); tag != `"v1-br"` {
			t.Fatalf("ETag %q, want \"v1-br\"", tag)
		}
		res = get("/", "Accept-Encoding", "br", "If-None-Match", `"v1-br"`)
		if res.StatusCode != http.StatusNotModified || res.Header.Get("ETag") != `"v1-br"` || body(res) != "" {
			t.Errorf("status %d, ETag %q", res.StatusCode, res.Header.Get("ETag"))
		}
		res = get("/", "Accept-Encoding", "gzip", "If-None-Match", `"v1-br"`)
		if res.StatusCode != http.StatusOK || res.Header.Get("ETag") != `"v1-gzip"` {
			t.Errorf("a gzip request with the brotli tag: status %d, ETag %q", res.StatusCode, res.Header.Get("ETag"))
		}
	})
	t.Run("what is already encoded, or not text, passes untouched", func(t *testing.T) {
		res := get("/app.wasm", "Accept-Encoding", "br")
		if res.Header.Get("Content-Encoding") != "br" || body(res) != "already brotli" {
			t.Errorf("wasm: %v", res.Header)
		}
		res = get("/icon.png", "Accept-Encoding", "br")
		if res.Header.Get("Content-Encoding") != "" || body(res) != "png bytes" {
			t.Errorf("png: %v", res.Header)
		}
	})
	t.Run("a range request passes untouched", func(t *testing.T) {
		res := get("/", "Accept-Encoding", "br", "Range", "bytes=0-9")
		if res.Header.Get("Content-Encoding") != "" {
			t.Errorf("headers %v", res.Header)
		}
	})
}
