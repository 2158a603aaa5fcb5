package sound

import (
	"encoding/binary"
	"math"
	"testing"

	"github.com/loopswithfriends/loops/shared"
)

const mixRate = 8000

// mixLoops renders the loops at mixRate.
func mixLoops(t *testing.T, ids ...string) map[string]Loop {
	t.Helper()
	loops := make(map[string]Loop)
	for _, id := range ids {
		l, r, err := Render(shared.DefaultKit().ID, id, mixRate)
		if err != nil {
			t.Fatal(err)
		}
		loops[id] = Loop{Left: l, Right: r}
	}
	return loops
}

func recordingOf(firstBar int64, bars int, parts ...shared.Part) *shared.Recording {
	k := shared.DefaultKit()
	return &shared.Recording{ID: "r", Kit: k.ID, BPM: k.BPM, BeatsPerBar: k.BeatsPerBar,
		BarsPerLoop: k.BarsPerLoop, FirstBar: firstBar, Bars: bars, Parts: parts}
}

// mixAll returns the whole mixdown as float channels, mixed in chunks of
// chunk frames.
func mixAll(t *testing.T, rec *shared.Recording, loops map[string]Loop, chunk int) (left, right []float32) {
	t.Helper()
	m, err := NewMixdown(rec, mixRate, loops)
	if err != nil {
		t.Fatal(err)
	}
	left, right = make([]float32, m.Frames()), make([]float32, m.Frames())
	for f := 0; f < m.Frames(); f += chunk {
		n := min(chunk, m.Frames()-f)
		m.Mix(f, left[f:f+n], right[f:f+n])
	}
	return left, right
}

