package measure

import (
	"math"
	"slices"
)

// Onsets returns where notes begin in a loop, in frames from its start:
// the peaks of its spectral flux (the rise of magnitude, summed over the
// bins of short Hann frames of the channels' sum, 10.7 ms at 48 kHz, every
// 1.3 ms). A frame's flux is placed at its centre, where a note that starts
// there makes the magnitude rise fastest. The loop is taken as repeating,
// so a note on its first frame counts and a tail from its end does not.
//
// A peak counts when it is the largest within 25 ms either way, at least
// floor times the loop's largest, and twice the mean flux of the 150 ms
// around it: the onsets a listener hears, not every ripple.
func Onsets(sr int, left, right []float32, floor float64) []int {
	n := len(left)
	size := 1
	for size < sr/94 {
		size <<= 1
	}
	hop := size / 8
	x := make([]float64, 3*n+size)
	for i := range x {
		j := (i - size/2 + 2*n) % n
		x[i] = float64(left[j]) + float64(right[j])
	}
	// Frame k's centre is at frame k*hop of x, which is loop frame
	// k*hop - size/2 + size/2 = k*hop modulo n: frames cover three passes,
	// and the peaks are read from the middle one.
	frames := 3 * n / hop
	win := make([]float64, size)
	for i := range win {
		win[i] = 0.5 - 0.5*math.Cos(2*math.Pi*float64(i)/float64(size))
	}
	buf := make([]complex128, size)
	prev := make([]float64, size/2)
	flux := make([]float64, frames)
	for k := range frames {
		s := k * hop
		for i := range buf {
			buf[i] = complex(win[i]*x[s+i], 0)
		}
		FFT(buf)
		var f float64
		for b := 1; b < size/2; b++ {
			m := math.Hypot(real(buf[b]), imag(buf[b]))
			if d := m - prev[b]; d > 0 && k > 0 {
				f += d
			}
			prev[b] = m
		}
		flux[k] = f
	}
	from, to := (n+hop-1)/hop, (2*n+hop-1)/hop
	var top float64
	for _, f := range flux[from:to] {
		top = max(top, f)
	}
	near, around := max(1, sr/40/hop), max(1, sr*15/100/hop)
	var onsets []int
	for k := from; k < to; k++ {
		f := flux[k]
		if f < floor*top {
			continue
		}
		peak := true
		var mean float64
		c := 0
		for j := k - around; j <= k+around; j++ {
			g := flux[j]
			if d := j - k; d != 0 && d >= -near && d <= near && (g > f || (g == f && d < 0)) {
				peak = false
			}
			mean += g
			c++
		}
		if !peak || f < 2*mean/float64(c) {
			continue
		}
		// The peak between frames, from a parabola through three.
		a, b := flux[k-1], flux[k+1]
		off := 0.0
		if d := a - 2*f + b; d < 0 {
			off = 0.5 * (a - b) / d
		}
		t := int(math.Round((float64(k)+off)*float64(hop))) % n
		onsets = append(onsets, t)
	}
	slices.Sort(onsets)
	return onsets
}
