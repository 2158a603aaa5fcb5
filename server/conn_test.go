//go:build !wasm

package server

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestTruncateReason(t *testing.T) {
	t.Run("a short reason is kept", func(t *testing.T) {
		if got := truncateReason("too slow"); got != "too slow" {
			t.Fatalf("got %q", got)
		}
	})
	t.Run("a long reason is cut to 123 bytes on a rune boundary", func(t *testing.T) {
		for _, reason := range []string{strings.Repeat("x", 500), strings.Repeat("é", 100), "a" + strings.Repeat("€", 60)} {
			got := truncateReason(reason)
			if len(got) > maxCloseReason || len(got) < maxCloseReason-3 || !utf8.ValidString(got) || !strings.HasPrefix(reason, got) {
				t.Errorf("truncateReason(%.10q...) = %q (%d bytes)", reason, got, len(got))
			}
		}
	})
}
