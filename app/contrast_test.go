package app

import (
	"math"
	"strconv"
	"testing"

	"github.com/loopswithfriends/loops/shared"
)

// darkText is the text color drawn on a loop's color (a playing badge, a
// pressed chip, a playing toggle), as in web/static/loops.css.
const darkText = "#1b1512"

func TestContrast(t *testing.T) {
	for _, k := range shared.Kits {
		for _, l := range k.Loops {
			t.Run("dark text on "+k.Name+"'s "+l.Name+" color reads at 4.5:1 or more", func(t *testing.T) {
				if r := contrast(darkText, l.Color); r < 4.5 {
					t.Errorf("%s on %s: %.2f:1", darkText, l.Color, r)
				}
			})
		}
	}
}

// contrast returns the WCAG contrast ratio of two #rrggbb colors.
func contrast(a, b string) float64 {
	la, lb := luminance(a), luminance(b)
	return (math.Max(la, lb) + 0.05) / (math.Min(la, lb) + 0.05)
}

func luminance(hex string) float64 {
	var c [3]float64
	for i := range c {
		v, _ := strconv.ParseUint(hex[1+2*i:3+2*i], 16, 8)
		s := float64(v) / 255
		if s <= 0.03928 {
			c[i] = s / 12.92
		} else {
			c[i] = math.Pow((s+0.055)/1.055, 2.4)
		}
	}
	return 0.2126*c[0] + 0.7152*c[1] + 0.0722*c[2]
}
