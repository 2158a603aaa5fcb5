package app

import (
	"fmt"
	"slices"
	"strings"

	"github.com/loopswithfriends/loops/shared"
)

// unknownLoopColor is the color of a loop no kit knows (a recording of a
// kit this build lacks).
const unknownLoopColor = "#888888"

// loopColorsPath is the style sheet that gives each loop its color.
const loopColorsPath = "/web/loop-colors.css"

// loopColorsCSS is the style sheet at loopColorsPath: a rule for every loop
// color of every kit, which sets --loop-color on an element marked
// data-loop-color with that color. The components mark their elements so
// rather than set --loop-color in a style attribute: the page's security
// policy allows no inline style attribute (server/httpserver.go). The
// selector has the weight of two classes, as an inline style outweighed
// the style sheets' one-class rules.
func loopColorsCSS() string {
	colors := []string{unknownLoopColor}
	for _, k := range shared.Kits {
		for _, l := range k.Loops {
			colors = append(colors, l.Color)
		}
	}
	slices.Sort(colors)
	var b strings.Builder
	b.WriteString("/* Made from the kits (app/loop_colors.go): each loop's color. */\n")
	for _, c := range slices.Compact(colors) {
		fmt.Fprintf(&b, ":root [data-loop-color=%q] { --loop-color: %s; }\n", c, c)
	}
	return b.String()
}
