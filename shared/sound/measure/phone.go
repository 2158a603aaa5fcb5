package measure

import "math"

// phoneCutoff is where a phone's speaker gives up: below it, a fourth-order
// roll-off.
const phoneCutoff = 250

// highPass returns an RBJ high-pass biquad.
func highPass(sr int, hz, q float64) biquad {
	w := 2 * math.Pi * hz / float64(sr)
	cw, alpha := math.Cos(w), math.Sin(w)/(2*q)
	a0 := 1 + alpha
	return biquad{
		b0: (1 + cw) / 2 / a0, b1: -(1 + cw) / a0, b2: (1 + cw) / 2 / a0,
		a1: -2 * cw / a0, a2: (1 - alpha) / a0,
	}
}

// Phone returns what a phone's speaker makes of a stereo loop: the two
// channels summed to mono ((l+r)/2) through a fourth-order Butterworth
// high-pass at 250 Hz (two sections, Q 0.541 and 1.307).
func Phone(sr int, left, right []float32) []float32 {
	x := make([]float64, len(left))
	for i := range x {
		x[i] = (float64(left[i]) + float64(right[i])) / 2
	}
	for _, q := range []float64{0.5411961, 1.3065630} {
		highPass(sr, phoneCutoff, q).run(x)
	}
	out := make([]float32, len(x))
	for i, v := range x {
		out[i] = float32(v)
	}
	return out
}

// PhoneLoss returns how many LU a stereo loop loses on a phone: its
// loudness minus that of Phone's mono, heard from both sides (so that a
// loop in the centre loses nothing by being summed), both as loops. The
// high-pass runs over the loop twice, and its second pass is measured.
func PhoneLoss(sr int, left, right []float32) float64 {
	m := Phone(sr, Twice(left), Twice(right))[len(left):]
	return LoopLoudness(sr, left, right) - LoopLoudness(sr, m, m)
}
