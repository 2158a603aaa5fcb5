package sound

import (
	"math"
	"testing"
)

func TestLimiterCurve(t *testing.T) {
	curve := LimiterCurve(LimiterPoints)
	at := func(x float64) float64 { return float64(curve[int(math.Round((x+1)/2*float64(len(curve)-1)))]) }

	t.Run("quiet input gets the make-up gain and nothing else", func(t *testing.T) {
		for _, x := range []float64{0, 0.01, -0.1, 0.25, -0.3} {
			if got := at(x); math.Abs(got-MasterGain*x) > 1e-3 {
				t.Errorf("curve(%v) = %v, want %v", x, got, MasterGain*x)
			}
		}
	})
	t.Run("it rises all the way and never passes the ceiling", func(t *testing.T) {
		for i := 1; i < len(curve); i++ {
			if curve[i] < curve[i-1] {
				t.Fatalf("curve falls at point %d", i)
			}
			if math.Abs(float64(curve[i])) > limiterCeiling+1e-6 {
				t.Fatalf("point %d = %v is over the ceiling", i, curve[i])
			}
		}
	})
	t.Run("it is odd, so it adds no offset", func(t *testing.T) {
		for i := range curve {
			if j := len(curve) - 1 - i; math.Abs(float64(curve[i]+curve[j])) > 1e-6 {
				t.Fatalf("curve[%d] = %v but curve[%d] = %v", i, curve[i], j, curve[j])
			}
		}
	})
	t.Run("the knee has no corner: the slope is continuous", func(t *testing.T) {
		const h = 1e-6
		below := (Limit(limiterKnee) - Limit(limiterKnee-h)) / h
		above := (Limit(limiterKnee+h) - Limit(limiterKnee)) / h
		if math.Abs(below-above) > 1e-3 {
			t.Errorf("slope %v below the knee, %v above", below, above)
		}
	})
	t.Run("the kit's loudest peak (-2.2 dBFS) stays within the curve and under the ceiling", func(t *testing.T) {
		x := math.Pow(10, -2.2/20)
		if x >= 1 {
			t.Fatal("peak outside the curve")
		}
		if got := at(x); got >= limiterCeiling || got < limiterKnee {
			t.Errorf("curve(%v) = %v", x, got)
		}
	})
}
