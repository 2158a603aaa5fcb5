package sound

import (
	"bytes"
	"encoding/binary"
	"errors"
	"slices"
	"testing"

	"github.com/loopswithfriends/loops/shared"
)

func TestAPI(t *testing.T) {
	const gh = "golden-hour"
	t.Run("an unknown loop is ErrUnknownLoop, an unknown kit ErrUnknownKit", func(t *testing.T) {
		if _, _, err := Render(gh, "kazoo", 48000); !errors.Is(err, ErrUnknownLoop) {
			t.Errorf("Render(kazoo) error = %v", err)
		}
		if _, _, err := Mix(gh, []string{"drums", "kazoo"}, 48000); !errors.Is(err, ErrUnknownLoop) {
			t.Errorf("Mix(drums, kazoo) error = %v", err)
		}
		if _, _, err := Render("polka", "drums", 48000); !errors.Is(err, ErrUnknownKit) {
			t.Errorf("Render(polka/drums) error = %v", err)
		}
		if _, _, err := Mix("polka", nil, 48000); !errors.Is(err, ErrUnknownKit) {
			t.Errorf("Mix(polka) error = %v", err)
		}
	})

	t.Run("the progression is four chords of the key, two beats each", func(t *testing.T) {
		if got := Chords(); !slices.Equal(got, []string{"Am7", "Fmaj7", "Cmaj7", "G6"}) {
			t.Errorf("Chords() = %v", got)
		}
		inKey := map[int]bool{}
		for _, pc := range Scale {
			inKey[pc] = true
		}
		for _, c := range progression {
			for _, m := range append(append(c.voicing[:], c.open[:]...), c.root) {
				if !inKey[m%12] {
					t.Errorf("%s: note %d is not in %s", c.name, m, Key)
				}
			}
			for _, pc := range c.tones {
				if !inKey[pc] {
					t.Errorf("%s: tone %d is not in %s", c.name, pc, Key)
				}
			}
		}
	})

	t.Run("a sample rate out of range is ErrSampleRate", func(t *testing.T) {
		for _, sr := range []int{0, -1, MinSampleRate - 1, MaxSampleRate + 1} {
			if _, err := NewRenderer(gh, "drums", sr); !errors.Is(err, ErrSampleRate) {
				t.Errorf("NewRenderer(drums, %d) error = %v", sr, err)
			}
		}
	})

	t.Run("a mix is the sum of its loops", func(t *testing.T) {
		kit := renderKit(t, gh, 44100)
		l, r, err := Mix(gh, []string{kit[0].id, kit[1].id}, 44100)
		if err != nil {
			t.Fatal(err)
		}
		for i := range l {
			if l[i] != kit[0].left[i]+kit[1].left[i] || r[i] != kit[0].right[i]+kit[1].right[i] {
				t.Fatalf("frame %d: mix %v,%v is not the sum", i, l[i], r[i])
			}
		}
		l, _, err = Mix(gh, nil, 44100)
		if err != nil || len(l) != LoopFrames(shared.KitByID(gh), 44100) || rms(l, l) != 0 {
			t.Errorf("the empty mix is not a silent loop: %d frames, %v", len(l), err)
		}
	})

	t.Run("peaks cover the loop with magnitudes from 0 to 1", func(t *testing.T) {
		k := renderKit(t, gh, 44100)[0]
		p := Peaks(k.left, k.right, 200)
		if len(p) != 200 {
			t.Fatalf("%d peaks, want 200", len(p))
		}
		want := float32(peak(k.left, k.right))
		if slices.Max(p) != want {
			t.Errorf("largest peak %v, want the loop's peak %v", slices.Max(p), want)
		}
		if slices.Min(p) < 0 {
			t.Errorf("negative peak %v", slices.Min(p))
		}
		if got := Peaks([]float32{2, -3}, []float32{0.5, 0}, 1); got[0] != 1 {
			t.Errorf("an overloud peak is %v, want 1", got[0])
		}
		if Peaks(nil, nil, 0) != nil {
			t.Error("Peaks(n=0) is not nil")
		}
	})

	t.Run("a WAV file is 16-bit stereo PCM of the samples", func(t *testing.T) {
		var b bytes.Buffer
		left, right := []float32{0, 0.5, -1, 2}, []float32{1, -0.5, 0.25, -2}
		if err := EncodeWAV(&b, 48000, left, right); err != nil {
			t.Fatal(err)
		}
		d := b.Bytes()
		if len(d) != 44+16 || string(d[0:4]) != "RIFF" || string(d[8:16]) != "WAVEfmt " || string(d[36:40]) != "data" {
			t.Fatalf("bad header: % x", d[:44])
		}
		le := binary.LittleEndian
		if le.Uint16(d[20:]) != 1 || le.Uint16(d[22:]) != 2 || le.Uint32(d[24:]) != 48000 || le.Uint16(d[34:]) != 16 || le.Uint32(d[40:]) != 16 {
			t.Errorf("bad format fields: % x", d[20:44])
		}
		want := []int16{0, 32767, 16384, -16384, -32767, 8192, 32767, -32768}
		for i, w := range want {
			if got := int16(le.Uint16(d[44+2*i:])); got != w {
				t.Errorf("sample %d = %d, want %d", i, got, w)
			}
		}
		if err := EncodeWAV(&b, 48000, left, right[:1]); err == nil {
			t.Error("channels of different lengths encoded")
		}
	})
}
