// Package sound synthesizes the loop kit: every loop of the catalog, made by
// code at any sample rate, all in one key (A minor) over one chord
// progression (Am7 Fmaj7 | Cmaj7 G6, two beats each), so that any of them
// sound good together.
//
// A loop is two bars at 100 BPM, 4.8 seconds. Rendering is deterministic:
// the same loop at the same sample rate is the same samples on every run
// (seeded noise, no map order, no clock), and on every platform where the
// compiler does not fuse multiply-adds: wasm, and amd64 at its default
// GOAMD64 (v1; v3 fuses), so the server's WAV files and the browser's loops
// are the same samples. Notes and room tails that cross the
// loop end wrap around to its start, so a loop repeats without a click.
//
// The parts, one file each: drums (sine kick, noise snare and hats, a back
// beat with swung sixteenths), bass (sine and filtered saw, locked to the
// kick), keys (FM electric piano), guitar (Karplus-Strong), lead (a formant
// voice), pad (detuned saws, ducking under the kick), arp (pulse arpeggio,
// ping-pong echo), congas (tuned membranes), shaker (shaped noise), bells
// (FM), texture (wind, tuned whistles, crackle) and clav (pulse through an
// envelope filter). Each part is a list of voices placed on the loop
// (renderer.go), then an echo and a small room (room.go), then its level.
//
// The package imports only shared, so it runs in the browser (GOOS=js) as
// well as on the server.
package sound

import (
	"errors"
	"fmt"
	"runtime"
	"sync"

	"github.com/loopswithfriends/loops/shared"
)

// The sample rates Render accepts.
const (
	MinSampleRate = 8000
	MaxSampleRate = 384000
)

// peakLimitDB is the highest peak of a single loop, in dBFS.
const peakLimitDB = -6

// ErrUnknownLoop is returned for a loop id that is not in its kit.
var ErrUnknownLoop = errors.New("unknown loop")

// ErrUnknownKit is returned for a kit id that is not one of shared.Kits.
var ErrUnknownKit = errors.New("unknown kit")

// ErrSampleRate is returned for a sample rate outside [MinSampleRate,
// MaxSampleRate].
var ErrSampleRate = errors.New("unsupported sample rate")

// LoopFrames returns the number of frames in one loop of the kit at
// sampleRate: sampleRate * 60 * beats a loop / BPM, 211680 at 44.1 kHz for
// the default kit (two bars of four beats at 100 BPM). It is rounded to
// the nearest frame where it is not whole, and a player looping that
// buffer drifts from the jam's timeline by under half a frame a pass, so
// it should place each pass by the timeline rather than by counting
// buffers.
func LoopFrames(k *shared.Kit, sampleRate int) int {
	num := int64(sampleRate) * 60 * int64(k.BeatsPerBar*k.BarsPerLoop)
	return int((2*num + int64(k.BPM)) / (2 * int64(k.BPM)))
}

// part is one loop of a kit: how to make its notes and what to run them
// through.
type part struct {
	id string
	// trim is the part's loudness against its kit's level, in LU: small,
	// so that none drowns the others.
	trim float64
	// seed seeds the part's noise.
	seed uint32
	// voices returns the notes of the loop, in a fixed order.
	voices func(g grid, rng *noise) []voice
	room   *room
	echo   *echo
	// presence lifts the part's top, a shelf from 2.5 kHz up by
	// 1+presence (see presenceJob): what a phone and a listener hear
	// first.
	presence float32
	// drive is how hard the part is pushed into its bus saturator (see
	// driveJobs): the level its peak is driven to, 0 for none.
	drive float32
	// pitched parts are held to their kit's key by the tests; sustained
	// parts (pads, beds) may have no onsets to find.
	pitched, sustained bool
}

// kit is the sound of one of shared.Kits: its parts in loop order, and
// the key and swing the tests hold them to.
type kit struct {
	*shared.Kit
	parts []*part
	// level is the loudness of each loop, in LUFS (see levelJobs).
	level float64
	// scale lists the pitch classes of the key (0 is C).
	scale [7]int
	// swing pushes the off-beat sixteenths late by this share of a
	// sixteenth: every onset of the kit is on that grid.
	swing float64
}

