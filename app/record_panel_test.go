package app

import (
	"fmt"
	"testing"

	"github.com/loopswithfriends/loops/shared"
)

func TestRecordPanel(t *testing.T) {
	tl := shared.NewTimeline(0)
	t.Run("the control offers the minutes the jam has played, and all of a jam younger than ten", func(t *testing.T) {
		for jamBars, want := range map[int]string{
			1:   "[record-all:250]",
			49:  "[record-all:250]",
			50:  "[record-2:50 record-all:250]",
			130: "[record-2:50 record-5:125 record-all:250]",
			250: "[record-2:50 record-5:125 record-10:250]",
		} {
			var got []string
			for _, o := range newRecordPanel().Timeline(tl).JamBars(jamBars).options() {
				got = append(got, fmt.Sprintf("%s:%d", o.id, o.bars))
			}
			if fmt.Sprint(got) != want {
				t.Errorf("a jam of %d bars offers %v, want %v", jamBars, got, want)
			}
		}
	})

	t.Run("the note of a saved recording carries its link and a copy button", func(t *testing.T) {
		html := load(t, newRecordPanel().Timeline(tl).JamBars(80).Online(true).
			Origin("https://loops.example").Saved(savedRecording{ID: "AAAAAAAAAAAAAAAAAAAAAA", Bars: 25}))
		wantIn(t, html, `id="recorded"`, `href="https://loops.example/r/AAAAAAAAAAAAAAAAAAAAAA"`, `id="recorded-copy"`,
			"A friend saved the last 1:00 of this jam", `id="record-2"`)
	})
}
