//go:build !wasm

package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/loopswithfriends/loops/server/boltstore"
	"github.com/loopswithfriends/loops/shared"
	"github.com/loopswithfriends/loops/shared/sound"
)

// renderRecording writes the recording id of the store in dir to the WAV
// file out at rate, with the same mixdown the browser's download uses.
func renderRecording(id, dir, out string, rate int, stdout io.Writer) error {
	start := time.Now()
	store, err := boltstore.Open(dir, boltstore.Options{ReadOnly: true, OpenTimeout: 5 * time.Second})
	if err != nil {
		return fmt.Errorf("render: %w", err)
	}
	rec, err := store.Get(context.Background(), id)
	store.Close()
	if errors.Is(err, shared.ErrRecordingNotFound) {
		return fmt.Errorf("render: no recording %q in %s (never saved, expired, or dropped for room)", id, dir)
	}
	if err != nil {
		return fmt.Errorf("render: %w", err)
	}
	loops := make(map[string]sound.Loop)
	for _, loop := range sound.LoopIDs(rec) {
		l, r, err := sound.Render(rec.Kit, loop, rate)
		if err != nil {
			return fmt.Errorf("render %s: %w", loop, err)
		}
		loops[loop] = sound.Loop{Left: l, Right: r}
	}
	m, err := sound.NewMixdown(rec, rate, loops)
	if err != nil {
		return fmt.Errorf("render: %w", err)
	}
	f, err := os.Create(out)
	if err != nil {
		return fmt.Errorf("render: %w", err)
	}
	w := bufio.NewWriterSize(f, 1<<16)
	buf := m.WAVHeader()
	const chunk = 1 << 14
	scratch := make([]float32, 2*chunk)
	for from := 0; from < m.Frames() && err == nil; from += chunk {
		buf = m.PCM(buf, from, chunk, scratch)
		_, err = w.Write(buf)
		buf = buf[:0]
	}
	if err == nil {
		err = w.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("render %s: %w", out, err)
	}
	fmt.Fprintf(stdout, "%s: %d bars, %d parts, %.1f s at %d Hz in %v\n", out, rec.Bars, len(rec.Parts),
		float64(m.Frames())/float64(rate), rate, time.Since(start).Round(time.Millisecond))
	return nil
}
