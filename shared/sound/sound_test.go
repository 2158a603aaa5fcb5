package sound

import (
	"fmt"
	"math"
	"slices"
	"sync"
	"testing"

	"github.com/loopswithfriends/loops/shared"
)

// rendered is a loop rendered once for the whole test run.
type rendered struct {
	id          string
	left, right []float32
}

var kitCache sync.Map // kit id and sample rate -> []rendered

// renderKit renders every loop of a kit at sampleRate, once per test
// binary.
func renderKit(t testing.TB, kitID string, sampleRate int) []rendered {
	t.Helper()
	key := fmt.Sprint(kitID, sampleRate)
	if k, ok := kitCache.Load(key); ok {
		return k.([]rendered)
	}
	var kit []rendered
	for _, id := range IDs(kitID) {
		l, r, err := Render(kitID, id, sampleRate)
		if err != nil {
			t.Fatalf("Render(%q, %q, %d): %v", kitID, id, sampleRate, err)
		}
		kit = append(kit, rendered{id, l, r})
	}
	kitCache.Store(key, kit)
	return kit
}

func dbfs(x float64) float64 { return 20 * math.Log10(x) }

func peak(left, right []float32) float64 {
	var p float32
	for i := range left {
		p = max(p, left[i], -left[i], right[i], -right[i])
	}
	return float64(p)
}

func rms(left, right []float32) float64 {
	var s float64
	for i := range left {
		s += float64(left[i])*float64(left[i]) + float64(right[i])*float64(right[i])
	}
	return math.Sqrt(s / float64(2*len(left)))
}

