package sound

import (
	"cmp"
	"encoding/binary"
	"fmt"
	"slices"

	"github.com/loopswithfriends/loops/shared"
)

// The ramps a part starts and stops with, as the app's engine plays them: a
// short fade in from its first bar's start, and a fade out that begins at its
// last bar's end, so that the cut is not a click.
const (
	MixFadeInSec  = 0.004
	MixFadeOutSec = 0.012
)

// Loop is one rendered loop: its left and right channels, a whole loop of
// the recording's timeline long.
type Loop struct {
	Left, Right []float32
}

// Mixdown is a recording rendered to samples: every part's loop, phase
// locked to the jam's timeline as it was, summed, exactly Bars bars long
// from the recording's bar 0. It works a chunk of frames at a time (Mix,
// PCM), so the browser can export a long recording in steps and the server
// can write one without holding it whole. Its output is a pure function of
// the recording, the rate and the loops.
type Mixdown struct {
	rate            int
	frames          int
	loops           int // frames in a loop
	base            int // where in its loop frame 0 of the recording sounds
	fadeIn, fadeOut int
	parts           []mixPart
}

// mixPart is one stretch of a loop, in frames of the recording.
type mixPart struct {
	loop     *Loop
	from, to int // [from, to): the part at full level
	end      int // to plus its fade out, cut at the recording's end
}

// NewMixdown prepares the mixdown of rec at sampleRate. loops holds the
// rendered loop of every loop id in rec's parts. Parts of one loop that
// touch or overlap are one stretch: the loop goes on through the seam,
// without a fade, as it did in the jam.
func NewMixdown(rec *shared.Recording, sampleRate int, loops map[string]Loop) (*Mixdown, error) {
	if err := rec.Validate(); err != nil {
		return nil, err
	}
	if sampleRate < MinSampleRate || sampleRate > MaxSampleRate {
		return nil, fmt.Errorf("sound: %w: %d Hz", ErrSampleRate, sampleRate)
	}
	tl := rec.Timeline()
	m := &Mixdown{
		rate:    sampleRate,
		frames:  barFrame(tl, int64(rec.Bars), sampleRate),
		loops:   barFrame(tl, int64(tl.BarsPerLoop), sampleRate),
		fadeIn:  int(MixFadeInSec*float64(sampleRate) + 0.5),
		fadeOut: int(MixFadeOutSec*float64(sampleRate) + 0.5),
	}
	m.base = barFrame(tl, mod(rec.FirstBar, int64(tl.BarsPerLoop)), sampleRate)
	for _, p := range mergeParts(rec.Parts) {
		l, ok := loops[p.Loop]
		if !ok {
			return nil, fmt.Errorf("sound: mixdown: %w: %q has no rendered loop", ErrUnknownLoop, p.Loop)
		}
		if len(l.Left) != m.loops || len(l.Right) != m.loops {
			return nil, fmt.Errorf("sound: mixdown: loop %q is %d frames, the recording's loop %d", p.Loop, len(l.Left), m.loops)
		}
		mp := mixPart{loop: &l, from: barFrame(tl, int64(p.From), sampleRate), to: barFrame(tl, int64(p.To), sampleRate)}
		mp.end = min(mp.to+m.fadeOut, m.frames)
		m.parts = append(m.parts, mp)
	}
	return m, nil
}

// Frames returns the mixdown's length: Bars bars at its sample rate.
func (m *Mixdown) Frames() int { return m.frames }

// SampleRate returns the mixdown's sample rate.
func (m *Mixdown) SampleRate() int { return m.rate }

