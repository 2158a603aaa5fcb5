package app

import (
	"bytes"
	"testing"
	"time"

	"github.com/loopswithfriends/loops/shared"
	"github.com/loopswithfriends/loops/shared/sound"
)

func TestExportJob(t *testing.T) {
	t.Run("the steps add up to the mixdown's WAV file, and progress reaches 1", func(t *testing.T) {
		l, r, err := sound.Render(shared.DefaultKit().ID, "bass", 8000)
		if err != nil {
			t.Fatal(err)
		}
		rec := &shared.Recording{BPM: 100, BeatsPerBar: 4, BarsPerLoop: 2, FirstBar: 3, Bars: 6,
			Parts: []shared.Part{{Loop: "bass", From: 1, To: 5}}}
		m, err := sound.NewMixdown(rec, 8000, map[string]sound.Loop{"bass": {Left: l, Right: r}})
		if err != nil {
			t.Fatal(err)
		}
		job := newExportJob(m, time.Nanosecond) // a chunk a step
		var got []byte
		steps, last := 0, -1.0
		for done := false; !done; steps++ {
			got, done = job.Step(got)
			if p := job.Progress(); p <= last {
				t.Fatalf("progress went from %v to %v", last, p)
			} else {
				last = p
			}
		}
		want := m.PCM(m.WAVHeader(), 0, m.Frames(), nil)
		if !bytes.Equal(got, want) || last != 1 {
			t.Fatalf("%d bytes in %d steps, progress %v; want the mixdown's %d bytes", len(got), steps, last, len(want))
		}
		if steps < m.Frames()/job.chunk {
			t.Fatalf("%d steps for %d frames: the budget did not cut the work", steps, m.Frames())
		}
	})
}
