//go:build !wasm

package app

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"

	goapp "github.com/maxence-charriere/go-app/v10/pkg/app"
)

// The app's colors: a warm, dark stage. Kept in step with web/static/loops.css.
const (
	backgroundColor = "#1b1512"
	themeColor      = "#1b1512"
)

// Handler returns the HTTP handler that serves the app (its pages, the WASM
// and its static files) for the build version. static holds the folder
// "static" of the web package; version "dev" (an unstamped build) lets go-app
// pick a version per start, so a rebuilt server still reaches the players.
func Handler(version string, static fs.FS) http.Handler {
	files, err := fs.Sub(static, "static")
	if err != nil {
		files = static
	}
	if version == "dev" {
		version = ""
	}
	res := newStaticFiles(files)
	h := &goapp.Handler{
		Name:            "Loops With Friends",
		ShortName:       "Loops",
		Title:           "Loops With Friends",
		Description:     "Jam with up to six friends: everyone starts and stops a loop, every loop lands on the same beat.",
		Author:          "Loops With Friends",
		Keywords:        []string{"music", "jam", "loops", "collaborative"},
		Lang:            "en",
		BackgroundColor: backgroundColor,
		ThemeColor:      themeColor,
		LoadingLabel:    "Tuning up…",
		// A shared link's preview: the app's wide screenshot, under the
		// origin the page is served from (fixPrerender).
		Domain: linkDomain,
		Image:  "/web/screenshot-wide.png",
		Icon: goapp.Icon{
			Default:  iconImage,
			Large:    "/web/icon-512.png",
			SVG:      "/web/icon.svg",
			Maskable: "/web/icon-maskable-512.png",
		},
		Styles:                []string{"/web/loops.css", loopColorsPath},
		RawHeaders:            []string{wholeFirst},
		CacheableResources:    []string{"/web/icon.svg", exportWorkerScript, warmWorkerScript},
		Version:               version,
		Resources:             res,
		ServiceWorkerTemplate: serviceWorker(),
	}
	return pageHeaders(badInvites(fixPrerender(&richManifest{Handler: h, loader: &warmLoader{Handler: h}})))
}

// badInvites answers 404 to an invite path whose jam id breaks the jam-id
// rule: the routes match a jam's path by shape only (Routes), and such a
// link must not open the app, which would join some other jam.
func badInvites(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/jam/") && jamFromPath(r.URL.Path) == "" {
			http.NotFound(w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// screenshots are the manifest's, for the richer install prompt: one for
// phones (narrow) and one for desktops (wide).
var screenshots = []map[string]string{
	{"src": "/web/screenshot-narrow.png", "sizes": "500x1000", "type": "image/png", "form_factor": "narrow", "label": "Your loop playing, with a friend's"},
	{"src": "/web/screenshot-wide.png", "sizes": "1280x860", "type": "image/png", "form_factor": "wide", "label": "A jam of three: your loop, your friends', and the loop picker"},
}

// richManifest serves go-app's web manifest with what go-app leaves out:
// an id, which keeps the installed app the same app whatever its start
// URL, and screenshots.
type richManifest struct {
	*goapp.Handler
	loader   *warmLoader
	once     sync.Once
	manifest []byte
}

func (h *richManifest) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/app.js" {
		h.loader.ServeHTTP(w, r)
		return
	}
	if r.URL.Path != "/manifest.webmanifest" && r.URL.Path != "/manifest.json" {
		h.Handler.ServeHTTP(w, r)
		return
	}
	h.once.Do(func() {
		rec := httptest.NewRecorder()
		h.Handler.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/manifest.webmanifest", nil))
		m := map[string]any{}
		if err := json.Unmarshal(rec.Body.Bytes(), &m); err != nil {
			h.manifest = rec.Body.Bytes()
			return
		}
		m["id"] = "/"
		m["screenshots"] = screenshots
		h.manifest, _ = json.Marshal(m)
	})
	w.Header().Set("Content-Type", "application/manifest+json")
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("ETag", `"`+h.Version+`"`)
	w.Write(h.manifest)
}

// warmLoader serves go-app's loader (/app.js) with the WASM compiled
// and warmed by the warm worker (app/warm_worker.go) and started, in a
// task of its own, on the module the worker compiled once the worker ran
// it; on its own, without a worker that can, the page compiles the WASM
// from the network as go-app does. go-app's loader read the response chunk
// by chunk in script to show a progress figure: that loop ran on the
// page's one thread for every chunk of 7 MB, 120 to 160 ms in all in
// headless chromium (four times that on a phone), each chunk's new figure
// laying the page out again; the welcome's button says "Getting ready…"
// instead. If go-app's loader changes so that its calls are not found, it
// is served as it is.
type warmLoader struct {
	*goapp.Handler
	once   sync.Once
	header http.Header
	body   []byte
}

