//go:build !wasm

package app

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/loopswithfriends/loops/shared"
	"github.com/loopswithfriends/loops/shared/sound"
)

// wavStats is what a page measures of the WAV file it exported.
type wavStats struct {
	Bytes      int       `json:"bytes"`
	Frames     int       `json:"frames"`
	SampleRate int       `json:"sampleRate"`
	BarRMS     []float64 `json:"barRMS"` // per bar, in 16-bit units
}

// exportStats reads the page's last export (window.loopsExport) and measures
// the RMS of each bar of it.
const exportStats = `(async () => {
	const x = window.loopsExport;
	const buf = await x.blob.arrayBuffer();
	const pcm = new Int16Array(buf, 44);
	const barFrames = Math.round(x.frames / x.bars);
	const rms = [];
	for (let b = 0; b < x.bars; b++) {
		let sum = 0;
		const from = b * barFrames * 2, to = Math.min((b + 1) * barFrames * 2, pcm.length);
		for (let i = from; i < to; i++) sum += pcm[i] * pcm[i];
		rms.push(Math.sqrt(sum / Math.max(1, to - from)));
	}
	return {bytes: buf.byteLength, frames: x.frames, sampleRate: x.sampleRate, barRMS: rms};
})()`

func TestRecordingBrowser(t *testing.T) {
	needChromium(t)
	srv := startLoopsServer(t)
	defer srv.kill()
	a, b, c := newBrowser(t, "rec-a", 1100, 900), newBrowser(t, "rec-b", 1100, 900), newBrowser(t, "rec-c", 1200, 900)

	aID, jamURL := a.join(t, srv.url()+"/")
	_, bURL := b.join(t, jamURL)
	if bURL != jamURL {
		t.Fatalf("b is in %s, a in %s", bURL, jamURL)
	}
	barMs := shared.NewTimeline(0).BarMs()
	bar := func(n float64) { time.Sleep(time.Duration(n * barMs * float64(time.Millisecond))) }
	click := func(br *browser, css string) {
		t.Helper()
		if !eval[bool](t, br, fmt.Sprintf(`(() => { const e = document.querySelector(%q); if (!e) return false; e.click(); return true; })()`, css)) {
			t.Fatalf("%s: nothing to click at %s", br.name, css)
		}
	}

	// Two players play, stop and swap over about ten bars.
	click(a, "#loop-toggle")
	a.waitJS(t, "a playing", fmt.Sprintf(`document.querySelector('[data-member-id=%q][data-state="playing"]')`, aID), 10*time.Second)
	click(b, "#loop-toggle")
	bar(3)
	click(a, "#loop-toggle")
	click(b, ".picker summary") // its chips are built when it opens
	b.waitJS(t, "b's chips", `document.querySelector('.picker-list [data-loop="bells"]')`, 5*time.Second)
	click(b, `.picker-list [data-loop="bells"]`)
	bar(3)
	click(a, "#loop-toggle")
	bar(3)

	var id string
	t.Run("one saves the jam and every member sees the note with the link", func(t *testing.T) {
		click(a, "#record-all")
		for _, br := range []*browser{a, b} {
			br.waitJS(t, "the recorded note", `document.querySelector('#recorded #recorded-link')`, 10*time.Second)
		}
		id = eval[string](t, a, `document.querySelector('#recorded').dataset.id`)
		if other := eval[string](t, b, `document.querySelector('#recorded').dataset.id`); other != id || !shared.ValidRecordingID(id) {
			t.Fatalf("a saw recording %q, b %q", id, other)
		}
		if link := eval[string](t, b, `document.querySelector('#recorded-link').href`); link != srv.url()+"/r/"+id {
			t.Fatalf("b's link %q", link)
		}
		if !eval[bool](t, b, `!!document.querySelector('#recorded-copy')`) {
			t.Fatal("no copy button")
		}
		a.screenshot(t, "recorded")
	})
	if t.Failed() {
		return
	}

	res, err := http.Get(srv.url() + "/api/recordings/" + id)
	if err != nil {
		t.Fatal(err)
	}
	var rec shared.Recording
	err = json.NewDecoder(res.Body).Decode(&rec)
	res.Body.Close()
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("GET the recording: %d %v", res.StatusCode, err)
	}
	loops := sound.LoopIDs(&rec)
	t.Logf("recording %s: %d bars from bar %d, parts %+v", id, rec.Bars, rec.FirstBar, rec.Parts)
	if len(rec.Parts) < 3 || !contains(loops, "bells") {
		t.Fatalf("parts %+v: want a's two stretches and both of b's loops", rec.Parts)
	}

	t.Run("a third browser plays the recording: its parts are scheduled on their recorded bars", func(t *testing.T) {
		c.run(t, 60*time.Second, chromedp.Navigate(srv.url()+"/r/"+id))
		c.waitJS(t, "the recording", `document.querySelector('#recording[data-state="ready"] #lanes')`, 60*time.Second)
		c.waitJS(t, "the loops rendered", fmt.Sprintf(`window.loopsDiagnostics().loops.rendered >= %d`, len(loops)), 90*time.Second)
		// A stretch a part, each spanning its bars of the lane (placed by
		// script after each update: the policy allows no style
		// attribute). An update of the page may draw stretches anew,
		// placed once it is done, and go-app's updates yield midway, so
		// that a frame can hold the old stretches beside the new ones: the
		// stretches are read until all are there and in place, for 5 s at
		// most.
		type span struct{ From, To, Left, Right float64 }
		misplaced := settle(5*time.Second, 100*time.Millisecond, func() string {
			spans := eval[[]span](t, c, `[...document.querySelectorAll('#lanes .stretch')].map(e => {
				const r = e.getBoundingClientRect(), lane = e.parentElement.getBoundingClientRect();
				return {from: +e.dataset.from, to: +e.dataset.to, left: (r.left - lane.left) / lane.width, right: (r.right - lane.left) / lane.width};
			})`)
			var why []string
			if len(spans) != len(rec.Parts) {
				why = append(why, fmt.Sprintf("%d stretches drawn, want %d", len(spans), len(rec.Parts)))
			}
			for _, sp := range spans {
				from, to := sp.From/float64(rec.Bars), sp.To/float64(rec.Bars)
				if math.Abs(sp.Left-from) > 0.01 || (to-from > 0.02 && math.Abs(sp.Right-to) > 0.01) {
					why = append(why, fmt.Sprintf("the stretch of bars %.0f to %.0f spans %.3f to %.3f of its lane, want %.3f to %.3f", sp.From, sp.To, sp.Left, sp.Right, from, to))
				}
			}
			return strings.Join(why, "; ")
		})
		if misplaced != "" {
			t.Error(misplaced)
		}
		click(c, "#rec-play")
		for i, p := range rec.Parts {
			click(c, fmt.Sprintf(`.lane[data-loop=%q] .stretch[data-from="%d"]`, p.Loop, p.From))
			want := rec.FirstBar + int64(p.From)
			c.waitJS(t, fmt.Sprintf("%s scheduled on bar %d", p.Loop, want),
				fmt.Sprintf(`window.loopsDiagnostics().scheduled.some(s => s.loop === %q && s.bar === %d)`, p.Loop, want), 5*time.Second)
			// Every loop sounding in that bar starts with it, none other.
			var sounding []string
			for _, l := range loops {
				if rec.Sounds(l, p.From) {
					sounding = append(sounding, l)
				}
			}
			got := eval[[]string](t, c, fmt.Sprintf(`window.loopsDiagnostics().scheduled.filter(s => s.bar === %d).map(s => s.loop)`, want))
			for _, l := range sounding {
				if !contains(got, l) {
					t.Errorf("a seek to bar %d started %v, want %v", p.From, got, sounding)
				}
			}
			if i == 0 {
				c.waitJS(t, "sound", `window.__outputLevel && window.__outputLevel() > 0.001`, 5*time.Second)
			}
		}
		// The playhead stands where the sound is.
		type place struct{ Pos, Head, Left, Width float64 }
		at := eval[place](t, c, fmt.Sprintf(`(() => {
			const h = document.querySelector(".rec-playhead").getBoundingClientRect();
			const tr = document.querySelector(".lanes-track").getBoundingClientRect();
			return {pos: window.loopsPosition() / %d, head: h.left, left: tr.left, width: tr.width};
		})()`, rec.Bars))
		if want := at.Left + at.Pos*at.Width; math.Abs(at.Head-want) > 3 {
			t.Errorf("the playhead is at x %.0f, want %.0f (%.3f of the lanes)", at.Head, want, at.Pos)
		}
		if eval[string](t, c, `document.querySelector('#rec-play').textContent`) != "Pause" {
			t.Error("the play button does not offer to pause while playing")
		}
		c.screenshot(t, "recording")
		click(c, "#rec-play")
		c.waitJS(t, "silence after pause", `window.__outputLevel() < 0.001`, 5*time.Second)
	})

	t.Run("the downloaded WAV is exactly its bars long and sounds where parts sounded", func(t *testing.T) {
		click(c, "#rec-download")
		c.waitJS(t, "the export", `window.loopsExport && window.loopsExport.url`, 60*time.Second)
		st := eval[wavStats](t, c, exportStats)
		barFrames := int(math.Round(barMs * float64(st.SampleRate) / 1000))
		if st.Frames != rec.Bars*barFrames || st.Bytes != 44+4*st.Frames {
			t.Fatalf("%d frames in %d bytes at %d Hz, want %d bars of %d frames", st.Frames, st.Bytes, st.SampleRate, rec.Bars, barFrames)
		}
		for b, rms := range st.BarRMS {
			any, before := false, false
			for _, l := range loops {
				any = any || rec.Sounds(l, b)
				before = before || (b > 0 && rec.Sounds(l, b-1))
			}
			switch {
			case any && rms < 30:
				t.Errorf("bar %d: RMS %.1f where parts sounded", b, rms)
			case !any && !before && rms != 0:
				t.Errorf("bar %d: RMS %.1f where nothing sounded", b, rms)
			}
		}
		t.Logf("bar RMS %v", st.BarRMS)
		ms := eval[float64](t, c, `window.loopsExport.ms`)
		longest := eval[float64](t, c, `window.loopsExport.longestStepMs`)
		t.Logf("export of %d bars: %.0f ms, longest step %.1f ms", rec.Bars, ms, longest)
		if !eval[bool](t, c, `window.loopsExport.worker === true`) {
			t.Error("the export ran on the page's thread, not in its worker")
		}
		// The worker's end is no error of the page's.
		time.Sleep(500 * time.Millisecond)
		if msg := eval[string](t, c, `(document.querySelector('#rec-error') || {}).textContent || ""`); msg != "" {
			t.Errorf("after the export the page says %q", msg)
		}
	})

	t.Run("the recording page raises no securitypolicyviolation", func(t *testing.T) {
		for _, br := range []*browser{a, c} {
			if v := eval[[]string](t, br, `window.__cspViolations`); len(v) > 0 {
				t.Errorf("%s: %d policy violations: %v", br.name, len(v), v)
			}
		}
	})

	t.Run("an unknown recording shows a clear message", func(t *testing.T) {
		c.run(t, 30*time.Second, chromedp.Navigate(srv.url()+"/r/AAAAAAAAAAAAAAAAAAAAAA"))
		c.waitJS(t, "the missing message", `document.querySelector('#recording[data-state="missing"] #rec-missing')`, 30*time.Second)
	})

	t.Run("a recording opened once opens offline", func(t *testing.T) {
		c.run(t, 30*time.Second, chromedp.Navigate(srv.url()+"/r/"+id))
		c.waitJS(t, "the recording", `document.querySelector('#recording[data-state="ready"]')`, 30*time.Second)
		c.waitJS(t, "service worker", `navigator.serviceWorker && navigator.serviceWorker.controller`, 20*time.Second)
		c.waitJS(t, "cached WASM", `caches.match('/web/app.wasm').then(r => !!r)`, 20*time.Second)
		srv.kill()
		c.run(t, 30*time.Second, chromedp.Reload())
		c.waitJS(t, "the recording offline", `document.querySelector('#recording[data-state="ready"] #lanes')`, 30*time.Second)
		// And its WAV too.
		eval[bool](t, c, `(window.loopsExport = null, true)`)
		c.waitJS(t, "the download button", `document.querySelector('#rec-download:not([disabled])')`, 30*time.Second)
		click(c, "#rec-download")
		c.waitJS(t, "the export offline", `window.loopsExport && window.loopsExport.url`, 60*time.Second)
		st := eval[wavStats](t, c, exportStats)
		if barFrames := int(math.Round(barMs * float64(st.SampleRate) / 1000)); st.Frames != rec.Bars*barFrames {
			t.Errorf("offline: %d frames, want %d bars of %d", st.Frames, rec.Bars, barFrames)
		}
	})
}
