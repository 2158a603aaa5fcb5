package shared

import (
	"fmt"
	"regexp"
	"testing"
)

func TestValidJamID(t *testing.T) {
	pattern := regexp.MustCompile("^" + JamIDPattern + "$")
	for id, want := range map[string]bool{
		"a": true, "Jam_2-x": true, fmt.Sprintf("%064d", 1): true,
		"": false, fmt.Sprintf("%065d", 1): false, "a b": false, "a/b": false, "é": false, "a.b": false,
	} {
		t.Run(fmt.Sprintf("%q is well formed: %v", id, want), func(t *testing.T) {
			if got := ValidJamID(id); got != want {
				t.Errorf("ValidJamID(%q) = %v, want %v", id, got, want)
			}
			if got := pattern.MatchString(id); got != want {
				t.Errorf("JamIDPattern matches %q: %v, want %v", id, got, want)
			}
		})
	}
}
