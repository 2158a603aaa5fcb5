//go:build !wasm

package app

import (
	"fmt"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/loopswithfriends/loops/shared"
)

// TestFirefoxAndChromium puts a Firefox page and a Chromium page in one jam
// and checks they play as one: Firefox is a first-class browser.
func TestFirefoxAndChromium(t *testing.T) {
	needChromium(t)
	needFirefox(t)
	srv := startLoopsServer(t)
	defer srv.kill()
	top := t

	var (
		ff            *firefox
		ch            *browser
		ffID, chID    string
		jamURL, chURL string
	)
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); ff = newFirefox(top, "firefox", 900, 900) }()
	go func() { defer wg.Done(); ch = newBrowser(top, "chromium", 900, 900) }()
	wg.Wait()
	if t.Failed() {
		return
	}

	t.Run("a Firefox page joins a jam, cross-origin isolated, its sound running", func(t *testing.T) {
		ffID, jamURL = joinJam(t, ff, srv.url()+"/")
		if !eval[bool](t, ff, `self.crossOriginIsolated === true`) {
			t.Error("the page is not cross-origin isolated")
		}
		waitFor(t, ff, "running audio", `window.loopsDiagnostics().audio.state === "running"`, 15*time.Second)
	})
	if t.Failed() {
		return
	}
	t.Run("a Chromium page joins the same jam by its link, and each sees the other", func(t *testing.T) {
		chID, chURL = joinJam(t, ch, jamURL)
		if chURL != jamURL {
			t.Fatalf("chromium is in %q, want %q", chURL, jamURL)
		}
		waitFor(t, ff, "chromium's card", fmt.Sprintf(`document.querySelector('[data-member-id=%q]')`, chID), 10*time.Second)
		waitFor(t, ch, "firefox's card", fmt.Sprintf(`document.querySelector('[data-member-id=%q]')`, ffID), 10*time.Second)
	})
	if t.Failed() {
		return
	}
	t.Run("a loop started in Firefox sounds in both, its start on the same bar within 5 ms", func(t *testing.T) {
		for _, p := range []tab{ff, ch} {
			waitFor(t, p, "firefox's loop rendered", fmt.Sprintf(`document.querySelector('[data-member-id=%q] .waveform-svg')`, ffID), 90*time.Second)
			waitFor(t, p, "a settled clock", `+document.querySelector('#sync').dataset.rttMs < 25`, 30*time.Second)
		}
		ff.click(t, "#loop-toggle")
		for _, p := range []tab{ff, ch} {
			waitFor(t, p, "firefox's loop playing", fmt.Sprintf(`document.querySelector('[data-member-id=%q][data-state="playing"]')`, ffID), 10*time.Second)
			waitFor(t, p, "sound at the output", `window.__outputLevel && window.__outputLevel() > 0.01`, 5*time.Second)
		}
		// Poll a while: a page starved of CPU (a loaded test machine) can
		// stall its audio, and the engine restarts the loop only past
		// 50 ms: up to that its rate steers it back, at most 5 ms a
		// second (two stalls of 30 ms left a Chromium page 12 ms off
		// after 10 s under -race).
		var gap float64
		deadline := time.Now().Add(25 * time.Second)
		for {
			bf, wf := lastStart(t, ff, ffID)
			bc, wc := lastStart(t, ch, ffID)
			gap = math.Abs(wf - wc)
			if bf == bc && gap <= 5 {
				t.Logf("bar %d: firefox and chromium %.2f ms apart", bf, gap)
				break
			}
			if time.Now().After(deadline) {
				for _, p := range []tab{ff, ch} {
					t.Logf("%s: %s", p.label(), eval[string](t, p, `JSON.stringify(window.loopsDiagnostics())`))
				}
				t.Fatalf("firefox starts bar %d, chromium bar %d, %.2f ms apart; want one bar within 5 ms", bf, bc, gap)
			}
			time.Sleep(500 * time.Millisecond)
		}
		ff.screenshot(t, "playing")
		ch.screenshot(t, "with-firefox")
	})
	if t.Failed() {
		return
	}
	t.Run("Firefox never reads its output clock (its reads can deadlock the tab); Chromium does", func(t *testing.T) {
		if n := eval[int](t, ff, `window.__outputClockReads`); n != 0 {
			t.Errorf("firefox read getOutputTimestamp() or outputLatency %d times, want none", n)
		}
		if n := eval[int](t, ch, `window.__outputClockReads`); n == 0 {
			t.Error("chromium never read its output clock")
		}
	})
	if t.Failed() {
		return
	}
	t.Run("in both, the loops render in the warm worker", func(t *testing.T) {
		for _, p := range []tab{ff, ch} {
			inWorker := eval[int](t, p, `window.loopsDiagnostics().loops.inWorker`)
			rendered := eval[int](t, p, `window.loopsDiagnostics().loops.rendered`)
			if inWorker == 0 || inWorker != rendered {
				t.Errorf("%s: the render worker made %d of the %d loops rendered, want all", p.label(), inWorker, rendered)
			}
		}
	})
	if t.Failed() {
		return
	}
	t.Run("the playing loop's playhead moves once a sixteenth note, at the loop's phase in both; the stopped loops' cards have none", func(t *testing.T) {
		// A busy page may be read between a change and the tick that
		// aligns its sweeps: polled up to 10 s.
		for _, p := range []tab{ff, ch} {
			if why := settle(10*time.Second, 200*time.Millisecond, func() string { return playheadOff(t, p, ffID) }); why != "" {
				t.Errorf("%s: %s", p.label(), why)
			}
		}
	})
}

