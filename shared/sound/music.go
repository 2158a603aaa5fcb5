package sound

// The harmony every pitched part follows: A minor (A natural minor, the
// notes of C major), and one chord every two beats:
//
//	| Am7       Fmaj7     | Cmaj7     G6        |
//
// the vi-IV-I-V loop of a thousand songs, with sevenths and sixths that keep
// every voice on the white keys, so any parts played together agree.

// Scale lists the pitch classes of the key, A natural minor (0 is C).
var Scale = [7]int{9, 11, 0, 2, 4, 5, 7}

// Key names the key every loop is in.
const Key = "A minor"

// chord is one chord of the progression, as MIDI notes.
type chord struct {
	name string
	// root is the bass note (MIDI, octave 2).
	root int
	// voicing is a close voicing around middle C, for the keys.
	voicing [4]int
	// open is a spread voicing (root and fifth low, third and seventh or
	// sixth high), for the pad, so it does not double the keys.
	open [4]int
	// tones are the chord tones as pitch classes, root first.
	tones [4]int
}

// progression is the loop's chords, one per two beats.
var progression = [4]chord{
	{"Am7", 45, [4]int{55, 60, 64, 69}, [4]int{57, 64, 67, 72}, [4]int{9, 0, 4, 7}},
	{"Fmaj7", 41, [4]int{53, 57, 60, 64}, [4]int{53, 60, 64, 69}, [4]int{5, 9, 0, 4}},
	{"Cmaj7", 36, [4]int{55, 59, 64, 67}, [4]int{48, 55, 64, 71}, [4]int{0, 4, 7, 11}},
	{"G6", 43, [4]int{55, 59, 62, 64}, [4]int{55, 62, 64, 71}, [4]int{7, 11, 2, 4}},
}

// The golden hour kit's grid.
const (
	beatsPerLoop = 8
	// stepsPerBeat divides a beat into sixteenth notes.
	stepsPerBeat  = 4
	stepsPerLoop  = beatsPerLoop * stepsPerBeat
	beatsPerChord = beatsPerLoop / len(progression)
)

// grid converts musical time to frames for one sample rate and one kit.
type grid struct {
	sr int
	// n is the loop's length in frames.
	n int
	// beatsPer is the loop's length in beats.
	beatsPer int
}

// at returns the frame of a position in beats from the loop start; the last
// beat ends exactly at n.
func (g grid) at(beats float64) int {
	f := int(beats*float64(g.n)/float64(g.beatsPer) + 0.5)
	return ((f % g.n) + g.n) % g.n
}

// beats returns a duration in beats as frames.
func (g grid) beats(b float64) int { return int(b*float64(g.n)/float64(g.beatsPer) + 0.5) }

// secs returns a duration in seconds as frames.
func (g grid) secs(s float64) int { return int(s*float64(g.sr) + 0.5) }

// chordAt returns the chord sounding at a position in beats.
func chordAt(beats float64) chord {
	i := int(beats) / beatsPerChord
	return progression[((i%len(progression))+len(progression))%len(progression)]
}

// nearest returns the MIDI note of pitch class pc closest to near.
func nearest(pc, near int) int {
	n := near - ((near-pc)%12+12)%12
	if near-n > 6 {
		n += 12
	}
	return n
}

// Chords returns the names of the progression's chords, in order, each
// lasting two beats: the harmony every pitched loop follows.
func Chords() []string {
	names := make([]string, len(progression))
	for i, c := range progression {
		names[i] = c.name
	}
	return names
}
