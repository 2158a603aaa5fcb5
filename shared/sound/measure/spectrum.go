package measure

import "math"

// fftSize is the frame of the spectra: 2^15 frames, 0.68 s at 48 kHz,
// fine enough (1.5 Hz) to tell neighbouring semitones apart at 60 Hz.
const fftSize = 1 << 15

// FFT is an in-place radix-2 FFT; len(x) is a power of two.
func FFT(x []complex128) {
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

// spectra calls fn with the power spectrum (size/2 bins) of each
// Hann-windowed, half-overlapped frame of the channels' sum.
func spectra(left, right []float32, size int, fn func(power []float64)) {
	buf := make([]complex128, size)
	power := make([]float64, size/2)
	for start := 0; start+size <= len(left); start += size / 2 {
		for i := range buf {
			w := 0.5 - 0.5*math.Cos(2*math.Pi*float64(i)/float64(size))
			buf[i] = complex(w*float64(left[start+i]+right[start+i]), 0)
		}
		FFT(buf)
		for b := range power {
			re, im := real(buf[b]), imag(buf[b])
			power[b] = re*re + im*im
		}
		fn(power)
	}
}

// Bands returns the share of a stereo loop's energy (of its channels' sum,
// over 20 Hz) that lies in each band [lo, hi) in Hz.
func Bands(sr int, left, right []float32, bands ...[2]float64) []float64 {
	in := make([]float64, len(bands))
	var total float64
	spectra(left, right, fftSize, func(power []float64) {
		for b, p := range power {
			hz := float64(b) * float64(sr) / fftSize
			if hz < 20 {
				continue
			}
			total += p
			for k, band := range bands {
				if hz >= band[0] && hz < band[1] {
					in[k] += p
				}
			}
		}
	})
	for k := range in {
		if total > 0 {
			in[k] /= total
		}
	}
	return in
}

// Chroma returns the energy of the loop's spectral peaks from 60 Hz to
// 5 kHz folded onto the twelve pitch classes (0 is C). Every local maximum
// of the power spectrum (above its two neighbours on each side) counts for
// the nearest equal-tempered note: peaks, not every bin, so that the
// skirts of a short percussive tone are not mistaken for the semitones
// next to it.
func Chroma(sr int, left, right []float32) [12]float64 {
	var chroma [12]float64
	spectra(left, right, fftSize, func(power []float64) {
		for b := 2; b < len(power)-2; b++ {
			hz := float64(b) * float64(sr) / fftSize
			p := power[b]
			if hz < 60 || hz > 5000 || p <= power[b-1] || p <= power[b-2] || p < power[b+1] || p < power[b+2] {
				continue
			}
			note := int(math.Round(69 + 12*math.Log2(hz/440)))
			chroma[note%12] += p
		}
	})
	return chroma
}

// PitchClassNames names the pitch classes, C first.
var PitchClassNames = [12]string{"C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B"}

// HalfCorrelation returns the normalized correlation of a loop's first half
// with its second, both channels: 1 when the halves are the same sound (at
// any level), near 0 when they have nothing in common.
func HalfCorrelation(left, right []float32) float64 {
	h := len(left) / 2
	var ab, aa, bb float64
	for _, ch := range [2][]float32{left, right} {
		for i := range h {
			a, b := float64(ch[i]), float64(ch[h+i])
			ab += a * b
			aa += a * a
			bb += b * b
		}
	}
	if aa == 0 || bb == 0 {
		return 0
	}
	return ab / math.Sqrt(aa*bb)
}
