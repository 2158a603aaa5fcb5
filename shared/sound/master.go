package sound

import "math"

// The master bus, as the app's engine plays it and the kits' tests measure
// it: the loops' sum gets MasterGain of make-up and passes through a
// soft-knee limiter, a WaveShaper curve in the browser: sample-accurate
// and without the look-ahead delay of a DynamicsCompressorNode, so it moves
// no loop off the beat and never pumps.
const (
	// MasterGain is the make-up gain, applied inside the curve: +6 dB.
	MasterGain = 2.0
	// limiterKnee is the output level up to which the curve is a straight
	// line; above it, levels bend smoothly towards limiterCeiling.
	limiterKnee = 0.6
	// limiterCeiling is the most the output ever reaches (-0.2 dBFS).
	limiterCeiling = 0.977
	// LimiterPoints is the resolution of the curve over inputs -1..1.
	LimiterPoints = 4097
)

// LimiterCurve returns the WaveShaper curve of the master bus: n points
// mapping inputs from -1 to 1 to outputs. A WaveShaper holds inputs beyond
// ±1 at the curve's ends; the kit's loudest combination peaks at -2.2 dBFS,
// inside that range.
func LimiterCurve(n int) []float32 {
	curve := make([]float32, n)
	for i := range curve {
		x := 2*float64(i)/float64(n-1) - 1
		curve[i] = float32(Limit(MasterGain * x))
	}
	return curve
}

// Limit is the identity up to limiterKnee and a tanh knee above it, with a
// matching slope at the knee, so that loud peaks round off instead of
// clipping.
func Limit(y float64) float64 {
	a := math.Abs(y)
	if a <= limiterKnee {
		return y
	}
	room := limiterCeiling - limiterKnee
	return math.Copysign(limiterKnee+room*math.Tanh((a-limiterKnee)/room), y)
}
