//go:build !wasm

package app

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// tab is one browser tab a test drives: chromium over the DevTools
// protocol (browser) or Firefox over WebDriver BiDi (firefox). What a test
// does with a page, joining a jam or reading its diagnostics, is written
// once, below, for both.
type tab interface {
	label() string
	// evalJSON evaluates a JS expression, awaiting a promise, and returns
	// its value as JSON.
	evalJSON(expr string, timeout time.Duration) (string, error)
	navigate(t *testing.T, url string)
	reload(t *testing.T)
	// click is a trusted click, as a person's.
	click(t *testing.T, css string)
	screenshot(t *testing.T, name string)
}

// eval evaluates a JS expression, awaiting promises.
func eval[T any](t *testing.T, p tab, expr string) T {
	t.Helper()
	s, err := p.evalJSON(expr, 10*time.Second)
	var v T
	if err == nil {
		err = json.Unmarshal([]byte(s), &v)
	}
	if err != nil {
		t.Fatalf("%s: %s: %v", p.label(), expr, err)
	}
	return v
}

// waitFor polls a JS expression until it is true.
func waitFor(t *testing.T, p tab, what, expr string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		s, err := p.evalJSON("(async () => !!(await ("+expr+")))()", 5*time.Second)
		if err == nil && s == "true" {
			return
		}
		if time.Now().After(deadline) {
			p.screenshot(t, "failed-"+strings.ReplaceAll(what, " ", "-"))
			state, _ := p.evalJSON(pageStateJS, 5*time.Second)
			t.Fatalf("%s: no %s within %v (last error %v); the page then: %s", p.label(), what, timeout, err, state)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// settle calls check every `every` until it returns "" or timeout has
// passed, and returns its last answer: what is still wrong, or "". For a
// check made in Go of a page that may be read mid-change (a tick, an
// update) before it settles.
func settle(timeout, every time.Duration, check func() string) string {
	deadline := time.Now().Add(timeout)
	for {
		why := check()
		if why == "" || time.Now().After(deadline) {
			return why
		}
		time.Sleep(every)
	}
}

// clickableJS is true once css names a control a person can click: shown,
// not disabled, and on top where it is drawn, nothing over its middle (a
// modal dialog on its way out still takes the click). A click on a disabled
// or covered button does nothing, so the helpers wait for this first.
func clickableJS(css string) string {
	return fmt.Sprintf(`(() => {
		const e = document.querySelector(%q);
		if (!e || e.disabled || e.getClientRects().length === 0) return false;
		let r = e.getBoundingClientRect();
		if (r.bottom < 0 || r.top > innerHeight || r.right < 0 || r.left > innerWidth) {
			e.scrollIntoView({block: "center"});
			r = e.getBoundingClientRect();
		}
		const top = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
		return !!top && (top === e || e.contains(top));
	})()`, css)
}

// pageStateJS sums up what a page shows and its engine holds, for the
// message of a wait that timed out: enough to tell which part of a
// condition failed.
const pageStateJS = `(() => {
	const q = s => document.querySelector(s);
	const d = typeof window.loopsDiagnostics === "function" ? window.loopsDiagnostics() : null;
	return {
		path: location.pathname + location.search,
		connection: (q('#connection') || {dataset: {}}).dataset.state,
		toggle: q('#loop-toggle') && { state: q('#loop-toggle').dataset.state, disabled: q('#loop-toggle').disabled, label: q('#loop-toggle').getAttribute('aria-label') },
		notices: (q('.notices') || {}).innerText,
		members: [...document.querySelectorAll('[data-member-id]')].map(c => c.dataset.loop + ":" + (c.dataset.state || "")),
		diag: d && { kit: d.kit, audio: d.audio && d.audio.state, clock: d.clock, bufferSeconds: d.bufferSeconds, scheduled: (d.scheduled || []).slice(-4).map(s => s.loop + "@" + s.bar + ":" + s.kind), loops: d.loops },
	};
})()`

// waitLive waits for the WASM to run the page: the server draws the
// welcome button, which says it is ready only once the page is wired.
func waitLive(t *testing.T, p tab) {
	t.Helper()
	waitFor(t, p, "the welcome button", `(() => { const b = document.querySelector('#welcome-start[data-ready="true"]'); return b && b.getClientRects().length > 0; })()`, 60*time.Second)
	if !eval[bool](t, p, `typeof window.loopsDiagnostics === "function"`) {
		t.Fatalf("%s: the welcome button shows before the page is wired", p.label())
	}
}

// joinJam opens url, taps "Let's jam" and waits to be online with a card.
func joinJam(t *testing.T, p tab, url string) (me, jamURL string) {
	t.Helper()
	p.navigate(t, url)
	waitLive(t, p)
	p.click(t, "#welcome-start")
	waitFor(t, p, "online state", `document.querySelector('#connection[data-state="online"]')`, 30*time.Second)
	waitFor(t, p, "own card", `document.querySelector('#loop-toggle') && document.querySelector('#loop-toggle').closest('[data-member-id]')`, 30*time.Second)
	// The page updates part by part (go-app yields between components):
	// the invite panel may come a task after the card.
	waitFor(t, p, "the invite link", `document.querySelector('#invite-link')`, 5*time.Second)
	me = eval[string](t, p, `document.querySelector('#loop-toggle').closest('[data-member-id]').dataset.memberId`)
	jamURL = eval[string](t, p, `document.querySelector('#invite-link').textContent`)
	waitFor(t, p, "the invite link in value and href", fmt.Sprintf(`document.querySelector('#invite-link').value === %q && document.querySelector('#invite-link').href === %q`, jamURL, jamURL), 5*time.Second)
	return me, jamURL
}

type cardState struct {
	State string `json:"state"`
	Bar   string `json:"bar"`
	Loop  string `json:"loop"`
}

func cardOf(t *testing.T, p tab, member string) cardState {
	t.Helper()
	return eval[cardState](t, p, fmt.Sprintf(`(() => { const e = document.querySelector('[data-member-id=%q]'); return e ? {state: e.dataset.state, bar: e.dataset.bar, loop: e.dataset.loop} : {}; })()`, member))
}

type diagnostics struct {
	Audio struct {
		State      string  `json:"state"`
		SampleRate float64 `json:"sampleRate"`
		JamGain    float64 `json:"jamGain"`
	} `json:"audio"`
	Gains         map[string]float64 `json:"gains"`
	Preview       string             `json:"preview"`
	Kit           string             `json:"kit"`
	BufferSeconds map[string]float64 `json:"bufferSeconds"`
	Clock         struct {
		OffsetMs float64 `json:"offsetMs"`
		RTTMs    float64 `json:"rttMs"`
		Samples  int     `json:"samples"`
	} `json:"clock"`
	// Scheduled is the engine's own record of its starts, as the page
	// reports it.
	Scheduled  []scheduledStart `json:"scheduled"`
	ClockMoves [][2]float64     `json:"clockMoves"`
	Stalls     [][2]float64     `json:"stalls"`
	Loops      struct {
		OwnReadyMs  float64 `json:"ownReadyMs"`
		OwnRenderMs float64 `json:"ownRenderMs"`
		OwnReadyGCs uint64  `json:"ownReadyGCs"`
		Rendered    int     `json:"rendered"`
		InWorker    int     `json:"inWorker"`
	} `json:"loops"`
}

func diagnosticsOf(t *testing.T, p tab) diagnostics {
	t.Helper()
	s := eval[string](t, p, `JSON.stringify(window.loopsDiagnostics())`)
	var d diagnostics
	if err := json.Unmarshal([]byte(s), &d); err != nil {
		t.Fatalf("%s: diagnostics %q: %v", p.label(), s, err)
	}
	return d
}

// saveScreenshot writes a page's screenshot to artifacts/.
func saveScreenshot(t *testing.T, browser, name string, png []byte) {
	dir := filepath.Join(repoRoot(t), "artifacts")
	os.MkdirAll(dir, 0o755)
	file := filepath.Join(dir, fmt.Sprintf("%s-%s.png", browser, name))
	if err := os.WriteFile(file, png, 0o644); err != nil {
		t.Log(err)
	}
}
