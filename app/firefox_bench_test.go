//go:build !wasm

package app

import (
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"sort"
	"strings"
	"testing"
	"time"
)

// TestFirefoxBench measures Firefox as a first-class browser, each figure
// beside a same-run baseline:
//   - one jam of a Firefox page and two Chromium pages: the Firefox player
//     starts and stops a loop; how far apart Firefox and Chromium plan
//     each start (plannedWallMs; baseline: the two Chromium pages, for the
//     same starts);
//     then the loop plays on, and each page's restarts of it are counted
//     (a crossfade of the same bar to re-anchor it), per minute;
//   - loads of the app in Firefox, counting the tabs that freeze (baseline:
//     a blank page that reads getOutputTimestamp() and outputLatency every
//     50 ms from its load, as the app did).
//
// Opt in with LOOPS_BENCH=1 (`make bench`); LOOPS_FF_ROUNDS (10),
// LOOPS_FF_PLAY_S (60), LOOPS_FF_LOADS (50) and LOOPS_FF_BASE_LOADS (20)
// set its size.
func TestFirefoxBench(t *testing.T) {
	needBench(t)
	needFirefox(t)
	srv := startLoopsServer(t)
	defer srv.kill()
	t.Run("Firefox and Chromium in one jam", func(t *testing.T) {
		ffChromiumJam(t, srv, envInt("LOOPS_FF_ROUNDS", 10), envInt("LOOPS_FF_PLAY_S", 60))
	})
	t.Run("frozen tabs", func(t *testing.T) {
		blank := blankAudioPage(t)
		base := freezeLoads(t, envInt("LOOPS_FF_BASE_LOADS", 20), func(f *firefox, i int) error {
			return f.tryNavigate(blank)
		})
		app := freezeLoads(t, envInt("LOOPS_FF_LOADS", 50), func(f *firefox, i int) error {
			// Every other load is a reload, which resumes the player.
			load := func() error { return f.tryNavigate(srv.url() + "/") }
			if i%2 == 1 {
				load = f.tryReload
			}
			for _, step := range []func() error{
				load,
				func() error {
					return pollTab(f, "the welcome button", `(() => { const b = document.querySelector('#welcome-start[data-ready="true"]'); return b && b.getClientRects().length > 0; })()`, 60*time.Second)
				},
				func() error { return f.tryClick("#welcome-start") },
				func() error {
					return pollTab(f, "online state", `document.querySelector('#connection[data-state="online"]')`, 30*time.Second)
				},
			} {
				if err := step(); err != nil {
					return err
				}
			}
			return nil
		})
		t.Logf("FIREFOX frozen tabs: the app %d of %d loads; the baseline (a blank page reading the output clock from its load) %d of %d",
			app.frozen, app.loads, base.frozen, base.loads)
	})
}

