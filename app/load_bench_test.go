//go:build !wasm

package app

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/loopswithfriends/loops/server/netdelay"
)

// TestLoadBench measures what opening the app costs: the WASM's raw, gzip
// and brotli sizes as bin/loops serves them, and, in headless chromium with
// a fresh profile, the bytes a first visit transfers, then a repeat visit
// (the service worker's), and the time from navigation to a page whose
// "Let's jam" button answers. The browser reaches the server through a
// proxy that forwards at once and counts every byte, the service worker's
// own fetches included; the page's own requests are also summed from CDP
// (Network.loadingFinished's encodedDataLength). Opt in with LOOPS_BENCH=1
// (`make bench`); LOOPS_LOAD_RUNS (3) sets how many fresh browsers.
func TestLoadBench(t *testing.T) {
	needBench(t)
	var wire *sniffer
	srv, proxy, proxyURL := startBehindProxy(t, netdelay.Link{}, func(l net.Listener) net.Listener {
		wire = &sniffer{Listener: l}
		return wire
	})

	t.Run("the first screen's text, plain and as sent", func(t *testing.T) {
		// The same-run baseline of compressing the text: what it weighs
		// sent as is.
		var plain, sent int64
		for _, path := range []string{"/", "/app.js", "/wasm_exec.js", "/app.css", "/web/loops.css", "/manifest.webmanifest"} {
			n, _ := servedSize(t, srv.url()+path, "identity")
			c, ce := servedSize(t, srv.url()+path, "br, gzip")
			t.Logf("LOAD %s: %s plain, %s sent as %q", path, mb(float64(n)), mb(float64(c)), ce)
			plain, sent = plain+n, sent+c
		}
		t.Logf("LOAD the first screen's text: %s sent, %s plain (ratio %.2f)", mb(float64(sent)), mb(float64(plain)), float64(sent)/float64(plain))
	})
	t.Run("the WASM's sizes", func(t *testing.T) {
		root := repoRoot(t)
		for _, f := range []string{"app.wasm", "app.wasm.gz", "app.wasm.br"} {
			if info, err := os.Stat(filepath.Join(root, "web", "static", f)); err == nil {
				t.Logf("LOAD web/static/%s: %s", f, mb(float64(info.Size())))
			}
		}
		for _, enc := range []string{"identity", "gzip", "br"} {
			n, ce := servedSize(t, srv.url()+"/web/app.wasm", enc)
			t.Logf("LOAD bin/loops serves /web/app.wasm for Accept-Encoding %s: %s, Content-Encoding %q", enc, mb(float64(n)), ce)
		}
	})

	runs := envInt("LOOPS_LOAD_RUNS", 3)
	var first, repeat []visit
	for i := 0; i < runs; i++ {
		b := newBrowser(t, fmt.Sprintf("load%d", i), 800, 700)
		rec := recordNetwork(t, b)
		markInteractive(t, b)
		wire.take()
		v := measureVisit(t, b, rec, proxy, proxyURL+"/", true)
		t.Logf("LOAD first visit %d: %s", i+1, v)
		t.Logf("on the wire: %s", strings.Join(wire.take(), " "))
		first = append(first, v)
		v = measureVisit(t, b, rec, proxy, proxyURL+"/", false)
		t.Logf("LOAD repeat visit %d: %s", i+1, v)
		t.Logf("on the wire: %s", strings.Join(wire.take(), " "))
		repeat = append(repeat, v)
		b.cancel()
	}
	verdict := func(ok bool) string {
		if ok {
			return "met"
		}
		return "MISSED"
	}
	if avg, err := os.ReadFile("/proc/loadavg"); err == nil {
		t.Logf("load average at the end: %s", strings.TrimSpace(string(avg)))
	}
	fw, fi := medianVisit(first)
	rw, ri := medianVisit(repeat)
	t.Logf("LOAD median of %d: first visit %s on the wire (goal at most 1.5 MB: %s), interactive after %.0f ms; repeat visit %s on the wire, interactive after %.0f ms",
		runs, mb(fw), verdict(fw <= 1.5e6), fi, mb(rw), ri)
}

