package sound

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"slices"
	"sync"
	"testing"
	"time"

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

	t.Run("no step of a Renderer does more than two seconds of sound at once", func(t *testing.T) {
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
			if worst > 2*48000 {
				t.Errorf("%s: a step of %d frames (%.2f s)", id, worst, float64(worst)/48000)
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

var pcName = [12]string{"C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B"}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func sameBits(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return false
		}
	}
	return true
}

// chromagram returns the energy of the loop's spectral peaks from 60 Hz to
// 5 kHz folded onto the twelve pitch classes: Hann-windowed FFTs of 2^15
// frames, half-overlapped; every local maximum of the power spectrum (above
// its two neighbours on each side) counts for the nearest equal-tempered
// note. Peaks, not every bin, so that the skirts of a short percussive
// tone are not mistaken for the semitones next to it.
func chromagram(left, right []float32, sr int) [12]float64 {
	const size = 1 << 15
	var chroma [12]float64
	buf := make([]complex128, size)
	for start := 0; start+size <= len(left); start += size / 2 {
		for i := range buf {
			w := 0.5 - 0.5*math.Cos(2*math.Pi*float64(i)/size)
			buf[i] = complex(w*float64(left[start+i]+right[start+i]), 0)
		}
		fft(buf)
		power := make([]float64, size/2)
		for b := range power {
			re, im := real(buf[b]), imag(buf[b])
			power[b] = re*re + im*im
		}
		for b := 2; b < size/2-2; b++ {
			hz := float64(b) * float64(sr) / size
			p := power[b]
			if hz < 60 || hz > 5000 || p <= power[b-1] || p <= power[b-2] || p < power[b+1] || p < power[b+2] {
				continue
			}
			note := int(math.Round(69 + 12*math.Log2(hz/440)))
			chroma[note%12] += p
		}
	}
	return chroma
}

// fft is an in-place radix-2 FFT; len(x) is a power of two.
func fft(x []complex128) {
	n := len(x)
	for i, j := 1, 0; i < n; i++ {
		bit := n >> 1
		for ; j&bit != 0; bit >>= 1 {
			j ^= bit
		}
		j ^= bit
		if i < j {
			x[i], x[j] = x[j], x[i]
		}
	}
	for size := 2; size <= n; size <<= 1 {
		w := complex(math.Cos(-2*math.Pi/float64(size)), math.Sin(-2*math.Pi/float64(size)))
		for start := 0; start < n; start += size {
			wk := complex(1, 0)
			for k := 0; k < size/2; k++ {
				a, b := x[start+k], x[start+k+size/2]*wk
				x[start+k], x[start+k+size/2] = a+b, a-b
				wk *= w
			}
		}
	}
}

func TestFFT(t *testing.T) {
	t.Run("a sine lands in its bin", func(t *testing.T) {
		x := make([]complex128, 1024)
		for i := range x {
			x[i] = complex(math.Sin(2*math.Pi*37*float64(i)/1024), 0)
		}
		fft(x)
		for b := range 512 {
			m := math.Hypot(real(x[b]), imag(x[b]))
			if (b == 37) != (m > 1) {
				t.Fatalf("bin %d magnitude %v", b, m)
			}
		}
	})
}

func TestAPI(t *testing.T) {
	t.Run("an unknown loop is ErrUnknownLoop", func(t *testing.T) {
		if _, _, err := Render("kazoo", 48000); !errors.Is(err, ErrUnknownLoop) {
			t.Errorf("Render(kazoo) error = %v", err)
		}
		if _, _, err := Mix([]string{"drums", "kazoo"}, 48000); !errors.Is(err, ErrUnknownLoop) {
			t.Errorf("Mix(drums, kazoo) error = %v", err)
		}
	})

	t.Run("a sample rate out of range is ErrSampleRate", func(t *testing.T) {
		for _, sr := range []int{0, -1, MinSampleRate - 1, MaxSampleRate + 1} {
			if _, err := NewRenderer("drums", sr); !errors.Is(err, ErrSampleRate) {
				t.Errorf("NewRenderer(drums, %d) error = %v", sr, err)
			}
		}
	})

	t.Run("a mix is the sum of its loops", func(t *testing.T) {
		kit := renderKit(t, 44100)
		l, r, err := Mix([]string{kit[0].id, kit[1].id}, 44100)
		if err != nil {
			t.Fatal(err)
		}
		for i := range l {
			if l[i] != kit[0].left[i]+kit[1].left[i] || r[i] != kit[0].right[i]+kit[1].right[i] {
				t.Fatalf("frame %d: mix %v,%v is not the sum", i, l[i], r[i])
			}
		}
		l, _, err = Mix(nil, 44100)
		if err != nil || len(l) != LoopFrames(44100) || rms(l, l) != 0 {
			t.Errorf("the empty mix is not a silent loop: %d frames, %v", len(l), err)
		}
	})

	t.Run("peaks cover the loop with magnitudes from 0 to 1", func(t *testing.T) {
		k := renderKit(t, 44100)[0]
		p := Peaks(k.left, k.right, 200)
		if len(p) != 200 {
			t.Fatalf("%d peaks, want 200", len(p))
		}
		want := float32(peak(k.left, k.right))
		if slices.Max(p) != want {
			t.Errorf("largest peak %v, want the loop's peak %v", slices.Max(p), want)
		}
		if slices.Min(p) < 0 {
			t.Errorf("negative peak %v", slices.Min(p))
		}
		if got := Peaks([]float32{2, -3}, []float32{0.5, 0}, 1); got[0] != 1 {
			t.Errorf("an overloud peak is %v, want 1", got[0])
		}
		if Peaks(nil, nil, 0) != nil {
			t.Error("Peaks(n=0) is not nil")
		}
	})

	t.Run("a WAV file is 16-bit stereo PCM of the samples", func(t *testing.T) {
		var b bytes.Buffer
		left, right := []float32{0, 0.5, -1, 2}, []float32{1, -0.5, 0.25, -2}
		if err := EncodeWAV(&b, 48000, left, right); err != nil {
			t.Fatal(err)
		}
		d := b.Bytes()
		if len(d) != 44+16 || string(d[0:4]) != "RIFF" || string(d[8:16]) != "WAVEfmt " || string(d[36:40]) != "data" {
			t.Fatalf("bad header: % x", d[:44])
		}
		le := binary.LittleEndian
		if le.Uint16(d[20:]) != 1 || le.Uint16(d[22:]) != 2 || le.Uint32(d[24:]) != 48000 || le.Uint16(d[34:]) != 16 || le.Uint32(d[40:]) != 16 {
			t.Errorf("bad format fields: % x", d[20:44])
		}
		want := []int16{0, 32767, 16384, -16384, -32767, 8192, 32767, -32768}
		for i, w := range want {
			if got := int16(le.Uint16(d[44+2*i:])); got != w {
				t.Errorf("sample %d = %d, want %d", i, got, w)
			}
		}
		if err := EncodeWAV(&b, 48000, left, right[:1]); err == nil {
			t.Error("channels of different lengths encoded")
		}
	})
}

func BenchmarkRenderLoop(b *testing.B) {
	for _, id := range IDs() {
		b.Run(id, func(b *testing.B) {
			for b.Loop() {
				if _, _, err := Render(id, 48000); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkStep renders the kit the way the browser does, in steps of 8192
// frames' work, and reports how long a step takes: how long the page's event
// loop is held up. The 99th percentile, since on a shared machine the
// longest is whenever the OS looked away.
func BenchmarkStep(b *testing.B) {
	var times []time.Duration
	for b.Loop() {
		for _, id := range IDs() {
			r, err := NewRenderer(id, 48000)
			if err != nil {
				b.Fatal(err)
			}
			for done := false; !done; {
				start := time.Now()
				done = r.Step(8192)
				times = append(times, time.Since(start))
			}
		}
	}
	slices.Sort(times)
	b.ReportMetric(float64(times[len(times)*99/100].Microseconds())/1000, "ms/step-p99")
	b.ReportMetric(float64(times[len(times)/2].Microseconds())/1000, "ms/step-median")
	b.ReportMetric(float64(len(times))/float64(b.N*len(IDs())), "steps/loop")
}

func BenchmarkRenderKit(b *testing.B) {
	for b.Loop() {
		for _, id := range IDs() {
			if _, _, err := Render(id, 48000); err != nil {
				b.Fatal(err)
			}
		}
	}
}