// kits are the sounds of shared.Kits, in the same order.
var kits = []*kit{goldenHourKit, dustyTapesKit, afterHoursKit}

// IDs returns the ids of a kit's loops, in kit order, or nil for an
// unknown kit.
func IDs(kitID string) []string {
	k := kitByID(kitID)
	if k == nil {
		return nil
	}
	ids := make([]string, len(k.parts))
	for i, p := range k.parts {
		ids[i] = p.id
	}
	return ids
}

func kitByID(id string) *kit {
	for _, k := range kits {
		if k.ID == id {
			return k
		}
	}
	return nil
}

func lookup(kitID, id string, sampleRate int) (*kit, *part, error) {
	if sampleRate < MinSampleRate || sampleRate > MaxSampleRate {
		return nil, nil, fmt.Errorf("sound: %w: %d Hz", ErrSampleRate, sampleRate)
	}
	k := kitByID(kitID)
	if k == nil {
		return nil, nil, fmt.Errorf("sound: %w: %q", ErrUnknownKit, kitID)
	}
	for _, p := range k.parts {
		if p.id == id {
			return k, p, nil
		}
	}
	return k, nil, fmt.Errorf("sound: %w: %q", ErrUnknownLoop, id)
}

// Render returns the loop id of the kit at sampleRate as left and right
// channels of exactly LoopFrames(kit, sampleRate) samples each.
func Render(kitID, id string, sampleRate int) (left, right []float32, err error) {
	r, err := NewRenderer(kitID, id, sampleRate)
	if err != nil {
		return nil, nil, err
	}
	for !r.Step(1 << 30) {
	}
	left, right = r.Result()
	return left, right, nil
}

// Mix returns the sum of the kit's loops ids at sampleRate, the way a
// browser playing them together sums them. A duplicate id is summed twice. Where
// there are several CPUs the loops render in parallel; they are summed in
// the order given either way, so the result is the same.
func Mix(kitID string, ids []string, sampleRate int) (left, right []float32, err error) {
	k, _, err := lookup(kitID, "", sampleRate)
	if k == nil {
		return nil, nil, err
	}
	for _, id := range ids {
		if _, _, err := lookup(kitID, id, sampleRate); err != nil {
			return nil, nil, err
		}
	}
	n := LoopFrames(k.Kit, sampleRate)
	left, right = make([]float32, n), make([]float32, n)
	add := func(l, r []float32) {
		for i := range left {
			left[i] += l[i]
			right[i] += r[i]
		}
		putBuf(l)
		putBuf(r)
	}
	// The ids are valid: Render cannot fail.
	workers := min(runtime.GOMAXPROCS(0), len(ids))
	if workers <= 1 {
		for _, id := range ids {
			l, r, _ := Render(kitID, id, sampleRate)
			add(l, r)
		}
		return left, right, nil
	}
	loops := make([][2][]float32, len(ids))
	var wg sync.WaitGroup
	next := make(chan int)
	for range workers {
		wg.Go(func() {
			for i := range next {
				loops[i][0], loops[i][1], _ = Render(kitID, ids[i], sampleRate)
			}
		})
	}
	for i := range ids {
		next <- i
	}
	close(next)
	wg.Wait()
	for _, lr := range loops {
		add(lr[0], lr[1])
	}
	return left, right, nil
}

// Peaks returns n peak magnitudes, from 0 to 1, of equal slices of the loop
// (both channels), for drawing its waveform.
func Peaks(left, right []float32, n int) []float32 {
	if n <= 0 {
		return nil
	}
	out := make([]float32, n)
	frames := max(len(left), len(right))
	if frames == 0 {
		return out
	}
	for k := range out {
		from, to := k*frames/n, (k+1)*frames/n
		var p float32
		for _, ch := range [2][]float32{left, right} {
			// Plain comparisons: the builtin max of floats, which minds
			// NaNs, is a call per sample in WASM, and a loop is millions.
			for _, s := range ch[min(from, len(ch)):min(to, len(ch))] {
				if s > p {
					p = s
				} else if -s > p {
					p = -s
				}
			}
		}
		out[k] = min(p, 1)
	}
	return out
}
