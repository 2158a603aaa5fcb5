package app

import (
	"strings"
	"testing"
)

func TestPagePaths(t *testing.T) {
	rec := strings.Repeat("A", 22) // a recording id's length
	for _, c := range []struct{ path, jam, recording string }{
		{"/jam/abc", "abc", ""},
		{"/jam/abc/", "abc", ""},
		{"/jam/" + strings.Repeat("j", 64), strings.Repeat("j", 64), ""},
		{"/jam/" + strings.Repeat("j", 65), "", ""}, // too long: not found (badInvites)
		{"/jam/a.b", "", ""},
		{"/jam/", "", ""},
		{"/", "", ""},
		{"/r/" + rec, "", rec},
		{"/r/" + rec + "/", "", rec},
		{"/r/abc", "", ""}, // not a recording id's length
		{"/r/" + rec[1:] + "!", "", ""},
	} {
		if got := jamFromPath(c.path); got != c.jam {
			t.Errorf("jamFromPath(%q) = %q, want %q", c.path, got, c.jam)
		}
		if got := recordingFromPath(c.path); got != c.recording {
			t.Errorf("recordingFromPath(%q) = %q, want %q", c.path, got, c.recording)
		}
	}
}
