package shared

import "math"

// Timeline is a jam's shared grid of bars, fixed when the jam is created.
// Times are server milliseconds since the Unix epoch.
type Timeline struct {
	Epoch       float64 `json:"epoch"`
	BPM         int     `json:"bpm"`
	BeatsPerBar int     `json:"beats_per_bar"`
	BarsPerLoop int     `json:"bars_per_loop"`
}

// NewTimeline returns the default kit's timeline with bar 0 at epoch.
func NewTimeline(epoch float64) Timeline { return DefaultKit().Timeline(epoch) }

// BarMs returns the length of a bar in milliseconds.
func (t Timeline) BarMs() float64 { return 60000 * float64(t.BeatsPerBar) / float64(t.BPM) }

// BeatMs returns the length of a beat in milliseconds.
func (t Timeline) BeatMs() float64 { return 60000 / float64(t.BPM) }

// StepsPerLoop returns how many sixteenth notes a loop has (a beat is a
// quarter note): the grid a step sequencer would show.
func (t Timeline) StepsPerLoop() int { return 4 * t.BeatsPerBar * t.BarsPerLoop }

// LoopMs returns the length of a loop in milliseconds.
func (t Timeline) LoopMs() float64 { return t.BarMs() * float64(t.BarsPerLoop) }

// LoopSeconds returns the length of a loop in seconds.
func (t Timeline) LoopSeconds() float64 { return t.LoopMs() / 1000 }

// BarAt returns the bar that is sounding at time ms: the n with
// BarStart(n) <= ms < BarStart(n+1). Times before the epoch give negative bars.
func (t Timeline) BarAt(ms float64) int64 {
	n := int64(math.Floor((ms - t.Epoch) / t.BarMs()))
	// Division can round across a boundary; settle it against BarStart.
	if t.BarStart(n) > ms {
		n--
	} else if t.BarStart(n+1) <= ms {
		n++
	}
	return n
}

// BarStart returns the time bar n starts.
func (t Timeline) BarStart(n int64) float64 { return t.Epoch + float64(n)*t.BarMs() }

// NextBar returns the first bar whose start is at least LeadMs after ms:
// the bar a play, stop or swap received at ms takes effect on.
func (t Timeline) NextBar(ms float64) int64 {
	earliest := ms + LeadMs
	n := t.BarAt(earliest)
	if t.BarStart(n) < earliest {
		n++
	}
	return n
}

// Phase returns the position in the loop, in milliseconds from its start,
// that a playing loop sounds at time ms: (ms - epoch) mod LoopMs, in
// [0, LoopMs).
func (t Timeline) Phase(ms float64) float64 {
	p := math.Mod(ms-t.Epoch, t.LoopMs())
	if p < 0 {
		p += t.LoopMs()
	}
	if p >= t.LoopMs() {
		p = 0
	}
	return p
}