func TestMixdown(t *testing.T) {
	loops := mixLoops(t, "drums", "bass", "bells")
	barFrames := LoopFrames(shared.DefaultKit(), mixRate) / shared.DefaultKit().BarsPerLoop
	// A jam's bars 7 to 16: drums all along but a gap, bass swapped for
	// bells mid-way, bells to the end.
	rec := recordingOf(7, 10,
		shared.Part{Loop: "drums", From: 0, To: 3},
		shared.Part{Loop: "bass", From: 1, To: 5},
		shared.Part{Loop: "drums", From: 4, To: 10},
		shared.Part{Loop: "bells", From: 5, To: 10})

	t.Run("a mixdown is exactly bars bars long, and its samples do not depend on the chunks", func(t *testing.T) {
		m, err := NewMixdown(rec, mixRate, loops)
		if err != nil {
			t.Fatal(err)
		}
		if m.Frames() != 10*barFrames {
			t.Fatalf("%d frames, want %d", m.Frames(), 10*barFrames)
		}
		l1, r1 := mixAll(t, rec, loops, m.Frames())
		l2, r2 := mixAll(t, rec, loops, 997)
		for i := range l1 {
			if l1[i] != l2[i] || r1[i] != r2[i] {
				t.Fatalf("frame %d differs between one chunk and chunks of 997", i)
			}
		}
		pcm := m.WAVHeader()
		for f := 0; f < m.Frames(); f += 1500 {
			pcm = m.PCM(pcm, f, 1500, nil)
		}
		if len(pcm) != 44+4*m.Frames() || binary.LittleEndian.Uint32(pcm[40:]) != uint32(4*m.Frames()) {
			t.Fatalf("WAV of %d bytes, header says %d of data", len(pcm), binary.LittleEndian.Uint32(pcm[40:]))
		}
	})

	t.Run("the export's samples equal the sum of each part rendered alone, within 1 LSB", func(t *testing.T) {
		full, err := NewMixdown(rec, mixRate, loops)
		if err != nil {
			t.Fatal(err)
		}
		got := full.PCM(nil, 0, full.Frames(), nil)
		sumL, sumR := make([]float32, full.Frames()), make([]float32, full.Frames())
		for _, p := range rec.Parts {
			l, r := mixAll(t, recordingOf(rec.FirstBar, rec.Bars, p), loops, 4096)
			for i := range l {
				sumL[i] += l[i]
				sumR[i] += r[i]
			}
		}
		exact, worst := 0, 0
		for i := range sumL {
			for ch, want := range [2]float32{sumL[i], sumR[i]} {
				g := int(int16(binary.LittleEndian.Uint16(got[4*i+2*ch:])))
				d := abs(g - int(pcm16(want)))
				worst = max(worst, d)
				if d == 0 {
					exact++
				}
			}
		}
		if worst > 1 {
			t.Fatalf("the export differs from the sum of its parts by %d LSB", worst)
		}
		t.Logf("%d of %d samples bit for bit, the rest within 1 LSB", exact, 2*len(sumL))
	})

	t.Run("each part sounds its loop phase-locked to the jam's timeline, and is silent outside its bars and ramps", func(t *testing.T) {
		p := shared.Part{Loop: "bass", From: 1, To: 5}
		l, _ := mixAll(t, recordingOf(rec.FirstBar, rec.Bars, p), loops, 4096)
		tl := rec.Timeline()
		start := tl.BarStart(rec.FirstBar)
		bass := loops["bass"].Left
		rate := float64(mixRate)
		fadeIn, fadeOut := int(MixFadeInSec*rate+0.5), int(MixFadeOutSec*rate+0.5)
		for f := range l {
			switch {
			case f < p.From*barFrames || f >= p.To*barFrames+fadeOut:
				if l[f] != 0 {
					t.Fatalf("frame %d, outside the part: %g", f, l[f])
				}
			case f >= p.From*barFrames+fadeIn && f < p.To*barFrames:
				pos := int(math.Round(tl.Phase(start+float64(f)*1000/mixRate) * mixRate / 1000))
				if want := bass[pos%len(bass)]; l[f] != want {
					t.Fatalf("frame %d: %g, the loop at its phase %d has %g", f, l[f], pos, want)
				}
			}
		}
	})

	t.Run("the seam between two stretches of one loop has no click: it is the loop going on", func(t *testing.T) {
		split, _ := mixAll(t, recordingOf(3, 8, shared.Part{Loop: "drums", From: 0, To: 4}, shared.Part{Loop: "drums", From: 4, To: 8}), loops, 4096)
		whole, _ := mixAll(t, recordingOf(3, 8, shared.Part{Loop: "drums", From: 0, To: 8}), loops, 4096)
		for i := range whole {
			if split[i] != whole[i] {
				t.Fatalf("frame %d (the seam is at %d): %g split, %g whole", i, 4*barFrames, split[i], whole[i])
			}
		}
		// And across the seam the signal moves no more than the loop
		// itself does anywhere.
		var loopStep, seamStep float32
		d := loops["drums"].Left
		for i := 1; i < len(d); i++ {
			loopStep = max(loopStep, absf(d[i]-d[i-1]))
		}
		seam := 4 * barFrames
		for i := seam - 64; i < seam+64; i++ {
			seamStep = max(seamStep, absf(split[i]-split[i-1]))
		}
		if seamStep > loopStep {
			t.Fatalf("a step of %g at the seam, the loop's largest is %g", seamStep, loopStep)
		}
	})

	t.Run("a loop that is not rendered, or rendered for another timeline, is an error", func(t *testing.T) {
		if _, err := NewMixdown(recordingOf(0, 2, shared.Part{Loop: "pad", From: 0, To: 1}), mixRate, loops); err == nil {
			t.Error("a part without its loop mixed")
		}
		other := recordingOf(0, 2, shared.Part{Loop: "drums", From: 0, To: 1})
		other.BPM = 120
		if _, err := NewMixdown(other, mixRate, loops); err == nil {
			t.Error("a loop of 100 BPM mixed into a recording at 120")
		}
	})
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

func absf(x float32) float32 { return max(x, -x) }

// BenchmarkMixdown times a one-minute recording's WAV bytes at 48 kHz, seven
// loops sounding at once for most of it, against a same-run baseline: the
// same frames of one loop copied to PCM with no mixing.
func BenchmarkMixdown(b *testing.B) {
	const rate = 48000
	kit := shared.DefaultKit().ID
	ids := IDs(kit)
	loops := make(map[string]Loop)
	for _, id := range ids {
		l, r, err := Render(kit, id, rate)
		if err != nil {
			b.Fatal(err)
		}
		loops[id] = Loop{Left: l, Right: r}
	}
	rec := recordingOf(1001, 25)
	for m := range shared.Capacity {
		for from, k := m%4, 0; from < rec.Bars; k++ {
			to := min(from+8+(m+k)%9, rec.Bars)
			rec.Parts = append(rec.Parts, shared.Part{Loop: ids[(m+k*shared.Capacity)%len(ids)], From: from, To: to})
			from = to + 1 + (m*k)%3
		}
	}
	m, err := NewMixdown(rec, rate, loops)
	if err != nil {
		b.Fatal(err)
	}
	const chunk = 1 << 14
	buf := make([]byte, 0, 4*chunk)
	scratch := make([]float32, 2*chunk)
	b.Run("a minute mixed to PCM", func(b *testing.B) {
		for b.Loop() {
			for f := 0; f < m.Frames(); f += chunk {
				buf = m.PCM(buf[:0], f, chunk, scratch)
			}
		}
		b.ReportMetric(float64(m.Frames())/rate, "s-of-audio")
	})
	b.Run("baseline: one loop copied to PCM, unmixed", func(b *testing.B) {
		l := loops["drums"]
		for b.Loop() {
			for f := 0; f < m.Frames(); f += chunk {
				buf = buf[:4*chunk]
				for i := range chunk {
					j := (f + i) % len(l.Left)
					binary.LittleEndian.PutUint16(buf[4*i:], uint16(pcm16(l.Left[j])))
					binary.LittleEndian.PutUint16(buf[4*i+2:], uint16(pcm16(l.Right[j])))
				}
			}
		}
	})
}
