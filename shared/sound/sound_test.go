package sound

import (
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

var kitCache sync.Map // sample rate -> []rendered

// renderKit renders every loop at sampleRate, once per test binary.
func renderKit(t testing.TB, sampleRate int) []rendered {
	t.Helper()
	if k, ok := kitCache.Load(sampleRate); ok {
		return k.([]rendered)
	}
	var kit []rendered
	for _, id := range IDs() {
		l, r, err := Render(id, sampleRate)
		if err != nil {
			t.Fatalf("Render(%q, %d): %v", id, sampleRate, err)
		}
		kit = append(kit, rendered{id, l, r})
	}
	kitCache.Store(sampleRate, kit)
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
	t.Run("the kit has every loop of the catalog, in catalog order", func(t *testing.T) {
		var want []string
		for _, l := range shared.Catalog {
			want = append(want, l.ID)
		}
		if got := IDs(); !slices.Equal(got, want) {
			t.Fatalf("IDs() = %v, want the catalog's %v", got, want)
		}
		if len(IDs()) < 10 {
			t.Fatalf("%d loops, want at least 10", len(IDs()))
		}
	})

	t.Run("a loop is 211680 frames at 44.1 kHz and 230400 at 48 kHz, exactly", func(t *testing.T) {
		for sr, want := range map[int]int{44100: 211680, 48000: 230400, 96000: 460800, 22050: 105840} {
			if got := LoopFrames(sr); got != want {
				t.Errorf("LoopFrames(%d) = %d, want %d", sr, got, want)
			}
		}
		// 4.8 s of an odd rate is not whole: rounded to the nearest frame.
		if got := LoopFrames(44101); got != 211685 {
			t.Errorf("LoopFrames(44101) = %d, want 211685 (211684.8 rounded)", got)
		}
		for _, sr := range []int{44100, 48000} {
			for _, k := range renderKit(t, sr) {
				if len(k.left) != LoopFrames(sr) || len(k.right) != LoopFrames(sr) {
					t.Errorf("%s at %d Hz: %d and %d frames, want %d", k.id, sr, len(k.left), len(k.right), LoopFrames(sr))
				}
			}
		}
	})

	t.Run("every loop renders at low and odd sample rates, finite and in range", func(t *testing.T) {
		for _, sr := range []int{MinSampleRate, 22050, 44101} {
			for _, id := range IDs() {
				l, r, err := Render(id, sr)
				if err != nil {
					t.Fatalf("%s at %d Hz: %v", id, sr, err)
				}
				if len(l) != LoopFrames(sr) || len(r) != LoopFrames(sr) {
					t.Errorf("%s at %d Hz: %d frames, want %d", id, sr, len(l), LoopFrames(sr))
				}
				for i := range l {
					if x, y := float64(l[i]), float64(r[i]); math.IsNaN(x+y) || math.Abs(x) >= 1 || math.Abs(y) >= 1 {
						t.Fatalf("%s at %d Hz: frame %d is %v, %v", id, sr, i, x, y)
					}
				}
			}
		}
	})

	t.Run("every loop peaks below -1 dBFS", func(t *testing.T) {
		for _, k := range renderKit(t, 48000) {
			if p := dbfs(peak(k.left, k.right)); p >= -1 {
				t.Errorf("%s peaks at %.2f dBFS", k.id, p)
			}
		}
	})

	t.Run("all loops together peak below -1 dBFS", func(t *testing.T) {
		for _, sr := range []int{44100, 48000} {
			l, r, err := Mix(IDs(), sr)
			if err != nil {
				t.Fatal(err)
			}
			p := dbfs(peak(l, r))
			t.Logf("full mix at %d Hz: peak %.2f dBFS, RMS %.2f dBFS", sr, p, dbfs(rms(l, r)))
			if p >= -1 {
				t.Errorf("the full mix at %d Hz peaks at %.2f dBFS", sr, p)
			}
		}
	})

	t.Run("no combination of loops, of any size, peaks above -1 dBFS", func(t *testing.T) {
		// At each frame the loudest combination is every loop that is
		// positive there (or every one that is negative): bound that.
		for _, sr := range []int{44100, 48000} {
			kit := renderKit(t, sr)
			worst := 0.0
			for i := range LoopFrames(sr) {
				var lp, ln, rp, rn float64
				for _, k := range kit {
					l, r := float64(k.left[i]), float64(k.right[i])
					lp, ln = lp+max(l, 0), ln-min(l, 0)
					rp, rn = rp+max(r, 0), rn-min(r, 0)
				}
				worst = max(worst, lp, ln, rp, rn)
			}
			t.Logf("the loudest combination at %d Hz peaks at %.2f dBFS", sr, dbfs(worst))
			if dbfs(worst) >= -1 {
				t.Errorf("some combination at %d Hz peaks at %.2f dBFS", sr, dbfs(worst))
			}
		}
	})

	t.Run("every loop's RMS is within 4 dB of the kit's median", func(t *testing.T) {
		kit := renderKit(t, 48000)
		levels := make([]float64, len(kit))
		for i, k := range kit {
			levels[i] = dbfs(rms(k.left, k.right))
		}
		sorted := slices.Clone(levels)
		slices.Sort(sorted)
		median := (sorted[(len(sorted)-1)/2] + sorted[len(sorted)/2]) / 2
		for i, k := range kit {
			t.Logf("%-8s RMS %6.2f dBFS, peak %6.2f dBFS", k.id, levels[i], dbfs(peak(k.left, k.right)))
			if math.Abs(levels[i]-median) > 4 {
				t.Errorf("%s RMS %.2f dBFS, %.2f dB from the median %.2f", k.id, levels[i], levels[i]-median, median)
			}
		}
	})

	t.Run("no loop is silent", func(t *testing.T) {
		for _, k := range renderKit(t, 48000) {
			if l := dbfs(rms(k.left, k.right)); l < -40 {
				t.Errorf("%s RMS %.2f dBFS", k.id, l)
			}
			// Both channels carry the part.
			if rms(k.left, k.left) == 0 || rms(k.right, k.right) == 0 {
				t.Errorf("%s has a silent channel", k.id)
			}
		}
	})

	t.Run("the jump from a loop's last sample to its first is no bigger than its typical step", func(t *testing.T) {
		// Typical: the 99th percentile of |x[i+1]-x[i]| over the loop.
		for _, sr := range []int{44100, 48000} {
			for _, k := range renderKit(t, sr) {
				for c, x := range [2][]float32{k.left, k.right} {
					steps := make([]float64, len(x)-1)
					for i := range steps {
						steps[i] = math.Abs(float64(x[i+1] - x[i]))
					}
					slices.Sort(steps)
					typical := steps[len(steps)*99/100]
					seam := math.Abs(float64(x[0] - x[len(x)-1]))
					if seam > typical {
						t.Errorf("%s at %d Hz, channel %d: seam %.5f > typical step %.5f", k.id, sr, c, seam, typical)
					}
				}
			}
		}
	})

	t.Run("rendering twice gives the same samples", func(t *testing.T) {
		for _, k := range renderKit(t, 44100) {
			l, r, err := Render(k.id, 44100)
			if err != nil {
				t.Fatal(err)
			}
			if !sameBits(l, k.left) || !sameBits(r, k.right) {
				t.Errorf("%s differs between two renders", k.id)
			}
		}
	})

	t.Run("a Renderer stepped a little at a time gives Render's samples", func(t *testing.T) {
		for _, k := range renderKit(t, 44100) {
			r, err := NewRenderer(k.id, 44100)
			if err != nil {
				t.Fatal(err)
			}
			last, steps := r.Progress(), 0
			for !r.Step(3000) {
				steps++
				if p := r.Progress(); p < last || p > 1 {
					t.Fatalf("%s: progress went from %v to %v", k.id, last, p)
				}
				last = r.Progress()
			}
			if r.Progress() != 1 {
				t.Errorf("%s: progress %v when done", k.id, r.Progress())
			}
			if steps < 20 {
				t.Errorf("%s: done in %d steps of 3000 frames; the steps are not bounded", k.id, steps)
			}
			l, rt := r.Result()
			if !sameBits(l, k.left) || !sameBits(rt, k.right) {
				t.Errorf("%s: stepped render differs from Render", k.id)
			}
		}
	})

	t.Run("no step of a Renderer does more than two seconds of sound at once, and the smallest steps still give Render's samples", func(t *testing.T) {
		for _, id := range IDs() {
			r, err := NewRenderer(id, 48000)
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
				t.Errorf("%s: a step of %d frames' work (%.2f s)", id, worst/workTicks, float64(worst/workTicks)/48000)
			}
			want, _, _ := Render(id, 48000)
			if got, _ := r.Result(); !sameBits(got, want) {
				t.Errorf("%s: rendered one job at a time, it differs from Render", id)
			}
		}
	})

	t.Run("every pitched loop's strongest pitch classes are in A minor", func(t *testing.T) {
		inKey := map[int]bool{}
		for _, pc := range Scale {
			inKey[pc] = true
		}
		for _, k := range renderKit(t, 48000) {
			// Drums and percussion are unpitched (the congas are tuned to A
			// and E, but a drum's short tones smear into their neighbours).
			if l, _ := shared.LoopByID(k.id); l.Role == "drums" || l.Role == "percussion" {
				continue
			}
			chroma := chromagram(k.left, k.right, 48000)
			order := []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}
			slices.SortFunc(order, func(a, b int) int { return -cmpFloat(chroma[a], chroma[b]) })
			var in, total float64
			for pc, e := range chroma {
				total += e
				if inKey[pc] {
					in += e
				}
			}
			t.Logf("%-8s strongest %s %s %s %s, in key %.0f%%", k.id, pcName[order[0]], pcName[order[1]], pcName[order[2]], pcName[order[3]], 100*in/total)
			for _, pc := range order[:4] {
				if !inKey[pc] {
					t.Errorf("%s: %s is among its four strongest pitch classes", k.id, pcName[pc])
				}
			}
			if in/total < 0.8 {
				t.Errorf("%s: only %.0f%% of its tonal energy is in the key", k.id, 100*in/total)
			}
		}
	})
}
