package app

import (
	"time"

	"github.com/loopswithfriends/loops/shared/sound"
)

// exportJob renders a recording's mixdown as a WAV file's bytes in steps
// that each take about budget, so that the page that runs it in the
// browser stays responsive between them. It knows no JS: the page hands each
// step's bytes to the browser.
type exportJob struct {
	m       *sound.Mixdown
	next    int // the next frame to mix; -1 before the header
	budget  time.Duration
	chunk   int
	scratch []float32
}

func newExportJob(m *sound.Mixdown, budget time.Duration) *exportJob {
	// A chunk is the least work between two looks at the clock: small
	// enough that a step overruns its budget by well under a millisecond.
	const chunk = 1024
	return &exportJob{m: m, next: -1, budget: budget, chunk: chunk, scratch: make([]float32, 2*chunk)}
}

// Step appends about budget's worth of the file to dst and returns it, and
// whether the file is complete.
func (x *exportJob) Step(dst []byte) ([]byte, bool) {
	if x.next < 0 {
		dst = append(dst, x.m.WAVHeader()...)
		x.next = 0
	}
	start := time.Now()
	for x.next < x.m.Frames() {
		dst = x.m.PCM(dst, x.next, x.chunk, x.scratch)
		x.next = min(x.next+x.chunk, x.m.Frames())
		if time.Since(start) >= x.budget {
			break
		}
	}
	return dst, x.next >= x.m.Frames()
}

// Progress returns the share of the frames mixed, 0 to 1.
func (x *exportJob) Progress() float64 {
	return float64(max(x.next, 0)) / float64(max(x.m.Frames(), 1))
}
