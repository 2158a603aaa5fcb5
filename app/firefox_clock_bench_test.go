//go:build !wasm

package app

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// TestFirefoxOutputClock measures what the output clock is in Firefox and
// in Chromium, and when reading Firefox's freezes the tab; the figures
// behind geckoAudio (BENCHMARKS.md, "In time everywhere"):
//   - the pair: a page whose context has run a second reads
//     getOutputTimestamp() and, beside it, currentTime with
//     performance.now(), and outputLatency: how far apart the two
//     mappings of audio time to the wall clock are (Firefox: 0, which is
//     checked; Chromium: its output latency);
//   - a read of outputLatency right after suspend() resolves, the first of
//     the context, in Firefox: what it answers, and the frozen tabs;
//   - one read of outputLatency on each of three contexts (one graph and
//     audio stream each) a second after they run, at once or just after
//     the context's clock moved (a graph iteration has just ended): the
//     frozen tabs of each.
//
// Opt in with LOOPS_BENCH=1; LOOPS_FF_PROBE_LOADS (3) loads of each.
func TestFirefoxOutputClock(t *testing.T) {
	needBench(t)
	needFirefox(t)
	needChromium(t)
	url := clockProbePage(t)
	n := envInt("LOOPS_FF_PROBE_LOADS", 3)
	type probe struct {
		L         float64   `json:"l"`
		Base      float64   `json:"base"`
		Diff      float64   `json:"diff"`
		Suspended []float64 `json:"suspended"`
	}
	read := func(p tab) (probe, error) {
		var pr probe
		s, err := p.evalJSON("window.__probe", 5*time.Second)
		if err == nil {
			err = json.Unmarshal([]byte(s), &pr)
		}
		return pr, err
	}
	t.Run("the pair", func(t *testing.T) {
		b := newBrowser(t, "probe", 800, 600)
		f := newFirefox(t, "probe", 800, 600)
		for _, p := range []tab{b, f} {
			for i := 0; i < n; i++ {
				p.navigate(t, url+"/?mode=pair")
				if err := pollTab(p, "the probe", "window.__probe", 20*time.Second); err != nil {
					t.Logf("%s load %d: %v", p.label(), i+1, err)
					continue
				}
				pr, err := read(p)
				if err != nil {
					t.Fatal(err)
				}
				t.Logf("CLOCK %s load %d: outputLatency %.1f ms, baseLatency %.1f ms; getOutputTimestamp()'s mapping %.2f ms later than currentTime with performance.now()",
					p.label(), i+1, pr.L*1000, pr.Base*1000, pr.Diff)
				if p == tab(f) && math.Abs(pr.Diff) > 0.5 {
					t.Errorf("firefox: getOutputTimestamp()'s mapping %.2f ms from currentTime with performance.now(), want the same", pr.Diff)
				}
			}
		}
	})
	t.Run("a read just after suspend()", func(t *testing.T) {
		c := freezeLoads(t, n, func(f *firefox, i int) error {
			if err := f.tryNavigate(url + "/?mode=suspend"); err != nil {
				return err
			}
			if err := pollTab(f, "the probe", "window.__probe", 20*time.Second); err != nil {
				return err
			}
			pr, err := read(f)
			if err != nil || len(pr.Suspended) != 2 {
				return fmt.Errorf("probe %+v: %v", pr, err)
			}
			t.Logf("load %d: outputLatency just after suspend() %.1f ms, 300 ms later %.1f ms, running again %.1f ms",
				i+1, pr.Suspended[0]*1000, pr.Suspended[1]*1000, pr.L*1000)
			return nil
		})
		t.Logf("CLOCK a read just after suspend(): %d of %d loads froze", c.frozen, c.loads)
	})
	t.Run("three contexts, a read each", func(t *testing.T) {
		for _, m := range []string{"any", "aligned"} {
			c := freezeLoads(t, n, func(f *firefox, i int) error {
				if err := f.tryNavigate(url + "/?k=3&mode=" + m); err != nil {
					return err
				}
				return pollTab(f, "the probe", "window.__probe", 20*time.Second)
			})
			t.Logf("CLOCK three contexts, read %s: %d of %d loads froze", m, c.frozen, c.loads)
		}
	})
}

// clockProbePage serves the pages of TestFirefoxOutputClock: k contexts
// (?k=, 1 by default; each of its own sample rate, so a graph and an audio
// stream each) play silence, and once they have run a second read their
// output clock as ?mode= says, leaving what they saw in window.__probe.
func clockProbePage(t *testing.T) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, `<!doctype html><title>output clock probe</title><script>
const q = new URLSearchParams(location.search), mode = q.get("mode");
const ctxs = [48000, 44100, 32000].slice(0, +(q.get("k") || 1)).map(sampleRate => {
	const c = new AudioContext({latencyHint: "interactive", sampleRate});
	const g = c.createGain(); g.gain.value = 0; g.connect(c.destination);
	const o = c.createOscillator(); o.connect(g); o.start();
	return c;
});
const c = window.__audioCtx = ctxs[0];
const sleep = ms => new Promise(r => setTimeout(r, ms));
const running = async c => { c.resume(); while (c.state !== "running") await sleep(5); };
const mc = new MessageChannel(); let woke; mc.port1.onmessage = () => woke();
const yieldNow = () => new Promise(r => { woke = r; mc.port2.postMessage(0); });
(async () => {
	for (const c of ctxs) await running(c);
	await sleep(1000);
	const r = {};
	if (mode === "pair") {
		let ts = Infinity, now = Infinity;
		for (let i = 0; i < 20; i++) {
			const s = c.getOutputTimestamp();
			ts = Math.min(ts, s.performanceTime - s.contextTime * 1000);
			now = Math.min(now, performance.now() - c.currentTime * 1000);
		}
		r.diff = ts - now;
	} else if (mode === "suspend") {
		await c.suspend();
		r.suspended = [c.outputLatency];
		await sleep(300);
		r.suspended.push(c.outputLatency);
		await running(c);
		await sleep(300);
	} else {
		for (const c of ctxs) {
			await sleep(Math.random() * 20);
			if (mode === "aligned") {
				const t0 = c.currentTime;
				for (let n = 0; c.currentTime === t0 && n < 2000; n++) await yieldNow();
			}
			c.outputLatency;
		}
	}
	r.l = c.outputLatency;
	r.base = c.baseLatency;
	window.__probe = r;
})();
</script>`)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}
