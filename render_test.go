//go:build !wasm

package main

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/loopswithfriends/loops/shared/sound"
)

func TestRender(t *testing.T) {
	t.Run("loops render writes every loop and the full mix as WAV files", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "kit")
		var out, errOut bytes.Buffer
		if err := render([]string{"-out", dir, "-rate", "8000"}, &out, &errOut); err != nil {
			t.Fatalf("render: %v (%s)", err, errOut.String())
		}
		for _, name := range append(sound.IDs(), "mix") {
			b, err := os.ReadFile(filepath.Join(dir, name+".wav"))
			if err != nil {
				t.Fatal(err)
			}
			if len(b) != 44+4*sound.LoopFrames(8000) || string(b[:4]) != "RIFF" || binary.LittleEndian.Uint32(b[24:]) != 8000 {
				t.Errorf("%s.wav: %d bytes, header % x", name, len(b), b[:min(44, len(b))])
			}
			if !strings.Contains(out.String(), name) {
				t.Errorf("the report does not mention %s:\n%s", name, out.String())
			}
		}
	})

	t.Run("loops render refuses stray arguments and bad rates", func(t *testing.T) {
		var out, errOut bytes.Buffer
		if err := render([]string{"-out", t.TempDir(), "extra"}, &out, &errOut); err == nil {
			t.Error("a stray argument was accepted")
		}
		if err := render([]string{"-out", t.TempDir(), "-rate", "7"}, &out, &errOut); err == nil {
			t.Error("a 7 Hz rate was accepted")
		}
	})
}