func TestKit(t *testing.T) {
	t.Run("every kit of shared.Kits has a sound, with its loops in kit order", func(t *testing.T) {
		if len(kits) != len(shared.Kits) {
			t.Fatalf("%d kits of sound for %d kits", len(kits), len(shared.Kits))
		}
		for i, k := range kits {
			if k.Kit != shared.Kits[i] {
				t.Fatalf("kit %d is %v, want %s", i, k.Kit, shared.Kits[i].ID)
			}
			var want []string
			for _, l := range k.Loops {
				want = append(want, l.ID)
			}
			if got := IDs(k.ID); !slices.Equal(got, want) {
				t.Fatalf("IDs(%s) = %v, want the kit's %v", k.ID, got, want)
			}
		}
		if IDs("nope") != nil {
			t.Error("an unknown kit has loops")
		}
	})

	t.Run("a loop of the default kit is 211680 frames at 44.1 kHz and 230400 at 48 kHz, exactly", func(t *testing.T) {
		gh := shared.KitByID("golden-hour")
		for sr, want := range map[int]int{44100: 211680, 48000: 230400, 96000: 460800, 22050: 105840} {
			if got := LoopFrames(gh, sr); got != want {
				t.Errorf("LoopFrames(%d) = %d, want %d", sr, got, want)
			}
		}
		// 4.8 s of an odd rate is not whole: rounded to the nearest frame.
		if got := LoopFrames(gh, 44101); got != 211685 {
			t.Errorf("LoopFrames(44101) = %d, want 211685 (211684.8 rounded)", got)
		}
	})

	t.Run("every loop is LoopFrames long, the kit's loop length", func(t *testing.T) {
		for _, k := range kits {
			for _, sr := range []int{44100, 48000} {
				want := LoopFrames(k.Kit, sr)
				if d := float64(want)/float64(sr) - k.LoopSeconds(); d > 0.5/float64(sr) || d < -0.5/float64(sr) {
					t.Errorf("%s at %d Hz: %d frames for a loop of %v s", k.ID, sr, want, k.LoopSeconds())
				}
				for _, l := range renderKit(t, k.ID, sr) {
					if len(l.left) != want || len(l.right) != want {
						t.Errorf("%s/%s at %d Hz: %d and %d frames, want %d", k.ID, l.id, sr, len(l.left), len(l.right), want)
					}
				}
			}
		}
	})

	t.Run("every loop renders at low and odd sample rates, finite and in range", func(t *testing.T) {
		for _, sr := range []int{MinSampleRate, 44101} {
			for _, kl := range allLoops() {
				l, r, err := Render(kl.kit, kl.id, sr)
				if err != nil {
					t.Fatalf("%s at %d Hz: %v", kl, sr, err)
				}
				if len(l) != LoopFrames(shared.KitByID(kl.kit), sr) || len(r) != len(l) {
					t.Errorf("%s at %d Hz: %d frames", kl, sr, len(l))
				}
				for i := range l {
					if x, y := float64(l[i]), float64(r[i]); math.IsNaN(x+y) || math.Abs(x) >= 1 || math.Abs(y) >= 1 {
						t.Fatalf("%s at %d Hz: frame %d is %v, %v", kl, sr, i, x, y)
					}
				}
			}
		}
	})

	t.Run("every loop peaks below -1 dBFS", func(t *testing.T) {
		for _, k := range kits {
			for _, l := range renderKit(t, k.ID, 48000) {
				if p := dbfs(peak(l.left, l.right)); p >= -1 {
					t.Errorf("%s/%s peaks at %.2f dBFS", k.ID, l.id, p)
				}
			}
		}
	})

	t.Run("no loop is silent, and both channels carry it", func(t *testing.T) {
		for _, k := range kits {
			for _, l := range renderKit(t, k.ID, 48000) {
				if lv := dbfs(rms(l.left, l.right)); lv < -45 {
					t.Errorf("%s/%s RMS %.2f dBFS", k.ID, l.id, lv)
				}
				if rms(l.left, l.left) == 0 || rms(l.right, l.right) == 0 {
					t.Errorf("%s/%s has a silent channel", k.ID, l.id)
				}
			}
		}
	})

	t.Run("the jump from a loop's last sample to its first is no bigger than its typical step", func(t *testing.T) {
		// Typical: the 99th percentile of |x[i+1]-x[i]| over the loop.
		for _, k := range kits {
			for _, sr := range []int{44100, 48000} {
				for _, l := range renderKit(t, k.ID, sr) {
					for c, x := range [2][]float32{l.left, l.right} {
						steps := make([]float64, len(x)-1)
						for i := range steps {
							steps[i] = math.Abs(float64(x[i+1] - x[i]))
						}
						slices.Sort(steps)
						typical := steps[len(steps)*99/100]
						seam := math.Abs(float64(x[0] - x[len(x)-1]))
						if seam > typical {
							t.Errorf("%s/%s at %d Hz, channel %d: seam %.5f > typical step %.5f", k.ID, l.id, sr, c, seam, typical)
						}
					}
				}
			}
		}
	})

	t.Run("rendering twice gives the same samples", func(t *testing.T) {
		for _, k := range kits {
			for _, l := range renderKit(t, k.ID, 44100) {
				left, right, err := Render(k.ID, l.id, 44100)
				if err != nil {
					t.Fatal(err)
				}
				if !sameBits(left, l.left) || !sameBits(right, l.right) {
					t.Errorf("%s/%s differs between two renders", k.ID, l.id)
				}
			}
		}
	})

	t.Run("a Renderer stepped a little at a time gives Render's samples", func(t *testing.T) {
		for _, k := range kits {
			for _, l := range renderKit(t, k.ID, 44100) {
				r, err := NewRenderer(k.ID, l.id, 44100)
				if err != nil {
					t.Fatal(err)
				}
				last, steps := r.Progress(), 0
				for !r.Step(3000) {
					steps++
					if p := r.Progress(); p < last || p > 1 {
						t.Fatalf("%s/%s: progress went from %v to %v", k.ID, l.id, last, p)
					}
					last = r.Progress()
				}
				if r.Progress() != 1 {
					t.Errorf("%s/%s: progress %v when done", k.ID, l.id, r.Progress())
				}
				if steps < 20 {
					t.Errorf("%s/%s: done in %d steps of 3000 frames; the steps are not bounded", k.ID, l.id, steps)
				}
				left, right := r.Result()
				if !sameBits(left, l.left) || !sameBits(right, l.right) {
					t.Errorf("%s/%s: stepped render differs from Render", k.ID, l.id)
				}
			}
		}
	})

	t.Run("no step of a Renderer does more than two seconds of sound at once, and the smallest steps still give Render's samples", func(t *testing.T) {
		// The default kit's loops: a million steps a kit, and the other
		// kits are made of the same jobs (TestStep cuts every loop of
		// every kit into steps of any size).
		for _, kl := range kitLoops(shared.DefaultKit().ID) {
			r, err := NewRenderer(kl.kit, kl.id, 48000)
			if err != nil {
				t.Fatal(err)
			}
			worst, last := 0, 0
			for !r.Step(1) {
				worst = max(worst, r.spent-last)
				last = r.spent
			}
			worst = max(worst, r.spent-last)
			if worst > 2*48000*workTicks {
				t.Errorf("%s: a step of %d frames' work (%.2f s)", kl, worst/workTicks, float64(worst/workTicks)/48000)
			}
			want, _, _ := Render(kl.kit, kl.id, 48000)
			if got, _ := r.Result(); !sameBits(got, want) {
				t.Errorf("%s: rendered one job at a time, it differs from Render", kl)
			}
		}
	})
}

// kitLoop names one loop of one kit.
type kitLoop struct{ kit, id string }

func (kl kitLoop) String() string { return kl.kit + "/" + kl.id }

// kitLoops lists every loop of a kit.
func kitLoops(kitID string) []kitLoop {
	var all []kitLoop
	for _, id := range IDs(kitID) {
		all = append(all, kitLoop{kitID, id})
	}
	return all
}

// allLoops lists every loop of every kit.
func allLoops() []kitLoop {
	var all []kitLoop
	for _, k := range kits {
		for _, id := range IDs(k.ID) {
			all = append(all, kitLoop{k.ID, id})
		}
	}
	return all
}
