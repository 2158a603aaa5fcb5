//go:build !wasm

package app

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/performance"
	"github.com/chromedp/chromedp"

	"github.com/loopswithfriends/loops/server/boltstore"
	"github.com/loopswithfriends/loops/shared"
	"github.com/loopswithfriends/loops/shared/sound"
)

// tenMinutes returns a recording of the whole history, 250 bars (10
// minutes at 100 BPM), as busy as a full jam gets: seven loops at once for
// most of it, each stopping, swapping and coming back every few bars.
func tenMinutes(id string) *shared.Recording {
	kit := shared.DefaultKit()
	rec := &shared.Recording{ID: id, Created: float64(time.Now().UnixMilli()), Kit: kit.ID,
		BPM: kit.BPM, BeatsPerBar: kit.BeatsPerBar, BarsPerLoop: kit.BarsPerLoop,
		FirstBar: 1001, Bars: shared.HistoryBars}
	ids := sound.IDs(kit.ID)
	for m := range shared.Capacity {
		for from, k := m%4, 0; from < rec.Bars; k++ {
			to := min(from+8+(m+k)%9, rec.Bars)
			rec.Parts = append(rec.Parts, shared.Part{Loop: ids[(m+k*shared.Capacity)%len(ids)], From: from, To: to})
			from = to + 1 + (m*k)%3
		}
	}
	return rec
}

// TestExportBench measures the "Download WAV" of a 10-minute recording in
// headless chromium (BENCHMARKS.md): the time from the click to the file,
// with the loops already rendered for playback, and the longest task of
// the page meanwhile (PerformanceObserver's long tasks, 50 ms and over),
// in the export's worker and, as the same run's baseline, on the page.
// Opt in with LOOPS_BENCH=1 (`make bench`).
func TestExportBench(t *testing.T) {
	needBench(t)
	data := t.TempDir()
	store, err := boltstore.Open(data, boltstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	rec := tenMinutes("BENCHBENCHBENCHBENCH10")
	if err := store.Put(context.Background(), rec); err != nil {
		t.Fatal(err)
	}
	store.Close()
	srv := startLoopsServerWith(t, data)
	defer srv.kill()

	b := newBrowser(t, "export", 1200, 900)
	b.run(t, 60*time.Second, chromedp.Navigate(srv.url()+"/r/"+rec.ID))
	b.waitJS(t, "the recording", `document.querySelector('#recording[data-state="ready"] #lanes')`, 60*time.Second)
	loops := len(sound.LoopIDs(rec))
	b.waitJS(t, "the loops rendered", fmt.Sprintf(`window.loopsDiagnostics().loops.rendered >= %d`, loops), 120*time.Second)
	// The main thread's CPU time, which the box's load does not inflate
	// as it does the wall time.
	if err := chromedp.Do(b.ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, performance.Enable, performance.EnableParams{})
		return err
	})); err != nil {
		t.Fatal(err)
	}
	cpu := func() float64 {
		var v float64
		if err := chromedp.Do(b.ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			res, err := cdp.Call(ctx, tg, performance.GetMetrics, cdp.Empty{})
			for _, x := range res.Metrics {
				if x.Name == "ThreadTime" {
					v = x.Value
				}
			}
			return err
		})); err != nil {
			t.Fatal(err)
		}
		return v
	}
	// The worker's export, then the page's own (the baseline: the export
	// before the worker, forced by window.loopsExportOnPage), each with
	// the page's long tasks and main-thread CPU; the ratios at the end.
	type figures struct{ ms, cpuMs, longest float64 }
	var got [2]figures
	for i, onPage := range []bool{false, true} {
		cpu0 := cpu()
		eval[bool](t, b, fmt.Sprintf(`(() => {
			window.loopsExport = null;
			window.loopsExportOnPage = %v;
			window.__long = [];
			if (!window.__observer) {
				window.__observer = new PerformanceObserver(l => window.__long.push(...l.getEntries().map(e => ({start: e.startTime, ms: e.duration}))));
				window.__observer.observe({type: "longtask"});
			}
			window.__clicked = performance.now();
			document.querySelector('#rec-download').click();
			return true;
		})()`, onPage))
		b.waitJS(t, "the export", `window.loopsExport && window.loopsExport.url`, 120*time.Second)
		// Long tasks are reported after they end: a moment for the last.
		time.Sleep(500 * time.Millisecond)
		cpuSec := cpu() - cpu0
		var load [3]float64
		if b, err := os.ReadFile("/proc/loadavg"); err == nil {
			fmt.Sscan(string(b), &load[0], &load[1], &load[2])
		}
		type result struct {
			Ms, MixMs, Started, Frames, Bytes, Rate, Longest, GCCycles, FirstChunk float64
			Worker                                                                 bool
			Long                                                                   []struct{ Start, Ms float64 }
			Slow                                                                   []struct {
				Kind       string
				At, Ms, GC float64
			}
		}
		r := eval[result](t, b, `(() => {
			const x = window.loopsExport;
			return {ms: x.ms, mixMs: x.mixMs, started: x.started, frames: x.frames, bytes: x.bytes, rate: x.sampleRate, longest: x.longestStepMs,
				gccycles: x.gcCycles, slow: x.slow || [], firstchunk: x.firstChunkMs, worker: x.worker,
				long: window.__long.filter(e => e.start >= window.__clicked)};
		})()`)
		if r.Worker == onPage {
			t.Fatalf("asked for the page's export %v, got the worker's %v", onPage, r.Worker)
		}
		longest := 0.0
		for _, l := range r.Long {
			longest = max(longest, l.Ms)
			t.Logf("long task at %.0f ms of the export: %.0f ms", l.Start-r.Started, l.Ms)
		}
		for _, s := range r.Slow {
			t.Logf("slow %s at %.0f ms of the export: %.0f ms, %.0f garbage collections so far", s.Kind, s.At, s.Ms, s.GC)
		}
		where := "in the worker"
		if onPage {
			where = "on the page (baseline)"
		}
		t.Logf("%s: the first bytes after %.0f ms, the last after %.0f of %.0f; %.0f garbage collections on the page meanwhile", where, r.FirstChunk, r.MixMs, r.Ms, r.GCCycles)
		t.Logf("export %s of a 10-minute recording (%d parts, %d loops): %.0f ms for %.0f frames at %.0f Hz (%.1f MB), %.0f ms of the main thread's CPU; the page's longest step %.1f ms; %d long tasks, the longest %.0f ms; load average %.2f",
			where, len(rec.Parts), loops, r.Ms, r.Frames, r.Rate, r.Bytes/1e6, cpuSec*1000, r.Longest, len(r.Long), longest, load[0])
		if r.Frames != float64(rec.Bars)*r.Rate*2.4 {
			t.Errorf("%v frames, want %v", r.Frames, float64(rec.Bars)*r.Rate*2.4)
		}
		got[i] = figures{r.Ms, cpuSec * 1000, longest}
	}
	w, p := got[0], got[1]
	t.Logf("worker against page: wall %.0f / %.0f ms (%.2fx), main thread CPU %.0f / %.0f ms (%.2fx), longest task %.0f / %.0f ms",
		w.ms, p.ms, w.ms/p.ms, w.cpuMs, p.cpuMs, w.cpuMs/p.cpuMs, w.longest, p.longest)
}
