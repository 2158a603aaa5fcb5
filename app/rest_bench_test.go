//go:build !wasm

package app

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/performance"
	"github.com/chromedp/chromedp"
)

// TestRestBench measures the jam page at rest and the player's wait for
// their own loop, in headless chromium (BENCHMARKS.md):
//
//   - style recalculations and layouts a second on the jam page while
//     nothing happens (the player's loop stopped, then playing), from CDP's
//     Performance metrics; the same-run baseline is the same page with the
//     playhead driven as it was before: a requestAnimationFrame loop setting
//     a CSS variable that positions it by left;
//   - own loop ready after welcome (loopsDiagnostics().loops.ownReadyMs),
//     over LOOPS_REST_READINGS (20) fresh joins of a new jam each.
//
// Opt in with LOOPS_BENCH=1 (`make bench`).
func TestRestBench(t *testing.T) {
	needBench(t)
	srv := startLoopsServer(t)
	defer srv.kill()
	b := newBrowser(t, "rest", 420, 900)
	enable := func() {
		if err := chromedp.Do(b.ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := cdp.Call(ctx, tg, performance.Enable, performance.EnableParams{})
			return err
		})); err != nil {
			t.Fatal(err)
		}
	}
	metrics := func() map[string]float64 {
		m := map[string]float64{}
		if err := chromedp.Do(b.ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			res, err := cdp.Call(ctx, tg, performance.GetMetrics, cdp.Empty{})
			for _, x := range res.Metrics {
				m[x.Name] = x.Value
			}
			return err
		})); err != nil {
			t.Fatal(err)
		}
		return m
	}
	// rate returns style recalcs, layouts and main-thread task seconds per
	// second over d.
	rate := func(d time.Duration) (recalcs, layouts, busy float64) {
		m0 := metrics()
		time.Sleep(d)
		m1 := metrics()
		s := d.Seconds()
		return (m1["RecalcStyleCount"] - m0["RecalcStyleCount"]) / s, (m1["LayoutCount"] - m0["LayoutCount"]) / s, (m1["TaskDuration"] - m0["TaskDuration"]) / s
	}
	const window = 5 * time.Second

	t.Run("style recalculations at rest", func(t *testing.T) {
		b.join(t, srv.url()+"/jam/rest-bench")
		enable()
		b.waitJS(t, "the player's own loop", `window.loopsDiagnostics().loops.ownReadyMs > 0`, 60*time.Second)
		b.waitJS(t, "the waveform", `document.querySelector('#loop-toggle').closest('[data-member-id]').querySelector('.waveform-svg')`, 30*time.Second)
		time.Sleep(3 * time.Second) // the clock's first burst and the first renders settle
		report := func(what string) (float64, float64) {
			r, l, busy := rate(window)
			t.Logf("REST %s: %.1f style recalcs/s, %.1f layouts/s, main thread %.0f%% busy", what, r, l, 100*busy)
			eval[bool](t, b, `(window.__oldPlayhead = true, true)`)
			eval[bool](t, b, oldPlayhead)
			br, bl, bbusy := rate(window)
			eval[bool](t, b, `(window.__oldPlayheadStop(), true)`)
			t.Logf("REST %s, baseline (playhead by rAF and left): %.1f style recalcs/s, %.1f layouts/s, main thread %.0f%% busy", what, br, bl, 100*bbusy)
			return r, br
		}
		r, br := report("own loop stopped")
		b.click(t, "#loop-toggle")
		b.waitJS(t, "playing", `document.querySelector('#loop-toggle[data-state="playing"]')`, 10*time.Second)
		time.Sleep(time.Second)
		pr, pbr := report("own loop playing")
		verdict := "met"
		if max(r, pr) >= 10 {
			verdict = "MISSED"
		}
		t.Logf("REST goal fewer than 10 style recalcs/s at rest: %s (stopped %.1f, baseline %.1f, ratio %.2f; playing %.1f, baseline %.1f, ratio %.2f)",
			verdict, r, br, r/max(br, 1e-9), pr, pbr, pr/max(pbr, 1e-9))
	})

	t.Run("own loop ready after welcome", func(t *testing.T) {
		n := envInt("LOOPS_REST_READINGS", 20)
		var ready, render []float64
		for i := 0; i < n; i++ {
			b.run(t, 60*time.Second, chromedp.Navigate(fmt.Sprintf("%s/jam/ready-%d-%d", srv.url(), time.Now().UnixNano(), i)))
			b.waitLive(t)
			b.click(t, "#welcome-start")
			b.waitJS(t, "the player's own loop", `window.loopsDiagnostics().loops.ownReadyMs > 0`, 60*time.Second)
			l := b.diagnostics(t).Loops
			ready, render = append(ready, l.OwnReadyMs), append(render, l.OwnRenderMs)
		}
		under := 0
		var all []string
		for i, r := range ready {
			if r < 300 {
				under++
			}
			all = append(all, fmt.Sprintf("%.0f (%.0f)", r, render[i]))
		}
		t.Logf("REST own loop ready after welcome, ms (of which its render): %s", strings.Join(all, ", "))
		sort.Float64s(ready)
		verdict := "met"
		if under < n {
			verdict = "MISSED"
		}
		t.Logf("REST own loop ready within 300 ms of welcome in %d of %d readings (goal %d of %d: %s); median %.0f ms, max %.0f ms",
			under, n, n, n, verdict, ready[len(ready)/2], ready[len(ready)-1])
	})
	if avg, err := os.ReadFile("/proc/loadavg"); err == nil {
		t.Logf("load average at the end: %s", strings.TrimSpace(string(avg)))
	}
}

// oldPlayhead drives the playheads as the app did before they were a CSS
// animation: every frame, a CSS variable on the root that positions them by
// left. window.__oldPlayheadStop() undoes it.
const oldPlayhead = `(() => {
	const style = document.createElement("style");
	style.textContent = ".playhead { animation: none !important; transform: none !important; inset: 0 auto 0 calc(var(--jam-phase) * 100%) !important; width: 2px; }";
	document.head.appendChild(style);
	let on = true;
	const frame = () => {
		if (!on) return;
		document.documentElement.style.setProperty("--jam-phase", (performance.now() % 4800) / 4800);
		requestAnimationFrame(frame);
	};
	requestAnimationFrame(frame);
	window.__oldPlayheadStop = () => { on = false; style.remove(); document.documentElement.style.removeProperty("--jam-phase"); };
	return true;
})()`
