//go:build !wasm

package app

import (
	"bytes"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The app's icon: seven loop colors around a ring, the jam's seven seats,
// with a play mark inside, on the app's warm dark. `go test ./app -run Icons
// -args -update-icons` redraws web/static/icon.svg and its PNGs.
var updateIcons = flag.Bool("update-icons", false, "rewrite the icons in web/static")

const (
	iconBg       = "#1b1512"
	iconMark     = "#fff1dc"
	iconRingR    = 0.30 // ring radius, in icon widths
	iconRingW    = 0.085
	iconGapDeg   = 24.0
	iconCornerR  = 0.22
	iconTriangle = 0.13
)

// iconSegments are the colors of the ring: the first loops of the catalog
// when the icon was drawn, fixed here so the icon does not follow edits of
// the catalog by accident.
func iconSegments() []string {
	return []string{"#f25f5c", "#ffe066", "#70c1b3", "#f4a259", "#c77dff", "#8cb369", "#5b8e7d"}
}

func iconSVG() string {
	var b strings.Builder
	b.WriteString(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 512 512">` + "\n")
	fmt.Fprintf(&b, `<rect width="512" height="512" rx="%g" fill="%s"/>`+"\n", iconCornerR*512, iconBg)
	segs := iconSegments()
	step := 360.0 / float64(len(segs))
	r := iconRingR * 512
	for i, c := range segs {
		a0 := (float64(i)*step + iconGapDeg/2 - 90) * math.Pi / 180
		a1 := (float64(i+1)*step - iconGapDeg/2 - 90) * math.Pi / 180
		fmt.Fprintf(&b, `<path d="M%.2f %.2fA%.2f %.2f 0 0 1 %.2f %.2f" fill="none" stroke="%s" stroke-width="%.2f" stroke-linecap="round"/>`+"\n",
			256+r*math.Cos(a0), 256+r*math.Sin(a0), r, r, 256+r*math.Cos(a1), 256+r*math.Sin(a1), c, iconRingW*512)
	}
	t := iconTriangle * 512
	fmt.Fprintf(&b, `<path d="M%.2f %.2fL%.2f %.2fL%.2f %.2fZ" fill="%s" stroke="%s" stroke-width="%.2f" stroke-linejoin="round"/>`+"\n",
		256-t*0.55, 256-t, 256-t*0.55, 256+t, 256+t*1.0, 256.0, iconMark, iconMark, 0.02*512)
	b.WriteString("</svg>\n")
	return b.String()
}

func hexColor(s string) color.NRGBA {
	var r, g, b uint8
	fmt.Sscanf(strings.TrimPrefix(s, "#"), "%02x%02x%02x", &r, &g, &b)
	return color.NRGBA{r, g, b, 255}
}

// iconAt returns the icon's color at (x, y) in [0,1) units, and whether the
// point is inside the icon at all. A maskable icon fills its square (the
// platform cuts its own shape) and keeps the mark within the safe circle.
func iconAt(x, y float64, maskable bool) (color.NRGBA, bool) {
	if maskable {
		// Shrink the drawing to 80%: the ring then sits inside the safe zone.
		x, y = 0.5+(x-0.5)/0.8, 0.5+(y-0.5)/0.8
	} else {
		// The rounded square.
		cx, cy := math.Max(math.Abs(x-0.5)-(0.5-iconCornerR), 0), math.Max(math.Abs(y-0.5)-(0.5-iconCornerR), 0)
		if math.Hypot(cx, cy) > iconCornerR {
			return color.NRGBA{}, false
		}
	}
	dx, dy := x-0.5, y-0.5
	// The play mark: a triangle pointing right.
	t := iconTriangle
	if dx >= -t*0.55 && dx <= t && math.Abs(dy) <= t*(t-dx)/(t+t*0.55) {
		return hexColor(iconMark), true
	}
	// The ring, in segments with round ends.
	segs := iconSegments()
	step := 2 * math.Pi / float64(len(segs))
	gap := iconGapDeg * math.Pi / 180
	for i, c := range segs {
		a0 := float64(i)*step + gap/2 - math.Pi/2
		a1 := float64(i+1)*step - gap/2 - math.Pi/2
		ang := math.Atan2(dy, dx)
		for ang < a0 {
			ang += 2 * math.Pi
		}
		for ang > a0+2*math.Pi {
			ang -= 2 * math.Pi
		}
		var d float64
		if ang <= a1 {
			d = math.Abs(math.Hypot(dx, dy) - iconRingR)
		} else {
			d = math.Min(
				math.Hypot(dx-iconRingR*math.Cos(a0), dy-iconRingR*math.Sin(a0)),
				math.Hypot(dx-iconRingR*math.Cos(a1), dy-iconRingR*math.Sin(a1)))
		}
		if d <= iconRingW/2 {
			return hexColor(c), true
		}
	}
	return hexColor(iconBg), true
}

// iconPNG rasterizes the icon at size, 4x4 samples a pixel.
func iconPNG(size int, maskable bool) []byte {
	img := image.NewNRGBA(image.Rect(0, 0, size, size))
	const ss = 4
	for py := 0; py < size; py++ {
		for px := 0; px < size; px++ {
			var r, g, b, a float64
			for sy := 0; sy < ss; sy++ {
				for sx := 0; sx < ss; sx++ {
					c, in := iconAt((float64(px)+(float64(sx)+0.5)/ss)/float64(size), (float64(py)+(float64(sy)+0.5)/ss)/float64(size), maskable)
					if in {
						r += float64(c.R)
						g += float64(c.G)
						b += float64(c.B)
						a++
					}
				}
			}
			if a == 0 {
				continue
			}
			img.SetNRGBA(px, py, color.NRGBA{uint8(r / a), uint8(g / a), uint8(b / a), uint8(255 * a / ss / ss)})
		}
	}
	var buf bytes.Buffer
	png.Encode(&buf, img)
	return buf.Bytes()
}

func TestIcons(t *testing.T) {
	dir := filepath.Join("..", "web", "static")
	files := map[string][]byte{"icon.svg": []byte(iconSVG())}
	sizes := map[string]int{"icon-192.png": 192, "icon-512.png": 512, "icon-maskable-512.png": 512}
	if *updateIcons {
		for name, size := range sizes {
			files[name] = iconPNG(size, strings.Contains(name, "maskable"))
		}
		for name, data := range files {
			if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	t.Run("the SVG icon is the one drawn here", func(t *testing.T) {
		got, err := os.ReadFile(filepath.Join(dir, "icon.svg"))
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != iconSVG() {
			t.Error("web/static/icon.svg is stale: run go test ./app -run Icons -args -update-icons")
		}
	})
	for name, size := range sizes {
		t.Run(name+" is a square PNG of its size", func(t *testing.T) {
			f, err := os.Open(filepath.Join(dir, name))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			cfg, err := png.DecodeConfig(f)
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Width != size || cfg.Height != size {
				t.Errorf("%s is %dx%d, want %dx%d", name, cfg.Width, cfg.Height, size, size)
			}
		})
	}
}