func ffChromiumJam(t *testing.T, srv *loopsServer, rounds, playS int) {
	ff := newFirefox(t, "bench-firefox", 800, 700)
	c1 := newBrowser(t, "bench-chromium-1", 800, 700)
	c2 := newBrowser(t, "bench-chromium-2", 800, 700)
	player, jamURL := joinJam(t, ff, srv.url()+"/")
	joinJam(t, c1, jamURL)
	joinJam(t, c2, jamURL)
	pages := []tab{ff, c1, c2}
	for _, p := range pages {
		waitFor(t, p, "the player's loop rendered", fmt.Sprintf(`document.querySelector('[data-member-id=%q] .waveform-svg')`, player), 90*time.Second)
		waitFor(t, p, "a settled clock", `document.querySelector('#sync').dataset.settled === "true"`, 30*time.Second)
	}
	var ffGaps, chGaps []float64
	toggle := func(state string) {
		ff.click(t, "#loop-toggle")
		for _, p := range pages {
			waitFor(t, p, "the loop "+state, fmt.Sprintf(`document.querySelector('[data-member-id=%q][data-state=%q]')`, player, state), 15*time.Second)
		}
	}
	for r := 0; r < rounds; r++ {
		toggle("playing")
		time.Sleep(time.Second)
		walls := make([]float64, len(pages))
		bar := cardOf(t, ff, player).Bar
		for i, p := range pages {
			walls[i], _ = firstWall(t, p, player, bar)
		}
		ffGaps = append(ffGaps, math.Abs(walls[0]-walls[1]))
		chGaps = append(chGaps, math.Abs(walls[1]-walls[2]))
		t.Logf("round %d, bar %s: firefox %+.2f ms, chromium %+.2f ms from the other chromium", r+1, bar, walls[0]-walls[2], walls[1]-walls[2])
		toggle("stopped")
		time.Sleep(time.Second)
	}
	sort.Float64s(ffGaps)
	sort.Float64s(chGaps)
	within := 0
	for _, g := range ffGaps {
		if g <= 2 {
			within++
		}
	}
	t.Logf("FIREFOX same bar, Firefox against Chromium: %d of %d starts within 2 ms, p50 %s, max %s; baseline Chromium against Chromium p50 %s, max %s (p50 %.1fx)",
		within, len(ffGaps), ms(ffGaps[len(ffGaps)/2]), ms(ffGaps[len(ffGaps)-1]), ms(chGaps[len(chGaps)/2]), ms(chGaps[len(chGaps)-1]),
		ffGaps[len(ffGaps)/2]/math.Max(chGaps[len(chGaps)/2], 0.01))

	toggle("playing")
	bar := cardOf(t, ff, player).Bar
	const localNow = `performance.timeOrigin + performance.now()`
	var from []float64
	for _, p := range pages {
		from = append(from, eval[float64](t, p, localNow))
	}
	// How far each page's loop sounds off its own grid, every 2 s while it
	// plays: a loop a stall left behind is off until a restart or its rate
	// puts it back.
	offs := make([][]float64, len(pages))
	threadsBefore := childThreads()
	for end := time.Now().Add(time.Duration(playS) * time.Second); time.Now().Before(end); {
		time.Sleep(2 * time.Second)
		for i, p := range pages {
			offs[i] = append(offs[i], soundingOff(t, p, player, bar))
		}
	}
	cond := "real-time through rtkit, as on a desktop"
	if ff.noRT != "" {
		cond = "at normal priority, without rtkit (" + ff.noRT + ")"
	}
	rt, busy := threadReport(threadsBefore)
	t.Logf("FIREFOX condition: Firefox's audio threads %s; the run's threads at a real-time policy: %s", cond, rt)
	t.Logf("FIREFOX the busiest threads of the run's processes in the %d s of playing (CPU s): %s", playS, busy)
	for i, p := range pages {
		far, most := 0, 0.0
		for _, o := range offs[i] {
			if math.Abs(o) > 10 {
				far++
			}
			most = math.Max(most, math.Abs(o))
		}
		t.Logf("FIREFOX how far the playing loop sounds off the grid in %s, every 2 s: %d of %d readings more than 10 ms (%.0f %%), at most %.1f ms",
			p.label(), far, len(offs[i]), 100*float64(far)/float64(max(1, len(offs[i]))), most)
	}
	var nows []float64
	for i, p := range pages {
		d := diagnosticsOf(t, p)
		stalls := clockStalls(d.ClockMoves, from[i], eval[float64](t, p, localNow))
		n, owed, moved, nudges, factor, now := -1, 0, 0.0, 0, 1.0, 0.0
		var drifts []string
		// What happened to the page's loop, in seconds from the start.
		type event struct {
			at   float64
			what string
		}
		var events []event
		for _, s := range d.Scheduled {
			if s.Member == player && fmt.Sprint(s.Bar) == bar {
				if s.Kind == "restart" {
					// A page without atMs (an older build) says
					// nothing of when.
					at := math.NaN()
					if s.AtMs > 0 {
						at = (s.AtMs - from[i]) / 1000
					}
					events = append(events, event{at, fmt.Sprintf("restart at %.1f s (%+.0f ms off, for stalls of %.0f ms)", at, s.DriftMs, s.StallMs)})
				}
				if n < 0 {
					moved = s.ClockWallMs - s.PlannedWallMs
				}
				if n < 0 || s.Kind == "restart" {
					n++
				}
				if s.Kind == "restart" {
					drifts = append(drifts, fmt.Sprintf("%+.0f", s.DriftMs))
					if s.StallMs > 0 {
						owed++
					}
				}
				nudges, factor, now = nudges+s.Nudges, s.Factor, s.WallMs
			}
		}
		nows = append(nows, now)
		// moved is how far the output clock's mapping went since the
		// start: an audio clock that slips (a starved audio thread) moves
		// it by far more than the wobble. The engine steers the loop back
		// by its rate (nudges), and restarts it only past 50 ms, once
		// that lasts or once the clock settled after stalls of the audio
		// thread: at most once for each stall that moved the mapping by
		// 50 ms or more (stalls), once for stalls in a row.
		var sizes, lost []string
		for _, s := range stalls {
			sizes = append(sizes, fmt.Sprintf("%+.0f", s))
		}
		// The stalls the page's own watch of its context's clock saw (see
		// stallWatch), each with the audio it lost: a restart answers
		// those since the last (owed) or a drift that persisted.
		for _, s := range d.Stalls {
			if s[0] >= from[i] {
				lost = append(lost, fmt.Sprintf("%.0f", s[1]))
				at := (s[0] - from[i]) / 1000
				events = append(events, event{at, fmt.Sprintf("stall of %.0f ms over at %.1f s", s[1], at)})
			}
		}
		t.Logf("FIREFOX restarts of a playing loop in %s: %d in %d s (%.1f a minute%s), %d of them for a stall its page saw; its page saw %d stalls of its context's clock that lost audio%s, %.1f a minute; %d stalls of its output clock by 50 ms or more%s; its output clock moved %.1f ms meanwhile; %d rate changes, playing at %.5f of its rate at the end",
			p.label(), n, playS, float64(n)*60/float64(playS), msList("; off the grid by ", drifts, ""), owed, len(lost), msList(" (", lost, ")"), float64(len(lost))*60/float64(playS),
			len(stalls), msList(" (", sizes, ")"), moved, nudges, factor)
		sort.Slice(events, func(a, b int) bool { return events[a].at < events[b].at })
		var timeline []string
		for _, ev := range events {
			timeline = append(timeline, ev.what)
		}
		t.Logf("FIREFOX %s's timeline: %s", p.label(), strings.Join(timeline, "; "))
	}
	t.Logf("FIREFOX after %d s of playing, where the loop's bar sounds now: firefox %+.2f ms, chromium %+.2f ms from the other chromium", playS, nows[0]-nows[2], nows[1]-nows[2])
	toggle("stopped")
}

