//go:build !wasm

package main

import (
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"time"

	"github.com/loopswithfriends/loops/shared"
	"github.com/loopswithfriends/loops/shared/sound"
	"github.com/loopswithfriends/loops/shared/sound/measure"
)

// render writes every loop of every kit, and the mix of each kit's loops,
// as WAV files into a directory, DIR/{kit}/{loop}.wav and DIR/{kit}/mix.wav:
// `loops render -out DIR [-rate 48000]`, printing each file's loudness,
// peak and loss on a phone speaker (package measure); or, with
// -recording, one saved recording as a WAV file: `loops render -recording ID
// -data DIR -out FILE.wav`.
func render(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("loops render", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", "loops", "directory to write the kits' directories of WAV files to (created if missing); with -recording, the WAV file")
	rate := fs.Int("rate", 48000, "sample rate in Hz")
	recording := fs.String("recording", "", "render this saved recording instead of the kit")
	data := fs.String("data", envOr("LOOPS_DATA", "data"), "with -recording: the server's -data directory (also LOOPS_DATA)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("render: unexpected argument %q", fs.Arg(0))
	}
	if *recording != "" {
		return renderRecording(*recording, *data, *out, *rate, stdout)
	}
	for _, kit := range shared.Kits {
		dir := filepath.Join(*out, kit.ID)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("render: %w", err)
		}
		fmt.Fprintf(stdout, "%s: %s, %s in %s, %d BPM, %d bars of %d\n", kit.ID, kit.Name, kit.Genre, kit.Key, kit.BPM, kit.BarsPerLoop, kit.BeatsPerBar)
		ids := sound.IDs(kit.ID)
		for _, id := range ids {
			start := time.Now()
			left, right, err := sound.Render(kit.ID, id, *rate)
			if err != nil {
				return fmt.Errorf("render %s/%s: %w", kit.ID, id, err)
			}
			took := time.Since(start)
			if err := writeWAV(filepath.Join(dir, id+".wav"), *rate, left, right); err != nil {
				return err
			}
			report(stdout, *rate, id, left, right, took)
		}
		start := time.Now()
		left, right, err := sound.Mix(kit.ID, ids, *rate)
		if err != nil {
			return fmt.Errorf("render %s mix: %w", kit.ID, err)
		}
		took := time.Since(start)
		if err := writeWAV(filepath.Join(dir, "mix.wav"), *rate, left, right); err != nil {
			return err
		}
		report(stdout, *rate, "mix", left, right, took)
	}
	return nil
}

func writeWAV(path string, rate int, left, right []float32) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("render: %w", err)
	}
	if err := sound.EncodeWAV(f, rate, left, right); err != nil {
		f.Close()
		return fmt.Errorf("render %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("render: %w", err)
	}
	return nil
}

// report prints a file's loudness (BS.1770, as a loop), peak, loss on a
// phone speaker, and how long it took.
func report(w io.Writer, rate int, name string, left, right []float32, took time.Duration) {
	var peak float32
	for i := range left {
		peak = max(peak, left[i], -left[i], right[i], -right[i])
	}
	fmt.Fprintf(w, "  %-8s %6.2f LUFS  peak %6.2f dBFS  phone -%5.2f LU  %6.1f ms\n",
		name, measure.LoopLoudness(rate, left, right), 20*math.Log10(float64(peak)),
		measure.PhoneLoss(rate, left, right), float64(took.Microseconds())/1000)
}
