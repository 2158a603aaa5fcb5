package shared

import (
	"regexp"
	"testing"
)

func TestKits(t *testing.T) {
	safe := regexp.MustCompile(`^[a-z0-9-]+$`)
	t.Run("kit ids are unique and URL-safe, and KitByID finds each", func(t *testing.T) {
		seen := map[string]bool{}
		for _, k := range Kits {
			if seen[k.ID] || !safe.MatchString(k.ID) || k.Name == "" {
				t.Errorf("kit %+v: want a new URL-safe id and a name", k.ID)
			}
			seen[k.ID] = true
			if KitByID(k.ID) != k {
				t.Errorf("KitByID(%q) did not find it", k.ID)
			}
		}
		if KitByID("nope") != nil || KitByID("") != nil {
			t.Error("an unknown kit was found")
		}
		if DefaultKit() != Kits[0] {
			t.Error("the default kit is not the first")
		}
	})
	t.Run("every kit has a timeline and a full band with loops to spare", func(t *testing.T) {
		for _, k := range Kits {
			if len(k.Loops) < Capacity+1 {
				t.Errorf("%s has %d loops, want at least %d", k.ID, len(k.Loops), Capacity+1)
			}
			tl := k.Timeline(1000)
			if tl.Epoch != 1000 || tl.BPM != k.BPM || tl.BeatsPerBar != k.BeatsPerBar || tl.BarsPerLoop != k.BarsPerLoop {
				t.Errorf("%s: timeline %+v", k.ID, tl)
			}
			if k.BPM < 60 || k.BPM > 180 || k.BeatsPerBar < 1 || k.BarsPerLoop < 1 || k.LoopSeconds() > 12 {
				t.Errorf("%s: %d BPM, %d beats a bar, %d bars a loop", k.ID, k.BPM, k.BeatsPerBar, k.BarsPerLoop)
			}
		}
	})
	t.Run("loop ids are unique in their kit, URL-safe and found by Loop", func(t *testing.T) {
		for _, k := range Kits {
			seen := map[string]bool{}
			for i, l := range k.Loops {
				if seen[l.ID] {
					t.Errorf("%s: id %q twice", k.ID, l.ID)
				}
				seen[l.ID] = true
				if !safe.MatchString(l.ID) || l.Name == "" || l.Role == "" {
					t.Errorf("%s: entry %d = %+v: want a URL-safe id, a name and a role", k.ID, i, l)
				}
				if got, ok := k.Loop(l.ID); !ok || got != l || k.LoopIndex(l.ID) != i {
					t.Errorf("%s: Loop(%q) = %+v, %v; LoopIndex = %d", k.ID, l.ID, got, ok, k.LoopIndex(l.ID))
				}
			}
			if _, ok := k.Loop("nope"); ok || k.LoopIndex("nope") != -1 {
				t.Errorf("%s: an unknown id was found", k.ID)
			}
		}
	})
	t.Run("colors are CSS hex", func(t *testing.T) {
		hex := regexp.MustCompile(`^#[0-9a-f]{6}$`)
		for _, k := range Kits {
			for _, l := range k.Loops {
				if !hex.MatchString(l.Color) {
					t.Errorf("%s/%s: color %q", k.ID, l.ID, l.Color)
				}
			}
		}
	})
}
