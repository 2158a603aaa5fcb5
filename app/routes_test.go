package app

import (
	"regexp"
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

// TestPageShape holds the browser's routes to the server's: pageShape tells
// a jam's and a recording's path apart as the server's patterns do.
func TestPageShape(t *testing.T) {
	jam, recording := regexp.MustCompile(jamPathPattern), regexp.MustCompile(recordingPathPattern)
	for _, p := range []string{
		"/", "", "/jam", "/jam/", "/jam/abc", "/jam/abc/", "/jam/a.b", "/jam/a/b", "/jam/A-Z_09",
		"/jam/" + strings.Repeat("j", 65), "/jam/é", "/jam/a b", "/jamx/abc", "//jam/abc", "/JAM/abc",
		"/r", "/r/", "/r/abc", "/r/" + strings.Repeat("A", 22), "/r/abc/", "/r/a%20b", "/r/-_", "/rx/abc",
		"/jam/r/abc", "/r/jam/abc", "/web/app.wasm", "/jam/abc?kit=x", "/jam/\x00",
	} {
		want := notAPage
		switch {
		case jam.MatchString(p):
			want = jamShape
		case recording.MatchString(p):
			want = recordingShape
		}
		if got := pageShape(p); got != want {
			t.Errorf("pageShape(%q) = %d, the server's patterns say %d", p, got, want)
		}
	}
}