// servedSize returns the body length and Content-Encoding of a GET with
// the given Accept-Encoding.
func servedSize(t *testing.T, url, enc string) (int64, string) {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept-Encoding", enc)
	res, err := (&http.Transport{DisableCompression: true}).RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	n, err := io.Copy(io.Discard, res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return n, res.Header.Get("Content-Encoding")
}

// netRecord keeps what the page's network events tell.
type netRecord struct {
	mu       sync.Mutex
	requests map[network.RequestID]*netRequest
}

type netRequest struct {
	url                     string
	fromSW, fromCache, done bool
	swSource                network.ServiceWorkerResponseSource
	encoded                 float64
}

func recordNetwork(t *testing.T, b *browser) *netRecord {
	t.Helper()
	r := &netRecord{requests: make(map[network.RequestID]*netRequest)}
	get := func(id network.RequestID) *netRequest {
		q := r.requests[id]
		if q == nil {
			q = &netRequest{}
			r.requests[id] = q
		}
		return q
	}
	err := chromedp.Listen(b.ctx, func(ev any) {
		r.mu.Lock()
		defer r.mu.Unlock()
		switch ev := ev.(type) {
		case *network.EventRequestWillBeSent:
			get(ev.RequestID).url = ev.Request.URL
		case *network.EventRequestServedFromCache:
			get(ev.RequestID).fromCache = true
		case *network.EventResponseReceived:
			q := get(ev.RequestID)
			q.url = ev.Response.URL
			q.fromSW = q.fromSW || ev.Response.FromServiceWorker
			if ev.Response.ServiceWorkerResponseSource != "" {
				q.swSource = ev.Response.ServiceWorkerResponseSource
			}
			q.fromCache = q.fromCache || ev.Response.FromDiskCache || ev.Response.FromPrefetchCache
		case *network.EventLoadingFinished:
			q := get(ev.RequestID)
			q.done, q.encoded = true, ev.EncodedDataLength
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// markInteractive has every page note, in window.__interactiveMs, the
// performance.now() (ms since navigation) at which the WASM runs the page
// and "Let's jam" is enabled.
func markInteractive(t *testing.T, b *browser) {
	t.Helper()
	const js = `(() => {
	const id = setInterval(() => {
		const btn = document.querySelector("#welcome-start");
		if (typeof window.loopsDiagnostics === "function" && !document.getElementById("app-wasm-loader") && btn && btn.dataset.ready === "true") {
			window.__interactiveMs = performance.now();
			clearInterval(id);
		}
	}, 5);
})();`
	b.run(t, 10*time.Second, preload(js))
}

// visit is what one navigation cost.
type visit struct {
	wireBytes     float64 // server to browser through the proxy, any target
	pageBytes     float64 // the page's requests, from CDP
	requests      int
	fromSW        int
	fromSWCache   int
	fromCache     int
	largestURL    string
	largestBytes  float64
	interactiveMs float64
}

func (v visit) String() string {
	largest := "none"
	if v.largestURL != "" {
		largest = v.largestURL + " " + mb(v.largestBytes)
	}
	return fmt.Sprintf("%s on the wire (the page's own requests: %s, the largest: %s); %d requests, %d served by the service worker (%d from its cache storage), %d others by the HTTP cache; interactive after %.0f ms",
		mb(v.wireBytes), mb(v.pageBytes), largest, v.requests, v.fromSW, v.fromSWCache, v.fromCache, v.interactiveMs)
}

// measureVisit navigates to url and waits for the page to answer; after a
// first visit it also waits for the service worker to have cached the WASM,
// so that its fetches count too. Then the network is quiet for a second.
func measureVisit(t *testing.T, b *browser, rec *netRecord, proxy *netdelay.Proxy, url string, firstVisit bool) visit {
	t.Helper()
	rec.mu.Lock()
	rec.requests = make(map[network.RequestID]*netRequest)
	rec.mu.Unlock()
	down0 := proxy.Down.Load()
	b.run(t, 120*time.Second, chromedp.Navigate(url))
	b.waitJS(t, "interactive page", `window.__interactiveMs > 0`, 120*time.Second)
	if firstVisit {
		b.waitJS(t, "service worker", `navigator.serviceWorker && navigator.serviceWorker.controller`, 60*time.Second)
		b.waitJS(t, "cached WASM", `caches.match('/web/app.wasm').then(r => !!r)`, 60*time.Second)
	}
	// Let the last fetches finish: until a second passes with no byte.
	for last := proxy.Down.Load(); ; {
		time.Sleep(time.Second)
		now := proxy.Down.Load()
		if now == last {
			break
		}
		last = now
	}
	v := visit{
		wireBytes:     float64(proxy.Down.Load() - down0),
		interactiveMs: eval[float64](t, b, `window.__interactiveMs`),
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	var urls []string
	for _, q := range rec.requests {
		if strings.HasPrefix(q.url, "data:") {
			continue
		}
		v.requests++
		switch {
		case q.fromSW:
			v.fromSW++
			if q.swSource == network.ServiceWorkerResponseSourceCacheStorage {
				v.fromSWCache++
			}
		case q.fromCache:
			v.fromCache++
		}
		v.pageBytes += q.encoded
		if q.encoded > v.largestBytes {
			v.largestBytes, v.largestURL = q.encoded, strings.TrimPrefix(q.url, url[:len(url)-1])
		}
		urls = append(urls, strings.TrimPrefix(q.url, url[:len(url)-1]))
	}
	sort.Strings(urls)
	t.Logf("requests: %s", strings.Join(urls, " "))
	return v
}

// medianVisit returns the median wire bytes and time to interactive.
func medianVisit(vs []visit) (bytes, ms float64) {
	b := make([]float64, len(vs))
	m := make([]float64, len(vs))
	for i, v := range vs {
		b[i], m[i] = v.wireBytes, v.interactiveMs
	}
	sort.Float64s(b)
	sort.Float64s(m)
	return b[len(b)/2], m[len(m)/2]
}

func mb(n float64) string {
	switch {
	case n >= 1e6:
		return fmt.Sprintf("%.2f MB", n/1e6)
	case n >= 1e3:
		return fmt.Sprintf("%.1f KB", n/1e3)
	}
	return fmt.Sprintf("%.0f B", n)
}

// sniffer notes the request line of every HTTP request the browser sends
// through the proxy, whichever target sent it (the page, the service
// worker, the browser itself).
type sniffer struct {
	net.Listener
	mu    sync.Mutex
	lines []string
}

func (s *sniffer) Accept() (net.Conn, error) {
	c, err := s.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &sniffedConn{Conn: c, s: s}, nil
}

// take returns the request lines noted since the last call.
func (s *sniffer) take() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	lines := s.lines
	s.lines = nil
	return lines
}

type sniffedConn struct {
	net.Conn
	s *sniffer
}

func (c *sniffedConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	for _, m := range []string{"GET ", "HEAD ", "POST "} {
		if i := strings.Index(string(p[:n]), m); i == 0 {
			line, _, _ := strings.Cut(string(p[:n]), "\r\n")
			c.s.mu.Lock()
			c.s.lines = append(c.s.lines, strings.TrimSuffix(line, " HTTP/1.1"))
			c.s.mu.Unlock()
		}
	}
	return n, err
}
