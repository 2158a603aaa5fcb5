package measure

import (
	"math"
	"slices"
)

// Onsets returns where notes begin in a loop, in frames from its start.
// It takes short Hann frames of the channels' sum (10.7 ms at 48 kHz, one
// every 1.3 ms) and, in each of their bins from 190 Hz up, how much magnitude every bin gained over the
// frame 8 ms before: a note that starts makes that rise fastest when it is
// half way through those 8 ms, where its onset is placed. The loop is
// taken as repeating, so a note on its first frame counts and a tail from
// its end does not.
//
// A rise counts as an onset when it is the largest within 25 ms either
// way, at least floor times the loop's largest, and at least a third of
// all the magnitude sounding then: a note a listener hears begin, not the
// swell of a pad or the wobble of a chorus.
func Onsets(sr int, left, right []float32, floor float64) []int {
	n := len(left)
	size := 1
	for size < sr/94 {
		size <<= 1
	}
	hop := size / 8
	lag := max(1, sr*8/1000/hop)
	// A bin's rise is over the most it held in the 60 ms before the lag:
	// two partials beating, or a tremolo, rise again and again, but never
	// above where they just were.
	memory := max(lag+1, sr*60/1000/hop)
	x := make([]float64, 3*n+size)
	for i := range x {
		j := (i - size/2 + 3*n) % n
		x[i] = float64(left[j]) + float64(right[j])
	}
	// Frame k's centre is at frame k*hop of x, which is loop frame k*hop
	// modulo n: frames cover three passes, and the onsets are read from
	// the middle one, so only the frames near it are needed.
	frames := 3 * n / hop
	from, to := (n+hop-1)/hop, (2*n+hop-1)/hop
	near := max(1, sr/40/hop)
	first, last := max(0, from-memory-near-2), min(frames, to+near+2)
	win := make([]float64, size)
	for i := range win {
		win[i] = 0.5 - 0.5*math.Cos(2*math.Pi*float64(i)/float64(size))
	}
	buf := make([]complex128, size)
	bins := size / 2
	// The magnitudes of the frames, and the most each bin held in each
	// block of lag frames.
	mags := make([][]float64, frames)
	blocks := make([][]float64, frames/lag+1)
	rise := make([]float64, frames)
	level := make([]float64, frames)
	for k := first; k < last; k++ {
		s := k * hop
		for i := range buf {
			buf[i] = complex(win[i]*x[s+i], 0)
		}
		FFT(buf)
		m := make([]float64, bins)
		q := k / lag
		if blocks[q] == nil {
			blocks[q] = make([]float64, bins)
		}
		// Bins from the third up: a lower one has under two periods in a
		// frame, and cannot say where in it a note began.
		for b := 2; b < bins; b++ {
			re, im := real(buf[b]), imag(buf[b])
			m[b] = math.Sqrt(re*re + im*im)
			level[k] += m[b]
			blocks[q][b] = max(blocks[q][b], m[b])
		}
		mags[k] = m
		if k-memory < first {
			continue
		}
		// The whole blocks between k-memory and k-lag, and frame k-lag.
		q0, q1 := (k-memory+lag-1)/lag, (k-lag)/lag
		for b, v := range m {
			was := mags[k-lag][b]
			for q := q0; q < q1 && was < v; q++ {
				was = max(was, blocks[q][b])
			}
			if v > was {
				rise[k] += v - was
			}
		}
	}
	var top float64
	for _, f := range rise[from:to] {
		top = max(top, f)
	}
	var onsets []int
	for k := from; k < to; k++ {
		f := rise[k]
		if f == 0 || f < floor*top || f < level[k]/3 {
			continue
		}
		peak := true
		for j := k - near; j <= k+near && peak; j++ {
			if g := rise[j]; j != k && (g > f || (g == f && j < k)) {
				peak = false
			}
		}
		if !peak {
			continue
		}
		// The peak between frames, from a parabola through three.
		a, b := rise[k-1], rise[k+1]
		off := 0.0
		if d := a - 2*f + b; d < 0 {
			off = 0.5 * (a - b) / d
		}
		t := int(math.Round((float64(k)+off-float64(lag)/2)*float64(hop))) % n
		onsets = append(onsets, (t+n)%n)
	}
	slices.Sort(onsets)
	return onsets
}
