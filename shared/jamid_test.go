package shared

import (
	"fmt"
	"testing"
)

func TestValidJamID(t *testing.T) {
	for id, want := range map[string]bool{
		"a": true, "Jam_2-x": true, fmt.Sprintf("%064d", 1): true,
		"": false, fmt.Sprintf("%065d", 1): false, "a b": false, "a/b": false, "é": false, "a.b": false,
	} {
		t.Run(fmt.Sprintf("%q is well formed: %v", id, want), func(t *testing.T) {
			if got := ValidJamID(id); got != want {
				t.Errorf("ValidJamID(%q) = %v, want %v", id, got, want)
			}
		})
	}
}

func TestNewJamID(t *testing.T) {
	t.Run("a fresh jam id is well-formed, 128 bits long and never the same twice", func(t *testing.T) {
		seen := map[string]bool{}
		for range 1000 {
			id := NewJamID()
			if !ValidJamID(id) || len(id) != 22 {
				t.Fatalf("NewJamID() = %q: not a well-formed 22-character id", id)
			}
			if seen[id] {
				t.Fatalf("NewJamID() gave %q twice", id)
			}
			seen[id] = true
		}
	})
}