// warmStart is the script added to go-app's loader. loopsWarmInstantiate
// is instantiateStreaming(fetch(url), imports) by way of the warm worker:
// it takes the module the worker posts, and instantiates it when the
// worker says "warm", or 3 s after the module came, or on its own if the
// worker fails, or if window.loopsNoWarm is set (TestStartBench's
// baseline); window.loopsWasmStart says which ("warm", "late", "alone"...).
// loopsYield() returns after a task of its own (a message to the page
// itself: a timer would wait 4 ms). go-app's service worker is registered
// once the app has started (loopsRegisterLater, appStarted), not as the
// loader runs: its install caches the whole app, the WASM's 7 MB with it,
// and on a first visit it did so while the page started, its work on the
// browser's threads taking the cores the page's thread waited for.
const warmStart = `
// loopsRegisterLater registers go-app's service worker when the page calls
// loopsStarted() and its thread is next idle, or 10 s after the loader
// ran, whichever comes first.
function loopsRegisterLater() {
  let registered = false;
  const register = () => {
    if (!registered) {
      registered = true;
      goappInitServiceWorker();
    }
  };
  window.loopsStarted = () => {
    const idle = window.requestIdleCallback || ((f) => setTimeout(f, 0));
    idle(register, { timeout: 3000 });
  };
  setTimeout(register, 10000);
}

function loopsYield() {
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => resolve();
    channel.port2.postMessage(0);
  });
}

function loopsWarmInstantiate(url, imports) {
  return new Promise((resolve, reject) => {
    const alone = () => {
      window.loopsWasmStart = "alone";
      WebAssembly.instantiateStreaming(fetch(url), imports).then(resolve, reject);
    };
    let worker, module, started = false;
    const start = (why) => {
      if (started) return;
      started = true;
      if (!module) {
        worker.terminate();
        return alone();
      }
      window.loopsWasmStart = why;
      WebAssembly.instantiate(module, imports).then((instance) => resolve({ module, instance }), reject);
    };
    if (window.loopsNoWarm) {
      return alone();
    }
    try {
      worker = new Worker("/web/warm-worker.js");
    } catch {
      return alone();
    }
    worker.onmessage = (e) => {
      if (e.data.type === "module") {
        module = e.data.module;
        setTimeout(() => start("late"), 3000);
        return;
      }
      if (e.data.type === "warm") {
        window.loopsRenderWorker = worker;
        worker.onmessage = null;
      }
      start(e.data.type);
    };
    worker.onerror = () => start("error");
  });
}
`

// loaderEdits are the edits warmStart's loader makes to go-app's, each of
// a text found exactly once.
var loaderEdits = []struct{ old, new string }{
	{"goappInitServiceWorker();\n", "loopsRegisterLater();\n"},
	{`instantiateStreaming(
      fetchWithProgress("/web/app.wasm", showProgress),`, `loopsWarmInstantiate("/web/app.wasm",`},
	{`go.run(wasm.instance);`, `await loopsYield();
    window.loopsWasmMemory = wasm.instance.exports.mem;
    go.run(wasm.instance);`},
}

func (h *warmLoader) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.once.Do(func() {
		rec := httptest.NewRecorder()
		h.Handler.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/app.js", nil))
		h.header, h.body = rec.Header(), rec.Body.Bytes()
		js := string(h.body)
		for _, e := range loaderEdits {
			if strings.Count(js, e.old) != 1 {
				return
			}
		}
		for _, e := range loaderEdits {
			js = strings.Replace(js, e.old, e.new, 1)
		}
		h.body = []byte(js + warmStart)
	})
	for k, v := range h.header {
		if k != "Content-Length" {
			w.Header()[k] = v
		}
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(h.body)))
	if r.Method != http.MethodHead {
		w.Write(h.body)
	}
}

// staticFiles serves the files of web/static at /web/, and app.wasm from its
// precompressed copies. It is the go-app handler's ResourceResolver.
//
// Every file is served from the embedded bytes as they are: an embedded
// file opens as an io.ReadSeeker over the binary's own data, so a request
// copies nothing but what it writes, however slowly it reads, and
// http.ServeContent answers Range and If-None-Match. The ETags are the
// files' hashes, taken once. A directory, or any name not in the tree, is
// 404: there are no listings.
type staticFiles struct {
	files fs.FS
	tags  map[string]string // ETag by file name (slash-separated, no leading slash)
	// made are the files made at start rather than embedded (the loop
	// colors' style sheet), by name.
	made map[string][]byte
}

var (
	_ goapp.ResourceResolver = (*staticFiles)(nil)
	_ http.Handler           = (*staticFiles)(nil)
)

func newStaticFiles(files fs.FS) *staticFiles {
	s := &staticFiles{files: files, tags: make(map[string]string), made: make(map[string][]byte)}
	colors := strings.TrimPrefix(loopColorsPath, "/web/")
	s.made[colors] = []byte(loopColorsCSS())
	sum := sha256.Sum256(s.made[colors])
	s.tags[colors] = `"` + hex.EncodeToString(sum[:12]) + `"`
	_ = fs.WalkDir(files, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		f, err := files.Open(name)
		if err != nil {
			return nil
		}
		defer f.Close()
		sum := sha256.New()
		if _, err := io.Copy(sum, f); err == nil {
			s.tags[name] = `"` + hex.EncodeToString(sum.Sum(nil)[:12]) + `"`
		}
		return nil
	})
	return s
}

