//go:build !wasm

package app

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestFirefoxLatencyGate measures, on a blank page with the app's latency
// worklet (web/static/latency-tap.js), when a single first read of
// outputLatency freezes the tab (BENCHMARKS.md, "In time everywhere"): the
// context runs a second, then reads once, as LOOPS_FF_GATE_MODES lists
// (each mode:ms):
//   - random: at a random moment of the next 400 ms;
//   - after:q: q ms after a burst of the stream's callbacks was seen to end,
//     and 6 ms or more before the next is due (the gate's moment, see
//     latencyGate);
//   - ontime:q: as after:q, after a burst seen on time (within 1 ms of
//     the earliest, against the audio it rendered, of 5 or more seen);
//   - before:q: q ms before the next burst is due (the parent may be in its
//     write callback already);
//   - cadence: no read; it logs 300 ms of bursts as the page sees them
//     ([ms, quanta, currentFrame]).
//
// Opt in with LOOPS_BENCH=1; LOOPS_FF_PROBE_LOADS (3) loads of each.
func TestFirefoxLatencyGate(t *testing.T) {
	needBench(t)
	needFirefox(t)
	url := gateProbePage(t)
	n := envInt("LOOPS_FF_PROBE_LOADS", 3)
	modes := os.Getenv("LOOPS_FF_GATE_MODES")
	if modes == "" {
		modes = "cadence,random,after:3,before:1.5"
	}
	for _, m := range strings.Split(modes, ",") {
		c := freezeLoads(t, n, func(f *firefox, i int) error {
			if err := f.tryNavigate(url + "/?mode=" + strings.Replace(m, ":", "&q=", 1)); err != nil {
				return err
			}
			if err := pollTab(f, "the probe", "window.__probe", 20*time.Second); err != nil {
				return err
			}
			s, err := f.evalJSON("window.__probe", 5*time.Second)
			if err == nil {
				t.Logf("%s load %d: %s", m, i+1, s)
			}
			return err
		})
		t.Logf("GATE %s: %d of %d loads froze", m, c.frozen, c.loads)
	}
}

// gateProbePage serves TestFirefoxLatencyGate's page, cross-origin
// isolated (for its SharedArrayBuffer), with the app's worklet.
func gateProbePage(t *testing.T) string {
	tap, err := os.ReadFile(filepath.Join(repoRoot(t), "web", "static", "latency-tap.js"))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(pageHeaders(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/pre" {
			b, _ := io.ReadAll(r.Body)
			t.Logf("about to read: %s", b)
			return
		}
		if r.URL.Path == "/tap.js" {
			w.Header().Set("Content-Type", "text/javascript")
			w.Write(tap)
			return
		}
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, `<!doctype html><title>latency gate probe</title><script>
const q = new URLSearchParams(location.search), mode = q.get("mode"), ms = +q.get("q");
const c = window.__audioCtx = new AudioContext({latencyHint: "interactive", sampleRate: 48000});
const sleep = ms => new Promise(r => setTimeout(r, ms));
(async () => {
	const r = {isolated: self.crossOriginIsolated};
	const sab = new SharedArrayBuffer(8), a = new Int32Array(sab);
	await c.audioWorklet.addModule("/tap.js");
	const n = new AudioWorkletNode(c, "latency-tap", {numberOfInputs: 0, outputChannelCount: [1], processorOptions: {slots: sab}});
	n.connect(c.destination);
	c.resume(); while (c.state !== "running") await sleep(5);
	await sleep(1000);
	if (mode === "cadence") {
		const ev = []; let last = Atomics.load(a, 0);
		const t0 = performance.now();
		while (performance.now() - t0 < 300) {
			const k = Atomics.load(a, 0);
			if (k !== last) { ev.push([+(performance.now() - t0).toFixed(3), k - last, c.currentTime * c.sampleRate]); last = k; }
		}
		r.ev = ev;
	} else if (mode === "random") {
		await sleep(Math.random() * 400);
		r.l = c.outputLatency;
	} else {
		// Spins of at most 4 ms for a burst (the page yields between
		// them), then on to the moment. ontime: only after a burst seen
		// on time, within 1 ms of the earliest (seen ms less the audio it
		// rendered) of the 5 or more seen so far.
		let minOff = Infinity, seenN = 0;
		for (let tries = 0; tries < 500 && r.l === undefined; tries++) {
			let k = Atomics.load(a, 0), t = performance.now(), seen = 0, step = 0, prev = t, from = 0;
			for (;;) {
				const now = performance.now(), j = Atomics.load(a, 0);
				if (j !== k) {
					if (seen) break; // another burst: not this spin
					seen = now; from = prev; step = j - k; k = j;
					var late = now - j * 128 / c.sampleRate * 1000;
					minOff = Math.min(minOff, late); late -= minOff; seenN++;
				}
				prev = now;
				if (!seen && now - t > 4) break;
				const period = step * 128 / c.sampleRate * 1000;
				const at = mode === "before" ? period - ms : ms;
				if (seen && now - seen >= at) {
					// As the app's gate: the next burst is due a period
					// after the poll before this one was seen, and the
					// read starts 6 ms before it or not at all.
					if (mode !== "before" && now + 6 > from + period) break;
					if (mode === "ontime" && (seenN < 5 || late > 1)) break;
					r.tries = tries; r.quanta = step; r.afterMs = +(now - seen).toFixed(3); r.lateMs = +late.toFixed(3);
					navigator.sendBeacon("/pre", JSON.stringify(r));
					r.l = c.outputLatency;
					r.readMs = +(performance.now() - now).toFixed(3);
					break;
				}
			}
			if (r.l === undefined) await sleep(Math.random() * 5);
		}
	}
	window.__probe = r;
})();
</script>`)
	})))
	t.Cleanup(srv.Close)
	return srv.URL
}