// soundingOff returns how many ms later than the page's grid its sounding
// start of member's loop at bar reaches the speakers now, by the page's
// output clock and the steering of its rate: its last start or restart of
// that bar, against the bar's start on the server's clock mapped by the
// page's clock offset.
func soundingOff(t *testing.T, p tab, member, bar string) float64 {
	t.Helper()
	d := diagnosticsOf(t, p)
	off := math.NaN()
	for _, s := range d.Scheduled {
		if s.Member == member && fmt.Sprint(s.Bar) == bar {
			off = s.WallMs - (s.ServerMs - d.Clock.OffsetMs)
		}
	}
	return off
}

// clockStalls returns the net moves of the output clock's mapping by
// restartSec or more within stallMs, between local wall ms from and to:
// each is a stall of the audio thread (the mapping moves in steps over a
// second after one, as the readings from before it age out), counted once.
func clockStalls(moves [][2]float64, from, to float64) []float64 {
	const stallMs = 2000
	var in [][2]float64
	for _, m := range moves {
		if m[0] >= from && m[0] <= to {
			in = append(in, m)
		}
	}
	var stalls []float64
	for i := 0; i < len(in); i++ {
		sum, j := 0.0, i
		for ; j < len(in) && in[j][0]-in[i][0] <= stallMs; j++ {
			sum += in[j][1]
		}
		if math.Abs(sum) >= restartSec*1000 {
			stalls = append(stalls, sum)
			i = j - 1
		}
	}
	return stalls
}

