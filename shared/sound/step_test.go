package sound

import (
	"runtime/debug"
	"testing"

	"github.com/loopswithfriends/loops/shared"
)

// TestStep checks that a Renderer's steps are small and even, by counting
// their work (the ticks of every job, see workTicks) rather than timing them:
// the count is the same on every machine and under any load.
// BenchmarkStepMax times them.
func TestStep(t *testing.T) {
	t.Run("no Step(512) does more than twice 512 frames' work, at any rate", func(t *testing.T) {
		const frames = 512
		for _, sr := range []int{MinSampleRate, 44100, 48000, 96000} {
			// Every loop at the browsers' rates; the default kit's at the
			// extremes too (the other kits are made of the same jobs).
			loops := allLoops()
			if sr == MinSampleRate || sr == 96000 {
				loops = kitLoops(shared.DefaultKit().ID)
			}
			for _, kl := range loops {
				id := kl.String()
				r, err := NewRenderer(kl.kit, kl.id, sr)
				if err != nil {
					t.Fatal(err)
				}
				for k, j := range r.jobs {
					if j.w < 1 || j.n < 0 {
						t.Fatalf("%s at %d Hz: job %d has n %d, w %d: its work is not counted", id, sr, k, j.n, j.w)
					}
				}
				worst, steps, last := 0, 0, 0
				for done := false; !done; steps++ {
					done = r.Step(frames)
					worst = max(worst, r.spent-last)
					last = r.spent
				}
				if worst > 2*frames*workTicks {
					t.Errorf("%s at %d Hz: a Step(%d) did %d frames' work", id, sr, frames, worst/workTicks)
				}
				// The steps are even, too: all but the last do at least what
				// they were asked.
				if min := r.total / (frames * workTicks); steps > min+1 {
					t.Errorf("%s at %d Hz: %d steps, where %d frames' work each would take %d", id, sr, steps, frames, min+1)
				}
				if r.spent != r.total || r.Progress() != 1 {
					t.Errorf("%s at %d Hz: spent %d of %d ticks", id, sr, r.spent, r.total)
				}
			}
		}
	})

	t.Run("Sketch runs every job, for a sliver of the loop's work", func(t *testing.T) {
		for _, sr := range []int{MinSampleRate, 48000} {
			for _, kl := range allLoops() {
				id := kl.String()
				r, err := NewRenderer(kl.kit, kl.id, sr)
				if err != nil {
					t.Fatal(err)
				}
				want := len(r.jobs)
				jobs, ticks := r.Sketch(16)
				if jobs != want {
					t.Errorf("%s at %d Hz: Sketch ran %d of %d jobs", id, sr, jobs, want)
				}
				if ticks <= 0 || 20*ticks > r.total {
					t.Errorf("%s at %d Hz: Sketch did %d ticks of a render's %d; want some, and under a twentieth", id, sr, ticks, r.total)
				}
				if !r.Step(512) {
					t.Errorf("%s at %d Hz: not done after Sketch", id, sr)
				}
			}
		}
	})

	t.Run("steps allocate nothing but the buffers they give back at the end", func(t *testing.T) {
		// In the browser an allocation may have to wait for the garbage
		// collector: a step that allocates could stall.
		for _, kl := range allLoops() {
			id := kl.String()
			const runs = 5
			var rs []*Renderer
			for range runs + 1 {
				r, err := NewRenderer(kl.kit, kl.id, 48000)
				if err != nil {
					t.Fatal(err)
				}
				rs = append(rs, r)
			}
			// putBuf's, one a buffer going back: the send, the scratch
			// and the samples' slabs.
			back := 2 + len(rs[0].slabs)
			// No collection while counting: one empties the buffers'
			// pool, whose next put then allocates the pool's own arrays
			// anew (a busy machine's collections once made a CI run
			// count 4 for 3).
			gc := debug.SetGCPercent(-1)
			allocs := testing.AllocsPerRun(runs, func() {
				r := rs[0]
				rs = rs[1:]
				for !r.Step(512) {
				}
			})
			debug.SetGCPercent(gc)
			if allocs > float64(back) {
				t.Errorf("%s: its steps made %v allocations", id, allocs)
			}
		}
	})

	t.Run("steps of any size give Render's samples", func(t *testing.T) {
		rng := newNoise(0x57e9)
		for _, kit := range kits {
			for _, k := range renderKit(t, kit.ID, 44100) {
				r, err := NewRenderer(kit.ID, k.id, 44100)
				if err != nil {
					t.Fatal(err)
				}
				for !r.Step(1 + int(rng.unit()*20000)) {
				}
				l, rt := r.Result()
				if !sameBits(l, k.left) || !sameBits(rt, k.right) {
					t.Errorf("%s/%s: rendered in uneven steps, it differs from Render", kit.ID, k.id)
				}
			}
		}
	})

	t.Run("a Step past the end does nothing and says done", func(t *testing.T) {
		r, err := NewRenderer("golden-hour", "drums", 44100)
		if err != nil {
			t.Fatal(err)
		}
		for !r.Step(1 << 20) {
		}
		if !r.Step(512) || r.Progress() != 1 {
			t.Errorf("Step after done: not done, or progress %v", r.Progress())
		}
	})
}
