package sound

import (
	"math"
	"testing"
)

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
