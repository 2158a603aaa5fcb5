package shared

import (
	"regexp"
	"testing"
)

func TestCatalog(t *testing.T) {
	t.Run("a full jam still has loops to swap to", func(t *testing.T) {
		if len(Catalog) < Capacity+3 {
			t.Errorf("catalog has %d loops, want at least %d", len(Catalog), Capacity+3)
		}
	})
	t.Run("ids are unique, URL-safe and found by LoopByID", func(t *testing.T) {
		safe := regexp.MustCompile(`^[a-z0-9-]+$`)
		seen := map[string]bool{}
		for i, l := range Catalog {
			if seen[l.ID] {
				t.Errorf("id %q twice", l.ID)
			}
			seen[l.ID] = true
			if !safe.MatchString(l.ID) || l.Name == "" || l.Role == "" {
				t.Errorf("entry %d = %+v: want a URL-safe id, a name and a role", i, l)
			}
			if got, ok := LoopByID(l.ID); !ok || got != l || LoopIndex(l.ID) != i {
				t.Errorf("LoopByID(%q) = %+v, %v; LoopIndex = %d", l.ID, got, ok, LoopIndex(l.ID))
			}
		}
		if _, ok := LoopByID("nope"); ok || LoopIndex("nope") != -1 {
			t.Error("an unknown id was found")
		}
	})
	t.Run("colors are CSS hex", func(t *testing.T) {
		hex := regexp.MustCompile(`^#[0-9a-f]{6}$`)
		for _, l := range Catalog {
			if !hex.MatchString(l.Color) {
				t.Errorf("%s: color %q", l.ID, l.Color)
			}
		}
	})
}