// Resolve keeps every location on this server: /web/x stays /web/x.
func (s *staticFiles) Resolve(location string) string {
	if location == "" {
		return "/"
	}
	return location
}

// ServeHTTP serves a file under /web/.
func (s *staticFiles) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	name, ok := strings.CutPrefix(path.Clean(r.URL.Path), "/web/")
	if !ok {
		http.NotFound(w, r)
		return
	}
	if name == "app.wasm" {
		s.serveWasm(w, r)
		return
	}
	s.serveFile(w, r, name)
}

// serveFile serves the file name from the embedded bytes, with its ETag.
func (s *staticFiles) serveFile(w http.ResponseWriter, r *http.Request, name string) {
	tag, ok := s.tags[name]
	if !ok {
		http.NotFound(w, r)
		return
	}
	if b, ok := s.made[name]; ok {
		w.Header().Set("ETag", tag)
		http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(b))
		return
	}
	f, err := s.files.Open(name)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	defer f.Close()
	content, ok := f.(io.ReadSeeker)
	if !ok {
		// Not an embed.FS (a test's): read it once for this request.
		b, err := io.ReadAll(f)
		if err != nil {
			http.Error(w, "read failed", http.StatusInternalServerError)
			return
		}
		content = bytes.NewReader(b)
	}
	w.Header().Set("ETag", tag)
	http.ServeContent(w, r, name, time.Time{}, content)
}

// serveWasm sends app.wasm as brotli or gzip when the browser takes it and
// the copy exists, and as is otherwise; each encoding is its own
// representation, with its own tag.
func (s *staticFiles) serveWasm(w http.ResponseWriter, r *http.Request) {
	w.Header().Add("Vary", "Accept-Encoding")
	w.Header().Set("Content-Type", "application/wasm")
	for _, enc := range []struct{ name, ext string }{{"br", ".br"}, {"gzip", ".gz"}} {
		if _, ok := s.tags["app.wasm"+enc.ext]; !ok || !acceptsEncoding(r.Header.Get("Accept-Encoding"), enc.name) {
			continue
		}
		w.Header().Set("Content-Encoding", enc.name)
		s.serveFile(w, r, "app.wasm"+enc.ext)
		return
	}
	s.serveFile(w, r, "app.wasm")
}

// acceptsEncoding reports whether an Accept-Encoding header takes the coding
// with a quality above zero.
func acceptsEncoding(header, coding string) bool {
	for _, part := range strings.Split(header, ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if !strings.EqualFold(strings.TrimSpace(name), coding) {
			continue
		}
		q := strings.TrimSpace(params)
		if v, ok := strings.CutPrefix(q, "q="); ok {
			if f, err := strconv.ParseFloat(v, 64); err == nil && f <= 0 {
				return false
			}
		}
		return true
	}
	return false
}

// serviceWorker returns go-app's worker with two changes: a page of the app
// that is not cached yet (a /jam/{id} or /r/{id} link) opens from the cached
// "/" when the network is gone, so the app still opens offline; and a
// recording's JSON is cached when fetched, so that a recording opened once
// plays offline.
func serviceWorker() string {
	const fetchWithCache = `async function fetchWithCache(request) {
  const cachedResponse = await caches.match(request);
  if (cachedResponse) {
    return cachedResponse;
  }
  return await fetch(request);
}`
	const fetchWithFallback = `async function fetchWithCache(request) {
  const url = new URL(request.url);
  if (url.origin === self.location.origin && url.pathname.startsWith("/api/recordings/")) {
    return await fetchRecording(request);
  }
  const cachedResponse = await caches.match(request);
  if (cachedResponse) {
    return cachedResponse;
  }
  try {
    return await fetch(request);
  } catch (err) {
    if (request.mode === "navigate") {
      const page = await caches.match("/");
      if (page) {
        return page;
      }
    }
    throw err;
  }
}

// A recording opened once plays offline: the network first (a recording
// never changes, but it may expire), its cached copy when offline. Its
// cache outlives the app's versions.
const recordingsCache = "` + recordingsCache + `";

async function fetchRecording(request) {
  const cache = await caches.open(recordingsCache);
  try {
    const response = await fetch(request);
    if (response.ok) {
      await cache.put(request, response.clone());
    } else if (response.status === 404) {
      await cache.delete(request);
    }
    return response;
  } catch (err) {
    const cached = await cache.match(request);
    if (cached) {
      return cached;
    }
    throw err;
  }
}`
	const keepCaches = "if (key !== cacheName) {"
	const keepRecordings = "if (key !== cacheName && key !== recordingsCache) {"
	js := strings.Replace(goapp.DefaultAppWorkerJS, fetchWithCache, fetchWithFallback, 1)
	return strings.Replace(js, keepCaches, keepRecordings, 1)
}