// firstWall returns the wall ms of the start of member's loop at bar that
// a page first sounded: the last plan before it sounded (a start still to
// come is moved when the clock improves meanwhile, a restart is after it
// sounded), as planned then, and by the output clock now.
func firstWall(t *testing.T, p tab, member, bar string) (planned, now float64) {
	t.Helper()
	found := false
	for _, s := range diagnosticsOf(t, p).Scheduled {
		if s.Member == member && fmt.Sprint(s.Bar) == bar && s.Kind != "restart" {
			planned, now, found = s.PlannedWallMs, s.WallMs, true
		}
	}
	if !found {
		t.Fatalf("%s scheduled no start of bar %s", p.label(), bar)
	}
	return planned, now
}

type freezeCount struct{ loads, frozen int }

// freezeLoads loads a page n times in Firefox with load, then watches it
// for 3 s: a tab that does not load, whose script does not answer within
// 15 s, or whose AudioContext's clock stands still while running, is
// frozen, and its Firefox is replaced.
func freezeLoads(t *testing.T, n int, load func(*firefox, int) error) freezeCount {
	var c freezeCount
	f := newFirefox(t, "freeze", 800, 700)
	const audioClock = `(() => { const c = window.__audioCtx; if (c) return [c.state, c.currentTime]; const d = window.loopsDiagnostics && window.loopsDiagnostics().audio; return d ? [d.state, d.currentTime] : ["none", 0]; })()`
	for i := 0; i < n; i++ {
		c.loads++
		err := load(f, i)
		for k := 0; k < 15 && err == nil; k++ {
			time.Sleep(200 * time.Millisecond)
			if _, err = f.evalJSON("1", 2*time.Second); err != nil {
				// A page starved of CPU answers late; a deadlocked one
				// never does.
				_, err = f.evalJSON("1", 15*time.Second)
			}
		}
		if err == nil {
			var before, after string
			before, err = f.evalJSON(audioClock, 2*time.Second)
			time.Sleep(time.Second)
			if err == nil {
				after, err = f.evalJSON(audioClock, 2*time.Second)
			}
			if err == nil && strings.HasPrefix(before, `["running"`) && after == before {
				err = fmt.Errorf("the running AudioContext's clock stood still at %s", before)
			}
		}
		if err != nil {
			c.frozen++
			t.Logf("load %d: frozen: %v", i+1, err)
			if dir := os.Getenv("LOOPS_FF_STACKS"); dir != "" {
				dumpFirefoxStacks(t, f, dir, fmt.Sprintf("%s-load-%d", time.Now().UTC().Format("150405"), i+1))
			}
			f.close()
			f = newFirefox(t, "freeze", 800, 700)
		}
	}
	f.close()
	return c
}

// blankAudioPage serves a page that reads the output clock every 50 ms from
// its load, running or not, as the app did: the baseline of the freezes.
func blankAudioPage(t *testing.T) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, `<!doctype html><title>output clock</title><script>
const c = new AudioContext({latencyHint: "interactive"});
window.__audioCtx = c;
const g = c.createGain(); g.connect(c.destination);
setInterval(() => { c.getOutputTimestamp(); c.outputLatency; }, 50);
setTimeout(() => c.resume(), 500);
</script>`)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// msList words a list of milliseconds between before and after, or
// nothing when the list is empty.
func msList(before string, ms []string, after string) string {
	if len(ms) == 0 {
		return ""
	}
	return before + strings.Join(ms, ", ") + " ms" + after
}
