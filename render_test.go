//go:build !wasm

package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/loopswithfriends/loops/server/boltstore"
	"github.com/loopswithfriends/loops/shared"
	"github.com/loopswithfriends/loops/shared/sound"
)

func TestRender(t *testing.T) {
	t.Run("loops render writes every loop and the full mix of every kit as WAV files", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "kits")
		var out, errOut bytes.Buffer
		if err := render([]string{"-out", dir, "-rate", "8000"}, &out, &errOut); err != nil {
			t.Fatalf("render: %v (%s)", err, errOut.String())
		}
		for _, kit := range shared.Kits {
			if !strings.Contains(out.String(), kit.ID) {
				t.Errorf("the report does not mention %s:\n%s", kit.ID, out.String())
			}
			for _, name := range append(sound.IDs(kit.ID), "mix") {
				b, err := os.ReadFile(filepath.Join(dir, kit.ID, name+".wav"))
				if err != nil {
					t.Fatal(err)
				}
				if len(b) != 44+4*sound.LoopFrames(kit, 8000) || string(b[:4]) != "RIFF" || binary.LittleEndian.Uint32(b[24:]) != 8000 {
					t.Errorf("%s/%s.wav: %d bytes, header % x", kit.ID, name, len(b), b[:min(44, len(b))])
				}
				if !strings.Contains(out.String(), name) {
					t.Errorf("the report does not mention %s:\n%s", name, out.String())
				}
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
	t.Run("loops render -recording writes a saved recording as a WAV file of exactly its bars", func(t *testing.T) {
		dir := t.TempDir()
		store, err := boltstore.Open(dir, boltstore.Options{})
		if err != nil {
			t.Fatal(err)
		}
		rec := &shared.Recording{ID: "AAAAAAAAAAAAAAAAAAAAAA", Created: float64(time.Now().UnixMilli()), Kit: shared.DefaultKit().ID,
			BPM: 100, BeatsPerBar: 4, BarsPerLoop: 2, FirstBar: 5, Bars: 3,
			Parts: []shared.Part{{Loop: "drums", From: 0, To: 3}, {Loop: "bass", From: 1, To: 2}}}
		if err := store.Put(context.Background(), rec); err != nil {
			t.Fatal(err)
		}
		store.Close()

		out := filepath.Join(t.TempDir(), "jam.wav")
		var stdout, stderr bytes.Buffer
		if err := render([]string{"-recording", rec.ID, "-data", dir, "-out", out, "-rate", "8000"}, &stdout, &stderr); err != nil {
			t.Fatalf("render: %v (%s)", err, stderr.String())
		}
		got, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		loops := make(map[string]sound.Loop)
		for _, id := range []string{"drums", "bass"} {
			l, r, _ := sound.Render(shared.DefaultKit().ID, id, 8000)
			loops[id] = sound.Loop{Left: l, Right: r}
		}
		m, err := sound.NewMixdown(rec, 8000, loops)
		if err != nil {
			t.Fatal(err)
		}
		want := m.PCM(m.WAVHeader(), 0, m.Frames(), nil)
		if m.Frames() != 3*19200 || !bytes.Equal(got, want) {
			t.Fatalf("%d bytes, want the mixdown's %d (%d frames)", len(got), len(want), m.Frames())
		}

		err = render([]string{"-recording", "BBBBBBBBBBBBBBBBBBBBBB", "-data", dir, "-out", out}, &stdout, &stderr)
		if err == nil || !strings.Contains(err.Error(), "no recording") {
			t.Fatalf("an unknown recording: %v", err)
		}
		err = render([]string{"-recording", rec.ID, "-data", filepath.Join(dir, "nothing"), "-out", out}, &stdout, &stderr)
		if err == nil {
			t.Fatal("a -data without a database rendered")
		}
	})
}