// Mix adds frames [from, from+len(left)) of the mixdown into left and right
// (the channels must be the same length; frames past the end are left
// alone). The parts are summed in one fixed order whatever the chunks, so
// the samples do not depend on how the work is cut.
func (m *Mixdown) Mix(from int, left, right []float32) {
	to := min(from+len(left), m.frames)
	for _, p := range m.parts {
		lo, hi := max(from, p.from), min(to, p.end)
		if lo >= hi {
			continue
		}
		// Runs of frames that neither wrap around the loop nor cross from
		// one ramp to the next.
		i := (m.base + lo) % m.loops
		for f := lo; f < hi; {
			n := min(hi-f, m.loops-i)
			full := f-p.from >= m.fadeIn && f < p.to
			switch {
			case full:
				n = min(n, p.to-f)
			case f < p.to:
				n = min(n, p.from+m.fadeIn-f)
			}
			l, r := left[f-from:f-from+n], right[f-from:f-from+n]
			sl, sr := p.loop.Left[i:i+n], p.loop.Right[i:i+n]
			if full {
				for k := range l {
					l[k] += sl[k]
					r[k] += sr[k]
				}
			} else {
				for k := range l {
					g := m.gain(p, f+k)
					l[k] += g * sl[k]
					r[k] += g * sr[k]
				}
			}
			f += n
			if i += n; i == m.loops {
				i = 0
			}
		}
	}
}

// gain is p's level at frame f: a linear ramp up over fadeIn from its start,
// full, then a linear ramp down over fadeOut from its end.
func (m *Mixdown) gain(p mixPart, f int) float32 {
	switch {
	case f >= p.to:
		return 1 - float32(f-p.to)/float32(m.fadeOut)
	case f-p.from < m.fadeIn:
		return float32(f-p.from) / float32(m.fadeIn)
	}
	return 1
}

// WAVHeader returns the 44 bytes of a 16-bit stereo PCM WAV file that holds
// the whole mixdown; PCM gives the bytes that follow it.
func (m *Mixdown) WAVHeader() []byte {
	return wavHeader(m.rate, m.frames)
}

// PCM appends frames [from, from+n) of the mixdown to dst as 16-bit stereo
// little-endian PCM, rounded and clipped as EncodeWAV does, and returns it.
// scratch, when long enough, saves two allocations.
func (m *Mixdown) PCM(dst []byte, from, n int, scratch []float32) []byte {
	n = max(0, min(n, m.frames-from))
	if cap(scratch) < 2*n {
		scratch = make([]float32, 2*n)
	}
	left, right := scratch[:n], scratch[n:2*n]
	clear(left)
	clear(right)
	m.Mix(from, left, right)
	at := len(dst)
	dst = slices.Grow(dst, 4*n)[:at+4*n]
	out := dst[at:]
	for i := range n {
		binary.LittleEndian.PutUint16(out[4*i:], uint16(pcm16(left[i])))
		binary.LittleEndian.PutUint16(out[4*i+2:], uint16(pcm16(right[i])))
	}
	return dst
}

// LoopIDs returns the ids of the loops a recording's parts play, each once,
// in the order they first sound.
func LoopIDs(rec *shared.Recording) []string {
	var ids []string
	for _, p := range rec.Parts {
		if !slices.Contains(ids, p.Loop) {
			ids = append(ids, p.Loop)
		}
	}
	return ids
}

// mergeParts returns the parts with the parts of one loop that touch or
// overlap made one, in order of loop and then bar.
func mergeParts(parts []shared.Part) []shared.Part {
	sorted := slices.Clone(parts)
	slices.SortStableFunc(sorted, func(a, b shared.Part) int {
		return cmp.Or(cmp.Compare(a.Loop, b.Loop), cmp.Compare(a.From, b.From))
	})
	var out []shared.Part
	for _, p := range sorted {
		if n := len(out); n > 0 && out[n-1].Loop == p.Loop && p.From <= out[n-1].To {
			out[n-1].To = max(out[n-1].To, p.To)
			continue
		}
		out = append(out, p)
	}
	return out
}

// barFrame returns the frame bar n starts on at rate, on tl's grid, rounded
// to the nearest frame.
func barFrame(tl shared.Timeline, n int64, rate int) int {
	num := n * 60 * int64(tl.BeatsPerBar) * int64(rate)
	return int((2*num + int64(tl.BPM)) / (2 * int64(tl.BPM)))
}

func mod(a, b int64) int64 {
	r := a % b
	if r < 0 {
		r += b
	}
	return r
}
