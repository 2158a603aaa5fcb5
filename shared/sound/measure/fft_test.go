package measure

import (
	"math"
	"testing"
)

func TestFFT(t *testing.T) {
	t.Run("a sine lands in its bin", func(t *testing.T) {
		x := make([]complex128, 1024)
		for i := range x {
			x[i] = complex(math.Sin(2*math.Pi*37*float64(i)/1024), 0)
		}
		FFT(x)
		for b := range 512 {
			m := math.Hypot(real(x[b]), imag(x[b]))
			if (b == 37) != (m > 1) {
				t.Fatalf("bin %d magnitude %v", b, m)
			}
		}
	})
}
