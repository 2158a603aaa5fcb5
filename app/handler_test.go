//go:build !wasm

package app

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/loopswithfriends/loops/shared"
)

// discard is a ResponseWriter that keeps nothing of the body.
type discard struct{ h http.Header }

func (d discard) Header() http.Header         { return d.h }
func (d discard) Write(b []byte) (int, error) { return len(b), nil }
func (d discard) WriteHeader(int)             {}

func testStatic() fstest.MapFS {
	return fstest.MapFS{
		"static/app.wasm":    {Data: []byte("\x00asm-plain")},
		"static/app.wasm.br": {Data: []byte("brotli!")},
		"static/app.wasm.gz": {Data: []byte("gzip!!")},
		"static/loops.css":   {Data: []byte("body{}")},
		"static/icon.svg":    {Data: []byte("<svg/>")},
		"static/sub/x.png":   {Data: []byte("png")},
	}
}

func get(t *testing.T, h http.Handler, path string, header ...string) (*http.Response, string) {
	t.Helper()
	r := httptest.NewRequest("GET", path, nil)
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Set(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	res := w.Result()
	body, _ := io.ReadAll(res.Body)
	return res, string(body)
}

// metaContent returns the content of the page's <meta property=prop>, its
// attributes in any order (go-app writes them in no fixed one).
func metaContent(page, prop string) string {
	for _, tag := range regexp.MustCompile(`<meta [^>]*>`).FindAllString(page, -1) {
		if strings.Contains(tag, ` property="`+prop+`"`) {
			if m := regexp.MustCompile(` content="([^"]*)"`).FindStringSubmatch(tag); m != nil {
				return m[1]
			}
		}
	}
	return ""
}

func TestHandler(t *testing.T) {
	Routes()
	h := Handler("v123", testStatic())

	t.Run("the page's ARIA attributes have values and the hidden loader icon is not fetched", func(t *testing.T) {
		res, body := get(t, h, "/")
		if bare := regexp.MustCompile(`\saria-[a-z]+[\s>/]`).FindString(body); bare != "" {
			t.Errorf("a bare ARIA attribute: %q", bare)
		}
		if !strings.Contains(body, `aria-hidden="true"`) {
			t.Error(`no aria-hidden="true" in the page`)
		}
		if icon := regexp.MustCompile(`<img[^>]*app-wasm-loader-icon[^>]*>`).FindString(body); icon == "" || strings.Contains(icon, "src=") {
			t.Errorf("the loader icon: %q", icon)
		}
		if n, _ := strconv.Atoi(res.Header.Get("Content-Length")); n != len(body) {
			t.Errorf("Content-Length %s for a body of %d bytes", res.Header.Get("Content-Length"), len(body))
		}
	})

	t.Run("a shared link's preview points at the origin the page was asked for", func(t *testing.T) {
		for _, c := range []struct {
			host, proto, origin string
		}{
			{"loops.example:8080", "", "http://loops.example:8080"},
			{"loops.example", "https", "https://loops.example"},
			{"[::1]:8080", "", "http://[::1]:8080"},
		} {
			req := httptest.NewRequest(http.MethodGet, "/jam/abc", nil)
			req.Host = c.host
			if c.proto != "" {
				req.Header.Set("X-Forwarded-Proto", c.proto)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			body := rec.Body.String()
			for prop, want := range map[string]string{
				"og:url":   c.origin + "/jam/abc",
				"og:image": c.origin + "/web/screenshot-wide.png",
			} {
				if got := metaContent(body, prop); got != want {
					t.Errorf("Host %s: %s is %q, want %q", c.host, prop, got, want)
				}
			}
			if strings.Contains(body, linkDomain) {
				t.Errorf("Host %s: the placeholder left in the page", c.host)
			}
		}
		// net/http answers a Host like this one with 400 before any
		// handler; behind another front end, it stays out of the page.
		req := httptest.NewRequest(http.MethodGet, "/jam/abc", nil)
		req.Host = `evil"><script>`
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if body := rec.Body.String(); strings.Contains(body, "evil") || strings.Contains(body, linkDomain) {
			t.Error("a Host with markup in it reached the page")
		}
	})

	t.Run("the first screen is in the HTML: the welcome and its button getting ready, and not the stage behind it", func(t *testing.T) {
		for _, path := range []string{"/", "/jam/abc"} {
			_, body := get(t, h, path)
			for _, want := range []string{`<dialog`, `id="welcome"`, "You get a loop.", `id="welcome-start"`, `data-ready="false"`, "Getting ready…", "<h1"} {
				if !strings.Contains(body, want) {
					t.Errorf("%s lacks %s", path, want)
				}
			}
			// Behind the welcome nothing is drawn (loops.css), and the
			// app draws the stage once the jam comes (jamPage.stage).
			if strings.Contains(body, `class="card`) {
				t.Errorf("%s has the stage's cards behind the welcome", path)
			}
		}
	})
	t.Run("the first paint waits for the page parsed whole, the welcome with it", func(t *testing.T) {
		for _, path := range []string{"/", "/jam/abc"} {
			_, body := get(t, h, path)
			head, page, ok := strings.Cut(body, "</head>")
			m := regexp.MustCompile(`<link rel="expect" href="#([^"]+)" blocking="render">`).FindStringSubmatch(head)
			if !ok || m == nil {
				t.Errorf("%s: no render-blocking expect link in the head", path)
				continue
			}
			end, target := strings.Index(page, "</dialog>"), strings.Index(page, `id="`+m[1]+`"`)
			if end < 0 || target < end {
				t.Errorf("%s: the first paint waits for #%s (at %d), which comes before the welcome's end (at %d)", path, m[1], target, end)
			}
		}
	})
	t.Run("every response of the app makes the page cross-origin isolated", func(t *testing.T) {
		for _, path := range []string{"/", "/jam/abc", "/web/app.wasm", "/app-worker.js", "/manifest.webmanifest", "/web/icon.svg", "/wasm_exec.js", "/app.js"} {
			res, _ := get(t, h, path)
			if res.StatusCode != http.StatusOK {
				t.Errorf("%s: status %d", path, res.StatusCode)
			}
			for name, want := range map[string]string{
				"Cross-Origin-Opener-Policy":   "same-origin",
				"Cross-Origin-Embedder-Policy": "require-corp",
				"Cross-Origin-Resource-Policy": "same-origin",
			} {
				if got := res.Header.Get(name); got != want {
					t.Errorf("%s: %s %q, want %q", path, name, got, want)
				}
			}
		}
	})
	t.Run("the loop colors' style sheet gives every loop of every kit its color, and the pages link it", func(t *testing.T) {
		res, css := get(t, h, loopColorsPath)
		if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/css") || res.Header.Get("ETag") == "" {
			t.Fatalf("status %d, type %q, ETag %q", res.StatusCode, res.Header.Get("Content-Type"), res.Header.Get("ETag"))
		}
		for _, k := range shared.Kits {
			for _, l := range k.Loops {
				if want := fmt.Sprintf(`[data-loop-color="%s"] { --loop-color: %s; }`, l.Color, l.Color); !strings.Contains(css, want) {
					t.Errorf("%s/%s: no rule %s", k.ID, l.ID, want)
				}
			}
		}
		if res, _ := get(t, h, loopColorsPath, "If-None-Match", res.Header.Get("ETag")); res.StatusCode != http.StatusNotModified {
			t.Errorf("with its ETag: status %d, want 304", res.StatusCode)
		}
		_, page := get(t, h, "/")
		if !strings.Contains(page, `href="`+loopColorsPath+`"`) {
			t.Errorf("the page does not link %s", loopColorsPath)
		}
	})
	t.Run("the first screen's HTML has no style attribute (the security policy allows none)", func(t *testing.T) {
		for _, path := range []string{"/", "/jam/abc", "/r/abc"} {
			if _, body := get(t, h, path); strings.Contains(body, " style=") {
				i := strings.Index(body, " style=")
				t.Errorf("%s has a style attribute: %s", path, body[max(0, i-80):min(len(body), i+80)])
			}
		}
	})
	t.Run("an invite whose jam id breaks the rule is not found; a good one is the app", func(t *testing.T) {
		for path, want := range map[string]int{
			"/jam/abc":                        http.StatusOK,
			"/jam/" + strings.Repeat("j", 64): http.StatusOK,
			"/jam/" + strings.Repeat("j", 65): http.StatusNotFound,
			"/jam/a.b":                        http.StatusNotFound,
			"/jam/":                           http.StatusNotFound,
		} {
			res, body := get(t, h, path)
			if res.StatusCode != want || (want == http.StatusNotFound) == strings.Contains(body, "loops.css") {
				t.Errorf("%s: status %d, want %d", path[:min(len(path), 24)], res.StatusCode, want)
			}
		}
	})
	t.Run("the WASM is sent as brotli to browsers that take it", func(t *testing.T) {
		res, body := get(t, h, "/web/app.wasm", "Accept-Encoding", "gzip, deflate, br, zstd")
		if body != "brotli!" || res.Header.Get("Content-Encoding") != "br" {
			t.Errorf("got %q with encoding %q", body, res.Header.Get("Content-Encoding"))
		}
		if res.Header.Get("Content-Type") != "application/wasm" || !strings.Contains(res.Header.Get("Vary"), "Accept-Encoding") {
			t.Errorf("headers %v", res.Header)
		}
	})
	t.Run("each encoding has its own tag, and revalidates", func(t *testing.T) {
		h := Handler("v9", testStatic())
		res, _ := get(t, h, "/web/app.wasm", "Accept-Encoding", "br")
		brTag := res.Header.Get("ETag")
		res, _ = get(t, h, "/web/app.wasm", "Accept-Encoding", "gzip")
		if gzTag := res.Header.Get("ETag"); brTag == "" || brTag == gzTag {
			t.Fatalf("ETags %q (br) and %q (gzip), want two", brTag, gzTag)
		}
		res, _ = get(t, h, "/web/app.wasm", "Accept-Encoding", "br", "If-None-Match", brTag)
		if res.StatusCode != http.StatusNotModified {
			t.Errorf("status %d for a fresh copy, want 304", res.StatusCode)
		}
		res, body := get(t, h, "/web/app.wasm", "Accept-Encoding", "gzip", "If-None-Match", brTag)
		if res.StatusCode != 200 || body != "gzip!!" {
			t.Errorf("status %d body %q for another encoding, want the gzip", res.StatusCode, body)
		}
	})
	t.Run("a range of the WASM is served from the embedded bytes", func(t *testing.T) {
		res, body := get(t, h, "/web/app.wasm", "Range", "bytes=1-3")
		if res.StatusCode != http.StatusPartialContent || body != "asm" {
			t.Errorf("status %d body %q, want 206 asm", res.StatusCode, body)
		}
	})
	t.Run("a directory under /web/ is not found, never listed", func(t *testing.T) {
		for _, path := range []string{"/web/", "/web/sub/", "/web/sub", "/web/../web/"} {
			if res, body := get(t, h, path); res.StatusCode != http.StatusNotFound || strings.Contains(body, "loops.css") {
				t.Errorf("%s: status %d, body %q", path, res.StatusCode, body)
			}
		}
	})
	t.Run("a request for the WASM copies none of it, however big", func(t *testing.T) {
		files := testStatic()
		files["static/app.wasm"] = &fstest.MapFile{Data: make([]byte, 8<<20)}
		h := Handler("v1", files)
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		const n = 10
		for range n {
			r := httptest.NewRequest("GET", "/web/app.wasm", nil)
			h.ServeHTTP(discard{make(http.Header)}, r)
		}
		runtime.ReadMemStats(&after)
		if per := (after.TotalAlloc - before.TotalAlloc) / n; per > 256<<10 {
			t.Errorf("%d KB allocated a request for an 8 MB file", per>>10)
		}
	})
	t.Run("as gzip to browsers without brotli", func(t *testing.T) {
		res, body := get(t, h, "/web/app.wasm", "Accept-Encoding", "gzip, br;q=0")
		if body != "gzip!!" || res.Header.Get("Content-Encoding") != "gzip" {
			t.Errorf("got %q with encoding %q", body, res.Header.Get("Content-Encoding"))
		}
	})
	t.Run("and as is otherwise", func(t *testing.T) {
		res, body := get(t, h, "/web/app.wasm")
		if body != "\x00asm-plain" || res.Header.Get("Content-Encoding") != "" {
			t.Errorf("got %q with encoding %q", body, res.Header.Get("Content-Encoding"))
		}
	})
	t.Run("static files are served from the embedded folder", func(t *testing.T) {
		res, body := get(t, h, "/web/loops.css")
		if res.StatusCode != 200 || body != "body{}" {
			t.Errorf("status %d body %q", res.StatusCode, body)
		}
	})
	t.Run("the pages of the app are served, invite links included", func(t *testing.T) {
		for _, path := range []string{"/", "/jam/abc-123"} {
			res, body := get(t, h, path)
			if res.StatusCode != 200 || !strings.Contains(body, "/web/loops.css") || !strings.Contains(body, "/web/icon.svg") {
				t.Errorf("%s: status %d", path, res.StatusCode)
			}
			if strings.Contains(body, "githubusercontent") {
				t.Errorf("%s links a resource outside the server", path)
			}
		}
	})
	t.Run("the manifest names the app with its own icons, an id and screenshots", func(t *testing.T) {
		_, body := get(t, h, "/manifest.webmanifest")
		for _, want := range []string{`"name":"Loops With Friends"`, "/web/icon-512.png", "/web/icon.svg", "/web/icon-192.png",
			`"id":"/"`, `"form_factor":"narrow"`, `"form_factor":"wide"`, "/web/screenshot-narrow.png", "/web/screenshot-wide.png"} {
			if !strings.Contains(body, want) {
				t.Errorf("manifest lacks %s: %s", want, body)
			}
		}
	})
	t.Run("the service worker caches the version and opens links offline", func(t *testing.T) {
		_, body := get(t, h, "/app-worker.js")
		for _, want := range []string{`"app-" + "v123"`, `request.mode === "navigate"`, "/web/app.wasm", "/web/loops.css"} {
			if !strings.Contains(body, want) {
				t.Errorf("worker lacks %s", want)
			}
		}
	})
	t.Run("the loader starts the WASM the warm worker compiled and ran, not through a progress loop, and shows the app its memory", func(t *testing.T) {
		_, body := get(t, h, "/app.js")
		for _, want := range []string{`await loopsWarmInstantiate("/web/app.wasm",`, "await loopsYield();\n    window.loopsWasmMemory = wasm.instance.exports.mem;\n    go.run(wasm.instance);",
			"function loopsWarmInstantiate(url, imports)", `new Worker("/web/warm-worker.js")`} {
			if !strings.Contains(body, want) {
				t.Errorf("app.js lacks %q:\n%s", want, body)
			}
		}
		if strings.Contains(body, `fetchWithProgress("`) {
			t.Errorf("app.js still reads the WASM through its progress loop")
		}
	})
	t.Run("the loader registers the service worker once the app has started, not as it runs", func(t *testing.T) {
		_, body := get(t, h, "/app.js")
		for _, want := range []string{"\nloopsRegisterLater();\n", "function loopsRegisterLater()", "window.loopsStarted = ", "setTimeout(register, 10000)"} {
			if !strings.Contains(body, want) {
				t.Errorf("app.js lacks %q", want)
			}
		}
		if strings.Contains(body, "\ngoappInitServiceWorker();\n") {
			t.Error("app.js registers the service worker as it runs")
		}
	})
}

func TestAcceptsEncoding(t *testing.T) {
	for _, c := range []struct {
		header, coding string
		want           bool
	}{
		{"gzip, deflate, br", "br", true},
		{"gzip;q=1.0, br;q=0", "br", false},
		{"GZIP", "gzip", true},
		{"", "gzip", false},
		{"identity", "gzip", false},
	} {
		if got := acceptsEncoding(c.header, c.coding); got != c.want {
			t.Errorf("acceptsEncoding(%q, %q) = %v", c.header, c.coding, got)
		}
	}
}

func TestServiceWorker(t *testing.T) {
	t.Run("the worker caches recordings apart from the app's versions, and opens pages offline", func(t *testing.T) {
		sw := serviceWorker()
		for _, want := range []string{
			`url.pathname.startsWith("/api/recordings/")`,
			"key !== cacheName && key !== recordingsCache",
			`caches.match("/")`,
		} {
			if !strings.Contains(sw, want) {
				t.Errorf("the service worker lacks %s: go-app's worker changed under the patch", want)
			}
		}
	})
}

func TestFixPage(t *testing.T) {
	for _, c := range []struct{ name, in, want string }{
		{"a bare aria attribute gets its true back",
			`<span class="swatch" aria-hidden></span>`, `<span class="swatch" aria-hidden="true"></span>`},
		{"a bare aria attribute before others and at the end",
			`<button aria-disabled class="chip" aria-current="false" aria-busy>x</button>`, `<button aria-disabled="true" class="chip" aria-current="false" aria-busy="true">x</button>`},
		{"other bare attributes stay bare",
			`<button autofocus disabled class="cta">`, `<button autofocus disabled class="cta">`},
		{"text and quoted values that look like attributes are left alone",
			`<p title="a aria-hidden b">see aria-hidden here</p>`, `<p title="a aria-hidden b">see aria-hidden here</p>`},
		{"the loader's image loses its src and nothing else",
			`<img id="app-wasm-loader-icon" class="goapp-logo goapp-spin" alt="wasm loader icon" src="/web/icon-192.png"><img src="/web/icon.svg" aria-hidden>`,
			`<img id="app-wasm-loader-icon" class="goapp-logo goapp-spin" alt="wasm loader icon"><img src="/web/icon.svg" aria-hidden="true">`},
		{"the loader's src may come first",
			`<img src="/web/icon-192.png" id="app-wasm-loader-icon">`, `<img id="app-wasm-loader-icon">`},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := string(fixPage([]byte(c.in))); got != c.want {
				t.Errorf("fixPage(%s)\n = %s\nwant %s", c.in, got, c.want)
			}
		})
	}
}