// playheadOff says how member's playhead on a page is not where the jam's
// timeline has it, stepping once a sixteenth note of the jam's kit, or how
// a card of a loop not sounding has a playhead; "" where all is as it
// should be.
func playheadOff(t *testing.T, p tab, member string) string {
	t.Helper()
	h := eval[struct {
		Easing                    string
		Progress, Dur, Now, Start float64
		Bar, Idle                 int64
		Kit                       string
	}](t, p, fmt.Sprintf(`(() => {
		const d = window.loopsDiagnostics();
		const s = d.scheduled.filter(s => s.member === %[1]q).pop();
		const a = document.querySelector('[data-member-id=%[1]q] .playhead').getAnimations().find(a => a.animationName === "sweep");
		const timing = a.effect.getTiming();
		return {easing: timing.easing, progress: a.effect.getComputedTiming().progress, dur: timing.duration,
			now: performance.timeOrigin + document.timeline.currentTime, start: s.serverMs - d.clock.offsetMs,
			bar: s.bar, kit: d.kit,
			idle: document.querySelectorAll('[data-member-id]:not([data-state="playing"]):not([data-state="stopping"]) .playhead').length};
	})()`, member))
	if h.Idle > 0 {
		return fmt.Sprintf("%d cards of loops not sounding have a playhead", h.Idle)
	}
	kit := shared.KitByID(h.Kit)
	if kit == nil {
		return fmt.Sprintf("the page plays kit %q, which shared does not know", h.Kit)
	}
	tl := kit.Timeline(0)
	if h.Dur != tl.LoopMs() {
		return fmt.Sprintf("the sweep lasts %.1f ms, want the loop's %.1f", h.Dur, tl.LoopMs())
	}
	steps := float64(tl.StepsPerLoop())
	if want := fmt.Sprintf("steps(%.0f", steps); !strings.HasPrefix(h.Easing, want) {
		return fmt.Sprintf("the sweep's easing is %q, want %s)", h.Easing, want)
	}
	if k := h.Progress * steps; math.Abs(k-math.Round(k)) > 1e-6 {
		return fmt.Sprintf("the sweep is at %.4f of the loop, between its %.0f steps", h.Progress, steps)
	}
	// Where the loop is, by the page's own start of it, at the time the
	// animations were last sampled (a busy page samples late), to the
	// nearest step. A loop is phase-locked to the timeline: started on a
	// bar that is not its first, it starts from that bar's place in it.
	at := float64(h.Bar%int64(tl.BarsPerLoop)) * tl.BarMs()
	phase := math.Mod(h.Now-h.Start+at, h.Dur) / h.Dur
	if phase < 0 {
		phase++
	}
	want := math.Mod(math.Round(phase*steps)/steps, 1)
	if off := math.Abs(math.Remainder(h.Progress-want, 1)); off > 1.01/steps {
		return fmt.Sprintf("the sweep is at %.4f of the loop, the loop at %.4f (%.0f ms off)", h.Progress, phase, off*h.Dur)
	}
	return ""
}

// lastStart returns the latest start a page scheduled of member's loop:
// its bar and the wall-clock ms it reaches the speakers.
func lastStart(t *testing.T, p tab, member string) (bar int64, wallMs float64) {
	t.Helper()
	d := diagnosticsOf(t, p)
	for i := len(d.Scheduled) - 1; i >= 0; i-- {
		if s := d.Scheduled[i]; s.Member == member {
			return s.Bar, s.WallMs
		}
	}
	t.Fatalf("%s scheduled no start of %s", p.label(), member)
	return 0, 0
}
