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

	"github.com/loopswithfriends/loops/shared/sound"
)

// render writes every loop of the kit, and the mix of them all, as WAV files
// into a directory: `loops render -out DIR [-rate 48000]`; or, with
// -recording, one saved recording as a WAV file: `loops render -recording ID
// -data DIR -out FILE.wav`.
func render(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("loops render", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", "loops", "directory to write the WAV files to (created if missing); with -recording, the WAV file")
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
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return fmt.Errorf("render: %w", err)
	}
	ids := sound.IDs()
	for _, id := range ids {
		start := time.Now()
		left, right, err := sound.Render(id, *rate)
		if err != nil {
			return fmt.Errorf("render %s: %w", id, err)
		}
		took := time.Since(start)
		if err := writeWAV(filepath.Join(*out, id+".wav"), *rate, left, right); err != nil {
			return err
		}
		report(stdout, id, left, right, took)
	}
	start := time.Now()
	left, right, err := sound.Mix(ids, *rate)
	if err != nil {
		return fmt.Errorf("render mix: %w", err)
	}
	took := time.Since(start)
	if err := writeWAV(filepath.Join(*out, "mix.wav"), *rate, left, right); err != nil {
		return err
	}
	report(stdout, "mix", left, right, took)
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

// report prints a file's peak and RMS level, and how long it took.
func report(w io.Writer, name string, left, right []float32, took time.Duration) {
	var peak float32
	var sum float64
	for i := range left {
		peak = max(peak, left[i], -left[i], right[i], -right[i])
		sum += float64(left[i])*float64(left[i]) + float64(right[i])*float64(right[i])
	}
	rms := math.Sqrt(sum / float64(2*max(1, len(left))))
	fmt.Fprintf(w, "%-8s peak %6.2f dBFS  RMS %6.2f dBFS  %6.1f ms\n",
		name, 20*math.Log10(float64(peak)), 20*math.Log10(rms), float64(took.Microseconds())/1000)
}
